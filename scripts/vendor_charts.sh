#!/usr/bin/env bash
# Vendor Vega, Vega-Lite and vega-embed's minified browser builds from npm into
# src/icsight/web/static/vega/ (run by `make vendor`; the result is committed, so the app and
# `make test` need neither npm nor a network). They redraw the server's SVG charts
# (icsight.charts) as interactive ones where JavaScript runs; every page works without them.
#
# Pinned to the versions vl-convert-python 1.9 draws with on the server (vega 6.2.0,
# vega-embed 7.0.2) and the Vega-Lite schema Altair 6 writes (6.4.1), so that the browser and
# the server draw the same picture. vega-embed 7 carries Vega's expression interpreter: with
# `ast: true` no expression is compiled with `Function`, so the pages' Content-Security-Policy
# needs no 'unsafe-eval' (Vega's "Content Security Policy" documentation).
set -euo pipefail

VEGA=6.2.0
VEGA_LITE=6.4.1
VEGA_EMBED=7.0.2
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/src/icsight/web/static/vega"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

command -v npm >/dev/null || { echo "npm is needed to vendor Vega (Node 20)"; exit 1; }
rm -rf "$DEST"
mkdir -p "$DEST"
for package in "vega@$VEGA" "vega-lite@$VEGA_LITE" "vega-embed@$VEGA_EMBED"; do
  name="${package%@*}"
  version="${package#*@}"
  (cd "$WORK" && npm pack --silent "$package" >/dev/null && mkdir "$name" \
    && tar xzf "$name-$version.tgz" -C "$name")
  # the minified UMD build without its source-map comment (the maps are not shipped)
  sed -e 's|//# sourceMappingURL=.*$||' "$WORK/$name/package/build/$name.min.js" \
    > "$DEST/$name.min.js"
  {
    echo "$name $version (npm package \"$name\", https://github.com/vega), licence:"
    echo "$(node -p "require('$WORK/$name/package/package.json').license")"
    echo
    cat "$WORK/$name/package/LICENSE"
  } > "$DEST/$name.LICENSE.txt"
  echo "$name $version" >> "$DEST/VERSIONS"
done
echo "vendored Vega $VEGA, Vega-Lite $VEGA_LITE and vega-embed $VEGA_EMBED into ${DEST#"$ROOT"/}"
