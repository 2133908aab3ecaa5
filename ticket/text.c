/* SPDX-License-Identifier: MIT */
/* The encoders of the ticket exports: text cleaning, addresses, base64, MIME headers, dates. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/platform.h"
#include "../common/util.h"
#include "ticket.h"

#define REPLACEMENT "\xEF\xBF\xBD"   /* U+FFFD */

/*
 * Decodes one UTF-8 character at s (n > 0 bytes left). Returns its length and the code point
 * in *cp, or 0 for an invalid sequence (stray continuation byte, overlong form, surrogate,
 * beyond U+10FFFF, truncated).
 */
static size_t utf8_decode(const unsigned char *s, size_t n, unsigned *cp)
{
	unsigned c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	size_t len;
	unsigned lo = 0x80, hi = 0xBF;
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
		*cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		*cp = c & 0x0F;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;   /* no surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		*cp = c & 0x07;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		unsigned b = s[i];
		if (i == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF))
			return 0;
		*cp = (*cp << 6) | (b & 0x3F);
	}
	return len;
}

/* Characters that must never reach a ticket as they are: they can hide or reorder text. */
static bool cp_hostile(unsigned cp)
{
	return cp == 0 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) ||
	       (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
	       cp == 0xFFFE || cp == 0xFFFF;
}

char *ticket_clean(const char *s, size_t n, enum ticket_text kind, size_t max, bool *cut)
{
	struct buf b;
	buf_init(&b, BUF_NOMAX);
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t i = 0;
	if (cut)
		*cut = false;
	while (i < n) {
		unsigned cp;
		size_t len = utf8_decode(p + i, n - i, &cp);
		const char *rep = NULL;
		char sp = ' ';
		if (len == 0) {
			rep = REPLACEMENT;
			len = 1;
		} else if (cp == '\t' || cp == '\n' || cp == '\r' || cp == 0x2028 || cp == 0x2029) {
			if (kind == TICKET_TEXT_LINE) {
				/* CRLF is one line break, so one space. */
				if (cp == '\r' && i + 1 < n && p[i + 1] == '\n')
					len = 2;
				rep = &sp;
			}
		} else if (cp < 0x20 || cp_hostile(cp)) {
			rep = REPLACEMENT;
		}
		size_t add = rep ? (rep == &sp ? 1 : 3) : len;
		if (b.len + add > max) {
			if (cut)
				*cut = true;
			buf_addf(&b, "[... %zu bytes cut]", n - i);
			break;
		}
		buf_add(&b, rep ? rep : (const char *)p + i, add);
		i += len;
	}
	return buf_take(&b, NULL);
}

bool ticket_text_ok(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		unsigned cp;
		size_t len = utf8_decode(p + i, n - i, &cp);
		if (len == 0 || cp < 0x20 || cp_hostile(cp) || cp == 0x2028 || cp == 0x2029)
			return false;
		i += len;
	}
	return true;
}

