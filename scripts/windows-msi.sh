#!/usr/bin/env bash
# dist/koffix-win64.msi from dist/koffix-win64/ (scripts/windows-dist.sh makes the folder):
# packaging/koffix.wxs plus the folder's files listed by wixl-heat, built with wixl.
#
# Environment:
#   KOFFIX_DIST_DIR     where the folder is and the package goes (default dist)
#   KOFFIX_MSI_VERSION  the package's version (default: koffix's, common/version.h); the tests
#                       build a newer one to check that it upgrades the older
#   KOFFIX_MSI_OUT      the package's path (default $KOFFIX_DIST_DIR/koffix-win64.msi)
set -euo pipefail
cd "$(dirname "$0")/.."
dist=${KOFFIX_DIST_DIR:-dist}
name=koffix-win64
[[ -f $dist/$name/koffix.exe ]] || { echo "windows-msi: $dist/$name is missing (run make windows)" >&2; exit 1; }
command -v wixl >/dev/null || { echo "windows-msi: wixl is missing (apt-get install wixl)" >&2; exit 1; }
version=${KOFFIX_MSI_VERSION:-$(sed -n 's/^#define KOFFIX_VERSION "\([0-9.]*\)".*/\1/p' common/version.h)}
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "windows-msi: version '$version' is not N.N.N" >&2; exit 1; }
out=${KOFFIX_MSI_OUT:-$dist/$name.msi}
case $out in /*) ;; *) out=$PWD/$out ;; esac
root=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The file list: one component per file (wixl-heat's stable ids and GUIDs from the path).
(cd "$dist" && find "$name" -type f | LC_ALL=C sort |
	wixl-heat -p "$name/" --component-group KoffixFiles --var var.SourceDir \
		--directory-ref INSTALLDIR --win64) >"$work/files.wxs"
# Every folder removed on uninstall, also those that hold only folders (wizard\, pe\): a
# component in each folder removes it (wixl places a RemoveFolder in its component's folder).
{
	echo '<?xml version="1.0" encoding="utf-8"?>'
	echo '<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi"><Fragment>'
	for dir in INSTALLDIR $(grep -o 'Directory Id="[^"]*"' "$work/files.wxs" | cut -d'"' -f2); do
		echo "<DirectoryRef Id=\"$dir\"><Component Id=\"rf$dir\" Guid=\"*\" Win64=\"yes\">"
		echo "<RegistryValue Root=\"HKLM\" Key=\"Software\\koffix\\Folders\" Name=\"$dir\" Type=\"integer\" Value=\"1\" KeyPath=\"yes\"/>"
		echo "<RemoveFolder Id=\"rm$dir\" On=\"uninstall\"/>"
		echo '</Component></DirectoryRef>'
	done
	echo '<ComponentGroup Id="KoffixFolders">'
	for dir in INSTALLDIR $(grep -o 'Directory Id="[^"]*"' "$work/files.wxs" | cut -d'"' -f2); do
		echo "<ComponentRef Id=\"rf$dir\"/>"
	done
	echo '</ComponentGroup></Fragment></Wix>'
} >"$work/folders.wxs"
(cd "$dist" && wixl -a x64 -D SourceDir="$name" -D Win64=yes -D Version="$version" \
	-o "$work/$name.msi" "$root/packaging/koffix.wxs" "$work/files.wxs" "$work/folders.wxs" 2>"$work/err" ||
	{ cat "$work/err" >&2; exit 1; })
# A rebuild of the same version replaces the installed one too (WiX's AllowSameVersionUpgrades,
# which wixl ignores): the upgrade row's maximum becomes inclusive (msidbUpgradeAttributes
# VersionMaxInclusive, 0x200) and the downgrade row no longer catches the same version.
msiinfo export "$work/$name.msi" Upgrade |
	awk -F'\t' 'BEGIN { OFS = "\t" } $7 ~ /^WIX_UPGRADE_DETECTED/ { $5 = 513 } { print }' \
	>"$work/Upgrade.idt"
msibuild "$work/$name.msi" -i "$work/Upgrade.idt"
mv "$work/$name.msi" "$out"
echo "windows-msi: $out ($(du -k "$out" | cut -f1) KiB, version $version)" >&2
