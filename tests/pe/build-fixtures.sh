#!/usr/bin/env bash
# Builds the DLL check's test fixtures into build/pe-fixtures (or $KOFFIX_PE_FIXTURES): fake
# kofmsp.dll files made with mingw-w64 (version resource from windres), signed with
# osslsigncode by a test CA made here with openssl. Nothing is committed: the keys and files
# are made afresh whenever this script or its sources change (a stamp file says when).
#
#   file                     expected verdict (with --ca-file ca.pem)
#   unsigned.dll             suspicious: not signed
#   vendor-x86.dll           legitimate (x86), signed "Kerio Technologies s.r.o."
#   vendor-x64.dll           legitimate (x64)
#   self-signed.dll          suspicious: self-signed
#   unknown-company.dll      suspicious: signer "Unknown Co" not on the trusted list
#   wrong-usage.dll          suspicious: certificate not for code signing
#   expired.dll              malicious: certificate expired, no timestamp
#   expired-timestamped.dll  legitimate: expired now, but an RFC 3161 timestamp dates it
#   legacy-timestamped.dll   legitimate: with a legacy countersignature (tests/pe/legacy-tsa.py)
#   nested.dll               legitimate: SHA-1 signature with a nested SHA-256 one
#   modified.dll             malicious: a byte changed after signing
#   malformed-signature.dll  malicious: the PKCS#7 blob is broken
#   appended.dll             malicious: bytes added after the signature
#   truncated.dll            not_analysable: cut in half
#   not-a-pe.dll             not_analysable: a text file
#   exe-renamed.dll          malicious: a program (EXE), not a DLL
#   small.dll                suspicious: under 100 KB
#   big-resources.dll        suspicious: over 5 MB of high-entropy resources (not "packed")
#   packed.dll               suspicious: UPX1 section, high-entropy code
# Prints "RESULT pe-fixtures passed=1 failed=0" (tests/run.sh) when everything was built.
set -euo pipefail
cd "$(dirname "$0")/../.."
src=tests/pe
root=$(pwd)
out=${KOFFIX_PE_FIXTURES:-build/pe-fixtures}

need=(i686-w64-mingw32-gcc x86_64-w64-mingw32-gcc i686-w64-mingw32-windres osslsigncode openssl
      python3)
for t in "${need[@]}"; do
	if ! command -v "$t" >/dev/null; then
		echo "build-fixtures: '$t' is missing (make deps installs gcc-mingw-w64-i686," \
		     "gcc-mingw-w64-x86-64, osslsigncode, openssl)" >&2
		echo "RESULT pe-fixtures passed=0 failed=1"
		exit 1
	fi
done

stamp=$(cat "$0" "$src"/provider.c "$src"/program.c "$src"/packed.S "$src"/version.rc \
	"$src"/legacy-tsa.py |
	sha256sum | cut -c1-16)
if [[ -f $out/.stamp && $(cat "$out/.stamp") == "$stamp" ]]; then
	echo "build-fixtures: $out is up to date"
	echo "RESULT pe-fixtures passed=1 failed=0"
	exit 0
fi
rm -rf "$out"
mkdir -p "$out/work"
w=$out/work
trap 'echo "RESULT pe-fixtures passed=0 failed=1"' ERR

# ---- the test PKI ----
ssl() { openssl "$@" 2>>"$w/openssl.log"; }
mkdir -p "$w/ca"
: >"$w/ca/index.txt"
cat >"$w/ca.cnf" <<CNF
[ca]
default_ca = test
[test]
dir = $w/ca
database = $w/ca/index.txt
new_certs_dir = $w/ca
serial = $w/ca/serial
certificate = $out/ca.pem
private_key = $w/ca.key
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
[any]
organizationName = optional
commonName = supplied
[root]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[codesign]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = codeSigning
[serverauth]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
[tsa]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,timeStamping
CNF
echo 1000 >"$w/ca/serial"
# The root is valid from 2019 so that the timestamped fixture can be judged at a 2020 time.
ssl req -new -newkey rsa:2048 -nodes -keyout "$w/ca.key" -out "$w/ca.csr" \
	-subj "/O=koffix tests/CN=koffix Test Root CA"
