"""deploy/k8s: valid against the Kubernetes schemas (kubeconform, offline) and complete — a
Deployment per service and per relay, probes on /healthz and /readyz, an autoscaler per consumer,
settings from one ConfigMap and one Secret whose values are not in git."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.platform import definition_of
from shared.config import SERVICES

ROOT = Path(__file__).resolve().parents[3]
K8S = ROOT / "deploy" / "k8s"
VALIDATE = K8S / "validate.sh"
APIS = [*SERVICES, "gateway"]


def documents() -> list[dict[str, Any]]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        docs += [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]
    return docs


def of_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in documents() if doc["kind"] == kind}


def dns(service: str) -> str:
    return service.replace("_", "-")


def test_kubeconform_finds_every_manifest_valid() -> None:
    result = subprocess.run([str(VALIDATE)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    resources = len([d for d in documents() if d["kind"] != "Kustomization"]) + 1  # + the rendered Secret
    assert f"Valid: {resources}, Invalid: 0, Errors: 0" in result.stdout, result.stdout


def test_kubeconform_rejects_a_broken_deployment(tmp_path: Path) -> None:
    broken = of_kind("Deployment")["registry"]
    broken["spec"]["replicas"] = "two"
    broken["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"]["paht"] = "/healthz"
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(broken), encoding="utf-8")
    result = subprocess.run([str(VALIDATE), str(path)], capture_output=True, text=True, timeout=600)
    assert result.returncode != 0
    assert "Invalid: 1" in result.stdout, result.stdout


@pytest.mark.parametrize("service", APIS)
def test_each_service_has_a_deployment_with_probes_and_a_service(service: str) -> None:
    deployment = of_kind("Deployment")[dns(service)]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["args"][:3] == ["srdi", "serve", service]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert deployment["spec"]["replicas"] >= 2
    requests, limits = container["resources"]["requests"], container["resources"]["limits"]
    # figure 6: peak RSS 105–126 MiB per process under the end-to-end load; target ≤ 250 MiB
    assert requests["memory"] == "160Mi" and limits["memory"] == "384Mi"
    assert {"configMapRef": {"name": "srdi-settings"}} in container["envFrom"]
    assert {"secretRef": {"name": "srdi-secrets"}} in container["envFrom"]
    selector = of_kind("Service")[dns(service)]["spec"]["selector"]
    assert selector == deployment["spec"]["selector"]["matchLabels"]


def test_each_producing_service_has_a_probed_relay_and_each_consumer_an_autoscaler() -> None:
    deployments, autoscalers = of_kind("Deployment"), of_kind("HorizontalPodAutoscaler")
    for service in SERVICES:
        relay = deployments[f"{dns(service)}-relay"]["spec"]["template"]["spec"]["containers"][0]
        assert relay["args"][:3] == ["srdi", "relay", service]
        port = relay["args"][relay["args"].index("--port") + 1]
        assert relay["ports"] == [{"name": "http", "containerPort": int(port)}]
        # the relay's own probes (tests/integration/test_relay_probes.py shows what they answer)
        assert relay["startupProbe"]["httpGet"]["path"] == "/healthz"
        assert relay["livenessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
        assert relay["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    consumers = {dns(s) for s in SERVICES if definition_of(s).consumes} | {"finance-match"}
    assert set(autoscalers) == consumers
    for name, hpa in autoscalers.items():
        assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        assert hpa["spec"]["maxReplicas"] <= 4  # 4 partitions: a fifth consumer would idle


def test_settings_come_from_one_configmap_and_a_secret_kept_out_of_git() -> None:
    settings = of_kind("ConfigMap")["srdi-settings"]["data"]
    assert settings["SRDI_MODE"] == "distributed"
    assert all(key.startswith("SRDI_") for key in settings)
    assert not {"SRDI_DATABASE_URL", "SRDI_INTERNAL_SIGNING_KEY"} & set(settings)
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))
    assert kustomization["secretGenerator"] == [{"name": "srdi-secrets", "envs": ["secrets.env"]}]
    ignored = subprocess.run(["git", "check-ignore", "-q", str(K8S / "secrets.env")], cwd=ROOT)
    assert ignored.returncode == 0, "deploy/k8s/secrets.env must be git-ignored"
    example = (K8S / "secrets.env.example").read_text(encoding="utf-8")
    assert "CHANGE-ME" in example
    assert len(of_kind("Job")["srdi-migrate"]["spec"]["template"]["spec"]["containers"]) == 1
