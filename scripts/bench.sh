#!/usr/bin/env bash
# make bench: koffix against its peers on this machine, in one run (ratios, not absolute times).
#
#  - a generated KB of BENCH_ARTICLES articles (10,000; BENCH_QUICK=1: 2,000) beside the shipped
#    one: `kb index` from empty and after touching one article;
#  - article and home pages at both sizes (wrk), against nginx serving `koffix kb export-site`
#    of the same KB (the same article's bytes, static);
#  - search over HTTP (wrk, p50/p99) and in process (p50/p99, without and with koffix's cache)
#    against the bare FTS5 query with the same ranking, snippets and limit; lunr.js on the
#    shipped articles with the same number of results;
#  - the DLL check against `osslsigncode verify` on the same signed fixtures, a process per
#    file for both, and koffix checking them all in one process;
#  - cold start to the first response, and resident memory, at both sizes.
# Performance is measured here, never by timed assertions in tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --bench
make --no-print-directory all build/bench/bench_search >/dev/null
quick=${BENCH_QUICK:-0}
articles=${BENCH_ARTICLES:-$([[ $quick == 1 ]] && echo 2000 || echo 10000)}
dur=${BENCH_SECONDS:-$([[ $quick == 1 ]] && echo 2 || echo 5)}
rounds=${BENCH_ROUNDS:-$([[ $quick == 1 ]] && echo 50 || echo 300)}
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
article=reinstall-connector
q="profile%20outlook"

ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; }
rps() { wrk -t2 -c"${2:-8}" -d"${dur}s" ${3:+-H "$3"} "$1" | awk '/Requests\/sec/ {print $2}'; }
lat() { wrk -t2 -c8 -d"${dur}s" --latency "$1" |
	awk '/^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Requests\/sec/ {r=$2} END {print r, p50, p99}'; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)," \
	"$(uname -sr); $(date -u +%Y-%m-%dT%H:%MZ)"
echo "KB sizes: shipped ($(ls kb/articles/*.md | wc -l) articles) and generated ($articles + shipped)"

# ---- the generated KB: index from empty, then one article touched ----
python3 scripts/bench/gen_kb.py "$tmp/big" "$articles"
t0=$(date +%s%N)
./koffix --data "$tmp/bigdata" --kb "$tmp/big" kb index 2>/dev/null
full=$(ms_since "$t0")
one=$(ls "$tmp"/big/articles/gen-00001-*.md)
echo "touched for the bench" >>"$one"
t0=$(date +%s%N)
./koffix --data "$tmp/bigdata" --kb "$tmp/big" kb index 2>/dev/null
again=$(ms_since "$t0")
t0=$(date +%s%N)
./koffix --data "$tmp/bigdata" --kb "$tmp/big" kb index 2>/dev/null
none=$(ms_since "$t0")
echo "index   $articles articles from empty ${full} ms; one article changed ${again} ms" \
	"(nothing changed: ${none} ms; each a whole process)"

# ---- servers: koffix on both KBs, nginx on both exports ----
./koffix --data "$tmp/small" kb index 2>/dev/null
./koffix --data "$tmp/small" kb export-site "$tmp/site-small" 2>/dev/null
./koffix --data "$tmp/bigdata" --kb "$tmp/big" kb export-site "$tmp/site-big" 2>/dev/null
mkdir -p "$tmp/nginx"
cat >"$tmp/nginx/nginx.conf" <<NGINX
worker_processes 1;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log;
events { worker_connections 256; }
http {
  access_log off;
  include /etc/nginx/mime.types;
  server { listen 127.0.0.1:18099; root $tmp/site-small; }
  server { listen 127.0.0.1:18098; root $tmp/site-big; }
}
NGINX
nginx -c "$tmp/nginx/nginx.conf" -p "$tmp/nginx"
pids+=("$(cat "$tmp/nginx/nginx.pid")")

# serve DATA KB: starts koffix, sets $port, $kpid and $cold (ms to the first answer).
serve() {
	read -r port kpid cold < <(python3 scripts/bench/cold_start.py ./koffix --data "$1" ${2:+--kb "$2"})
	pids+=("$kpid")
}

