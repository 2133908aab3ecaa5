#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Starts `koffix ARGS serve --port 0` for make bench and leaves it running; prints its port,
its process id and the milliseconds from the start of the process to its first answered
request (the home page), measured here without a shell or curl in between."""
import re
import subprocess
import sys
import time
import urllib.request

t0 = time.perf_counter()
p = subprocess.Popen(sys.argv[1:] + ["serve", "--port", "0"], stdout=subprocess.PIPE,
                     stderr=subprocess.DEVNULL, start_new_session=True)
port = re.search(r":(\d+)/", p.stdout.readline().decode()).group(1)
urllib.request.urlopen(f"http://127.0.0.1:{port}/").read()
print(port, p.pid, round((time.perf_counter() - t0) * 1000))
