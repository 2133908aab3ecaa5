/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_UTIL_H
#define KOFFIX_UTIL_H

/*
 * Project-wide error codes, the out-of-memory policy and small string helpers.
 *
 * Functions return 0 on success or a negative enum kx_err. Allocation failure aborts the
 * process through xmalloc() and friends (the policy of cmark, h2o and kore), so callers do
 * not check for NULL after allocating.
 */

#include <stdbool.h>
#include <stddef.h>

#include "attr.h"

enum kx_err {
	KX_OK = 0,
	KX_ENOMEM = -1,
	KX_ETOOBIG = -2,   /* a bound was reached */
	KX_EINVAL = -3,    /* bad argument or input */
	KX_ENOTFOUND = -4,
	KX_EIO = -5,       /* file system */
	KX_EDB = -6,       /* SQLite */
	KX_ESYNTAX = -7,   /* a parser refused its input */
	KX_ECONFLICT = -8,
	KX_EBLOCKED = -9,   /* a check refused to go on: nothing was changed */
};

/* A short English description of an enum kx_err value. */
const char *kx_strerror(int err);

/* Writes the formatted reason into err (when err is not NULL and errlen > 0); returns rc. For
 * parsers and loaders that explain a refusal in their caller's buffer. */
int kx_errorf(char *err, size_t errlen, int rc, const char *fmt, ...) KX_PRINTF(4, 5);

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/*
 * Reads a whole file into a NUL-terminated heap string (caller frees). Refuses files larger
 * than max bytes with KX_ETOOBIG; KX_EIO with errno set when it cannot be read.
 */
int kx_read_file(const char *path, size_t max, char **out, size_t *len);

/*
 * Writes len bytes to path atomically: a temporary file beside it, fsync, then rename.
 * Returns 0 or KX_EIO.
 */
int kx_write_file_atomic(const char *path, const void *data, size_t len);

/* The same for a file only its owner may read (mode 0600 from the start on POSIX): secrets,
 * tickets, the running server's address with its token. */
int kx_write_file_private(const char *path, const void *data, size_t len);

/* mkdir -p; 0 or KX_EIO. */
int kx_mkdir_p(const char *path);

/* Percent-decodes s in place ('+' becomes a space when plus is true). Returns the new length. */
size_t kx_url_decode(char *s, bool plus);

/* true when s is non-empty and every byte is in [a-z0-9-]: the shape of article slugs. */
bool kx_is_slug(const char *s);

/* Fills out with 2*n lowercase hex digits of n random bytes and a NUL (out holds 2n+1). 0 or KX_EIO. */
int kx_random_hex(char *out, size_t n);

/* Constant-time comparison of two NUL-terminated strings. */
bool kx_str_equal_ct(const char *a, const char *b);

/* true when needle occurs in hay, ignoring ASCII case (hay may be NULL). */
bool kx_icontains(const char *hay, const char *needle);

/* true when s starts with prefix. */
bool kx_str_starts(const char *s, const char *prefix);

/* Current UTC time as "YYYY-MM-DDTHH:MM:SSZ" into out (21 bytes). */
void kx_utc_now(char out[21]);

#endif
