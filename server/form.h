/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_FORM_H
#define KOFFIX_FORM_H

/*
 * Parsers for the small key/value syntaxes of HTTP: application/x-www-form-urlencoded bodies
 * and query strings ("a=1&b=x+y"), and Cookie headers ("a=1; b=2").
 *
 * Bounded: at most FORM_MAX_FIELDS fields; further fields are an error. Keys and values are
 * percent-decoded copies owned by the struct form (form_release frees them). A decoded value
 * containing a NUL byte is refused (KX_EINVAL) so that C strings never hide trailing data.
 */

#include <stddef.h>

#define FORM_MAX_FIELDS 64

struct form {
	int n;
	char *keys[FORM_MAX_FIELDS];
	char *values[FORM_MAX_FIELDS];
};

void form_init(struct form *f);
void form_release(struct form *f);

/* Parses len bytes of urlencoded data. 0, KX_ETOOBIG (too many fields) or KX_EINVAL. */
int form_parse_urlencoded(struct form *f, const char *data, size_t len);

/* Parses a Cookie header value. Cookie values are not percent-decoded. Same returns. */
int form_parse_cookies(struct form *f, const char *header);

/* The first value of key, or NULL. */
const char *form_get(const struct form *f, const char *key);

#endif
