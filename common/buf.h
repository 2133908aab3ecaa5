/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_BUF_H
#define KOFFIX_BUF_H

/*
 * struct buf: a bounded, growable byte buffer.
 *
 * Rules:
 *  - A buffer is created with a maximum size (buf_init). An append that would take it past that
 *    maximum fails with KX_ETOOBIG and leaves the buffer exactly as it was: nothing half-built.
 *  - data is always NUL-terminated once anything has been appended; an empty, never-used buffer
 *    has data == NULL and len == 0 (use buf_cstr() to get "" in that case).
 *  - Out of memory aborts (xmalloc policy), so appends fail only for the size bound.
 *  - buf_init() allocates nothing; buf_release() frees and re-initialises with the same maximum;
 *    buf_take() hands the bytes to the caller (who frees them with free()) and empties the buffer.
 */

#include <stdarg.h>
#include <stddef.h>
#include "attr.h"

struct buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;
};

#define BUF_NOMAX ((size_t)-1 / 2)

void buf_init(struct buf *b, size_t max);
void buf_release(struct buf *b);
/* Empties the buffer, keeping its memory. */
void buf_reset(struct buf *b);

/* Appends n bytes; 0 or KX_ETOOBIG. */
int buf_add(struct buf *b, const void *p, size_t n);
int buf_adds(struct buf *b, const char *s);
int buf_addch(struct buf *b, char c);
int buf_addf(struct buf *b, const char *fmt, ...) KX_PRINTF(2, 3);
int buf_vaddf(struct buf *b, const char *fmt, va_list ap);

/* Appends s with &, <, >, " and ' replaced by entities (safe in text and quoted attributes). */
int buf_add_html(struct buf *b, const char *s, size_t n);
int buf_adds_html(struct buf *b, const char *s);

/* Appends s percent-encoded for a URL query value (RFC 3986 unreserved bytes kept). */
int buf_adds_url(struct buf *b, const char *s);

/* The contents as a C string ("" for an empty buffer); owned by the buffer. */
const char *buf_cstr(const struct buf *b);

/* Hands over the contents (never NULL; "" when empty); caller frees with free(). *len may be NULL. */
char *buf_take(struct buf *b, size_t *len);

#endif
