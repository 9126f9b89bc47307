#!/usr/bin/env bash
# Renders an HTML report in headless Chromium and saves a PNG, failing if the page logs any JavaScript or console
# error (the report has no script, so any console message is a bug in it).
#
#   tools/report/screenshot.sh REPORT.html OUT.png [WIDTHxHEIGHT]
#
# Needs Debian's chromium (apt-get install -y chromium). The window defaults to 1400x2400.
set -euo pipefail

if [[ $# -lt 2 ]]; then
    echo "usage: $0 REPORT.html OUT.png [WIDTHxHEIGHT]" >&2
    exit 2
fi
report=$1
out=$2
size=${3:-1400x2400}
[[ -f "$report" ]] || { echo "no such file: $report" >&2; exit 2; }
browser=$(command -v chromium || command -v chromium-browser || true)
[[ -n "$browser" ]] || { echo "chromium not found: apt-get install -y chromium" >&2; exit 2; }

abs_report=$(cd "$(dirname "$report")" && pwd)/$(basename "$report")
abs_out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
log=$(mktemp)
profile=$(mktemp -d)
trap 'rm -rf "$log" "$profile"' EXIT

rm -f "$abs_out"
# --enable-logging=stderr --v=0 makes Chromium print page console messages as "CONSOLE(...)" / "Uncaught ..." lines.
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --user-data-dir="$profile" --no-first-run --no-default-browser-check \
    --enable-logging=stderr --v=0 \
    --screenshot="$abs_out" --window-size="${size/x/,}" \
    "file://$abs_report" >"$log" 2>&1 || { cat "$log" >&2; echo "chromium failed" >&2; exit 1; }

if grep -E 'CONSOLE|Uncaught|SyntaxError|ReferenceError|TypeError|Failed to load resource' "$log" >&2; then
    echo "the page logged console or JavaScript errors (above)" >&2
    exit 1
fi
[[ -s "$abs_out" ]] || { cat "$log" >&2; echo "no screenshot written" >&2; exit 1; }
echo "$abs_out"
