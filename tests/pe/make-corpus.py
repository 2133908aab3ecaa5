#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the small seed inputs of the DLL check's fuzz targets (tests/fuzz/corpus/pe, sig,
pe_multipart). Run once after tests/pe/build-fixtures.sh; the outputs are committed, the
fixtures are not. Every seed is a few KB at most."""
import os
import struct
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIX = os.environ.get("KOFFIX_PE_FIXTURES", os.path.join(ROOT, "build", "pe-fixtures"))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")


def u16(s):
    return s.encode("utf-16-le") + b"\0\0"


def pad4(b):
    return b + b"\0" * (-len(b) % 4)


def block(key, value=b"", vlen=None, typ=0, kids=b""):
    body = pad4(struct.pack("<HHH", 0, 0, 0) + u16(key))
    body = pad4(body + value) + kids if kids else body + value
    n = len(body)
    return struct.pack("<HHH", n, len(value) if vlen is None else vlen, typ) + body[6:]


def version():
    strings = b""
    for k, v in (("CompanyName", "Kerio Technologies s.r.o."), ("OriginalFilename", "KofMsp32.dll"),
                 ("ProductVersion", "10.0.7")):
        strings += pad4(block(k, u16(v), len(v) + 1, 1))
    table = block("040904b0", kids=strings, typ=1)
    sfi = block("StringFileInfo", kids=table, typ=1)
    var = block("VarFileInfo", kids=block("Translation", struct.pack("<HH", 0x409, 1200)), typ=1)
    fixed = struct.pack("<13I", 0xFEEF04BD, 0x10000, 0xA0000, 0x71F40, 0xA0000, 0x70000,
                        0x3F, 0, 4, 2, 0, 0, 0)
    return block("VS_VERSION_INFO", fixed, kids=pad4(sfi) + var)


def pe(plus=False, cert=b""):
    size = 0x800
    b = bytearray(size)
    b[0:2] = b"MZ"
    struct.pack_into("<I", b, 0x3C, 0x40)
    b[0x40:0x44] = b"PE\0\0"
    optsize = 0xF0 if plus else 0xE0
    struct.pack_into("<HHIIIHH", b, 0x44, 0x8664 if plus else 0x14C, 2, 0, 0, 0, optsize, 0x2102)
    opt = 0x58
    struct.pack_into("<H", b, opt, 0x20B if plus else 0x10B)
    struct.pack_into("<I", b, opt + 16, 0x1010)
    struct.pack_into("<II", b, opt + 32, 0x1000, 0x200)
    struct.pack_into("<II", b, opt + 56, 0x3000, 0x200)
    dirs = opt + (112 if plus else 96)
    struct.pack_into("<I", b, dirs - 4, 16)
    struct.pack_into("<II", b, dirs + 16, 0x2000, 0x400)
    sect = opt + optsize
    struct.pack_into("<8sIIII12xI", b, sect, b".text", 0x200, 0x1000, 0x200, 0x200, 0x60000020)
    struct.pack_into("<8sIIII12xI", b, sect + 40, b".rsrc", 0x400, 0x2000, 0x400, 0x400,
                     0x40000040)
    for i in range(0x200):
        b[0x200 + i] = (i * 7) & 0xFF
    r = 0x400
    struct.pack_into("<12xHHII", b, r, 0, 1, 16, 0x80000018)
    struct.pack_into("<12xHHII", b, r + 0x18, 0, 1, 1, 0x80000030)
    struct.pack_into("<12xHHII", b, r + 0x30, 0, 1, 0x409, 0x48)
    v = version()
    struct.pack_into("<II", b, r + 0x48, 0x2058, len(v))
    b[r + 0x58:r + 0x58 + len(v)] = v
    if cert:
        entry = struct.pack("<IHH", 8 + len(cert), 0x200, 2) + cert
        entry += b"\0" * (-len(entry) % 8)
        struct.pack_into("<II", b, dirs + 32, size, len(entry))
        b += entry
    return bytes(b)


def write(sub, name, data):
    with open(os.path.join(CORPUS, sub, name), "wb") as f:
        f.write(data)


def extract(dll):
    out = os.path.join(FIX, "corpus.der")
    subprocess.run(["osslsigncode", "extract-signature", "-in", os.path.join(FIX, dll), "-out", out],
                   check=True, stdout=subprocess.DEVNULL)
    data = open(out, "rb").read()
    os.remove(out)
    return data


def main():
    write("pe", "tiny-dll32", pe())
    write("pe", "tiny-dll64", pe(plus=True))
    write("pe", "not-a-pe", b"MZ but nothing else")
    sigs = {}
    if os.path.isdir(FIX):
        for name, dll in (("timestamped", "expired-timestamped.dll"), ("nested", "nested.dll"),
                          ("legacy", "legacy-timestamped.dll"),
                          ("plain", "vendor-x86.dll")):
            sigs[name] = extract(dll)
    for name, der in sigs.items():
        write("sig", name + ".der", der)
    if "plain" in sigs:
        write("pe", "tiny-signed", pe(cert=sigs["plain"]))
    write("sig", "empty-sequence.der", b"\x30\x00")
    mp = ("multipart/form-data; boundary=XyZ\n"
          "--XyZ\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nabc\r\n"
          "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"KofMsp32.dll\"\r\n"
          "Content-Type: application/octet-stream\r\n\r\nMZ\0\0\r\n"
          "--XyZ\r\nContent-Disposition: form-data; name=\"windows_path\"\r\n\r\n"
          "C:\\Temp\\KofMsp32.dll\r\n--XyZ--\r\n")
    write("pe_multipart", "browser", mp.encode())
    write("pe_multipart", "quoted", b"multipart/form-data; boundary=\"a b\"\npreamble\r\n--a b\r\n"
          b"Content-Disposition: form-data; name=x\r\n\r\n\r\n--a b--")
    write("pe_multipart", "cut", b"multipart/form-data; boundary=q\n--q\r\nContent-Disposition: "
          b"form-data; name=\"file\"\r\n\r\nno end")


if __name__ == "__main__":
    sys.exit(main())
