#!/usr/bin/env bash
# The unit tests and the KB commands under valgrind (plain build): no leaks, no invalid access.
set -uo pipefail
cd "$(dirname "$0")/.."
make --no-print-directory all unit >/dev/null || { echo "RESULT valgrind-build passed=0 failed=1"; exit 1; }
vg=(valgrind -q --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --error-exitcode=99)
passed=0; failed=0
check() {
	local out
	if out=$("${vg[@]}" "$@" 2>&1 >/dev/null); [[ $? -ne 99 ]] && ! grep -q '==[0-9]*==' <<<"$out"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1)); echo "valgrind found errors in: $*"; echo "$out" | head -30
	fi
}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for t in build/tests/test_*; do check "$t"; done
check ./koffix --data "$tmp" kb index
check ./koffix --data "$tmp" kb search "KofMsp32 MAPISVC"
check ./koffix --data "$tmp" kb export-site "$tmp/site"
echo "RESULT valgrind passed=$passed failed=$failed"
[[ $failed -eq 0 ]]
