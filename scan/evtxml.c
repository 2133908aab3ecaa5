/* SPDX-License-Identifier: MIT */
/*
 * Windows' event XML (the schema http://schemas.microsoft.com/win/2004/08/events/event), read
 * with a small bounded parser: elements, attributes in single or double quotes, text with the
 * five named entities and numeric references, comments, a prolog, CDATA. Only what an event
 * needs is kept: System/Provider@Name, EventID, Level, TimeCreated@SystemTime, Channel,
 * Computer, and EventData's Data (named or positional) and Binary. Anything malformed is a
 * refusal with the byte offset, never a guess.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/util.h"
#include "scan.h"

#define DEPTH_MAX 16
#define NAME_MAX_LEN 64

struct parser {
	const char *p, *end, *start;
	char *err;
	size_t errlen;
	struct scan_event *ev;
	char path[DEPTH_MAX][NAME_MAX_LEN];   /* local names of the open elements */
	int depth;
	bool root_seen, root_closed;
	char data_name[64];                   /* the Name attribute of the open <Data> */
	struct buf text;                      /* the text of the innermost element */
};

static int bad(struct parser *ps, const char *what)
{
	return kx_errorf(ps->err, ps->errlen, KX_ESYNTAX, "malformed event XML at byte %zu: %s",
			 (size_t)(ps->p - ps->start), what);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.' || c == ':' || (unsigned char)c >= 0x80;
}

static void skip_space(struct parser *ps)
{
	while (ps->p < ps->end && is_space(*ps->p))
		ps->p++;
}

/* A name into out (the part after a namespace prefix); false when there is none. */
static bool read_name(struct parser *ps, char *out, size_t n)
{
	const char *s = ps->p;
	while (ps->p < ps->end && is_name_char(*ps->p))
		ps->p++;
	size_t len = (size_t)(ps->p - s);
	if (!len || len >= n)
		return false;
	const char *colon = memchr(s, ':', len);
	if (colon) {
		len -= (size_t)(colon + 1 - s);
		s = colon + 1;
	}
	memcpy(out, s, len);
	out[len] = '\0';
	return true;
}

static void put_utf8(struct buf *b, unsigned long cp)
{
	char u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	buf_add(b, u, n);
}

/* Text up to stop (a '<' for content, the quote for an attribute) with references decoded,
 * appended to out (bounded: what does not fit is dropped). */
static int read_text(struct parser *ps, char stop, struct buf *out)
{
	while (ps->p < ps->end && *ps->p != stop) {
		if (*ps->p != '&') {
			if (stop != '<' && *ps->p == '<')
				return bad(ps, "'<' inside an attribute");
			buf_addch(out, *ps->p++);
			continue;
		}
		const char *semi = memchr(ps->p, ';', (size_t)(ps->end - ps->p));
		if (!semi || semi - ps->p > 12)
			return bad(ps, "an '&' that starts no reference");
		size_t n = (size_t)(semi - ps->p - 1);
		const char *r = ps->p + 1;
		static const struct { const char *name; char c; } named[] = {
			{ "lt", '<' }, { "gt", '>' }, { "amp", '&' }, { "quot", '"' }, { "apos", '\'' },
		};
		bool done = false;
		for (size_t i = 0; i < sizeof named / sizeof named[0] && !done; i++)
			if (strlen(named[i].name) == n && !memcmp(r, named[i].name, n)) {
				buf_addch(out, named[i].c);
				done = true;
			}
		if (!done && n >= 2 && r[0] == '#') {
			char num[16];
			memcpy(num, r + 1, n - 1);
			num[n - 1] = '\0';
			char *endp;
			unsigned long cp = num[0] == 'x' ? strtoul(num + 1, &endp, 16) :
					   strtoul(num, &endp, 10);
			if (*endp || endp == num || (num[0] == 'x' && endp == num + 1) || cp == 0 ||
			    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
				return bad(ps, "a character reference out of range");
			put_utf8(out, cp);
			done = true;
		}
		if (!done)
			return bad(ps, "an unknown entity");
		ps->p = semi + 1;
	}
	return 0;
}

static const char *parent(const struct parser *ps, int up)
{
	return ps->depth - 1 - up >= 0 ? ps->path[ps->depth - 1 - up] : "";
}

static void copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src);
}

