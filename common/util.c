/* SPDX-License-Identifier: MIT */
#define _POSIX_C_SOURCE 200809L
#include "util.h"

#include "platform.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *kx_strerror(int err)
{
	switch (err) {
	case KX_OK: return "success";
	case KX_ENOMEM: return "out of memory";
	case KX_ETOOBIG: return "too large";
	case KX_EINVAL: return "invalid input";
	case KX_ENOTFOUND: return "not found";
	case KX_EIO: return "input/output error";
	case KX_EDB: return "database error";
	case KX_ESYNTAX: return "syntax error";
	case KX_ECONFLICT: return "conflict";
	case KX_EBLOCKED: return "refused by a check";
	default: return "unknown error";
	}
}

static void oom(size_t n)
{
	fprintf(stderr, "koffix: out of memory allocating %zu bytes\n", n);
	abort();
}

int kx_errorf(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *xcalloc(size_t count, size_t n)
{
	void *p = calloc(count ? count : 1, n ? n : 1);
	if (!p)
		oom(count * n);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

int kx_read_file(const char *path, size_t max, char **out, size_t *len)
{
	*out = NULL;
	if (len)
		*len = 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return KX_EIO;
	int rc = 0;
	size_t cap = 4096, n = 0;
	char *data = xmalloc(cap + 1);
	for (;;) {
		if (n == cap) {
			if (cap >= max + 1) {
				rc = KX_ETOOBIG;
				goto out;
			}
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			data = xrealloc(data, cap + 1);
		}
		size_t got = fread(data + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		rc = KX_EIO;
		goto out;
	}
	if (n > max) {
		rc = KX_ETOOBIG;
		goto out;
	}
	data[n] = '\0';
	*out = data;
	data = NULL;
	if (len)
		*len = n;
out:
	free(data);
	fclose(f);
	return rc;
}

static int write_atomic(const char *path, const void *data, size_t len, bool private_file)
{
	/* A random name created new (O_EXCL | O_NOFOLLOW): in a folder others can write, nobody
	 * can have planted a file or a symlink there in advance. */
	size_t plen = strlen(path);
	char *tmp = xmalloc(plen + 48);
	int rc = KX_EIO, fd = -1;
	for (int attempt = 0; attempt < 8 && fd < 0; attempt++) {
		char rnd[17];
		if (kx_random_hex(rnd, 8) != 0)
			goto out;
		snprintf(tmp, plen + 48, "%s.tmp.%s", path, rnd);
		fd = plat_create(tmp, private_file);
	}
	if (fd < 0)
		goto out;
	const char *p = data;
	size_t left = len;
	while (left) {
		ssize_t w = write(fd, p, left);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			unlink(tmp);
			goto out;
		}
		p += w;
		left -= (size_t)w;
	}
	if (plat_fsync(fd) != 0 || close(fd) != 0) {
		unlink(tmp);
		goto out;
	}
	if (plat_replace(tmp, path) != 0) {
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	return rc;
}

int kx_write_file_atomic(const char *path, const void *data, size_t len)
{
	return write_atomic(path, data, len, false);
}

int kx_write_file_private(const char *path, const void *data, size_t len)
{
	return write_atomic(path, data, len, true);
}

int kx_mkdir_p(const char *path)
{
	char *p = xstrdup(path);
	int rc = 0;
	for (char *s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			if (plat_mkdir(p) != 0) {
				rc = KX_EIO;
				break;
			}
			*s = c;
			if (c == '\0')
				break;
		}
	}
	free(p);
	return rc;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t kx_url_decode(char *s, bool plus)
{
	char *w = s;
	for (const char *r = s; *r; r++) {
		if (*r == '%' && hexval(r[1]) >= 0 && hexval(r[2]) >= 0) {
			*w++ = (char)(hexval(r[1]) * 16 + hexval(r[2]));
			r += 2;
		} else if (*r == '+' && plus) {
			*w++ = ' ';
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

bool kx_is_slug(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return false;
	return true;
}

int kx_random_hex(char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char *raw = xmalloc(n);
	int rc = plat_random(raw, n);
	if (rc == 0) {
		for (size_t i = 0; i < n; i++) {
			out[2 * i] = hex[raw[i] >> 4];
			out[2 * i + 1] = hex[raw[i] & 15];
		}
		out[2 * n] = '\0';
	}
	free(raw);
	return rc;
}

bool kx_str_equal_ct(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = la != lb;
	for (size_t i = 0; i < la && i < lb; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

bool kx_icontains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; hay && *hay; hay++)
		if (!strncasecmp(hay, needle, n))
			return true;
	return false;
}

bool kx_str_starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

void kx_utc_now(char out[21])
{
	time_t t = time(NULL);
	struct tm tm;
	plat_gmtime(t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
