#!/usr/bin/env bash
# `make run` on a fresh clone of the committed tree prints the URL and serves the help page.
set -uo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
pid=
cleanup() { [[ -n $pid ]] && kill -- -"$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
git clone -q . "$tmp/clone" || { echo "RESULT make-run passed=0 failed=1"; exit 1; }
setsid make -C "$tmp/clone" run PORT=0 >"$tmp/out" 2>"$tmp/err" &
pid=$!
url=
for _ in $(seq 1 240); do
	url=$(grep -m1 -o 'http://127.0.0.1:[0-9]*/?token=[0-9a-f]*' "$tmp/out")
	[[ -n $url ]] && break
	sleep 0.5
done
pass=0; fail=0
if [[ -n $url ]]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "no URL printed"; tail "$tmp/err"; fi
base=${url%%/\?*}
if [[ -n $url ]] && python3 - "$base" <<'PY'
import sys, urllib.request
page = urllib.request.urlopen(sys.argv[1] + "/").read().decode()
assert "Search the help" in page and "kofmsp" in page.lower(), page[:300]
PY
then pass=$((pass + 1)); else fail=$((fail + 1)); echo "help page not served"; fi
echo "RESULT make-run passed=$pass failed=$fail"