/* An attribute of an opening tag, applied to the event where it matters. */
static void attribute(struct parser *ps, const char *elem, const char *name, const char *value)
{
	bool in_system = !strcmp(parent(ps, 0), "System");
	if (in_system && !strcmp(elem, "Provider") && !strcmp(name, "Name"))
		copy(ps->ev->provider, sizeof ps->ev->provider, value);
	else if (in_system && !strcmp(elem, "TimeCreated") && !strcmp(name, "SystemTime"))
		copy(ps->ev->time, sizeof ps->ev->time, value);
	else if (!strcmp(elem, "Data") && !strcmp(name, "Name") &&
		 !strcmp(parent(ps, 0), "EventData"))
		copy(ps->data_name, sizeof ps->data_name, value);
}

/* The text of an element that closes, kept where it matters. */
static int element_text(struct parser *ps, const char *elem, const char *text)
{
	struct scan_event *ev = ps->ev;
	const char *in = parent(ps, 1);
	if (!strcmp(in, "System")) {
		if (!strcmp(elem, "EventID")) {
			char *endp;
			unsigned long v = strtoul(text, &endp, 10);
			if (endp == text || *endp || v > 65535)
				return bad(ps, "an EventID that is not a number");
			ev->event_id = (unsigned)v;
		} else if (!strcmp(elem, "Level")) {
			ev->level = atoi(text);
		} else if (!strcmp(elem, "Channel")) {
			copy(ev->channel, sizeof ev->channel, text);
		} else if (!strcmp(elem, "Computer")) {
			copy(ev->computer, sizeof ev->computer, text);
		}
	} else if (!strcmp(in, "EventData")) {
		if (!strcmp(elem, "Data") && ev->ndata < SCAN_EVT_DATA_MAX) {
			struct scan_evt_data *d = &ev->data[ev->ndata++];
			copy(d->name, sizeof d->name, ps->data_name);
			copy(d->value, sizeof d->value, text);
		} else if (!strcmp(elem, "Binary")) {
			copy(ev->binary, sizeof ev->binary, text);
		}
	}
	return 0;
}

static int open_tag(struct parser *ps)
{
	char name[NAME_MAX_LEN];
	if (!read_name(ps, name, sizeof name))
		return bad(ps, "an element without a name");
	if (ps->depth == 0) {
		if (ps->root_seen)
			return bad(ps, "more than one root element");
		if (strcmp(name, "Event"))
			return bad(ps, "the root element is not <Event>");
		ps->root_seen = true;
	}
	if (ps->depth == DEPTH_MAX)
		return bad(ps, "elements nested too deeply");
	ps->data_name[0] = '\0';
	for (;;) {
		skip_space(ps);
		if (ps->p >= ps->end)
			return bad(ps, "the file ends inside a tag");
		if (*ps->p == '/' || *ps->p == '>')
			break;
		char an[NAME_MAX_LEN];
		if (!read_name(ps, an, sizeof an))
			return bad(ps, "an attribute without a name");
		skip_space(ps);
		if (ps->p >= ps->end || *ps->p != '=')
			return bad(ps, "an attribute without '='");
		ps->p++;
		skip_space(ps);
		if (ps->p >= ps->end || (*ps->p != '"' && *ps->p != '\''))
			return bad(ps, "an attribute value without quotes");
		char q = *ps->p++;
		struct buf v;
		buf_init(&v, 4096);
		int rc = read_text(ps, q, &v);
		if (rc == 0 && ps->p >= ps->end)
			rc = bad(ps, "an attribute value without its closing quote");
		if (rc == 0) {
			ps->p++;
			attribute(ps, name, an, buf_cstr(&v));
		}
		buf_release(&v);
		if (rc)
			return rc;
	}
	bool empty = *ps->p == '/';
	ps->p += empty ? 1 : 0;
	if (ps->p >= ps->end || *ps->p != '>')
		return bad(ps, "a tag not closed by '>'");
	ps->p++;
	copy(ps->path[ps->depth++], NAME_MAX_LEN, name);
	buf_reset(&ps->text);
	if (empty) {
		int rc = element_text(ps, name, "");
		ps->depth--;
		if (ps->depth == 0)
			ps->root_closed = true;
		return rc;
	}
	return 0;
}

