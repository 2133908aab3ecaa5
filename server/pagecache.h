/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_PAGECACHE_H
#define KOFFIX_PAGECACHE_H

/*
 * Rendered pages kept in memory, with holes for what differs per request (the CSRF token in a
 * form): an article page is rendered once per KB generation and served afterwards by copying,
 * its token filled in. An entry belongs to one generation of its source (kb_generation): a
 * change of any article or vote makes every older entry a miss. Takes its own lock; holds at
 * most PAGE_CACHE_MAX entries (the oldest go first).
 */

#include <stdbool.h>
#include <stddef.h>

#include "../common/buf.h"

#define PAGE_CACHE_MAX 1024
/* What a page is rendered with where the per-request value goes. */
#define PAGE_CACHE_HOLE "\x01koffix-hole\x01"

struct page_cache;

struct page_cache *page_cache_new(void);
void page_cache_free(struct page_cache *c);

/*
 * On a hit for key at generation gen: appends the page to out with every hole replaced by
 * fill, copies its ETag into etag (etaglen bytes) and returns true.
 */
bool page_cache_get(struct page_cache *c, const char *key, unsigned long long gen,
		    const char *fill, struct buf *out, char *etag, size_t etaglen);

/* Appends page to out with every PAGE_CACHE_HOLE replaced by fill. */
void page_cache_fill(const char *page, const char *fill, struct buf *out);

/* Keeps page (rendered with PAGE_CACHE_HOLE where fill goes) for key at generation gen. */
void page_cache_put(struct page_cache *c, const char *key, unsigned long long gen,
		    const char *page, const char *etag);

#endif
