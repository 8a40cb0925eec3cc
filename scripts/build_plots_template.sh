#!/usr/bin/env bash
# Build assets/plots/offline.html: DVC's plots page with Vega, Vega-Lite and Vega-Embed
# inlined, so `dvc plots show` renders with no network (DVC's own page loads them from a CDN).
# The versions are the ones dvc_render's page names. Needs npm (the npm registry) once; the
# result is committed and .dvc/config points `plots.html_template` at it.
#   bash scripts/build_plots_template.sh
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent vega@5.20.2 vega-lite@5.2.0 vega-embed@6.18.2 >/dev/null)
for f in "$tmp"/*.tgz; do mkdir -p "${f%.tgz}" && tar xzf "$f" -C "${f%.tgz}" --strip-components 1; done
out=assets/plots/offline.html
{
  echo '<!DOCTYPE html>'
  echo '<html>'
  echo '<head>'
  echo '    {refresh_tag}'
  echo '    <meta charset="utf-8">'
  echo '    <title>AskBuddyX plots (DVC, offline)</title>'
  echo '    <!-- Vega 5.20.2, Vega-Lite 5.2.0, Vega-Embed 6.18.2 (BSD-3-Clause, see LICENSE-THIRD-PARTY.md), inlined -->'
  for js in vega-5.20.2/build/vega.min.js vega-lite-5.2.0/build/vega-lite.min.js \
            vega-embed-6.18.2/build/vega-embed.min.js; do
    printf '    <script type="text/javascript">\n'
    cat "$tmp/$js"
    printf '\n    </script>\n'
  done
  echo '    <style>table { border-spacing: 15px; }</style>'
  echo '</head>'
  echo '<body>'
  echo '    {plot_divs}'
  echo '</body>'
  echo '</html>'
} > "$out"
echo "$out: $(wc -c < "$out") bytes"
