#!/usr/bin/env bash
# Builds the Wine testbed once and caches it outside the repository, keyed by a hash of this
# script, the fixtures and the Wine version; prints the cache folder. Inside it:
#   prefix/     a 64-bit WINEPREFIX set to Windows 10, with the 64-bit connector 10.0.2 installed
#               (MSI), Outlook's registry (Click-to-Run Microsoft 365, 64-bit, 16.0 profiles,
#               DefaultProfile), MAPISVC.INF listing the Kerio service, the connector's cache
#               folder for the profile "Outlook", and a stand-in OUTLOOK.EXE
#   msi/        koff-10.0.2-x64.msi, koff-10.0.4-x64.msi, koff-10.0.2-x86.msi, koff-10.0.1-x64.msi
#               (older), koff-10.0.9-x64-fails.msi (an upgrade whose install fails before it
#               changes anything), koff-10.0.5-x64-slow.msi (an upgrade that waits, after copying
#               its files, until the test creates C:\windows\temp\koffix-wait.release),
#               unrelated-1.0.0-x64.msi (another product) (wixl, msibuild)
#   bin/        holder.exe (keeps a file open), KofMsp32 builds
# Scenario tests copy prefix/ (tests/wine/testbed.py) and never change the template.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
for tool in wine wineserver wixl msibuild x86_64-w64-mingw32-gcc i686-w64-mingw32-gcc python3; do
	command -v "$tool" >/dev/null || { echo "build_testbed: $tool is missing" >&2; exit 2; }
