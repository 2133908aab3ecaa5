/* SPDX-License-Identifier: MIT */
/* Rendered pages with holes (pagecache.h). */
#include "pagecache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"

#define BUCKETS 2048

struct entry {
	struct entry *next;        /* in its bucket */
	char *key;
	unsigned long long gen;
	char *etag;
	int nparts;
	char **parts;              /* the page between holes */
	size_t *lens;
	unsigned long long born;   /* insertion order, for eviction */
};

struct page_cache {
	pthread_mutex_t lock;
	struct entry *bucket[BUCKETS];
	size_t n;
	unsigned long long clock;
};

static unsigned hash(const char *s)
{
	unsigned h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % BUCKETS;
}

static void entry_free(struct entry *e)
{
	for (int i = 0; i < e->nparts; i++)
		free(e->parts[i]);
	free(e->parts);
	free(e->lens);
	free(e->key);
	free(e->etag);
	free(e);
}

struct page_cache *page_cache_new(void)
{
	struct page_cache *c = xcalloc(1, sizeof *c);
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

void page_cache_free(struct page_cache *c)
{
	if (!c)
		return;
	for (int b = 0; b < BUCKETS; b++)
		for (struct entry *e = c->bucket[b], *next; e; e = next) {
			next = e->next;
			entry_free(e);
		}
	pthread_mutex_destroy(&c->lock);
	free(c);
}

bool page_cache_get(struct page_cache *c, const char *key, unsigned long long gen,
		    const char *fill, struct buf *out, char *etag, size_t etaglen)
{
	if (!c)
		return false;
	bool hit = false;
	pthread_mutex_lock(&c->lock);
	for (struct entry *e = c->bucket[hash(key)]; e; e = e->next) {
		if (strcmp(e->key, key) || e->gen != gen)
			continue;
		size_t flen = strlen(fill);
		for (int i = 0; i < e->nparts; i++) {
			if (i)
				buf_add(out, fill, flen);
			buf_add(out, e->parts[i], e->lens[i]);
		}
		snprintf(etag, etaglen, "%s", e->etag);
		hit = true;
		break;
	}
	pthread_mutex_unlock(&c->lock);
	return hit;
}

void page_cache_fill(const char *page, const char *fill, struct buf *out)
{
	size_t hl = strlen(PAGE_CACHE_HOLE), fl = strlen(fill);
	for (const char *p = page;;) {
		const char *h = strstr(p, PAGE_CACHE_HOLE);
		if (!h) {
			buf_adds(out, p);
			return;
		}
		buf_add(out, p, (size_t)(h - p));
		buf_add(out, fill, fl);
		p = h + hl;
	}
}

/* Drops the oldest entry (with the lock held). */
static void evict(struct page_cache *c)
{
	struct entry **oldest = NULL;
	for (int b = 0; b < BUCKETS; b++)
		for (struct entry **p = &c->bucket[b]; *p; p = &(*p)->next)
			if (!oldest || (*p)->born < (*oldest)->born)
				oldest = p;
	if (oldest) {
		struct entry *e = *oldest;
		*oldest = e->next;
		entry_free(e);
		c->n--;
	}
}

void page_cache_put(struct page_cache *c, const char *key, unsigned long long gen,
		    const char *page, const char *etag)
{
	if (!c)
		return;
	struct entry *e = xcalloc(1, sizeof *e);
	e->key = xstrdup(key);
	e->gen = gen;
	e->etag = xstrdup(etag);
	size_t hl = strlen(PAGE_CACHE_HOLE);
	for (const char *p = page;;) {
		const char *h = strstr(p, PAGE_CACHE_HOLE);
		size_t n = h ? (size_t)(h - p) : strlen(p);
		e->parts = xrealloc(e->parts, (size_t)(e->nparts + 1) * sizeof *e->parts);
		e->lens = xrealloc(e->lens, (size_t)(e->nparts + 1) * sizeof *e->lens);
		e->parts[e->nparts] = xstrndup(p, n);
		e->lens[e->nparts++] = n;
		if (!h)
			break;
		p = h + hl;
	}
	pthread_mutex_lock(&c->lock);
	unsigned b = hash(key);
	/* Replaces an entry of the same key (an older generation). */
	for (struct entry **p = &c->bucket[b]; *p; p = &(*p)->next)
		if (!strcmp((*p)->key, key)) {
			struct entry *old = *p;
			*p = old->next;
			entry_free(old);
			c->n--;
			break;
		}
	if (c->n >= PAGE_CACHE_MAX)
		evict(c);
	e->born = ++c->clock;
	e->next = c->bucket[b];
	c->bucket[b] = e;
	c->n++;
	pthread_mutex_unlock(&c->lock);
}
