/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_KB_ARTICLE_H
#define KOFFIX_KB_ARTICLE_H

/*
 * Parsing one KB article: YAML-style front matter, then Markdown rendered by cmark-gfm.
 *
 * Front matter is the block between a first line "---" and the next line "---". Each line is
 * "key: value". Scalars may be bare or in double quotes (with \" and \\ escapes). Lists are
 * either inline, "[a, b, "c, d"]", or block form: "key:" followed by lines "  - item".
 * Blank lines and lines starting with '#' are ignored. Known keys: title, slug, tags,
 * applies_to, updated, related, sources. Required: title, slug (kx_is_slug() shape), updated
 * (YYYY-MM-DD). Unknown keys are an error (typos must not pass silently); so is a duplicate key.
 *
 * Errors are reported as "line N: message" where N counts lines of the whole file from 1.
 *
 * Rendering uses cmark-gfm in safe mode (raw HTML and javascript: links dropped) with the
 * table, tasklist, autolink and strikethrough extensions. Headings of level 2 and 3 get id
 * attributes (slugified text, de-duplicated with -2, -3 ...) and form the table of contents.
 */

#include <stddef.h>

struct kb_list {
	char **items;
	size_t n;
};

struct kb_meta {
	char *title;
	char *slug;
	char *updated;
	struct kb_list tags;
	struct kb_list applies_to;
	struct kb_list related;
	struct kb_list sources;
};

struct kb_toc_entry {
	int level;   /* 2 or 3 */
	char *id;
	char *text;
};

struct kb_rendered {
	char *html;  /* body HTML */
	char *text;  /* plain text for the search index */
	struct kb_toc_entry *toc;
	size_t ntoc;
};

/*
 * Parses front matter at the start of src (len bytes, need not be NUL-terminated). On success
 * fills meta (caller releases with kb_meta_release()) and sets *body_off to the offset of the
 * Markdown body and *body_line to its first line number. On failure returns KX_ESYNTAX, writes
 * "line N: message" into err, and leaves meta empty.
 */
int kb_meta_parse(const char *src, size_t len, struct kb_meta *meta, size_t *body_off,
		  int *body_line, char *err, size_t errlen);
void kb_meta_release(struct kb_meta *meta);

/*
 * Renders Markdown md (len bytes) to HTML and plain text. 0, or KX_EINVAL when md is not
 * valid UTF-8 (message in err with the line). Caller releases with kb_rendered_release().
 */
int kb_render(const char *md, size_t len, struct kb_rendered *out, char *err, size_t errlen);
void kb_rendered_release(struct kb_rendered *r);

/* Writes a heading id for text into out (lowercase ASCII letters and digits joined by '-'). */
void kb_slugify(const char *text, char *out, size_t outlen);

#endif
