#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A one-shot legacy Authenticode timestamp server for the fixtures (loopback only).

osslsigncode -t URL posts base64 DER: SEQUENCE { OID 1.3.6.1.4.1.311.3.2.1, SEQUENCE { OID data,
[0] { OCTET STRING signature } } }. The answer is a PKCS#7 SignedData over those signature bytes,
signed by the test time-stamping certificate with `openssl smime` (whose signed attributes carry
the signing time and the messageDigest of the bytes): osslsigncode attaches its SignerInfo as
the countersignature (1.2.840.113549.1.9.6). Prints its port, serves until it is killed.
Usage: legacy-tsa.py CERT KEY WORKDIR
"""
import base64
import http.server
import os
import subprocess
import sys

CERT, KEY, WORK = sys.argv[1:4]


def tlv(b, i):
    """(tag, value start, value end) of the DER element at b[i]."""
    tag, n = b[i], b[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(b[i:i + k], "big")
        i += k
    return tag, i, i + n


def signature_bytes(req):
    _, s, _ = tlv(req, 0)             # outer SEQUENCE
    _, _, e = tlv(req, s)             # the request's OID
    _, s, _ = tlv(req, e)             # contentInfo SEQUENCE
    _, _, e = tlv(req, s)             # data OID
    _, s, _ = tlv(req, e)             # [0]
    _, s, e = tlv(req, s)             # OCTET STRING
    return req[s:e]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        blob = signature_bytes(base64.b64decode(body))
        path = os.path.join(WORK, "legacy-blob")
        with open(path, "wb") as f:
            f.write(blob)
        der = subprocess.run(["openssl", "smime", "-sign", "-binary", "-nodetach", "-noverify",
                              "-in", path, "-signer", CERT, "-inkey", KEY, "-md", "sha256",
                              "-outform", "DER"], check=True, capture_output=True).stdout
        out = base64.b64encode(der)
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass


srv = http.server.HTTPServer(("127.0.0.1", 0), Handler)
print(srv.server_address[1], flush=True)
srv.serve_forever()
