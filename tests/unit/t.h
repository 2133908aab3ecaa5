/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_T_H
#define KOFFIX_T_H

/*
 * A one-header test harness. Each check counts as one test; a failure prints file, line and
 * the expression. t_done() prints "RESULT <suite> passed=N failed=M" (read by tests/run.sh)
 * and returns the exit status.
 */

#include <stdio.h>
#include <string.h>

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

static inline int t_done(const char *suite)
{
	printf("RESULT %s passed=%d failed=%d\n", suite, t_passed, t_failed);
	return t_failed ? 1 : 0;
}

#endif
