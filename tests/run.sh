#!/usr/bin/env bash
# Runs every suite and sums them. Each suite prints "RESULT <suite> passed=N failed=M";
# the last line is "N passed, N failed" over all of them. Exit status 1 when anything failed.
# Suites: unit (ASan/UBSan build), fuzz corpus replay (ASan), valgrind, KB facts, HTTP (against
# the ASan server), the Windows agent and koffix.exe under Wine, make run on a fresh clone,
# headless Chromium.
set -uo pipefail
cd "$(dirname "$0")/.."
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
log=$(mktemp)
trap 'rm -f "$log"' EXIT

suite() {  # suite NAME COMMAND...: runs a suite, keeps its RESULT lines
	local name=$1; shift
	echo "== $name"
	local out rc
	out=$("$@" 2>&1); rc=$?
	printf '%s\n' "$out" | grep -v '^RESULT ' | sed 's/^/   /' | tail -n 40
	local results
	results=$(printf '%s\n' "$out" | grep '^RESULT ')
	if [[ -z $results ]]; then
		echo "RESULT $name passed=0 failed=1" | tee -a "$log"
		echo "   (the suite printed no result; exit $rc)"
	else
		printf '%s\n' "$results" | tee -a "$log"
		if [[ $rc -ne 0 ]] && ! grep -q 'failed=[1-9]' <<<"$results"; then
			echo "RESULT $name-exit passed=0 failed=1" | tee -a "$log"
		fi
	fi
}

one() {  # one NAME COMMAND...: a single check that passes when the command exits 0
	local name=$1; shift
	if "$@" >/tmp/koffix-one.$$ 2>&1; then
		echo "RESULT $name passed=1 failed=0"
	else
		sed 's/^/   /' /tmp/koffix-one.$$ | tail -n 20
		echo "RESULT $name passed=0 failed=1"
	fi
	rm -f /tmp/koffix-one.$$
}

# The DLL check's fixtures (mingw-w64 DLLs, osslsigncode signatures) before the suites that read them.
suite pe-fixtures tests/pe/build-fixtures.sh
for t in build/asan/tests/test_*; do
	suite "unit:$(basename "$t")" "$t"
done

fuzz_all() {
	for f in build/asan/fuzz/fuzz_*; do
		name=${f##*/fuzz_}
		one "fuzz-replay:$name" "$f" "tests/fuzz/corpus/$name"
	done
}
suite fuzz fuzz_all

suite valgrind tests/valgrind.sh
suite kb-facts python3 tests/kb_facts.py
suite http env KOFFIX=build/asan/koffix python3 tests/http/test_http.py
suite wizard-http env KOFFIX=build/asan/koffix python3 tests/http/test_wizard.py
suite actions-http env KOFFIX=build/asan/koffix python3 tests/http/test_actions.py
suite server-http env KOFFIX=build/asan/koffix python3 tests/http/test_server.py
# The threaded server under ThreadSanitizer: any data race stops it (halt_on_error) and its
# report fails the suite (tests/http/harness.py reads the server's stderr).
tsan() { env TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1" \
	KOFFIX=build/tsan/koffix KOFFIX_SUITE_PREFIX=tsan- "$@"; }
suite tsan-http tsan python3 tests/http/test_http.py
suite tsan-wizard-http tsan python3 tests/http/test_wizard.py
suite tsan-actions-http tsan python3 tests/http/test_actions.py
suite tsan-server-http tsan python3 tests/http/test_server.py
# The Windows agent under Wine: the testbed is built once and cached (tests/wine/build_testbed.sh).
if command -v wine >/dev/null && command -v wixl >/dev/null && [[ -f koffix-agent.exe ]]; then
	suite wine-scenarios env KOFFIX=build/asan/koffix python3 tests/wine/test_scenarios.py
else
	echo "!! SKIPPING the Wine tests: wine, wixl or koffix-agent.exe is missing (make deps && make)"
	echo "RESULT wine-scenarios passed=0 failed=0 skipped=1" >>"$log"
fi
# koffix.exe (make windows: the libraries cross-built once and cached, then dist/koffix-win64.zip)
# under Wine: the unpacked download serves the HTTP core and repairs through the native agent.
rm -f dist/koffix-win64.zip dist/koffix-win64.msi
suite windows-build one windows-build make --no-print-directory windows
suite windows-unit-build one windows-unit-build make --no-print-directory windows-unit
if command -v wine >/dev/null && command -v wixl >/dev/null; then
	suite unit-win64 python3 tests/wine/test_unit_win64.py
	suite wine-exe python3 tests/wine/test_exe.py
	# The MSI: silent install, policy, scan to a share, upgrade, uninstall.
	suite wine-msi env KOFFIX=build/asan/koffix python3 tests/wine/test_msi.py
	# Every repair scenario again, through koffix.exe and its native agent backend.
	if [[ -f dist/koffix-win64/koffix.exe ]]; then
		suite wine-scenarios-exe env KOFFIX_EXE=dist/koffix-win64/koffix.exe \
			python3 tests/wine/test_scenarios.py
	fi
else
	echo "!! SKIPPING the Wine tests of koffix.exe: wine or wixl is missing (make deps)"
	echo "RESULT wine-exe passed=0 failed=0 skipped=1" >>"$log"
fi
suite ticket-http env KOFFIX=build/asan/koffix python3 tests/http/test_ticket.py
suite dllcheck-http env KOFFIX=build/asan/koffix python3 tests/http/test_dllcheck.py
suite scan-http env KOFFIX=build/asan/koffix python3 tests/http/test_scan.py
suite fleet-http env KOFFIX=build/asan/koffix python3 tests/http/test_fleet.py
suite guidance-http env KOFFIX=build/asan/koffix python3 tests/http/test_guidance.py
suite make-run tests/make_run.sh
if command -v chromium >/dev/null && [[ -d tests/browser/node_modules/playwright-core ]]; then
	suite browser-help env KOFFIX=./koffix node tests/browser/help.test.js
	suite browser-wizard env KOFFIX=./koffix node tests/browser/wizard.test.js
	suite browser-ticket env KOFFIX=./koffix node tests/browser/ticket.test.js
	suite browser-fleet env KOFFIX=./koffix node tests/browser/fleet.test.js
	suite browser-axe env KOFFIX=./koffix KOFFIX_SCREENSHOTS=docs/screenshots node tests/browser/axe.test.js
	suite browser-scan env KOFFIX=./koffix node tests/browser/scan.test.js
else
	echo "!! SKIPPING the browser tests: chromium or playwright-core is missing (make deps)"
	echo "RESULT browser-missing passed=0 failed=1" >>"$log"
fi

passed=$(grep -o 'passed=[0-9]*' "$log" | awk -F= '{s += $2} END {print s + 0}')
failed=$(grep -o 'failed=[0-9]*' "$log" | awk -F= '{s += $2} END {print s + 0}')
echo
grep 'failed=[1-9]' "$log" | sed 's/^RESULT /FAILED SUITE: /'
skipped=$(grep -o 'skipped=[0-9]*' "$log" | awk -F= '{s += $2} END {print s + 0}')
echo "${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
[[ ${failed:-0} -eq 0 ]]
