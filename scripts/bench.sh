#!/usr/bin/env bash
# make bench: koffix against baselines on this machine, in one run (ratios, not absolute times).
#  - article pages: koffix vs nginx serving `koffix kb export-site` (wrk, loopback)
#  - search: kb_search vs the bare FTS5 query (same process), and vs lunr.js
#  - cold start to first response, and resident memory after the page load
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --bench
make --no-print-directory all build/bench/bench_search >/dev/null
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
dur=${BENCH_SECONDS:-5}
article=reinstall-connector

./koffix --data "$tmp/data" kb export-site "$tmp/site" 2>/dev/null
mkdir -p "$tmp/nginx"
cat >"$tmp/nginx/nginx.conf" <<NGINX
worker_processes 1;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log;
events { worker_connections 256; }
http {
  access_log off;
  include /etc/nginx/mime.types;
  server { listen 127.0.0.1:18099; root $tmp/site; }
}
NGINX
nginx -c "$tmp/nginx/nginx.conf" -p "$tmp/nginx"
pids+=("$(cat "$tmp/nginx/nginx.pid")")

start=$(date +%s%N)
./koffix --data "$tmp/data" serve --port 0 >"$tmp/url" 2>/dev/null &
kpid=$!
pids+=("$kpid")
until [[ -s $tmp/url ]]; do sleep 0.001; done
port=$(sed -E 's|.*:([0-9]+)/.*|\1|' "$tmp/url")
until curl -fs -o /dev/null "http://127.0.0.1:$port/"; do sleep 0.001; done
cold=$(( ($(date +%s%N) - start) / 1000000 ))

rps() { wrk -t2 -c32 -d"${dur}s" "$1" | awk '/Requests\/sec/ {print $2}'; }
k=$(rps "http://127.0.0.1:$port/kb/$article")
n=$(rps "http://127.0.0.1:18099/kb/$article.html")
echo "pages   koffix $k req/s, nginx (static export) $n req/s, ratio $(awk -v a="$k" -v b="$n" 'BEGIN {printf "%.2f", a / b}')"
s=$(rps "http://127.0.0.1:$port/api/search?q=MAPISVC")
echo "search  koffix /api/search $s req/s over HTTP"
rss=$(awk '/VmRSS/ {print $2}' "/proc/$kpid/status")
build/bench/bench_search "$tmp/data/koffix.db" "${BENCH_ROUNDS:-2000}"
node scripts/bench/lunr_search.js kb/articles "${BENCH_ROUNDS:-2000}"
echo "start   cold start to first response ${cold} ms; RSS after load ${rss} KiB"

# DLL check: `koffix check-dll` against `osslsigncode verify` on the same signed fixtures, one
# process per check for both (each loads the system's CA store), the same CA trusted.
tests/pe/build-fixtures.sh >/dev/null
fx=build/pe-fixtures
dlls=(vendor-x86.dll vendor-x64.dll expired-timestamped.dll nested.dll big-resources.dll)
rounds=${BENCH_DLL_ROUNDS:-20}
t0=$(date +%s%N)
for ((i = 0; i < rounds; i++)); do
	for f in "${dlls[@]}"; do ./koffix check-dll --ca-file "$fx/ca.pem" "$fx/$f" >/dev/null || true; done
done
kd=$(( ($(date +%s%N) - t0) / 1000000 ))
t0=$(date +%s%N)
for ((i = 0; i < rounds; i++)); do
	for f in "${dlls[@]}"; do
		osslsigncode verify -CAfile "$fx/ca.pem" -TSA-CAfile "$fx/ca.pem" -in "$fx/$f" >/dev/null 2>&1 || true
	done
done
od=$(( ($(date +%s%N) - t0) / 1000000 ))
n=$((rounds * ${#dlls[@]}))
echo "dll     koffix check-dll ${kd} ms, osslsigncode verify ${od} ms for $n checks each" \
	"($(awk -v a="$kd" -v n="$n" 'BEGIN {printf "%.1f", a / n}') vs" \
	"$(awk -v a="$od" -v n="$n" 'BEGIN {printf "%.1f", a / n}') ms per file), ratio" \
	"$(awk -v a="$kd" -v b="$od" 'BEGIN {printf "%.2f", a / b}')"
