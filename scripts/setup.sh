#!/usr/bin/env bash
# Installs what koffix needs on Debian 12, and only what is missing.
#   scripts/setup.sh --runtime   build and run: compiler, libraries
#   scripts/setup.sh --all       also what `make test` needs: Chromium, Python, Node modules
#   scripts/setup.sh --bench     also what `make bench` needs: nginx, wrk, lunr.js
#   scripts/setup.sh --windows   what `make windows` needs besides scripts/windows-deps.sh's tools
# As root it installs through apt-get; otherwise it prints the command to run and fails.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:---runtime}
runtime=(gcc make pkg-config libmicrohttpd-dev libcmark-gfm-dev libcmark-gfm-extensions-dev
         libsqlite3-dev libcjson-dev libssl-dev)
testing=(python3 chromium valgrind gcc-mingw-w64-i686 gcc-mingw-w64-x86-64 osslsigncode openssl
         wine wine64 wixl msitools zip unzip)
windows=(make gcc-mingw-w64-x86-64 zip)
bench=(nginx wrk curl gcc-mingw-w64-i686 gcc-mingw-w64-x86-64 osslsigncode openssl)

case "$mode" in
	--runtime) want=("${runtime[@]}") ;;
	--all) want=("${runtime[@]}" "${testing[@]}") ;;
	--bench) want=("${runtime[@]}" "${bench[@]}") ;;
	--windows) want=("${windows[@]}") ;;
	*) echo "usage: scripts/setup.sh --runtime|--all|--bench|--windows" >&2; exit 64 ;;
esac

missing=()
for p in "${want[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done

if ((${#missing[@]})); then
	if [[ $(id -u) -ne 0 ]]; then
		echo "koffix needs these Debian packages: ${missing[*]}" >&2
		echo "run: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
		exit 1
	fi
	echo "setup: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ $mode == --bench && ! -d scripts/bench/node_modules/lunr ]]; then
	(cd scripts/bench && npm ci --no-audit --no-fund --loglevel=error)
fi

if [[ $mode == --all ]]; then
	if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
		echo "setup: Node.js 20 with npm is needed for the browser tests" >&2
		exit 1
	fi
	# playwright-core only: the browser is Debian's chromium, never a download.
	if [[ ! -d tests/browser/node_modules/playwright-core || ! -d tests/browser/node_modules/axe-core ]]; then
		echo "setup: installing playwright-core for the browser tests" >&2
		(cd tests/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
	fi
	# ajv validates the support ticket's JSON against docs/ticket-schema.json.
	if [[ ! -d tests/tools/node_modules/ajv-formats ]]; then
		echo "setup: installing ajv for the ticket schema tests" >&2
		(cd tests/tools && npm ci --no-audit --no-fund --loglevel=error)
	fi
fi
