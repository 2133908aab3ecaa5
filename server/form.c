/* SPDX-License-Identifier: MIT */
#include "form.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"

void form_init(struct form *f)
{
	f->n = 0;
}

void form_release(struct form *f)
{
	for (int i = 0; i < f->n; i++) {
		free(f->keys[i]);
		free(f->values[i]);
	}
	f->n = 0;
}

static int add(struct form *f, const char *k, size_t klen, const char *v, size_t vlen,
	       bool decode)
{
	if (f->n == FORM_MAX_FIELDS)
		return KX_ETOOBIG;
	char *key = xstrndup(k, klen), *value = xstrndup(v, vlen);
	if (decode) {
		/* A shorter string after decoding than strlen says means an embedded %00. */
		size_t kl = kx_url_decode(key, true), vl = kx_url_decode(value, true);
		if (strlen(key) != kl || strlen(value) != vl) {
			free(key);
			free(value);
			return KX_EINVAL;
		}
	}
	f->keys[f->n] = key;
	f->values[f->n] = value;
	f->n++;
	return 0;
}

static int parse(struct form *f, const char *data, size_t len, char sep, bool decode)
{
	const char *p = data, *end = data + len;
	while (p < end) {
		const char *stop = memchr(p, sep, (size_t)(end - p));
		if (!stop)
			stop = end;
		size_t seglen = (size_t)(stop - p);
		size_t skip = 0;
		while (!decode && skip < seglen && p[skip] == ' ')
			skip++;
		const char *k = p + skip;
		size_t klen = seglen - skip;
		if (klen && memchr(k, '\0', klen))
			return KX_EINVAL;
		if (klen) {
			const char *eq = memchr(k, '=', klen);
			size_t namelen = eq ? (size_t)(eq - k) : klen;
			const char *v = eq ? eq + 1 : k + klen;
			int rc = add(f, k, namelen, v, klen - namelen - (eq ? 1 : 0), decode);
			if (rc)
				return rc;
		}
		if (stop == end)
			break;
		p = stop + 1;
	}
	return 0;
}

int form_parse_urlencoded(struct form *f, const char *data, size_t len)
{
	return parse(f, data, len, '&', true);
}

int form_parse_cookies(struct form *f, const char *header)
{
	return parse(f, header, strlen(header), ';', false);
}

const char *form_get(const struct form *f, const char *key)
{
	for (int i = 0; i < f->n; i++)
		if (strcmp(f->keys[i], key) == 0)
			return f->values[i];
	return NULL;
}
