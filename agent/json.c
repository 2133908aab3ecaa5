/* SPDX-License-Identifier: MIT */
/* A small JSON reader and writer for the agent's request, events and context.json. */
#include "agent.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_DEPTH 32

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		ExitProcess(AGENT_R_INTERNAL);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		ExitProcess(AGENT_R_INTERNAL);
	return p;
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(xmalloc(n), s, n);
}

wchar_t *xwcsdup(const wchar_t *s)
{
	size_t n = (wcslen(s) + 1) * sizeof *s;
	return memcpy(xmalloc(n), s, n);
}

wchar_t *u2w(const char *s)
{
	int n = MultiByteToWideChar(CP_UTF8, 0, s, -1, NULL, 0);
	wchar_t *w = xmalloc((size_t)(n > 0 ? n : 1) * sizeof *w);
	if (n <= 0 || !MultiByteToWideChar(CP_UTF8, 0, s, -1, w, n))
		w[0] = 0;
	return w;
}

char *w2u(const wchar_t *w)
{
	int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
	char *s = xmalloc((size_t)(n > 0 ? n : 1));
	if (n <= 0 || !WideCharToMultiByte(CP_UTF8, 0, w, -1, s, n, NULL, NULL))
		s[0] = 0;
	return s;
}

/* ---- writer ---- */

void sb_addn(struct sb *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p)
			ExitProcess(AGENT_R_INTERNAL);
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

void sb_add(struct sb *b, const char *s)
{
	sb_addn(b, s, strlen(s));
}

void sb_addf(struct sb *b, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof tmp) {
		sb_addn(b, tmp, (size_t)n);
		return;
	}
	char *big = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb_addn(b, big, (size_t)n);
	free(big);
}

void sb_jstr(struct sb *b, const char *s)
{
	sb_add(b, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			char e[3] = { '\\', (char)*p, 0 };
			sb_add(b, e);
		} else if (*p == '\n') {
			sb_add(b, "\\n");
		} else if (*p == '\r') {
			sb_add(b, "\\r");
		} else if (*p == '\t') {
			sb_add(b, "\\t");
		} else if (*p < 0x20 || *p == 0x7f) {
			sb_addf(b, "\\u%04x", *p);
		} else {
			sb_addn(b, (const char *)p, 1);
		}
	}
	sb_add(b, "\"");
}

void sb_jwstr(struct sb *b, const wchar_t *w)
{
	char *s = w2u(w ? w : L"");
	sb_jstr(b, s);
	free(s);
}

void sb_free(struct sb *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}

/* ---- reader ---- */

struct parser {
	const char *p, *end;
	int depth;
};

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' ||
				   *ps->p == '\r'))
		ps->p++;
}

static int hex4(const char *p)
{
	int v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			v |= (c | 0x20) - 'a' + 10;
		else
			return -1;
	}
	return v;
}

static void put_utf8(struct sb *b, unsigned cp)
{
	char u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	sb_addn(b, u, n);
}

/* A string literal at ps->p (the opening quote); NULL when malformed. Caller frees. */
static char *parse_string(struct parser *ps)
{
	struct sb b = { 0 };
	ps->p++;
	while (ps->p < ps->end && *ps->p != '"') {
		unsigned char c = (unsigned char)*ps->p;
		if (c < 0x20)
			goto bad;
		if (c != '\\') {
			sb_addn(&b, ps->p++, 1);
			continue;
		}
		if (ps->end - ps->p < 2)
			goto bad;
		char e = ps->p[1];
		ps->p += 2;
		const char *simple = strchr("\"\\/bfnrt", e);
		if (simple && e) {
			static const char out[] = "\"\\/\b\f\n\r\t";
			sb_addn(&b, &out[simple - "\"\\/bfnrt"], 1);
			continue;
		}
		if (e != 'u' || ps->end - ps->p < 4)
			goto bad;
		int cp = hex4(ps->p);
		if (cp < 0)
			goto bad;
		ps->p += 4;
		if (cp >= 0xd800 && cp < 0xdc00) {
			if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u')
				goto bad;
			int lo = hex4(ps->p + 2);
			if (lo < 0xdc00 || lo > 0xdfff)
				goto bad;
			ps->p += 6;
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		} else if (cp >= 0xdc00 && cp <= 0xdfff) {
			goto bad;
		}
		if (cp == 0)
			goto bad; /* no NUL inside strings: they become C strings */
		put_utf8(&b, (unsigned)cp);
	}
	if (ps->p >= ps->end)
		goto bad;
	ps->p++;
	if (!b.p)
		sb_add(&b, "");
	return b.p;
bad:
	sb_free(&b);
	return NULL;
}

