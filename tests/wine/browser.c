/* SPDX-License-Identifier: MIT */
/*
 * A stand-in browser for tests/wine/test_exe.py: koffix.exe started with no arguments opens
 * its address with KOFFIX_BROWSER; this program appends that address to the file named by
 * KOFFIX_TEST_BROWSER_LOG and ends.
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	const char *log = getenv("KOFFIX_TEST_BROWSER_LOG");
	if (argc != 2 || !log)
		return 2;
	FILE *f = fopen(log, "ab");
	if (!f)
		return 1;
	fprintf(f, "%s\n", argv[1]);
	return fclose(f) == 0 ? 0 : 1;
}
