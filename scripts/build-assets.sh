#!/usr/bin/env bash
# Build webapp/static from the pinned front-end packages in node_modules: GOV.UK Frontend
# (its JS and assets; its Sass compiled with the LA's branding into css/app.css), htmx,
# and our small app.js. These are generated files: not committed.
set -euo pipefail
cd "$(dirname "$0")/.."
static=webapp/static
mkdir -p "$static/govuk" "$static/js" "$static/css"
rm -rf "$static/govuk/assets"
cp -r node_modules/govuk-frontend/dist/govuk/assets "$static/govuk/assets"
cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js "$static/govuk/"
cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.css "$static/govuk/"
cp node_modules/htmx.org/dist/htmx.min.js "$static/js/htmx.min.js"
# In govuk/ (generated, ignored) beside the module it imports.
cp webapp/assets/app.js "$static/govuk/app.js"
if [ -x node_modules/.bin/sass ]; then
  node_modules/.bin/sass --no-source-map --style=compressed --quiet-deps \
    --load-path=node_modules webapp/assets/app.scss "$static/css/app.css"
else
  echo "sass is not installed (npm ci): using GOV.UK Frontend's stock CSS" >&2
  cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.css "$static/css/app.css"
fi