ssl ca -batch -selfsign -config "$w/ca.cnf" -extensions root -keyfile "$w/ca.key" \
	-startdate 20190101000000Z -enddate 20460101000000Z -in "$w/ca.csr" -out "$out/ca.pem" \
	-notext
# leaf NAME SUBJECT EXTENSIONS START END
leaf() {
	ssl req -new -newkey rsa:2048 -nodes -keyout "$w/$1.key" -out "$w/$1.csr" -subj "$2"
	ssl ca -batch -config "$w/ca.cnf" -extensions "$3" -startdate "$4" -enddate "$5" \
		-in "$w/$1.csr" -out "$w/$1.pem" -notext
}
leaf vendor "/O=Kerio Technologies s.r.o./CN=Kerio Technologies s.r.o." codesign \
	20200101000000Z 20450101000000Z
leaf unknown "/O=Unknown Co/CN=Unknown Co" codesign 20200101000000Z 20450101000000Z
leaf server "/O=Kerio Technologies s.r.o./CN=Kerio Technologies s.r.o." serverauth \
	20200101000000Z 20450101000000Z
leaf expired "/O=Kerio Technologies s.r.o./CN=Kerio Technologies s.r.o." codesign \
	20200101000000Z 20210101000000Z
leaf tsa "/O=koffix tests/CN=koffix Test Timestamping" tsa 20190101000000Z 20450101000000Z
ssl req -x509 -newkey rsa:2048 -nodes -keyout "$w/self.key" -out "$w/self.pem" -days 7300 \
	-subj "/O=Kerio Technologies s.r.o./CN=Kerio Technologies s.r.o." \
	-addext "extendedKeyUsage=codeSigning" -addext "keyUsage=critical,digitalSignature"

# ---- the binaries ----
# build ARCH NAME KIND PAD: KIND dll|exe|packed; PAD none|text|random-big
build() {
	local arch=$1 name=$2 kind=$3 pad=$4 cc windres
	cc=$arch-w64-mingw32-gcc
	windres=$arch-w64-mingw32-windres
	local d=$w/b-$name
	mkdir -p "$d"
	{
		echo "#define FIXTURE_NAME \"KofMsp32.dll\""
		if [[ $kind == exe ]]; then echo "#define FIXTURE_TYPE 0x1L"; else echo "#define FIXTURE_TYPE 0x2L"; fi
		[[ $pad == none ]] || echo "#define FIXTURE_PAD 1"
	} >"$d/fixture.h"
	case $pad in
		text) head -c 160000 < <(yes "koffix test fixture padding: readable, repetitive.") \
			>"$d/pad.bin" ;;
		random-big) head -c $((5 * 1024 * 1024 + 300 * 1024)) /dev/urandom >"$d/pad.bin" ;;
	esac
	(cd "$d" && "$windres" -I. -i "$root/$src/version.rc" -o res.o)
	local objs=("$d/res.o")
	if [[ $kind == packed ]]; then
		head -c 65536 /dev/urandom >"$d/payload.bin"
		(cd "$d" && "$cc" -c -o packed.o "$root/$src/packed.S")
		objs+=("$d/packed.o")
	fi
	if [[ $kind == exe ]]; then
		"$cc" -O2 -s -o "$d/out.exe" "$src/program.c" "${objs[@]}"
	else
		"$cc" -O2 -s -shared -o "$d/out.exe" "$src/provider.c" "${objs[@]}"
	fi
	cp "$d/out.exe" "$w/$name.unsigned"
}
build i686 x86 dll text
build x86_64 x64 dll text
build i686 small dll none
build i686 big dll random-big
build i686 exe exe text
build i686 packed packed text
# A packer leaves its own section names: the code section becomes UPX1, as UPX names it.
python3 - "$w/packed.unsigned" <<'PY'
import struct, sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
pe = struct.unpack_from("<I", b, 0x3C)[0]
n = struct.unpack_from("<H", b, pe + 6)[0]
opt = struct.unpack_from("<H", b, pe + 20)[0]
sec = pe + 24 + opt
for i in range(n):
    o = sec + 40 * i
    if bytes(b[o:o + 8]).rstrip(b"\0") == b".text":
        b[o:o + 8] = b"UPX1\0\0\0\0"
