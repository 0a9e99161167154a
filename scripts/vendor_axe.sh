#!/usr/bin/env bash
# Vendor axe-core, the accessibility rules engine the browser tests run on every page type
# (tests/browser), from npm into tests/browser/vendor/ (run by `make vendor`; the result is
# committed, so `make test` needs neither npm nor a network). It is a test tool only: the app
# never serves it, and the tests inject it into the page themselves.
set -euo pipefail

VERSION=4.14.1
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/tests/browser/vendor"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

command -v npm >/dev/null || { echo "npm is needed to vendor axe-core (Node 20)"; exit 1; }
(cd "$WORK" && npm pack --silent "axe-core@$VERSION" >/dev/null && tar xzf "axe-core-$VERSION.tgz")

mkdir -p "$DEST"
cp "$WORK/package/axe.min.js" "$DEST/axe.min.js"
cp "$WORK/package/LICENSE" "$DEST/LICENSE"  # MPL-2.0: the file is kept whole and unchanged
echo "$VERSION" > "$DEST/VERSION"
echo "vendored axe-core $VERSION into ${DEST#"$ROOT"/}"