done
key=$( (cat "$here/build_testbed.sh" "$here"/fixtures/*; wine --version 2>/dev/null) | sha256sum | cut -c1-16)
cache=${KOFFIX_WINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/koffix-wine}
dir=$cache/$key
if [[ -f $dir/ready ]]; then
	echo "$dir"
	exit 0
fi
mkdir -p "$cache"
tmp=$(mktemp -d "$cache/build.XXXXXX")
trap 'WINEPREFIX="$tmp/prefix" wineserver -k 2>/dev/null || true; rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/msi" "$tmp/src"
cp "$here"/fixtures/* "$tmp/src/"
cd "$tmp/src"
log=$tmp/build.log
# Progress on fd 3, the cache folder on fd 4, everything else in the log (Wine's services
# inherit stdout: it must not be a caller's pipe).
exec 3>&2 4>&1 >>"$log" 2>&1

echo "build_testbed: fixtures" >&3
x86_64-w64-mingw32-gcc -O2 -Wall -Wextra -Werror -municode -o "$tmp/bin/holder.exe" holder.c
sed -i 's/\r*$/\r/' mapisvc-koff.inf
# One product code per version and bitness, as real releases have; one upgrade code.
build_msi() {  # VER ARCH [fails|slow|unrelated]
	local ver=$1 arch=$2 kind=${3:-} cc=x86_64-w64-mingw32 pf=ProgramFiles64Folder win64=yes
	local name="Kerio Outlook Connector (Offline Edition)" maker="Kerio Technologies s.r.o. (koffix test fixture)"
	local upgrade="{6F1E3C2A-FFFF-4B7E-9A51-0000000000AA}" out=koff-$ver-$arch
	if [[ $kind == unrelated ]]; then
		name="Contoso Label Printer Tools"; maker="Contoso Ltd."; out=unrelated-$ver-$arch
		upgrade="{0C0C0C0C-FFFF-4B7E-9A51-0000000000BB}"
	fi
	[[ $kind == fails || $kind == slow ]] && out=koff-$ver-$arch-$kind
	if [[ $arch == x86 ]]; then cc=i686-w64-mingw32; pf=ProgramFilesFolder; win64=no; fi
	local vern=${ver//./,},0 n=${ver//./}
	local archn=64; [[ $arch == x86 ]] && archn=32
	"$cc-windres" -DKOFF_VER="\\\"$ver\\\"" -DKOFF_VERN="$vern" kofmsp.rc -O coff -o kofmsp.res
	"$cc-gcc" -O2 -Wall -Wextra -Werror -shared -o KofMsp32.dll kofmsp.c kofmsp.res
	cp KofMsp32.dll "$tmp/bin/KofMsp32-$ver-$arch.dll"
	local prod; prod=$(printf %04d "$archn")-4B7E-9A51-$(printf %012d "$n")
	[[ $kind == fails ]] && prod=$(printf %04d "$archn")-4B7E-9A51-$(printf %012d "$((n + 900000))")
	[[ $kind == slow ]] && prod=$(printf %04d "$archn")-4B7E-9A51-$(printf %012d "$((n + 700000))")
	[[ $kind == unrelated ]] && prod=$(printf %04d "$archn")-4B7E-9A51-$(printf %012d "$((n + 800000))")
	sed -e "s/@VER@/$ver/g; s/@ARCH@/$arch/; s/@PFDIR@/$pf/; s/@WIN64@/$win64/" \
	    -e "s/@PRODUCT@/{6F1E3C2A-$prod}/" -e "s/@UPGRADE@/$upgrade/g" \
	    -e "s/@NAME@/$name/g; s/@MAKER@/$maker/" \
	    -e "s/@COMP@/{6F1E3C2A-C0C0-4B7E-9A51-0000000000$archn}/" koff.wxs.in > koff.wxs
	[[ $kind == unrelated ]] && sed -i 's/C0C0-4B7E/C1C1-4B7E/; s/Outlook Connector (Offline Edition)"/Label Printer"/' koff.wxs
	wixl -a "$arch" -o "$tmp/msi/$out.msi" koff.wxs
	if [[ $kind == fails ]]; then
		# An Error custom action (type 19: wixl writes none) inside the transaction, after
		# InstallInitialize and before RemoveExistingProducts and InstallFiles: Windows
		# Installer answers 1603 having changed nothing. (Wine's Windows Installer does not
		# roll files back, so a later failure could not be tested here.)
		msibuild "$tmp/msi/$out.msi" -q "INSERT INTO CustomAction (Action, Type, Source, Target) VALUES ('FailOnPurpose', 19, '', 'koffix test fixture: this installation fails on purpose')"
		msibuild "$tmp/msi/$out.msi" -q "INSERT INTO InstallExecuteSequence (Action, Sequence) VALUES ('FailOnPurpose', 1502)"
	fi
	if [[ $kind == slow ]]; then
		# An install that, after copying its files, waits until the test lets it go (holder.exe,
		# copied into the prefix as koffix-test-wait.exe: it writes koffix-wait.ready, then waits
		# for koffix-wait.release, at most 120 s), so that a test can stop koffix while Windows
		# Installer works, whatever the machine's speed. (A timed wait, `ping -n 6`, was not:
		# on a busy machine the install sometimes ended before koffix could be stopped.)
		msibuild "$tmp/msi/$out.msi" -q "INSERT INTO Property (Property, Value) VALUES ('KOFF_WAIT_CMD', 'C:\\windows\\koffix-test-wait.exe')"
		msibuild "$tmp/msi/$out.msi" -q "INSERT INTO CustomAction (Action, Type, Source, Target) VALUES ('WaitOnPurpose', 50, 'KOFF_WAIT_CMD', 'C:\\windows\\temp\\koffix-wait.lock C:\\windows\\temp\\koffix-wait.ready C:\\windows\\temp\\koffix-wait.release 120')"
		msibuild "$tmp/msi/$out.msi" -q "INSERT INTO InstallExecuteSequence (Action, Sequence) VALUES ('WaitOnPurpose', 4001)"
	fi
}
build_msi 10.0.2 x64
build_msi 10.0.4 x64
build_msi 10.0.2 x86
build_msi 10.0.1 x64
build_msi 10.0.9 x64 fails
build_msi 10.0.5 x64 slow
build_msi 1.0.0 x64 unrelated

echo "build_testbed: Wine prefix (64-bit, Windows 10)" >&3
export WINEPREFIX=$tmp/prefix WINEARCH=win64 WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
wineboot -i
winecfg -v win10
wineserver -w
wine msiexec /i "$(winepath -w "$tmp/msi/koff-10.0.2-x64.msi")" /qn
wineserver -w

echo "build_testbed: Outlook's registry and files" >&3
python3 "$here/outlook_fixture.py" "$tmp/setup.reg" "$tmp/MAPISVC.INF"
wine regedit /S "$(winepath -w "$tmp/setup.reg")"
c=$WINEPREFIX/drive_c
office="$c/Program Files/Microsoft Office/root/Office16"
mkdir -p "$office"
cp "$tmp/MAPISVC.INF" "$office/MAPISVC.INF"
cp "$tmp/bin/holder.exe" "$office/OUTLOOK.EXE"
cp "$tmp/bin/holder.exe" "$c/windows/koffix-test-wait.exe"
mkdir -p "$c/windows/temp"
lad=$(wine cmd /c echo %LOCALAPPDATA% | tr -d '\r')
lad_unix=$(winepath -u "$lad")
cache_dir="$lad_unix/Kerio/Outlook Connector/Outlook"
mkdir -p "$cache_dir/attachments"
head -c 65536 /dev/urandom > "$cache_dir/store.fdb"
printf '[Account]\r\nServer=mail.example.test\r\n' > "$cache_dir/settings.ini"
head -c 4096 /dev/urandom > "$cache_dir/attachments/0001.bin"
echo "$lad" > "$tmp/localappdata.txt"
wineserver -w
rm -rf "$tmp/src"
touch "$tmp/ready"
trap - EXIT
rm -rf "$dir"
mv "$tmp" "$dir"
echo "$dir" >&4