declare -A page home search slat ng
for size in small big; do
	if [[ $size == small ]]; then serve "$tmp/small" ""; ngport=18099; else serve "$tmp/bigdata" "$tmp/big"; ngport=18098; fi
	[[ $size == small ]] && cold_small=$cold || cold_big=$cold
	base="http://127.0.0.1:$port"
	# A browser that has been here: its CSRF cookie is sent; a new client gets one minted.
	cookie=$(curl -s -D - -o /dev/null "$base/kb/$article" | awk -F'[ ;]' '/^Set-Cookie: koffix_csrf=/ {print $2}')
	page[$size]=$(rps "$base/kb/$article" 32 "Cookie: $cookie")
	page_new=$(rps "$base/kb/$article" 32)
	ng[$size]=$(rps "http://127.0.0.1:$ngport/kb/$article.html" 32)
	home[$size]=$(rps "$base/" 8 "Cookie: $cookie")
	read -r search[$size] p50 p99 < <(lat "$base/api/search?q=$q")
	slat[$size]="p50 $p50, p99 $p99"
	rss=$(awk '/VmRSS/ {print $2}' "/proc/$kpid/status")
	echo "pages   [$size] article koffix ${page[$size]} req/s (a new client each time: $page_new)," \
		"nginx ${ng[$size]} req/s, ratio $(ratio "${page[$size]}" "${ng[$size]}");" \
		"home ${home[$size]} req/s"
	echo "search  [$size] /api/search?q=$q ${search[$size]} req/s over HTTP, ${slat[$size]}"
	echo "start   [$size] cold start to first response ${cold} ms; RSS after the load ${rss} KiB"
	kill "$kpid"
done
echo "scale   10k/small: article page $(ratio "${page[big]}" "${page[small]}"), home" \
	"$(ratio "${home[big]}" "${home[small]}"), search over HTTP $(ratio "${search[big]}" "${search[small]}")"

echo "-- search in process, shipped KB:"
build/bench/bench_search "$tmp/small/koffix.db" "$rounds"
echo "-- search in process, $articles articles:"
build/bench/bench_search "$tmp/bigdata/koffix.db" "$(( rounds / 10 + 5 ))"
node scripts/bench/lunr_search.js kb/articles "$rounds" 10

# ---- the DLL check ----
tests/pe/build-fixtures.sh >/dev/null
fx=build/pe-fixtures
dlls=(vendor-x86.dll vendor-x64.dll expired-timestamped.dll nested.dll big-resources.dll)
dround=${BENCH_DLL_ROUNDS:-$([[ $quick == 1 ]] && echo 4 || echo 20)}
files=()
for ((i = 0; i < dround; i++)); do for f in "${dlls[@]}"; do files+=("$fx/$f"); done; done
n=${#files[@]}
t0=$(date +%s%N)
for f in "${files[@]}"; do ./koffix check-dll --ca-file "$fx/ca.pem" "$f" >/dev/null || true; done
kd=$(ms_since "$t0")
t0=$(date +%s%N)
./koffix check-dll --ca-file "$fx/ca.pem" "${files[@]}" >/dev/null || true
kb=$(ms_since "$t0")
t0=$(date +%s%N)
for f in "${files[@]}"; do
	osslsigncode verify -CAfile "$fx/ca.pem" -TSA-CAfile "$fx/ca.pem" -in "$f" >/dev/null 2>&1 || true
done
od=$(ms_since "$t0")
per() { awk -v a="$1" -v n="$n" 'BEGIN {printf "%.1f", a / n}'; }
echo "dll     $n checks: koffix a process each $(per "$kd") ms/file (ratio $(ratio "$kd" "$od")), all in" \
	"one process $(per "$kb") ms/file (ratio $(ratio "$kb" "$od")); osslsigncode verify $(per "$od") ms/file"

# ---- the fleet: 10,000 scans (BENCH_QUICK=1: 2,000), import and report ----
scans=${BENCH_SCANS:-$([[ $quick == 1 ]] && echo 2000 || echo 10000)}
python3 tests/fleet/gen_fleet.py "$tmp/share" "$scans" >/dev/null
t0=$(date +%s%N)
./koffix --data "$tmp/fleet" fleet import "$tmp/share" >/dev/null 2>&1
fi_ms=$(ms_since "$t0")
t0=$(date +%s%N)
./koffix --data "$tmp/fleet" fleet import "$tmp/share" >/dev/null 2>&1
fa_ms=$(ms_since "$t0")
t0=$(date +%s%N)
./koffix --data "$tmp/fleet" fleet report --target-office 365-x64 --server 10.0.6 \
	--html "$tmp/fleet.html" --csv "$tmp/fleet.csv" >/dev/null 2>&1 || true
fr_ms=$(ms_since "$t0")
echo "fleet   $scans scans: import ${fi_ms} ms (again, nothing new: ${fa_ms} ms); report with" \
	"--html and --csv ${fr_ms} ms (targets: import < 10 s, report < 1 s at 10,000)"
