/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_HTTP_H
#define KOFFIX_HTTP_H

/*
 * The HTTP layer on libmicrohttpd: one access handler that applies the security model to every
 * request before a route's handler sees it, then sends what the handler built.
 *
 * Order of checks: Host (403), route (404/405), Origin on POST (403), launch token where the
 * route needs it (401), body cap from Content-Length (413, before reading), body read with the
 * same cap (413), CSRF on every POST (403), then the handler. Every response carries the
 * security headers (CSP without inline script, nosniff, no referrer, no framing).
 */

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "../common/buf.h"
#include "form.h"
#include "router.h"

struct app;
struct MHD_Connection;
struct http_req;
struct http_server;

typedef int (*http_handler)(struct http_req *r);

/*
 * A streamed body: called for more bytes; returns how many it wrote into buf (at most max), 0
 * when there is nothing yet (the connection is then suspended and the reader called again a
 * tick later: it must not block, a pool thread runs it), or -1 at the end of the stream.
 */
typedef long (*http_reader)(void *cls, char *buf, size_t max);

enum route_flags {
	ROUTE_TOKEN = 1,    /* needs the launch token */
	ROUTE_API = 2,      /* errors as JSON */
	ROUTE_FORM = 4,     /* the body may be a urlencoded form (parsed into r->form) */
};

struct route {
	struct route_pattern p;   /* first: the router reads this part */
	http_handler fn;
	unsigned flags;
	size_t body_max;          /* bytes; 0 means no body accepted */
	const char *doc;
};

#define HTTP_MAX_HEADERS 8
/* The largest page or JSON answer a handler may build. */
#define PAGE_MAX (8u << 20)

struct http_req {
	struct app *app;
	struct http_server *srv;
	struct MHD_Connection *conn;
	const char *method;
	const char *path;
	const struct route *route;
	struct route_params params;
	struct buf body;
	struct form form;          /* urlencoded body fields (ROUTE_FORM) */
	struct form cookies;
	bool authed;               /* the launch token came with the request */
	char csrf_cookie[65];      /* this client's CSRF cookie (made up when absent) */
	bool new_csrf_cookie;
	char csrf[65];             /* the token for csrf_cookie, to embed in pages */
	bool too_big;
	size_t drained;            /* body bytes thrown away after too_big */
	bool queued;
	double start;

	/* The response, filled by handlers through the helpers below. */
	int status;
	const char *ctype;
	struct buf out;
	http_reader reader;        /* a streamed body instead of out */
	void *reader_cls;
	void (*reader_free)(void *cls);
	int nheaders;
	char *hname[HTTP_MAX_HEADERS];
	char *hvalue[HTTP_MAX_HEADERS];
};

/*
 * Starts the server on app->bind_addr:app->port (0 picks a port, stored back in app->port):
 * libmicrohttpd's own event loop on a pool of threads, the header deadline and the event
 * streams' ticker (http.c). NULL with a sentence in err.
 */
struct http_server *http_start(struct app *app, char *err, size_t errlen);
/* Stops it: refuses new connections, ends the event streams, waits for the requests. */
void http_stop(struct http_server *srv);
/* How many connections were cut because their headers did not arrive in time. */
unsigned long http_cut_connections(struct http_server *srv);

/* The route table (routes.c) and its size. */
extern const struct route http_routes[];
extern const size_t http_nroutes;

/* A request header or query argument, or NULL. */
const char *http_header(struct http_req *r, const char *name);
const char *http_query(struct http_req *r, const char *name);

/* Every query argument as a JSON object of strings (the first value of each name; caller frees). */
cJSON *http_query_all(struct http_req *r);

/*
 * The request body parsed as a JSON object into *out (caller frees; NULL for an empty body).
 * Returns 0, or the 400 error response it built (a body that is not a JSON object).
 */
int http_body_json(struct http_req *r, cJSON **out);

/* A cookie of the request, or NULL. */
const char *http_cookie(struct http_req *r, const char *name);

/* Adds a response header (copied). Extra headers past HTTP_MAX_HEADERS are dropped and logged. */
void http_add_header(struct http_req *r, const char *name, const char *value);

/* Response builders; each returns the status so handlers can `return http_json(...)`. */
int http_json(struct http_req *r, int status, cJSON *value);        /* takes ownership */
int http_error(struct http_req *r, int status, const char *detail); /* page or JSON */
int http_redirect(struct http_req *r, int status, const char *location);
/* A 200 response whose body comes from fn (cls freed with free_fn at the end). */
int http_stream(struct http_req *r, const char *ctype, http_reader fn, void *cls,
		void (*free_fn)(void *cls));
/* Renders template name with ctx (ownership taken) plus the common page keys. */
int http_page(struct http_req *r, int status, const char *name, const char *title, cJSON *ctx);
/* The same with another value where the page shows the request's CSRF token (a page cache
 * renders PAGE_CACHE_HOLE there and fills it in per request). */
int http_page_csrf(struct http_req *r, int status, const char *name, const char *title,
		   cJSON *ctx, const char *csrf);

/* The common page keys (page_title, root, ext, static_site, csrf, version, q, has_token). */
void http_page_keys(cJSON *ctx, const char *title, const char *csrf, bool has_token,
		    const char *q, bool static_site, const char *root);

/* The reason phrase of status ("Not Found"). */
const char *http_status_text(int status);

#endif
