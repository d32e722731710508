#!/usr/bin/env bash
# Validate deploy/k8s against the Kubernetes JSON schemas with kubeconform, offline.
#
#   deploy/k8s/validate.sh [FILE...]     (default: every manifest here, plus the Secret rendered from
#                                        secrets.env.example the way kustomize's secretGenerator would)
#
# kubeconform is built from its Go module (go install, through the module proxy) into var/tools/bin.
# It needs the schemas on disk (no schema download is possible here, only package registries are
# reachable): they come from the PyPI package kubernetes-validate, which ships the JSON schemas of
# every Kubernetes minor release; only one release's "-local-strict" set is unpacked into var/tools,
# with its references made relative to the files.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$ROOT/deploy/k8s"
TOOLS="$ROOT/var/tools"
KUBECONFORM_VERSION="${KUBECONFORM_VERSION:-v0.7.0}"
K8S_VERSION="${K8S_VERSION:-1.34.0}"
SCHEMA_PACKAGE="kubernetes-validate==1.37.0"
PY="${SRDI_PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PY" ] || PY=python3
KUBECONFORM="$TOOLS/bin/kubeconform"
SCHEMAS="$TOOLS/k8s-schemas"

if [ ! -x "$KUBECONFORM" ]; then
  command -v go >/dev/null || { [ -x /usr/local/go/bin/go ] && PATH="$PATH:/usr/local/go/bin"; }
  command -v go >/dev/null || { echo "validate.sh: Go is needed to build kubeconform" >&2; exit 1; }
  mkdir -p "$TOOLS/bin"
  GOBIN="$TOOLS/bin" GOTOOLCHAIN=local GOFLAGS=-mod=mod go install "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION" >&2
fi

if [ ! -f "$SCHEMAS/v$K8S_VERSION-local-strict/deployment-apps-v1.json" ]; then
  mkdir -p "$TOOLS/wheels" "$SCHEMAS"
  "$PY" -m pip download --quiet --no-deps --dest "$TOOLS/wheels" "$SCHEMA_PACKAGE" >&2
  "$PY" - "$TOOLS/wheels" "$SCHEMAS" "v$K8S_VERSION-local-strict" <<'PYTHON'
import json, sys, zipfile
from pathlib import Path

wheels, target, release = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
wheel = sorted(wheels.glob("kubernetes_validate-*.whl"))[-1]
prefix = f"kubernetes_validate/kubernetes-json-schema/{release}/"
with zipfile.ZipFile(wheel) as archive:
    members = [name for name in archive.namelist() if name.startswith(prefix) and name.endswith(".json")]
    if not members:
        sys.exit(f"{wheel.name} has no schemas for {release}")
    for name in members:
        out = target / release / name[len(prefix):]
        out.parent.mkdir(parents=True, exist_ok=True)
        # The package resolves "/api/_definitions.json" against each schema's https "$id" in its own
        # registry; on disk the definitions sit beside each file: drop the "$id", make the refs relative.
        text = archive.read(name).decode().replace('"/api/_definitions.json#', '"_definitions.json#')
        schema = json.loads(text)
        schema.pop("$id", None)
        out.write_text(json.dumps(schema), encoding="utf-8")
PYTHON
fi

files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  rendered="$(mktemp -d)"
  trap 'rm -rf "$rendered"' EXIT
  # The Secret that secretGenerator makes from secrets.env, rendered from the committed example.
  "$PY" - "$HERE/secrets.env.example" > "$rendered/secret.yaml" <<'PYTHON'
import base64, json, sys

data = {}
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.strip()
    if line and not line.startswith("#"):
        key, _, value = line.partition("=")
        data[key] = base64.b64encode(value.encode()).decode()
print(json.dumps({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                  "metadata": {"name": "srdi-secrets", "namespace": "srdi"}, "data": data}))
PYTHON
  files=("$HERE"/*.yaml "$rendered/secret.yaml")
fi

exec "$KUBECONFORM" -strict -summary -output text -kubernetes-version "$K8S_VERSION" \
  -schema-location "$SCHEMAS/{{ .NormalizedKubernetesVersion }}-local-strict/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
  -skip Kustomization "${files[@]}"