static struct json *parse_value(struct parser *ps);

static struct json *parse_container(struct parser *ps, bool object)
{
	struct json *v = xcalloc(1, sizeof *v);
	v->type = object ? JSON_OBJECT : JSON_ARRAY;
	struct json **tail = &v->child;
	if (++ps->depth > JSON_DEPTH)
		goto bad;
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == (object ? '}' : ']')) {
		ps->p++;
		ps->depth--;
		return v;
	}
	for (;;) {
		char *key = NULL;
		skip_ws(ps);
		if (object) {
			if (ps->p >= ps->end || *ps->p != '"' || !(key = parse_string(ps)))
				goto bad;
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':') {
				free(key);
				goto bad;
			}
			ps->p++;
		}
		struct json *item = parse_value(ps);
		if (!item) {
			free(key);
			goto bad;
		}
		item->key = key;
		*tail = item;
		tail = &item->next;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == (object ? '}' : ']')) {
			ps->p++;
			break;
		}
		goto bad;
	}
	ps->depth--;
	return v;
bad:
	json_free(v);
	return NULL;
}

static struct json *parse_value(struct parser *ps)
{
	skip_ws(ps);
	if (ps->p >= ps->end)
		return NULL;
	char c = *ps->p;
	if (c == '{' || c == '[')
		return parse_container(ps, c == '{');
	if (c == '"') {
		char *s = parse_string(ps);
		if (!s)
			return NULL;
		struct json *v = xcalloc(1, sizeof *v);
		v->type = JSON_STRING;
		v->str = s;
		return v;
	}
	static const struct {
		const char *word;
		enum json_type type;
		bool val;
	} words[] = { { "true", JSON_BOOL, true }, { "false", JSON_BOOL, false },
		      { "null", JSON_NULL, false } };
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
		size_t n = strlen(words[i].word);
		if ((size_t)(ps->end - ps->p) >= n && !memcmp(ps->p, words[i].word, n)) {
			ps->p += n;
			struct json *v = xcalloc(1, sizeof *v);
			v->type = words[i].type;
			v->boolean = words[i].val;
			return v;
		}
	}
	if (c == '-' || (c >= '0' && c <= '9')) {
		char tmp[64];
		size_t n = 0;
		while (ps->p + n < ps->end && n < sizeof tmp - 1 &&
		       strchr("+-.eE0123456789", ps->p[n]))
			n++;
		memcpy(tmp, ps->p, n);
		tmp[n] = 0;
		char *endp;
		double d = strtod(tmp, &endp);
		if (endp != tmp + n || n == 0)
			return NULL;
		ps->p += n;
		struct json *v = xcalloc(1, sizeof *v);
		v->type = JSON_NUMBER;
		v->num = d;
		return v;
	}
	return NULL;
}

struct json *json_parse(const char *text, size_t len)
{
	struct parser ps = { text, text + len, 0 };
	/* A UTF-8 byte order mark is tolerated: some tools write one. */
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		ps.p += 3;
	struct json *v = parse_value(&ps);
	skip_ws(&ps);
	if (v && ps.p != ps.end) {
		json_free(v);
		return NULL;
	}
	return v;
}

void json_free(struct json *v)
{
	while (v) {
		struct json *next = v->next;
		json_free(v->child);
		free(v->key);
		free(v->str);
		free(v);
		v = next;
	}
}

const struct json *json_get(const struct json *o, const char *key)
{
	if (!o || o->type != JSON_OBJECT)
		return NULL;
	for (const struct json *c = o->child; c; c = c->next)
		if (c->key && !strcmp(c->key, key))
			return c;
	return NULL;
}

const char *json_str(const struct json *o, const char *key)
{
	const struct json *v = json_get(o, key);
	return v && v->type == JSON_STRING ? v->str : NULL;
}
