/* SPDX-License-Identifier: MIT */
#include "article.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmark-gfm.h>
#include <cmark-gfm-core-extensions.h>

#include "../common/buf.h"
#include "../common/util.h"
#include "../common/attr.h"

/* Bounds of the front matter: a hostile or broken file cannot make us hold more than this. */
#define FM_MAX_VALUE 4096
#define FM_MAX_ITEMS 64

/* Longest heading id before de-duplication; GitHub-length ids, short enough for a URL fragment. */
#define KB_ID_MAX 128

/* ---------------------------------------------------------------------------------------------
 * UTF-8
 */

/* Returns the offset of the first byte that does not start a well-formed UTF-8 sequence, or n. */
static size_t utf8_check(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned char c = s[i];
		unsigned char lo = 0x80, hi = 0xBF;
		size_t len;
		if (c < 0x80) {
			i++;
			continue;
		}
		/* Unicode table 3-7: no overlongs, no surrogates, nothing past U+10FFFF. */
		if (c >= 0xC2 && c <= 0xDF) {
			len = 2;
		} else if (c == 0xE0) {
			len = 3;
			lo = 0xA0;
		} else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
			len = 3;
		} else if (c == 0xED) {
			len = 3;
			hi = 0x9F;
		} else if (c == 0xF0) {
			len = 4;
			lo = 0x90;
		} else if (c >= 0xF1 && c <= 0xF3) {
			len = 4;
		} else if (c == 0xF4) {
			len = 4;
			hi = 0x8F;
		} else {
			return i;
		}
		if (n - i < len || s[i + 1] < lo || s[i + 1] > hi)
			return i;
		for (size_t k = 2; k < len; k++)
			if ((s[i + k] & 0xC0) != 0x80)
				return i;
		i += len;
	}
	return n;
}

/* ---------------------------------------------------------------------------------------------
 * Front matter
 */

enum fm_key {
	FM_TITLE, FM_SLUG, FM_UPDATED, FM_TAGS, FM_APPLIES_TO, FM_RELATED, FM_SOURCES, FM_NKEYS
};

#define FM_NO_OPEN "missing front matter (the file must start with a '---' line)"

static const struct fm_key_info {
	const char *name;
	bool list;
} fm_keys[FM_NKEYS] = {
	[FM_TITLE] = { "title", false },
	[FM_SLUG] = { "slug", false },
	[FM_UPDATED] = { "updated", false },
	[FM_TAGS] = { "tags", true },
	[FM_APPLIES_TO] = { "applies_to", true },
	[FM_RELATED] = { "related", true },
	[FM_SOURCES] = { "sources", true },
};

struct fm {
	struct kb_meta *meta;
	char *err;
	size_t errlen;
	int line;            /* line being parsed, counted from 1 over the whole file */
	int seen[FM_NKEYS];  /* line where each key appeared, 0 while absent */
	int block;           /* key whose block list ("key:" then "- item" lines) is open, or -1 */
};

static int fm_fail(struct fm *st, const char *fmt, ...) KX_PRINTF(2, 3);

