#!/usr/bin/env bash
# Fetch one file of a pinned npm package into the app's static directory (run by `make install`):
#
#   deploy/local/npm-asset.sh <package> <version> <path inside the package> <destination>
#
# `npm pack` downloads the tarball from the npm registry and checks it against the registry's
# integrity hash; nothing is fetched at run time (the gateway serves the file itself).
set -euo pipefail
package=$1 version=$2 inner=$3 dest=$4
command -v npm >/dev/null || { echo "npm-asset.sh: npm is needed to fetch $package@$version (apt-get install npm)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tarball=$(cd "$work" && npm pack --silent "$package@$version" | tail -n 1)
tar -xzf "$work/$tarball" -C "$work" "package/$inner"
mkdir -p "$(dirname "$dest")"
mv "$work/package/$inner" "$dest"
echo "fetched $package@$version/$inner -> $dest"
