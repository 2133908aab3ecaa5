/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_MULTIPART_H
#define KOFFIX_MULTIPART_H

/*
 * A bounded parser for multipart/form-data bodies (RFC 7578 over RFC 2046's multipart syntax),
 * as browsers send a form with a file input.
 *
 * Rules:
 *  - The parts are not copied: data points into the caller's body, which must outlive the
 *    struct multipart. Names, file names and content types are copied, NUL-terminated.
 *  - Bounds: at most MP_MAX_PARTS parts, MP_MAX_HEADERS header lines of at most
 *    MP_HEADER_MAX bytes per part, names under 64 bytes, file names under 256; anything past
 *    them, a missing closing boundary, or a part without a form-data name is an error with a
 *    sentence naming the problem (the HTTP layer answers it with 400).
 *  - Only the last path component of a file name is kept (old browsers send the full path).
 */

#include <stdbool.h>
#include <stddef.h>

#define MP_MAX_PARTS 16
#define MP_MAX_HEADERS 8
#define MP_HEADER_MAX 1024

struct mp_part {
	char name[64];
	char filename[256];     /* "" when the part is not a file */
	bool is_file;           /* a filename parameter was present (even an empty one) */
	char ctype[128];        /* the part's Content-Type, or "" */
	const char *data;       /* into the body */
	size_t len;
};

struct multipart {
	int n;
	struct mp_part parts[MP_MAX_PARTS];
};

/*
 * Parses len bytes of body sent with Content-Type ctype (which carries the boundary).
 * 0, or KX_ESYNTAX / KX_ETOOBIG with a sentence in why.
 */
int multipart_parse(struct multipart *m, const char *ctype, const char *body, size_t len,
		    char *why, size_t whylen);

/* The first part called name, or NULL. */
const struct mp_part *multipart_get(const struct multipart *m, const char *name);

/*
 * Copies a part's value into out (outlen bytes with the NUL) as text: 0, or KX_ETOOBIG when it
 * does not fit, KX_EINVAL when it holds a NUL byte.
 */
int multipart_text(const struct mp_part *p, char *out, size_t outlen);

/*
 * One text field straight from a body: the value of the first part called name, copied into
 * out. 0, or a negative kx_err (not multipart, malformed, missing, too long). Used by the HTTP
 * layer to read the CSRF token of a multipart form.
 */
int multipart_field(const char *ctype, const char *body, size_t len, const char *name,
		    char *out, size_t outlen);

#endif