static int close_tag(struct parser *ps)
{
	char name[NAME_MAX_LEN];
	if (!read_name(ps, name, sizeof name))
		return bad(ps, "a closing tag without a name");
	skip_space(ps);
	if (ps->p >= ps->end || *ps->p != '>')
		return bad(ps, "a closing tag not closed by '>'");
	ps->p++;
	if (ps->depth == 0 || strcmp(ps->path[ps->depth - 1], name))
		return bad(ps, "a closing tag that does not match the open element");
	/* Text is what the element itself holds; white space around it is layout. */
	const char *t = buf_cstr(&ps->text);
	size_t n = strlen(t);
	while (n && is_space(t[n - 1]))
		n--;
	while (n && is_space(*t)) {
		t++;
		n--;
	}
	char *trimmed = xstrndup(t, n);
	int rc = element_text(ps, name, trimmed);
	free(trimmed);
	buf_reset(&ps->text);
	ps->depth--;
	if (ps->depth == 0)
		ps->root_closed = true;
	return rc;
}

/* Skips a construct ending in end (a comment, a prolog, a doctype); false when it does not. */
static bool skip_to(struct parser *ps, const char *end)
{
	size_t n = strlen(end);
	for (const char *q = ps->p; q + n <= ps->end; q++)
		if (!memcmp(q, end, n)) {
			ps->p = q + n;
			return true;
		}
	return false;
}

int scan_evt_parse(const char *xml, size_t len, struct scan_event *ev, char *err, size_t errlen)
{
	memset(ev, 0, sizeof *ev);
	ev->level = -1;
	if (len > SCAN_EVT_XML_MAX)
		return kx_errorf(err, errlen, KX_ETOOBIG, "an event of %zu bytes is larger than %u",
				 len, SCAN_EVT_XML_MAX);
	struct parser ps = { .p = xml, .end = xml + len, .start = xml, .err = err,
			     .errlen = errlen, .ev = ev };
	buf_init(&ps.text, SCAN_EVT_VALUE_MAX * 4);
	/* A UTF-8 byte order mark is allowed. */
	if (len >= 3 && !memcmp(xml, "\xef\xbb\xbf", 3))
		ps.p += 3;
	int rc = 0;
	while (rc == 0 && ps.p < ps.end) {
		if (*ps.p != '<') {
			if (ps.depth == 0) {
				if (!is_space(*ps.p))
					rc = bad(&ps, "text outside the <Event> element");
				ps.p++;
				continue;
			}
			rc = read_text(&ps, '<', &ps.text);
			continue;
		}
		if (ps.end - ps.p >= 4 && !memcmp(ps.p, "<!--", 4)) {
			ps.p += 4;
			if (!skip_to(&ps, "-->"))
				rc = bad(&ps, "a comment that does not end");
		} else if (ps.end - ps.p >= 9 && !memcmp(ps.p, "<![CDATA[", 9)) {
			ps.p += 9;
			const char *s = ps.p;
			if (!skip_to(&ps, "]]>"))
				rc = bad(&ps, "a CDATA section that does not end");
			else if (ps.depth)
				buf_add(&ps.text, s, (size_t)(ps.p - 3 - s));
		} else if (ps.end - ps.p >= 2 && (ps.p[1] == '?' || ps.p[1] == '!')) {
			if (ps.depth || ps.root_seen)
				rc = bad(&ps, "a declaration inside the event");
			else if (!skip_to(&ps, ">"))
				rc = bad(&ps, "a declaration that does not end");
		} else if (ps.end - ps.p >= 2 && ps.p[1] == '/') {
			ps.p += 2;
			rc = close_tag(&ps);
		} else {
			ps.p++;
			if (ps.root_closed)
				rc = bad(&ps, "an element after the event");
			else
				rc = open_tag(&ps);
		}
	}
	if (rc == 0 && !ps.root_seen)
		rc = kx_errorf(err, errlen, KX_ESYNTAX, "malformed event XML: no <Event> element");
	else if (rc == 0 && ps.depth)
		rc = kx_errorf(err, errlen, KX_ESYNTAX, "malformed event XML: it ends inside <%s>",
			       ps.path[ps.depth - 1]);
	else if (rc == 0 && !ev->provider[0])
		rc = kx_errorf(err, errlen, KX_ESYNTAX, "malformed event XML: no System/Provider");
	buf_release(&ps.text);
	return rc;
}

const char *scan_evt_get(const struct scan_event *ev, const char *name, int position)
{
	const char *v = NULL;
	for (int i = 0; name && i < ev->ndata && !v; i++)
		if (!strcmp(ev->data[i].name, name))
			v = ev->data[i].value;
	if (!v && position >= 0 && position < ev->ndata && !ev->data[position].name[0])
		v = ev->data[position].value;
	if (!v || !*v || !strcmp(v, "(NULL)"))
		return NULL;
	return v;
}
