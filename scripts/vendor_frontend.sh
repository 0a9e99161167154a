#!/usr/bin/env bash
# Vendor the NHS.UK design system's compiled CSS, JavaScript and assets from npm into
# src/icsight/web/static/nhsuk/ (run by `make vendor`; the result is committed, so the app
# and `make test` need neither npm nor a network). Pinned: nhsuk-frontend-jinja 0.10.2,
# the templates the pages use, is made for nhsuk-frontend 10.6.1 (its README's table).
#
# Two changes to the CSS, both so that no page asks another host for anything:
# - the @font-face rules are removed: they load the Frutiger font from NHS England's own
#   server, and that font is licensed for nhs.uk only; the font stack falls back to Arial
#   and the system's sans-serif;
# - url(/assets/...) is rewritten to url(/static/nhsuk/assets/...), where the app serves them.
set -euo pipefail

VERSION=10.6.1
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/src/icsight/web/static/nhsuk"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

command -v npm >/dev/null || { echo "npm is needed to vendor nhsuk-frontend (Node 20)"; exit 1; }
(cd "$WORK" && npm pack --silent "nhsuk-frontend@$VERSION" >/dev/null && tar xzf "nhsuk-frontend-$VERSION.tgz")
DIST="$WORK/package/dist/nhsuk"

rm -rf "$DEST"
mkdir -p "$DEST/assets"
cp -r "$DIST/assets/images" "$DEST/assets/images"
cp "$DIST/assets/manifest.json" "$DEST/assets/manifest.json"
# the minified files without their source-map comment (the maps are not shipped)
sed -e 's|/\*# sourceMappingURL=[^*]*\*/||' \
    -e 's|@font-face{[^}]*}||g' \
    -e 's|url(/assets/|url(/static/nhsuk/assets/|g' \
    "$DIST/nhsuk-frontend.min.css" > "$DEST/nhsuk-frontend.min.css"
sed -e 's|//# sourceMappingURL=.*$||' "$DIST/nhsuk-frontend.min.js" > "$DEST/nhsuk-frontend.min.js"
if grep -Eq 'https?://' "$DEST/nhsuk-frontend.min.css" "$DEST/nhsuk-frontend.min.js"; then
  echo "the vendored CSS or JS still names another host" >&2; exit 1
fi

# The npm package ships no LICENSE file: its package.json says MIT and its README's Licence
# section says what that covers; both are kept with the files, with the MIT terms.
LICENCE_SECTION="$(sed -n '/^## Licence/,$p' "$WORK/package/README.md")"
cat > "$DEST/LICENSE.txt" <<LICENCE
nhsuk-frontend $VERSION (npm package "nhsuk-frontend", https://github.com/nhsuk/nhsuk-frontend),
maintained by NHS England. package.json "license": "$(node -p "require('$WORK/package/package.json').license")".

From the package's README:

$LICENCE_SECTION

The MIT License (MIT)

Copyright (c) NHS England

Permission is hereby granted, free of charge, to any person obtaining a copy of this software
and associated documentation files (the "Software"), to deal in the Software without
restriction, including without limitation the rights to use, copy, modify, merge, publish,
distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the
Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING
BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
LICENCE
echo "$VERSION" > "$DEST/VERSION"
echo "vendored nhsuk-frontend $VERSION into ${DEST#"$ROOT"/}"
