/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_KB_H
#define KOFFIX_KB_H

/*
 * The knowledge base: articles indexed into SQLite (tables articles, votes; FTS5 table
 * articles_fts ranked by bm25) and read back as cJSON values for pages and the JSON API.
 *
 * Rules:
 *  - Indexing is incremental: a file whose size, mtime and SHA-256 are unchanged is not parsed
 *    again; a removed file's rows go. A bad article is reported ("FILE: line N: message") and
 *    skipped: its previous good version, if any, stays served, and every other article is
 *    indexed.
 *  - All SQL goes through statements prepared once (enum in kb.c) with bound parameters.
 *  - One struct kb may be used from several threads: every call takes the kb's mutex.
 *  - Functions returning cJSON hand ownership to the caller (cJSON_Delete()).
 */

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "../common/buf.h"

struct kb;

struct kb_index_report {
	int indexed;    /* parsed and stored (new or changed) */
	int unchanged;
	int removed;
	int errors;     /* articles refused; each was logged */
};

/* Opens (creating when needed) the SQLite database at path. NULL with a message in err. */
struct kb *kb_open(const char *path, char *err, size_t errlen);
void kb_close(struct kb *kb);

/*
 * Indexes every "*.md" file of dir. Each refused article is written to errlog (when not NULL)
 * as "PATH: line N: message". Returns 0 when the database could be updated (even with refused
 * articles: see rep->errors), KX_EIO when dir cannot be read, KX_EDB on a database failure.
 */
int kb_index(struct kb *kb, const char *dir, struct kb_index_report *rep, FILE *errlog);

/*
 * Full-text search, a page at a time. Returns an array of {"slug","title","snippet","score"}
 * (best first, at most limit (1..100), skipping offset (0..1000)) where snippet is safe HTML:
 * escaped text with <mark> around the query's words. Articles holding every word (as the
 * index stems them) come first; when there are none, every word as the start of a word
 * (*mode "prefix"); when still none, any of the words (*mode "any"); *mode is "all" for the
 * first kind and "none" when nothing matched. *more tells whether another page follows. An
 * empty or word-less query gives an empty array. NULL only on a database failure.
 * Answers are kept for the last 128 queries until the index changes (kb_search_cache).
 */
cJSON *kb_search_page(struct kb *kb, const char *query, int limit, int offset,
		      const char **mode, bool *more);

/* The first page (offset 0) of kb_search_page. */
cJSON *kb_search(struct kb *kb, const char *query, int limit);

/* Turns the search cache on (the default) or off (to measure searches themselves). */
void kb_search_cache(struct kb *kb, bool on);

/*
 * Converts a person's query into an FTS5 expression: each word (letters, digits, and bytes of
 * multi-byte UTF-8 characters) becomes a quoted term (a prefix term when prefix is true); all
 * of them joined with AND (or OR when any is true). Returns the number of words (0: nothing
 * to search), or KX_ETOOBIG.
 */
int kb_fts_query(const char *query, bool any, bool prefix, struct buf *out);

/*
 * The article slug as an object: slug, title, updated, tags, applies_to, related (slugs),
 * sources, toc [{level,id,text}], html, etag, yes, no. NULL when there is no such article.
 */
cJSON *kb_get(struct kb *kb, const char *slug);

/* Every article as [{slug, title, updated, tags}] ordered by title (the static export; pages
 * use the bounded calls below). */
cJSON *kb_list(struct kb *kb);

/*
 * Pages read bounded ranges, so that their cost does not grow with the size of the KB.
 *
 * kb_page: up to limit (1..200) articles [{slug, title, updated, tags}] in title order, those
 * of tag only when tag is not NULL, after the article slug `after` or before `before` (keyset
 * pages; neither: the first page). *more_before / *more_after say whether pages lie that way.
 * kb_tagged: the first limit articles of tag; *more when there are others.
 * kb_recent: the limit most recently updated articles.
 * kb_related: up to max articles sharing the most of tags with article slug (bounded: a few
 * dozen articles per tag are looked at) as [{slug, title}].
 * kb_count: how many articles are indexed (kept by kb_index).
 */
cJSON *kb_page(struct kb *kb, const char *tag, const char *after, const char *before, int limit,
	       bool *more_before, bool *more_after);
cJSON *kb_tagged(struct kb *kb, const char *tag, int limit, bool *more);
cJSON *kb_recent(struct kb *kb, int limit);
cJSON *kb_related(struct kb *kb, const char *slug, const cJSON *tags, int max);
int kb_count(struct kb *kb);

/* A number that changes whenever what the KB's pages show may have changed: an index run (of
 * this process, or within a quarter of a second of another's), a vote. Page caches key on it. */
unsigned long long kb_generation(struct kb *kb);

/* The virtual-machine steps SQLite ran for this kb's statements since the last call (tests
 * show a page's cost does not grow with the KB; it counts the rows visited and more). */
long long kb_vm_steps(struct kb *kb);

/* Titles for slugs, keeping only those that exist: [{slug, title}] in the given order. */
cJSON *kb_titles(struct kb *kb, const cJSON *slugs);

/*
 * Votes are bounded where they are stored: one per voter and article (a later vote replaces
 * the earlier), at most KB_VOTES_PER_ARTICLE voters per article and KB_COMMENTS_PER_ARTICLE
 * comments of at most KB_COMMENT_MAX bytes. Voters need no launch token (anyone who can read
 * the help can vote), so these bounds are what keeps a flood of new "browsers" from filling
 * the disk.
 */
#define KB_VOTES_PER_ARTICLE 1000
#define KB_COMMENTS_PER_ARTICLE 100
#define KB_COMMENT_MAX 1000

/*
 * Records a "was this helpful" vote of voter (an opaque id). comment may be NULL; past
 * KB_COMMENTS_PER_ARTICLE the vote counts without its comment (*comment_kept false; may be
 * NULL). Fills the new counts when yes/no are not NULL. KX_ENOTFOUND for an unknown article,
 * KX_EINVAL for a comment over KB_COMMENT_MAX, KX_ETOOBIG when the article has
 * KB_VOTES_PER_ARTICLE voters already and this one is new. Nothing changes on error.
 */
int kb_vote(struct kb *kb, const char *slug, const char *voter, bool helpful,
	    const char *comment, bool *comment_kept, int *yes, int *no);

#endif
