/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_ROUTER_H
#define KOFFIX_ROUTER_H

/*
 * Matching a request against one static route table.
 *
 * A pattern is a path whose segments are literals or "{name}" captures, e.g. "/kb/{slug}". A
 * capture matches one non-empty segment. Paths with "." or ".." segments, empty inner segments
 * ("//") or a NUL never match anything (they are 404, whatever they decode to). A path that
 * matches a pattern under another method is ROUTER_BAD_METHOD, and the methods that would match
 * are listed for the Allow header. HEAD matches GET routes.
 */

#include <stddef.h>

#define ROUTER_MAX_PARAMS 4
#define ROUTER_MAX_SEGMENTS 16

struct route_params {
	int n;
	const char *names[ROUTER_MAX_PARAMS];
	char values[ROUTER_MAX_PARAMS][256];
};

/* The part of a route the router reads; the server's table embeds it first. */
struct route_pattern {
	const char *method;
	const char *pattern;
};

enum router_result { ROUTER_FOUND, ROUTER_NOT_FOUND, ROUTER_BAD_METHOD };

/*
 * Finds path among n patterns spaced stride bytes apart (so a table of larger structs that
 * start with struct route_pattern can be passed). On ROUTER_FOUND *index is the route and
 * params holds the captures; on ROUTER_BAD_METHOD allow receives "GET, POST"-style text.
 */
enum router_result router_match(const void *table, size_t n, size_t stride, const char *method,
				const char *path, size_t *index, struct route_params *params,
				char *allow, size_t allowlen);

/* The capture called name, or NULL. */
const char *router_param(const struct route_params *params, const char *name);

#endif
