/* SPDX-License-Identifier: MIT */
#include "router.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct segs {
	int n;
	const char *s[ROUTER_MAX_SEGMENTS];
	size_t len[ROUTER_MAX_SEGMENTS];
};

/* Splits "/a/b/c" into segments. A trailing slash is allowed only for "/" itself. */
static bool split(const char *path, struct segs *out)
{
	out->n = 0;
	if (path[0] != '/')
		return false;
	if (path[1] == '\0')
		return true;
	const char *p = path + 1;
	for (;;) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == 0 || out->n == ROUTER_MAX_SEGMENTS)
			return false;
		if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		out->s[out->n] = p;
		out->len[out->n] = len;
		out->n++;
		if (!end)
			return true;
		p = end + 1;
	}
}

static bool match(const char *pattern, const struct segs *path, struct route_params *params)
{
	struct segs pat;
	if (!split(pattern, &pat) || pat.n != path->n)
		return false;
	params->n = 0;
	for (int i = 0; i < pat.n; i++) {
		if (pat.s[i][0] == '{') {
			if (params->n == ROUTER_MAX_PARAMS || path->len[i] >= sizeof params->values[0])
				return false;
			params->names[params->n] = pat.s[i];
			memcpy(params->values[params->n], path->s[i], path->len[i]);
			params->values[params->n][path->len[i]] = '\0';
			params->n++;
		} else if (pat.len[i] != path->len[i] || memcmp(pat.s[i], path->s[i], pat.len[i])) {
			return false;
		}
	}
	return true;
}

enum router_result router_match(const void *table, size_t n, size_t stride, const char *method,
				const char *path, size_t *index, struct route_params *params,
				char *allow, size_t allowlen)
{
	struct segs segs;
	struct route_params scratch;
	bool other_method = false;
	if (allowlen)
		allow[0] = '\0';
	if (!split(path, &segs))
		return ROUTER_NOT_FOUND;
	const char *m = strcmp(method, "HEAD") == 0 ? "GET" : method;
	for (size_t i = 0; i < n; i++) {
		const struct route_pattern *r =
			(const struct route_pattern *)((const char *)table + i * stride);
		if (!match(r->pattern, &segs, &scratch))
			continue;
		if (strcmp(r->method, m) == 0) {
			*index = i;
			*params = scratch;
			return ROUTER_FOUND;
		}
		if (!strstr(allow, r->method)) {
			size_t used = strlen(allow);
			snprintf(allow + used, allowlen - used, "%s%s", used ? ", " : "", r->method);
		}
		other_method = true;
	}
	return other_method ? ROUTER_BAD_METHOD : ROUTER_NOT_FOUND;
}

const char *router_param(const struct route_params *params, const char *name)
{
	size_t len = strlen(name);
	for (int i = 0; i < params->n; i++) {
		const char *n = params->names[i];
		/* names[i] points at "{name}" inside the pattern, followed by '/' or the end. */
		if (strncmp(n + 1, name, len) == 0 && n[len + 1] == '}')
			return params->values[i];
	}
	return NULL;
}