open(p, "wb").write(b)
PY

# ---- signing ----
# sign IN OUT CERT KEY [osslsigncode options...]
sign() {
	local in=$1 outf=$2 cert=$3 key=$4
	shift 4
	osslsigncode sign -certs "$w/$cert.pem" -key "$w/$key.key" -n "koffix test fixture" \
		"$@" -in "$w/$in.unsigned" -out "$outf" >>"$w/osslsigncode.log" 2>&1
}
cp "$w/x86.unsigned" "$out/unsigned.dll"
sign x86 "$out/vendor-x86.dll" vendor vendor -h sha256
sign x64 "$out/vendor-x64.dll" vendor vendor -h sha256
sign x86 "$out/self-signed.dll" self self -h sha256
sign x86 "$out/unknown-company.dll" unknown unknown -h sha256
sign x86 "$out/wrong-usage.dll" server server -h sha256
sign x86 "$out/expired.dll" expired expired -h sha256
sign x86 "$out/expired-timestamped.dll" expired expired -h sha256 \
	-TSA-certs "$w/tsa.pem" -TSA-key "$w/tsa.key" -TSA-time 1590969600
# A legacy countersignature comes from a timestamp server: a one-shot one on loopback.
python3 "$src/legacy-tsa.py" "$w/tsa.pem" "$w/tsa.key" "$w" >"$w/tsa.port" &
tsa_pid=$!
for _ in $(seq 100); do [[ -s $w/tsa.port ]] && break; sleep 0.05; done
sign x86 "$out/legacy-timestamped.dll" vendor vendor -h sha256 \
	-t "http://127.0.0.1:$(cat "$w/tsa.port")/"
kill "$tsa_pid" 2>/dev/null || true
wait "$tsa_pid" 2>/dev/null || true
sign x86 "$w/sha1.dll" vendor vendor -h sha1
osslsigncode sign -nest -certs "$w/vendor.pem" -key "$w/vendor.key" -h sha256 \
	-in "$w/sha1.dll" -out "$out/nested.dll" >>"$w/osslsigncode.log" 2>&1
sign small "$out/small.dll" vendor vendor -h sha256
sign big "$out/big-resources.dll" vendor vendor -h sha256
sign exe "$out/exe-renamed.dll" vendor vendor -h sha256
sign packed "$out/packed.dll" vendor vendor -h sha256

# ---- damaged copies ----
python3 - "$out" <<'PY'
import os, struct, sys
out = sys.argv[1]
good = open(os.path.join(out, "vendor-x86.dll"), "rb").read()
pe = struct.unpack_from("<I", good, 0x3C)[0]
n = struct.unpack_from("<H", good, pe + 6)[0]
opt = struct.unpack_from("<H", good, pe + 20)[0]
magic = struct.unpack_from("<H", good, pe + 24)[0]
dirs = pe + 24 + (96 if magic == 0x10B else 112)
cert_off, cert_size = struct.unpack_from("<II", good, dirs + 8 * 4)
text = None
for i in range(n):
    o = pe + 24 + opt + 40 * i
    if good[o:o + 5] == b".text":
        text = struct.unpack_from("<I", good, o + 20)[0]
def write(name, data):
    open(os.path.join(out, name), "wb").write(data)
m = bytearray(good)
m[text + 64] ^= 0xFF                      # one byte of code, after signing
write("modified.dll", m)
m = bytearray(good)
m[cert_off + 9] = 0x05                    # the PKCS#7 SEQUENCE's length: now nonsense
write("malformed-signature.dll", m)
write("appended.dll", good + b"appended after the signature\0\0\0\0")
write("truncated.dll", good[:len(good) // 2])
write("not-a-pe.dll", b"This is not a DLL. It is a text file someone renamed.\n" * 40)
PY

# The fuzzers' small seeds (tests/fuzz/corpus, committed) are made from these files by
# tests/pe/make-corpus.py.
rm -rf "$w"
echo "$stamp" >"$out/.stamp"
trap - ERR
echo "build-fixtures: $(ls "$out" | wc -l) files in $out"
echo "RESULT pe-fixtures passed=1 failed=0"
