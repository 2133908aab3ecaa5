#!/usr/bin/env bash
# make fuzz: every fuzz target under clang's libFuzzer with ASan/UBSan, FUZZ_SECONDS each
# (default 60), starting from the seed corpora in tests/fuzz/corpus/<target>/. New inputs go to
# build/fuzz-corpus/<target>/ (outside the repository); crashes to build/fuzz-crashes/.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang >/dev/null || { echo "make fuzz needs clang (apt-get install clang)" >&2; exit 1; }
secs=${FUZZ_SECONDS:-60}
make --no-print-directory CC=clang B=build/libfuzzer \
	EXTRA_CFLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer" \
	build/libfuzzer/libkoffix.a >/dev/null
pkgs="libmicrohttpd libcmark-gfm sqlite3 libcjson libcrypto"
for src in tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	target=${name#fuzz_}
	bin=build/libfuzzer/$name
	extra=()
	if [[ $name == fuzz_agent_json ]]; then
		# The agent's JSON reader, against the <windows.h> stand-in (see the Makefile).
		extra=(-Itests/fuzz/win32shim -Dxmalloc=agent_xmalloc -Dxcalloc=agent_xcalloc
		       -Dxstrdup=agent_xstrdup -Dxwcsdup=agent_xwcsdup agent/json.c)
	fi
	clang -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1 \
		-fsanitize=fuzzer,address,undefined $(pkg-config --cflags $pkgs) -o "$bin" "$src" \
		"${extra[@]}" build/libfuzzer/libkoffix.a $(pkg-config --libs $pkgs) \
		-lcmark-gfm-extensions -lpthread -lm
	mkdir -p "build/fuzz-corpus/$target" build/fuzz-crashes
	dict=()
	[[ -f tests/fuzz/$target.dict ]] && dict=(-dict="tests/fuzz/$target.dict")
	echo "== $name for ${secs}s"
	"$bin" -max_total_time="$secs" -artifact_prefix=build/fuzz-crashes/ "${dict[@]}" \
		"build/fuzz-corpus/$target" "tests/fuzz/corpus/$target"
done