static bool atext(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+/=?^_`{|}~-", c));
}

bool ticket_email_ok(const char *s)
{
	if (!s)
		return false;
	size_t n = strlen(s);
	const char *at = strchr(s, '@');
	if (n < 6 || n > TICKET_EMAIL_MAX || !at || strchr(at + 1, '@'))
		return false;
	size_t local = (size_t)(at - s);
	if (local == 0 || local > 64 || s[0] == '.' || at[-1] == '.')
		return false;
	for (const char *p = s; p < at; p++)
		if (!(atext(*p) || (*p == '.' && p[1] != '.')))
			return false;
	/* Domain: at least two labels of letters, digits and inner hyphens; a letter TLD. */
	const char *d = at + 1, *label = d, *last = NULL;
	int labels = 0;
	for (const char *p = d;; p++) {
		if (*p == '.' || *p == '\0') {
			size_t len = (size_t)(p - label);
			if (len == 0 || len > 63 || label[0] == '-' || p[-1] == '-')
				return false;
			labels++;
			last = label;
			if (!*p)
				break;
			label = p + 1;
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-'))
			return false;
	}
	if (labels < 2 || strlen(last) < 2)
		return false;
	for (const char *p = last; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
			return false;
	return true;
}

int ticket_requester_check(const char *name, const char *email, enum ticket_format f,
			   char *err, size_t errlen)
{
	if (name && strlen(name) > TICKET_NAME_MAX) {
		snprintf(err, errlen, "the name is too long (%d bytes at most)", TICKET_NAME_MAX);
		return KX_EINVAL;
	}
	if (name && !ticket_text_ok(name, strlen(name))) {
		snprintf(err, errlen, "the name holds control characters or is not valid UTF-8");
		return KX_EINVAL;
	}
	if (email && *email && !ticket_email_ok(email)) {
		snprintf(err, errlen, "'%.80s' is not an e-mail address koffix accepts "
			 "(name@example.com)", ticket_text_ok(email, strlen(email)) ? email : "?");
		return KX_EINVAL;
	}
	/* The e-mail draft needs no address: the mail program sends it from the person's own. The
	 * help-desk API formats name the customer by it. */
	if ((!email || !*email) && (f == TICKET_OSTICKET || f == TICKET_ZAMMAD)) {
		snprintf(err, errlen, "the %s format needs your e-mail address, so that the support "
			 "desk can answer", ticket_format_name(f));
		return KX_EINVAL;
	}
	return 0;
}

int ticket_base64(struct buf *out, const void *data, size_t n, size_t line)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = data;
	size_t start = out->len, col = 0;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		char q[4] = { tab[(v >> 18) & 63], tab[(v >> 12) & 63],
			      i + 1 < n ? tab[(v >> 6) & 63] : '=', i + 2 < n ? tab[v & 63] : '=' };
		int rc = buf_add(out, q, 4);
		col += 4;
		if (rc == 0 && line && col >= line && i + 3 < n) {
			rc = buf_add(out, "\r\n", 2);
			col = 0;
		}
		if (rc) {
			out->len = start;
			if (out->data)
				out->data[start] = '\0';
			return rc;
		}
	}
	return 0;
}

static bool plain_ascii(const char *s, size_t max)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++, n++)
		if (*p < 0x20 || *p > 0x7E)
			return false;
	return n <= max && !strstr(s, "=?");
}

/*
 * RFC 2047 "B" encoded words for s, at most 39 bytes of text each (so a word stays under 66
 * characters), never splitting a UTF-8 character; words after the first go on continuation
 * lines (CRLF SP).
 */
static int encoded_words(struct buf *out, const char *s)
{
	size_t n = strlen(s), i = 0;
	int rc = 0;
	do {
		size_t take = n - i > 39 ? 39 : n - i;
		while (take > 0 && i + take < n && ((unsigned char)s[i + take] & 0xC0) == 0x80)
			take--;
		if (take == 0)
			take = n - i > 39 ? 39 : n - i;
		/* Prefer to end a word after a space: decoders that wrongly keep the folding
		 * whitespace between words then do not split a word of the text. */
		for (size_t k = take; i + take < n && k > 12; k--)
			if (s[i + k - 1] == ' ') {
				take = k;
				break;
			}
		if (i > 0)
			rc = rc ? rc : buf_adds(out, "\r\n ");
		rc = rc ? rc : buf_adds(out, "=?UTF-8?B?");
		rc = rc ? rc : ticket_base64(out, s + i, take, 0);
		rc = rc ? rc : buf_adds(out, "?=");
		i += take;
	} while (i < n && rc == 0);
	return rc;
}

int ticket_mime_header(struct buf *out, const char *name, const char *value)
{
	size_t room = strlen(name) < 60 ? 76 - strlen(name) : 16;
	int rc = buf_addf(out, "%s: ", name);
	if (rc == 0 && plain_ascii(value, room))
		rc = buf_adds(out, value);
	else if (rc == 0 && *value)
		rc = encoded_words(out, value);
	return rc ? rc : buf_adds(out, "\r\n");
}

int ticket_mime_address(struct buf *out, const char *name, const char *email)
{
	if (!ticket_email_ok(email))
		return KX_EINVAL;
	int rc = 0;
	if (name && *name && plain_ascii(name, 60)) {
		rc = buf_addch(out, '"');
		for (const char *p = name; *p && rc == 0; p++)
			rc = (*p == '"' || *p == '\\') ? buf_addf(out, "\\%c", *p) : buf_addch(out, *p);
		rc = rc ? rc : buf_addf(out, "\" <%s>", email);
	} else if (name && *name) {
		rc = encoded_words(out, name);
		rc = rc ? rc : buf_addf(out, "\r\n <%s>", email);
	} else {
		rc = buf_adds(out, email);
	}
	return rc;
}

int ticket_rfc5322_date(const char *utc, char *out, size_t len)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
					      "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	char z = 0;
	if (!utc || sscanf(utc, "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &z) != 7 || z != 'Z')
		return KX_EINVAL;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31)
		return KX_EINVAL;
	time_t t = plat_timegm(&tm);
	struct tm norm;
	if (t == (time_t)-1 || !plat_gmtime(t, &norm))
		return KX_EINVAL;
	snprintf(out, len, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[norm.tm_wday],
		 norm.tm_mday, months[norm.tm_mon], norm.tm_year + 1900, norm.tm_hour, norm.tm_min,
		 norm.tm_sec);
	return 0;
}
