/* SPDX-License-Identifier: MIT */
/*
 * multipart/form-data (see multipart.h). A body is: an optional preamble, then for each part
 * "--BOUNDARY" CRLF, header lines, an empty line and the data, each part's data ending at the
 * next CRLF "--BOUNDARY"; the last boundary is followed by "--".
 */
#include "multipart.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/util.h"

#define BOUNDARY_MAX 70

/* The first occurrence of needle in hay (memmem is a GNU extension). */
static const char *find(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	if (nlen == 0 || hlen < nlen)
		return NULL;
	const char *end = hay + hlen - nlen + 1;
	for (const char *p = hay; p < end;) {
		p = memchr(p, needle[0], (size_t)(end - p));
		if (!p)
			return NULL;
		if (memcmp(p, needle, nlen) == 0)
			return p;
		p++;
	}
	return NULL;
}

static bool bchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("'()+_,-./:=? ", c) != NULL;
}

/* The boundary parameter of a multipart/form-data Content-Type. */
static int boundary_of(const char *ctype, char *out, size_t outlen)
{
	if (!ctype || strncasecmp(ctype, "multipart/form-data", 19) != 0)
		return -1;
	const char *p = ctype + 19;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		if (strncasecmp(p, "boundary=", 9) == 0) {
			p += 9;
			size_t n = 0;
			if (*p == '"') {
				for (p++; *p && *p != '"'; p++)
					if (n + 1 < outlen)
						out[n++] = *p;
					else
						return -1;
				if (*p != '"')
					return -1;
			} else {
				for (; *p && *p != ';' && *p != ' ' && *p != '\t'; p++)
					if (n + 1 < outlen)
						out[n++] = *p;
					else
						return -1;
			}
			out[n] = '\0';
			if (n == 0 || n > BOUNDARY_MAX || out[n - 1] == ' ')
				return -1;
			for (size_t i = 0; i < n; i++)
				if (!bchar(out[i]))
					return -1;
			return 0;
		}
		while (*p && *p != ';')
			p++;
	}
	return -1;
}

/*
 * The value of parameter key in a header value such as `form-data; name="file"`: a token or a
 * quoted string (backslash escapes a character). 1 found, 0 absent, -1 malformed or too long.
 */
static int param(const char *v, const char *key, char *out, size_t outlen)
{
	size_t klen = strlen(key);
	const char *p = strchr(v, ';');
	while (p) {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		const char *eq = strchr(p, '=');
		if (!eq)
			return 0;
		bool match = (size_t)(eq - p) == klen && strncasecmp(p, key, klen) == 0;
		const char *q = eq + 1;
		size_t n = 0;
		if (*q == '"') {
			for (q++; *q && *q != '"'; q++) {
				if (*q == '\\' && q[1])
					q++;
				if (match && n + 1 >= outlen)
					return -1;
				if (match)
					out[n++] = *q;
			}
			if (*q != '"')
				return -1;
			q++;
		} else {
			for (; *q && *q != ';' && *q != ' ' && *q != '\t'; q++) {
				if (match && n + 1 >= outlen)
					return -1;
				if (match)
					out[n++] = *q;
			}
		}
		if (match) {
			out[n] = '\0';
			return 1;
		}
		p = strchr(q, ';');
	}
	return 0;
}

