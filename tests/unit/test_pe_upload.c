/* SPDX-License-Identifier: MIT */
/*
 * The multipart/form-data parser of the DLL upload (server/multipart.c): what browsers and
 * curl send, and every malformed shape it must refuse with a sentence (the 400 of the API).
 */
#include <stdlib.h>
#include <string.h>

#include "../../common/util.h"
#include "../../server/multipart.h"
#include "t.h"

#define CT "multipart/form-data; boundary=----WebKitFormBoundaryAbC123"
#define B "------WebKitFormBoundaryAbC123"

static void test_browser(void)
{
	static const char body[] =
		B "\r\n"
		"Content-Disposition: form-data; name=\"csrf_token\"\r\n\r\n"
		"abc123\r\n"
		B "\r\n"
		"Content-Disposition: form-data; name=\"file\"; filename=\"C:\\\\Users\\\\a\\\\KofMsp32.dll\"\r\n"
		"Content-Type: application/x-msdownload\r\n\r\n"
		"MZ\0\1\r\n--not-the-boundary\r\n\r\n"
		B "\r\n"
		"content-disposition: FORM-DATA; NAME=windows_path\r\n\r\n"
		"C:\\Temp\\x.dll\r\n"
		B "--\r\n";
	struct multipart m;
	char why[200] = "";
	T_INT(multipart_parse(&m, CT, body, sizeof body - 1, why, sizeof why), 0);
	T_INT(m.n, 3);
	const struct mp_part *f = multipart_get(&m, "file");
	T_OK(f != NULL);
	if (f) {
		T_STR(f->filename, "KofMsp32.dll");
		T_OK(f->is_file);
		T_STR(f->ctype, "application/x-msdownload");
		/* Binary data, NUL bytes and a near-boundary inside the file are kept as they are. */
		T_INT(f->len, 26);
		T_OK(memcmp(f->data, "MZ\0\1\r\n--not-the-boundary\r\n", 26) == 0);
	}
	char out[64];
	T_INT(multipart_text(multipart_get(&m, "windows_path"), out, sizeof out), 0);
	T_STR(out, "C:\\Temp\\x.dll");
	T_INT(multipart_text(f, out, sizeof out), KX_EINVAL);   /* holds a NUL */
	T_INT(multipart_text(multipart_get(&m, "csrf_token"), out, 4), KX_ETOOBIG);
	T_OK(multipart_get(&m, "nope") == NULL);
	T_INT(multipart_field(CT, body, sizeof body - 1, "csrf_token", out, sizeof out), 0);
	T_STR(out, "abc123");
	T_INT(multipart_field(CT, body, sizeof body - 1, "missing", out, sizeof out),
	      KX_ENOTFOUND);
	T_OK(multipart_field("application/json", body, sizeof body - 1, "csrf_token", out,
			     sizeof out) != 0);
	T_OK(multipart_field(CT, NULL, 0, "csrf_token", out, sizeof out) != 0);
}

static void test_curl(void)
{
	/* curl -F: quoted boundary parameter, a preamble, an empty file, an empty file name. */
	static const char body[] =
		"preamble to ignore\r\n"
		"--xyz\r\n"
		"Content-Disposition: form-data; name=\"file\"; filename=\"\"\r\n\r\n"
		"\r\n--xyz  \r\n"
		"Content-Disposition: form-data; name=\"session\"\r\n\r\n"
		"0123\r\n--xyz--";
	struct multipart m;
	char why[200];
	T_INT(multipart_parse(&m, "multipart/form-data; charset=utf-8; boundary=\"xyz\"", body,
			      sizeof body - 1, why, sizeof why), 0);
	T_INT(m.n, 2);
	T_INT(m.parts[0].len, 0);
	T_OK(m.parts[0].is_file);
	T_STR(m.parts[0].filename, "");
	T_STR(m.parts[1].name, "session");
}

struct bad {
	const char *ctype, *body, *why;
};

