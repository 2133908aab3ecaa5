/* SPDX-License-Identifier: MIT */
/*
 * A stand-in browser for tests/wine/test_exe.py: koffix.exe started with no arguments opens
 * its address with KOFFIX_BROWSER, through a private file that sends the browser on to it (so
 * the token is on no command line). This program appends the address it would end up at to
 * the file named by KOFFIX_TEST_BROWSER_LOG, and its own command line to the same file with
 * ".args" added, then ends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	const char *log = getenv("KOFFIX_TEST_BROWSER_LOG");
	if (argc != 2 || !log)
		return 2;
	char args[1024], page[8192] = "", url[1024];
	snprintf(args, sizeof args, "%s.args", log);
	snprintf(url, sizeof url, "%s", argv[1]);
	FILE *in = fopen(argv[1], "rb");
	if (in) {
		size_t n = fread(page, 1, sizeof page - 1, in);
		page[n] = '\0';
		fclose(in);
		const char *p = strstr(page, "content=\"0;url=");
		if (p) {
			p += strlen("content=\"0;url=");
			snprintf(url, sizeof url, "%.*s", (int)strcspn(p, "\""), p);
		}
	}
	FILE *a = fopen(args, "ab");
	if (a) {
		fprintf(a, "%s\n", argv[1]);
		fclose(a);
	}
	FILE *f = fopen(log, "ab");
	if (!f)
		return 1;
	fprintf(f, "%s\n", url);
	return fclose(f) == 0 ? 0 : 1;
}
