#!/usr/bin/env bash
# Puts together dist/koffix-win64/ and dist/koffix-win64.zip from a finished Windows build:
#   scripts/windows-dist.sh PREFIX    (PREFIX: what scripts/windows-deps.sh printed)
# Called by `make windows` after build/win64/koffix.exe and koffix-agent.exe are built.
#
# Environment:
#   KOFFIX_SIGN_CERT, KOFFIX_SIGN_KEY   sign both executables (Authenticode, SHA-256, with
#                                       osslsigncode) with this PEM certificate chain and key
#   KOFFIX_SIGN_PASS                    the key's passphrase, if it has one
#   KOFFIX_SIGN_TIMESTAMP               an RFC 3161 time-stamping URL (needs the network)
#   KOFFIX_DIST_DIR                     where to put the folder and the zip (default dist)
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${1:?usage: scripts/windows-dist.sh PREFIX}
name=koffix-win64
dist=${KOFFIX_DIST_DIR:-dist}
out=$dist/$name
for f in build/win64/koffix.exe koffix-agent.exe "$prefix/flags.mk"; do
	[[ -f $f ]] || { echo "windows-dist: $f is missing (run make windows)" >&2; exit 1; }
done
command -v zip >/dev/null || { echo "windows-dist: zip is missing (apt-get install zip)" >&2; exit 1; }

rm -rf "$out" "$dist/$name.zip"
mkdir -p "$out/licenses"
cp build/win64/koffix.exe koffix-agent.exe "$out/"
x86_64-w64-mingw32-strip "$out/koffix.exe"
if [[ -n ${KOFFIX_SIGN_CERT:-} ]]; then
	command -v osslsigncode >/dev/null || { echo "windows-dist: osslsigncode is missing" >&2; exit 1; }
	for exe in koffix.exe koffix-agent.exe; do
		osslsigncode sign -certs "$KOFFIX_SIGN_CERT" -key "${KOFFIX_SIGN_KEY:?KOFFIX_SIGN_KEY is needed too}" \
			${KOFFIX_SIGN_PASS:+-pass "$KOFFIX_SIGN_PASS"} -h sha256 -n koffix \
			${KOFFIX_SIGN_TIMESTAMP:+-ts "$KOFFIX_SIGN_TIMESTAMP"} \
			-in "$out/$exe" -out "$out/$exe.signed" >/dev/null
		mv "$out/$exe.signed" "$out/$exe"
	done
	echo "windows-dist: signed koffix.exe and koffix-agent.exe" >&2
fi
cp "$prefix"/bin/*.dll "$out/"

# What koffix.exe reads beside itself (app/app.c, app_find_root): the same tree as a checkout.
mkdir -p "$out/kb" "$out/wizard" "$out/pe" "$out/repair-actions"
cp -r kb/articles kb/symptoms.json "$out/kb/"
cp -r wizard/flows wizard/data "$out/wizard/"
cp -r templates "$out/" && rm -f "$out"/templates/*.[ch]
cp -r static "$out/"
cp -r pe/data "$out/pe/"
cp repair-actions/catalogue.json "$out/repair-actions/"

# Licences: koffix's own, each bundled library's as its source package ships it, and the
# mingw-w64 runtime (winpthreads, the C runtime start-up code) linked into both programs.
cp LICENSE "$out/licenses/koffix.txt"
for d in "$prefix"/licenses/*/; do
	cp -r "$d" "$out/licenses/"
done
mkdir -p "$out/licenses/mingw-w64"
cp /usr/share/doc/mingw-w64-x86-64-dev/copyright "$out/licenses/mingw-w64/copyright"
{
	echo "Built from Debian 12's source packages with mingw-w64 (scripts/windows-deps.sh):"
	sed -n 's/^built /  /p' "$prefix/versions"
	echo "  mingw-w64 runtime $(dpkg-query -W -f='${Version}' mingw-w64-x86-64-dev 2>/dev/null)"
} >"$out/licenses/VERSIONS.txt"
# LGPL-2.1: where the DLL's exact source comes from, and how to rebuild it.
mhd=$(sed -n 's/^built libmicrohttpd //p' "$prefix/versions")
cat >"$out/licenses/libmicrohttpd/SOURCE.txt" <<TXT
libmicrohttpd-12.dll is GNU libmicrohttpd $mhd, unmodified, built from Debian 12's
source package: \`apt-get source libmicrohttpd=$mhd\` on a Debian 12 machine fetches
that source; koffix's scripts/windows-deps.sh holds the exact configure and build commands.
You may replace this DLL with your own build of the same library interface.
TXT

cp docs/windows-readme.txt "$out/README.txt"
# Windows text files: CRLF line ends for Notepad on older Windows.
find "$out" -type f \( -name '*.txt' -o -name 'copyright' -o -name 'LICENSE*' -o -name 'COPYING*' \) \
	-exec sed -i 's/\r*$/\r/' {} +

# A fixed timestamp and order, so the same build gives the same archive.
stamp=$(git log -1 --format=%cd --date=format:%Y%m%d%H%M.%S 2>/dev/null || date +%Y%m%d%H%M.%S)
find "$out" -exec touch -h -t "$stamp" {} +
(cd "$dist" && find "$name" -print | LC_ALL=C sort | zip -q -X -@ "$name.zip")
echo "windows-dist: $dist/$name.zip ($(du -k "$dist/$name.zip" | cut -f1) KiB, $(find "$out" -type f | wc -l) files)" >&2
scripts/windows-msi.sh