/* Reads the header lines of one part from [p, end); *body gets where its data starts. */
static int part_headers(struct mp_part *part, const char *p, const char *end, const char **body,
			char *why, size_t whylen)
{
	bool disposition = false;
	for (int lines = 0;; lines++) {
		const char *eol = NULL;
		size_t avail = (size_t)(end - p);
		eol = memchr(p, '\n', avail < MP_HEADER_MAX + 1 ? avail : MP_HEADER_MAX + 1);
		if (!eol || eol == p || eol[-1] != '\r')
			return kx_errorf(why, whylen, KX_ESYNTAX, "a part's header line is missing its end, "
				    "is longer than %d bytes, or does not end in CRLF",
				    MP_HEADER_MAX);
		size_t n = (size_t)(eol - 1 - p);
		if (n == 0) {
			*body = eol + 1;
			break;
		}
		if (lines == MP_MAX_HEADERS)
			return kx_errorf(why, whylen, KX_ETOOBIG, "a part has more than %d header lines",
				    MP_MAX_HEADERS);
		char line[MP_HEADER_MAX + 1];
		memcpy(line, p, n);
		line[n] = '\0';
		if (memchr(p, '\0', n))
			return kx_errorf(why, whylen, KX_ESYNTAX, "a part's header holds a NUL byte");
		char *colon = strchr(line, ':');
		if (!colon)
			return kx_errorf(why, whylen, KX_ESYNTAX, "a part's header line has no colon");
		*colon = '\0';
		char *v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		if (strcasecmp(line, "Content-Disposition") == 0) {
			if (strncasecmp(v, "form-data", 9) != 0 || (v[9] && v[9] != ';' && v[9] != ' '))
				return kx_errorf(why, whylen, KX_ESYNTAX, "a part is not form-data");
			int r = param(v, "name", part->name, sizeof part->name);
			if (r <= 0)
				return kx_errorf(why, whylen, KX_ESYNTAX, r < 0 ? "a part's name is malformed "
					    "or longer than 63 bytes" : "a part has no name");
			char fname[sizeof part->filename];
			r = param(v, "filename", fname, sizeof fname);
			if (r < 0)
				return kx_errorf(why, whylen, KX_ESYNTAX, "a file name is malformed or longer "
					    "than 255 bytes");
			if (r > 0) {
				part->is_file = true;
				/* Keep the last component: IE sent C:\Users\...\file.dll. */
				const char *b = fname;
				for (const char *q = fname; *q; q++)
					if (*q == '\\' || *q == '/')
						b = q + 1;
				snprintf(part->filename, sizeof part->filename, "%s", b);
			}
			disposition = true;
		} else if (strcasecmp(line, "Content-Type") == 0) {
			snprintf(part->ctype, sizeof part->ctype, "%.127s", v);
		}
		p = eol + 1;
	}
	if (!disposition)
		return kx_errorf(why, whylen, KX_ESYNTAX, "a part has no Content-Disposition header");
	return 0;
}

int multipart_parse(struct multipart *m, const char *ctype, const char *body, size_t len,
		    char *why, size_t whylen)
{
	memset(m, 0, sizeof *m);
	char b[BOUNDARY_MAX + 2];
	if (boundary_of(ctype, b, sizeof b) != 0)
		return kx_errorf(why, whylen, KX_ESYNTAX, "the upload must be multipart/form-data with a "
			    "valid boundary");
	if (!body)
		body = "";
	char delim[BOUNDARY_MAX + 5];
	int dlen = snprintf(delim, sizeof delim, "\r\n--%s", b);
	const char *end = body + len, *p;
	/* The first boundary starts the body, or follows a preamble line. */
	if (len >= (size_t)dlen - 2 && memcmp(body, delim + 2, (size_t)dlen - 2) == 0)
		p = body + dlen - 2;
	else if ((p = find(body, len, delim, (size_t)dlen)) != NULL)
		p += dlen;
	else
		return kx_errorf(why, whylen, KX_ESYNTAX, "the upload holds no part (its boundary never "
			    "appears)");
	for (;;) {
		/* After a boundary: "--" closes the body, else optional blanks and CRLF. */
		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			return 0;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
			return kx_errorf(why, whylen, KX_ESYNTAX, "a boundary line does not end in CRLF");
		p += 2;
		if (m->n == MP_MAX_PARTS)
			return kx_errorf(why, whylen, KX_ETOOBIG, "the upload has more than %d parts",
				    MP_MAX_PARTS);
		struct mp_part *part = &m->parts[m->n];
		const char *data = NULL;
		int rc = part_headers(part, p, end, &data, why, whylen);
		if (rc)
			return rc;
		const char *next = find(data, (size_t)(end - data), delim, (size_t)dlen);
		if (!next)
			return kx_errorf(why, whylen, KX_ESYNTAX, "the upload ends before its closing "
				    "boundary (it was cut short)");
		part->data = data;
		part->len = (size_t)(next - data);
		m->n++;
		p = next + dlen;
	}
}

const struct mp_part *multipart_get(const struct multipart *m, const char *name)
{
	for (int i = 0; i < m->n; i++)
		if (strcmp(m->parts[i].name, name) == 0)
			return &m->parts[i];
	return NULL;
}

int multipart_text(const struct mp_part *p, char *out, size_t outlen)
{
	if (p->len >= outlen)
		return KX_ETOOBIG;
	if (memchr(p->data, '\0', p->len))
		return KX_EINVAL;
	memcpy(out, p->data, p->len);
	out[p->len] = '\0';
	return 0;
}

int multipart_field(const char *ctype, const char *body, size_t len, const char *name,
		    char *out, size_t outlen)
{
	struct multipart *m = xmalloc(sizeof *m);
	int rc = multipart_parse(m, ctype, body, len, NULL, 0);
	const struct mp_part *p = rc == 0 ? multipart_get(m, name) : NULL;
	if (rc == 0)
		rc = p ? multipart_text(p, out, outlen) : KX_ENOTFOUND;
	free(m);
	return rc;
}