static const struct bad bad[] = {
	{ "application/x-www-form-urlencoded", "a=1", "must be multipart/form-data" },
	{ "multipart/form-data", "--x\r\n", "valid boundary" },
	{ "multipart/form-data; boundary=", "", "valid boundary" },
	{ "multipart/form-data; boundary=\"unterminated", "", "valid boundary" },
	{ "multipart/form-data; boundary=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaa", "", "valid boundary" },
	{ "multipart/form-data; boundary=x", "", "holds no part" },
	{ "multipart/form-data; boundary=x", "nothing here", "holds no part" },
	{ "multipart/form-data; boundary=x", "--xjunk\r\n", "does not end in CRLF" },
	{ "multipart/form-data; boundary=x",
	  "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue without end",
	  "cut short" },
	{ "multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data\r\n\r\nv\r\n--x--",
	  "has no name" },
	{ "multipart/form-data; boundary=x",
	  "--x\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nv\r\n--x--", "not form-data" },
	{ "multipart/form-data; boundary=x", "--x\r\nContent-Type: text/plain\r\n\r\nv\r\n--x--",
	  "no Content-Disposition" },
	{ "multipart/form-data; boundary=x", "--x\r\nno colon here\r\n\r\nv\r\n--x--", "no colon" },
	{ "multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"a\"\n\nv",
	  "CRLF" },
	{ "multipart/form-data; boundary=x",
	  "--x\r\nContent-Disposition: form-data; name=\"unterminated\r\n\r\nv\r\n--x--",
	  "name is malformed" },
	{ "multipart/form-data; boundary=x",
	  "--x\r\nContent-Disposition: form-data; name=\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaa\"\r\n\r\nv\r\n--x--", "longer than 63" },
	{ "multipart/form-data; boundary=x", "--x\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\nF: 6\r\n"
	  "G: 7\r\nH: 8\r\nI: 9\r\n\r\nv\r\n--x--", "more than 8 header lines" },
};

static void test_bad(void)
{
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct multipart m;
		char why[200] = "";
		int rc = multipart_parse(&m, bad[i].ctype, bad[i].body, strlen(bad[i].body), why,
					 sizeof why);
		T_CHECK(rc != 0, "case %zu accepted", i);
		T_CONTAINS(why, bad[i].why);
	}
	/* A header line longer than the bound. */
	char *body = xmalloc(4096);
	int n = snprintf(body, 4096, "--x\r\nContent-Disposition: form-data; name=\"a\"; x=\"");
	memset(body + n, 'a', 2000);
	snprintf(body + n + 2000, 4096 - (size_t)n - 2000, "\"\r\n\r\nv\r\n--x--");
	struct multipart m;
	char why[200] = "";
	T_OK(multipart_parse(&m, "multipart/form-data; boundary=x", body, strlen(body), why,
			     sizeof why) != 0);
	T_CONTAINS(why, "longer than 1024");
	/* Seventeen parts: one too many. */
	size_t k = 0;
	for (int i = 0; i < 17; i++)
		k += (size_t)snprintf(body + k, 4096 - k, "--x\r\nContent-Disposition: form-data; "
				      "name=\"p%d\"\r\n\r\nv\r\n", i);
	snprintf(body + k, 4096 - k, "--x--");
	T_INT(multipart_parse(&m, "multipart/form-data; boundary=x", body, strlen(body), why,
			      sizeof why), KX_ETOOBIG);
	T_CONTAINS(why, "more than 16 parts");
	free(body);
}

/* Every prefix of a valid body: each is refused or parsed, nothing is read past the end. */
static void test_prefixes(void)
{
	static const char body[] =
		"--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.dll\"\r\n"
		"Content-Type: application/octet-stream\r\n\r\nMZ...\r\n--x\r\n"
		"Content-Disposition: form-data; name=\"windows_path\"\r\n\r\nC:\\a\r\n--x--\r\n";
	int ok = 0;
	for (size_t len = 0; len <= sizeof body - 1; len++) {
		char *copy = xmalloc(len ? len : 1);
		memcpy(copy, body, len);
		struct multipart m;
		if (multipart_parse(&m, "multipart/form-data; boundary=x", copy, len, NULL, 0) == 0)
			ok++;
		free(copy);
	}
	/* Only the prefixes that reach the closing "--x--" parse. */
	T_INT(ok, 3);
}

int main(void)
{
	test_browser();
	test_curl();
	test_bad();
	test_prefixes();
	return t_done("pe-upload");
}
