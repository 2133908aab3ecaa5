# SPDX-License-Identifier: MIT
"""The unit tests, cross-built for Windows (make windows-unit), run under Wine.

The same table-driven checks as the Linux build's, on Windows' C runtime (printf, text and
binary files, time functions), file system (drive letters, backslashes, MoveFileEx, _commit)
and the platform layer's Windows side. Each program prints its own RESULT line, renamed here
"unit-win64:<suite>"; one that crashes or prints none counts as a failure.
"""
import glob
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import testbed as tb  # noqa: E402

ROOT = tb.ROOT


def main():
    exes = sorted(glob.glob(os.path.join(ROOT, "build", "win64", "tests", "test_*.exe")))
    if not exes:
        print("RESULT unit-win64 passed=0 failed=1")
        print("build/win64/tests/*.exe are missing: run make windows-unit", file=sys.stderr)
        return 1
    pfx = tb.Prefix(tb.build(), "unit")
    failed = 0
    try:
        for exe in exes:
            name = os.path.basename(exe)[:-4]
            start = time.time()
            # From the checkout's root, as on Linux: the tests read tests/golden/ and the
            # DLL fixtures from build/pe-fixtures/.
            p = tb.run(["wine", exe], pfx.env, timeout=600, text=True, cwd=ROOT)
            m = re.search(r"^RESULT (\S+) passed=(\d+) failed=(\d+)", p.stdout, re.M)
            if not m:
                print(f"RESULT unit-win64:{name} passed=0 failed=1")
                print(f"   {name}: exit {p.returncode}, no result\n{p.stderr[-1500:]}",
                      file=sys.stderr)
                failed += 1
                continue
            print(f"RESULT unit-win64:{m.group(1)} passed={m.group(2)} failed={m.group(3)}")
            print(f"   {name}: {time.time() - start:.1f} s")
            if int(m.group(3)) or p.returncode:
                print(p.stderr[-3000:], file=sys.stderr)
                failed += 1
    finally:
        pfx.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