static int fm_fail(struct fm *st, const char *fmt, ...)
{
	if (st->err && st->errlen) {
		int n = snprintf(st->err, st->errlen, "line %d: ", st->line);
		if (n >= 0 && (size_t)n < st->errlen) {
			va_list ap;
			va_start(ap, fmt);
			vsnprintf(st->err + n, st->errlen - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return KX_ESYNTAX;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static const char *skip_blanks(const char *p, const char *end)
{
	while (p < end && is_blank(*p))
		p++;
	return p;
}

/* "---" alone on its line; trailing blanks are tolerated because nobody can see them. */
static bool fm_is_delim(const char *p, const char *end)
{
	return end - p >= 3 && memcmp(p, "---", 3) == 0 && skip_blanks(p + 3, end) == end;
}

/* Front matter must be readable text: no NUL, no control characters, valid UTF-8. */
static int fm_check_bytes(struct fm *st, const char *p, const char *end)
{
	for (const char *q = p; q < end; q++) {
		unsigned char c = (unsigned char)*q;
		if (c == 0)
			return fm_fail(st, "NUL byte in front matter");
		if ((c < 0x20 && c != '\t') || c == 0x7F)
			return fm_fail(st, "control character 0x%02x in front matter", c);
	}
	if (utf8_check((const unsigned char *)p, (size_t)(end - p)) != (size_t)(end - p))
		return fm_fail(st, "invalid UTF-8 in front matter");
	return 0;
}

static struct kb_list *fm_list(struct kb_meta *m, int key)
{
	switch (key) {
	case FM_TAGS: return &m->tags;
	case FM_APPLIES_TO: return &m->applies_to;
	case FM_RELATED: return &m->related;
	default: return &m->sources;
	}
}

static char **fm_scalar(struct kb_meta *m, int key)
{
	switch (key) {
	case FM_TITLE: return &m->title;
	case FM_SLUG: return &m->slug;
	default: return &m->updated;
	}
}

static int fm_too_long(struct fm *st, int key)
{
	return fm_fail(st, "value of '%s' is longer than %d bytes", fm_keys[key].name,
		       FM_MAX_VALUE);
}

/* A value in double quotes, *pp on the opening quote; only \" and \\ are escapes. */
static int fm_quoted(struct fm *st, int key, const char **pp, const char *end, struct buf *b)
{
	static const char allowed[] = "(only \\\" and \\\\ are allowed)";
	const char *name = fm_keys[key].name;

	for (const char *p = *pp + 1; p < end; p++) {
		if (*p == '"') {
			*pp = p + 1;
			return 0;
		}
		if (*p == '\\') {
			if (++p == end)
				break;
			unsigned char c = (unsigned char)*p;
			/* Quote the culprit only when it is one printable byte. */
			if (c != '"' && c != '\\' && c > 0x20 && c < 0x7F)
				return fm_fail(st, "unknown escape '\\%c' in '%s' %s", c, name,
					       allowed);
			if (c != '"' && c != '\\')
				return fm_fail(st, "unknown escape in '%s' %s", name, allowed);
		}
		if (buf_addch(b, *p) != 0)
			return fm_too_long(st, key);
	}
	return fm_fail(st, "unterminated quoted string");
}

/*
 * Reads one value at *pp into *out (heap string). A value in double quotes ends at the closing
 * quote; a bare value ends before any byte of stop (or at the end of the line) and loses its
 * trailing blanks. *pp is left just after the value.
 */
static int fm_value(struct fm *st, int key, const char **pp, const char *end, const char *stop,
		    char **out)
{
	const char *p = *pp;
	struct buf b;
	int rc = 0;

	buf_init(&b, FM_MAX_VALUE);
	if (p < end && *p == '"') {
		rc = fm_quoted(st, key, &p, end, &b);
		if (rc)
			goto out;
	} else {
		const char *s = p;
		size_t nstop = strlen(stop);
		while (p < end && !memchr(stop, *p, nstop))
			p++;
		const char *e = p;
		while (e > s && is_blank(e[-1]))
			e--;
		if (buf_add(&b, s, (size_t)(e - s)) != 0) {
			rc = fm_too_long(st, key);
			goto out;
		}
	}
	*out = buf_take(&b, NULL);
	*pp = p;
out:
	buf_release(&b);
	return rc;
}

/* Appends item (taking ownership) to the list of key after checking the bounds and its shape. */
static int fm_add_item(struct fm *st, int key, char *item)
{
	struct kb_list *l = fm_list(st->meta, key);
	int rc = 0;

	if (!*item) {
		rc = fm_fail(st, "empty item in list '%s'", fm_keys[key].name);
		goto out;
	}
	if (l->n == FM_MAX_ITEMS) {
		rc = fm_fail(st, "list '%s' has more than %d items", fm_keys[key].name,
			     FM_MAX_ITEMS);
		goto out;
	}
	/* related names other articles, so a typo would only surface as a dead link later. */
	if (key == FM_RELATED && !kx_is_slug(item)) {
		rc = fm_fail(st, "'related' items must be slugs (lowercase letters, digits and '-')");
		goto out;
	}
	l->items = xrealloc(l->items, (l->n + 1) * sizeof(*l->items));
	l->items[l->n++] = item;
	item = NULL;
out:
	free(item);
	return rc;
}

/* "[a, "b, c", d]" with p on the '['; the whole list sits on one line. */
static int fm_inline_list(struct fm *st, int key, const char *p, const char *end)
{
	const char *name = fm_keys[key].name;
	int rc;

	p = skip_blanks(p + 1, end);
	if (p < end && *p == ']') {
		p++;
	} else {
		for (;;) {
			char *item;
			p = skip_blanks(p, end);
			if (p == end)
				return fm_fail(st, "list '%s' is not closed by ']'", name);
			rc = fm_value(st, key, &p, end, ",]", &item);
			if (rc == 0)
				rc = fm_add_item(st, key, item);
			if (rc)
				return rc;
			p = skip_blanks(p, end);
			if (p == end)
				return fm_fail(st, "list '%s' is not closed by ']'", name);
			if (*p == ']') {
				p++;
				break;
			}
			if (*p != ',')
				return fm_fail(st, "expected ',' or ']' after an item of '%s'", name);
			p++;
		}
	}
	if (skip_blanks(p, end) != end)
		return fm_fail(st, "unexpected text after ']' in '%s'", name);
	return 0;
}

/* YYYY-MM-DD naming a real day. */
static bool fm_is_date(const char *s)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	for (int i = 0; i < 10; i++) {
		bool digit = s[i] >= '0' && s[i] <= '9';
		if ((i == 4 || i == 7) ? s[i] != '-' : !digit)
			return false;
	}
	if (s[10])
		return false;
	int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return !(m == 2 && d == 29 && !leap);
}

static int fm_set_scalar(struct fm *st, int key, const char *p, const char *end)
{
	const char *name = fm_keys[key].name;
	char *v = NULL;
	int rc;

	if (*p == '[') {
		rc = fm_fail(st, "'%s' takes one value, not a list (quote it if it starts with '[')",
			     name);
		goto out;
	}
	rc = fm_value(st, key, &p, end, "", &v);
	if (rc)
		goto out;
	if (skip_blanks(p, end) != end) {
		rc = fm_fail(st, "unexpected text after the closing quote of '%s'", name);
		goto out;
	}
	if (key == FM_SLUG && !kx_is_slug(v)) {
		rc = fm_fail(st, "'slug' must be lowercase letters, digits and '-'");
		goto out;
	}
	if (key == FM_UPDATED && !fm_is_date(v)) {
		rc = fm_fail(st, "'updated' must be a date written YYYY-MM-DD");
		goto out;
	}
	if (!*v) {
		rc = fm_fail(st, "'%s' must not be empty", name);
		goto out;
	}
	*fm_scalar(st->meta, key) = v;
	v = NULL;
out:
	free(v);
	return rc;
}

/* One line of front matter between the delimiters, without its line ending. */
static int fm_line(struct fm *st, const char *p, const char *end)
{
	const char *q = skip_blanks(p, end);

	if (q == end || *q == '#')
		return 0;

	/* "- item" belongs to the block list opened by the last "key:" line. */
	if (*q == '-' && (q + 1 == end || is_blank(q[1]))) {
		char *item;
		int rc;
		if (st->block < 0)
			return fm_fail(st, "list item outside a list (write 'key:' on the line above)");
		q = skip_blanks(q + 1, end);
		if (q == end)
			return fm_fail(st, "empty item in list '%s'", fm_keys[st->block].name);
		/* Bare items are taken literally, so "- [Kerio docs](https://...)" stays one item. */
		rc = fm_value(st, st->block, &q, end, "", &item);
		if (rc)
			return rc;
		if (skip_blanks(q, end) != end) {
			free(item);
			return fm_fail(st, "unexpected text after the closing quote in list '%s'",
				       fm_keys[st->block].name);
		}
		return fm_add_item(st, st->block, item);
	}
	if (q != p) {
		if (st->block >= 0)
			return fm_fail(st, "expected '- item' in list '%s'", fm_keys[st->block].name);
		return fm_fail(st, "unexpected indentation");
	}

	const char *k = p;
	while (p < end && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			   (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
		p++;
	if (p == k || p == end || *p != ':')
		return fm_fail(st, "expected 'key: value'");
	size_t klen = (size_t)(p - k);
	int key;
	for (key = 0; key < FM_NKEYS; key++) {
		const char *name = fm_keys[key].name;
		if (strlen(name) == klen && memcmp(name, k, klen) == 0)
			break;
	}
	if (key == FM_NKEYS)
		return fm_fail(st, "unknown key '%.*s'", klen > 64 ? 64 : (int)klen, k);
	if (st->seen[key])
		return fm_fail(st, "duplicate key '%s'", fm_keys[key].name);
	st->seen[key] = st->line;
	st->block = -1;

	p++;
	if (p < end && !is_blank(*p))
		return fm_fail(st, "expected a space after '%s:'", fm_keys[key].name);
	p = skip_blanks(p, end);
	if (p == end) {
		if (!fm_keys[key].list)
			return fm_fail(st, "missing value for '%s'", fm_keys[key].name);
		st->block = key;
		return 0;
	}
	if (!fm_keys[key].list)
		return fm_set_scalar(st, key, p, end);
	if (*p != '[')
		return fm_fail(st, "'%s' is a list: write [a, b] or '- item' lines below the key",
			       fm_keys[key].name);
	return fm_inline_list(st, key, p, end);
}

int kb_meta_parse(const char *src, size_t len, struct kb_meta *meta, size_t *body_off,
		  int *body_line, char *err, size_t errlen)
{
	struct fm st = { .meta = meta, .err = err, .errlen = errlen, .line = 1, .block = -1 };
	size_t pos = 0;
	int rc = 0;

	memset(meta, 0, sizeof(*meta));
	if (err && errlen)
		err[0] = '\0';
	if (!src)
		len = 0;
	if (len >= 3 && memcmp(src, "\xEF\xBB\xBF", 3) == 0)
		pos = 3;

	for (;; st.line++) {
		if (pos >= len && st.line == 1) {
			rc = fm_fail(&st, FM_NO_OPEN);
			goto out;
		}
		if (pos >= len) {
			/* Out of file: blame its last line, after which the '---' is missing. */
			st.line--;
			rc = fm_fail(&st, "front matter is not closed by a '---' line");
			goto out;
		}
		const char *line = src + pos;
		const char *nl = memchr(line, '\n', len - pos);
		const char *end = nl ? nl : src + len;
		pos = nl ? (size_t)(nl - src) + 1 : len;
		if (end > line && end[-1] == '\r')
			end--;

		if (st.line == 1) {
			if (!fm_is_delim(line, end)) {
				rc = fm_fail(&st, FM_NO_OPEN);
				goto out;
			}
			continue;
		}
		rc = fm_check_bytes(&st, line, end);
		if (rc)
			goto out;
		if (fm_is_delim(line, end))
			break;
		rc = fm_line(&st, line, end);
		if (rc)
			goto out;
	}

	for (int key = FM_TITLE; key <= FM_UPDATED; key++) {
		if (!st.seen[key]) {
			rc = fm_fail(&st, "missing required key '%s'", fm_keys[key].name);
			goto out;
		}
	}
	if (body_off)
		*body_off = pos;
	if (body_line)
		*body_line = st.line + 1;
out:
	if (rc)
		kb_meta_release(meta);
	return rc;
}

static void kb_list_release(struct kb_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

void kb_meta_release(struct kb_meta *meta)
{
	if (!meta)
		return;
	free(meta->title);
	free(meta->slug);
	free(meta->updated);
	kb_list_release(&meta->tags);
	kb_list_release(&meta->applies_to);
	kb_list_release(&meta->related);
	kb_list_release(&meta->sources);
	memset(meta, 0, sizeof(*meta));
}

/* ---------------------------------------------------------------------------------------------
 * Heading ids
 */

void kb_slugify(const char *text, char *out, size_t outlen)
{
	size_t n = 0;
	bool dash = false;

	if (!outlen)
		return;
	for (const char *p = text; *p; p++) {
		char c = *p;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
			dash = n > 0;
			continue;
		}
		/* Stop rather than cut "-x" in half: the id never ends with '-'. */
		if (n + dash + 1 > outlen - 1)
			break;
		if (dash)
			out[n++] = '-';
		dash = false;
		out[n++] = c;
	}
	out[n] = '\0';
	if (n == 0)
		snprintf(out, outlen, "%s", "section");
}

/*
 * Ids already given out, each with the next suffix to try when it comes up again. Open
 * addressing keeps a page of a thousand identical headings linear instead of quadratic.
 */
struct id_slot {
	const char *id;   /* owned by the TOC entry */
	unsigned long next;
};

struct id_set {
	struct id_slot *slots;
	size_t cap;  /* a power of two */
	size_t n;
};

static size_t id_hash(const char *s)
{
	uint64_t h = 1469598103934665603u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return (size_t)h;
}

static struct id_slot *id_find(struct id_set *set, const char *id)
{
	size_t i = id_hash(id) & (set->cap - 1);
	while (set->slots[i].id && strcmp(set->slots[i].id, id) != 0)
		i = (i + 1) & (set->cap - 1);
	return &set->slots[i];
}

static void id_add(struct id_set *set, const char *id)
{
	if ((set->n + 1) * 2 > set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 16;
		struct id_set grown = { xcalloc(cap, sizeof(struct id_slot)), cap, set->n };
		for (size_t i = 0; i < set->cap; i++)
			if (set->slots[i].id)
				*id_find(&grown, set->slots[i].id) = set->slots[i];
		free(set->slots);
		*set = grown;
	}
	struct id_slot *s = id_find(set, id);
	s->id = id;
	s->next = 2;
	set->n++;
}

/* The heading's text as a reader sees it: text and code spans, line breaks as spaces. */
static char *heading_text(cmark_node *heading)
{
	cmark_iter *it = cmark_iter_new(heading);
	cmark_event_type ev;
	struct buf b;

	buf_init(&b, BUF_NOMAX);
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		if (ev != CMARK_EVENT_ENTER)
			continue;
		const char *lit;
		switch (cmark_node_get_type(n)) {
		case CMARK_NODE_TEXT:
		case CMARK_NODE_CODE:
			lit = cmark_node_get_literal(n);
			if (lit)
				buf_adds(&b, lit);
			break;
		case CMARK_NODE_SOFTBREAK:
		case CMARK_NODE_LINEBREAK:
			buf_addch(&b, ' ');
			break;
		default:
			break;
		}
	}
	cmark_iter_free(it);
	return buf_take(&b, NULL);
}

/* Fills r->toc with every level 2 and 3 heading in document order, which is render order. */
static void toc_collect(cmark_node *doc, struct kb_rendered *r)
{
	cmark_iter *it = cmark_iter_new(doc);
	struct id_set ids = { NULL, 0, 0 };
	cmark_event_type ev;
	size_t cap = 0;

	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		if (ev != CMARK_EVENT_ENTER || cmark_node_get_type(n) != CMARK_NODE_HEADING)
			continue;
		int level = cmark_node_get_heading_level(n);
		if (level != 2 && level != 3)
			continue;

		char base[KB_ID_MAX], id[KB_ID_MAX + 24];
		char *text = heading_text(n);
		kb_slugify(text, base, sizeof(base));
		snprintf(id, sizeof(id), "%s", base);
		struct id_slot *s = ids.n ? id_find(&ids, base) : NULL;
		if (s && s->id) {
			/* A heading literally called "Setup 2" may own "setup-2": keep counting. */
			unsigned long k = s->next;
			for (;; k++) {
				snprintf(id, sizeof(id), "%s-%lu", base, k);
				if (!id_find(&ids, id)->id)
					break;
			}
			s->next = k + 1;
		}
		if (r->ntoc == cap) {
			cap = cap ? cap * 2 : 8;
			r->toc = xrealloc(r->toc, cap * sizeof(*r->toc));
		}
		struct kb_toc_entry *e = &r->toc[r->ntoc++];
		e->level = level;
		e->id = xstrdup(id);
		e->text = text;
		id_add(&ids, e->id);
	}
	free(ids.slots);
	cmark_iter_free(it);
}

/*
 * Gives the i-th "<h2>"/"<h3>" of html the id of the i-th TOC entry. Safe mode escapes or drops
 * every '<' that does not come from the renderer, so each such tag is a real heading.
 */
static char *toc_apply(const char *html, const struct kb_rendered *r)
{
	const char *p = html, *h;
	size_t i = 0;
	struct buf b;

	buf_init(&b, BUF_NOMAX);
	while ((h = strstr(p, "<h")) != NULL) {
		if (i < r->ntoc && h[2] == (char)('0' + r->toc[i].level) && h[3] == '>') {
			buf_add(&b, p, (size_t)(h - p) + 3);
			buf_addf(&b, " id=\"%s\">", r->toc[i].id);
			i++;
			p = h + 4;
		} else {
			buf_add(&b, p, (size_t)(h - p) + 2);
			p = h + 2;
		}
	}
	buf_adds(&b, p);
	return buf_take(&b, NULL);
}

/* ---------------------------------------------------------------------------------------------
 * Rendering
 */

static pthread_once_t kb_ext_once = PTHREAD_ONCE_INIT;

/* cmark-gfm registers its extensions in a global list without a lock. */
static void kb_ext_register(void)
{
	cmark_gfm_core_extensions_ensure_registered();
}

int kb_render(const char *md, size_t len, struct kb_rendered *out, char *err, size_t errlen)
{
	static const char *const exts[] = { "table", "tasklist", "autolink", "strikethrough" };
	const int opts = CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8;
	cmark_mem *mem = cmark_get_default_mem_allocator();

	memset(out, 0, sizeof(*out));
	if (err && errlen)
		err[0] = '\0';
	if (!md) {
		md = "";
		len = 0;
	}

	size_t bad = utf8_check((const unsigned char *)md, len);
	if (bad < len) {
		size_t line = 1;
		for (const char *p = md; (p = memchr(p, '\n', (size_t)(md + bad - p))) != NULL; p++)
			line++;
		if (err && errlen)
			snprintf(err, errlen, "line %zu: invalid UTF-8", line);
		return KX_EINVAL;
	}

	pthread_once(&kb_ext_once, kb_ext_register);
	cmark_parser *parser = cmark_parser_new(opts);
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		cmark_syntax_extension *ext = cmark_find_syntax_extension(exts[i]);
		if (ext)
			cmark_parser_attach_syntax_extension(parser, ext);
	}
	cmark_parser_feed(parser, md, len);
	cmark_node *doc = cmark_parser_finish(parser);

	toc_collect(doc, out);
	char *html = cmark_render_html(doc, opts, cmark_parser_get_syntax_extensions(parser));
	char *text = cmark_render_plaintext(doc, opts, 0);
	out->html = toc_apply(html, out);
	out->text = xstrdup(text);

	mem->free(html);
	mem->free(text);
	cmark_node_free(doc);
	cmark_parser_free(parser);
	return 0;
}

void kb_rendered_release(struct kb_rendered *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->ntoc; i++) {
		free(r->toc[i].id);
		free(r->toc[i].text);
	}
	free(r->toc);
	free(r->html);
	free(r->text);
	memset(r, 0, sizeof(*r));
}
