/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_T_H
#define KOFFIX_T_H

/*
 * A one-header test harness. Each check counts as one test; a failure prints file, line and
 * the expression. t_done() prints "RESULT <suite> passed=N failed=M" (read by tests/run.sh)
 * and returns the exit status.
 */

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../common/util.h"

static int t_passed, t_failed;

#define T_CHECK(cond, ...) do { \
	if (cond) { t_passed++; } else { \
		t_failed++; \
		fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
		fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); \
	} \
} while (0)

#define T_OK(cond) T_CHECK(cond, "%s", "")

#define T_STR(got, want) do { \
	const char *t_g_ = (got), *t_w_ = (want); \
	T_CHECK(t_g_ && t_w_ && strcmp(t_g_, t_w_) == 0, "\n  got:  [%s]\n  want: [%s]", \
		t_g_ ? t_g_ : "(null)", t_w_ ? t_w_ : "(null)"); \
} while (0)

#define T_INT(got, want) do { \
	long long t_g_ = (long long)(got), t_w_ = (long long)(want); \
	T_CHECK(t_g_ == t_w_, "got %lld, want %lld", t_g_, t_w_); \
} while (0)

#define T_CONTAINS(hay, needle) do { \
	const char *t_h_ = (hay), *t_n_ = (needle); \
	T_CHECK(t_h_ && strstr(t_h_, t_n_), "[%s] does not contain [%s]", t_h_ ? t_h_ : "(null)", t_n_); \
} while (0)

/* A new folder of the test's own under the temporary folder (TMPDIR, TEMP, else /tmp): the
 * same code runs on Linux and, cross-built, on Windows. 0, or -1. */
static inline int t_tmpdir(char *out, size_t len, const char *name)
{
	const char *base = getenv("TMPDIR");
	if (!base || !*base)
		base = getenv("TEMP");
	if (!base || !*base)
		base = "/tmp";
	char hex[17];
	if (kx_random_hex(hex, 8) != 0)
		return -1;
	snprintf(out, len, "%s/koffix-%s-%s", base, name, hex);
	return kx_mkdir_p(out) == 0 ? 0 : -1;
}

/* rm -rf path, without a shell. 0, or -1. */
static inline int t_rm_rf(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return 0;
	if (!S_ISDIR(st.st_mode))
		return remove(path) == 0 ? 0 : -1;
	DIR *d = opendir(path);
	int rc = 0;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char sub[4096];
		int k = snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
		rc |= k < 0 || (size_t)k >= sizeof sub ? -1 : t_rm_rf(sub);
	}
	if (d)
		closedir(d);
	return rmdir(path) == 0 && rc == 0 ? 0 : -1;
}

static inline int t_done(const char *suite)
{
	printf("RESULT %s passed=%d failed=%d\n", suite, t_passed, t_failed);
	return t_failed ? 1 : 0;
}

#endif
