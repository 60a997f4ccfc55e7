#!/usr/bin/env bash
# Build the vendor half of webapp/static from the pinned front-end packages in
# node_modules: GOV.UK Frontend (its JS and assets; its Sass compiled with the LA's
# branding from src/app.scss into css/app.css) and htmx. What this writes is generated
# and git-ignored; our own sources beside it (src/app.scss, js/app.js) are committed.
set -euo pipefail
cd "$(dirname "$0")/.."
static=webapp/static
rm -rf "$static/govuk"
mkdir -p "$static/govuk" "$static/js" "$static/css"
cp -r node_modules/govuk-frontend/dist/govuk/assets "$static/govuk/assets"
cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js "$static/govuk/"
cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.css "$static/govuk/"
cp node_modules/htmx.org/dist/htmx.min.js "$static/js/htmx.min.js"
if [ -x node_modules/.bin/sass ]; then
  node_modules/.bin/sass --no-source-map --style=compressed --quiet-deps \
    --load-path=node_modules "$static/src/app.scss" "$static/css/app.css"
else
  echo "sass is not installed (npm ci): using GOV.UK Frontend's stock CSS" >&2
  cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.css "$static/css/app.css"
fi
