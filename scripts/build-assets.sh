#!/usr/bin/env bash
# Copy the pinned front-end packages (GOV.UK Frontend, htmx) from node_modules into
# webapp/static. These are generated files: not committed.
set -euo pipefail
cd "$(dirname "$0")/.."
static=webapp/static
mkdir -p "$static/govuk" "$static/js" "$static/css"
rm -rf "$static/govuk/assets"
cp -r node_modules/govuk-frontend/dist/govuk/assets "$static/govuk/assets"
cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js "$static/govuk/"
cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.css "$static/govuk/"
cp node_modules/htmx.org/dist/htmx.min.js "$static/js/htmx.min.js"
if [ -f webapp/assets/app.scss ] && [ -x node_modules/.bin/sass ]; then
  node_modules/.bin/sass --no-source-map --style=compressed --quiet-deps \
    --load-path=node_modules webapp/assets/app.scss "$static/css/app.css"
fi
