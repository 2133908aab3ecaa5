/* SPDX-License-Identifier: MIT */
#include "http.h"

#include "net.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifndef _WIN32
#include <unistd.h>
#endif

#include "../common/log.h"
#include "../common/util.h"
#include "../templates/tpl.h"
#include "../app/app.h"
#include "multipart.h"
#include "security.h"


/* Past this much discarded body the connection is cut instead of drained. */
#define DRAIN_MAX (16u << 20)

/*
 * Connections and threads. libmicrohttpd runs its own event loop (epoll on Linux) on a small
 * pool of threads, so a connection costs a slot, not a thread: HTTP_CONNECTIONS of them, all
 * from this machine. A request's headers must arrive within HTTP_HEADER_DEADLINE_MS of the
 * connection opening (or of its previous request ending): the idle timeout alone lets a client
 * that sends a byte now and then hold its slot for ever. Event streams that have nothing to
 * send suspend their connection; the ticker resumes them every HTTP_TICK_MS to look again.
 */
#define HTTP_THREADS 4
#define HTTP_CONNECTIONS 512
#define HTTP_IDLE_TIMEOUT_S 30
#define HTTP_HEADER_DEADLINE_MS 10000.0
#define HTTP_TICK_MS 100

struct conn_entry;
struct stream;

struct http_server {
	struct MHD_Daemon *d;
	struct app *app;
	pthread_mutex_t lock;          /* guards everything below */
	pthread_cond_t wake;
	pthread_t ticker;
	bool ticker_running;
	bool stopping;
	struct conn_entry *conns;      /* every open connection */
	struct stream *suspended;      /* event streams waiting for news */
	unsigned long cut;             /* connections cut at the header deadline */
};

static const char *const security_headers[][2] = {
	{ "Content-Security-Policy", "default-src 'self'; img-src 'self' data:; "
	  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'" },
	{ "X-Content-Type-Options", "nosniff" },
	/* same-origin, not no-referrer: with no-referrer a plain form POST carries "Origin: null",
	 * which the Origin check must refuse; other sites still get no referrer (nor the token). */
	{ "Referrer-Policy", "same-origin" },
	{ "X-Frame-Options", "DENY" },
	{ "Cross-Origin-Opener-Policy", "same-origin" },
	{ "Cross-Origin-Resource-Policy", "same-origin" },
};

const char *http_status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	default: return "Error";
	}
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

const char *http_header(struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *http_query(struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	(void)kind;
	cJSON *o = cls;
	if (key && !cJSON_GetObjectItemCaseSensitive(o, key))
		cJSON_AddStringToObject(o, key, value ? value : "");
	return MHD_YES;
}

cJSON *http_query_all(struct http_req *r)
{
	cJSON *o = cJSON_CreateObject();
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, collect_arg, o);
	return o;
}

int http_body_json(struct http_req *r, cJSON **out)
{
	*out = NULL;
	if (r->body.len == 0)
		return 0;
	/* A \u0000 escape would end C strings early and hide the rest of a value: refuse it. */
	const char *b = buf_cstr(&r->body);
	for (size_t i = 0; i + 1 < r->body.len; i++) {
		if (b[i] != '\\')
			continue;
		if (b[i + 1] == 'u' && i + 5 < r->body.len && !strncmp(b + i + 2, "0000", 4))
			return http_error(r, 400, "the body holds a NUL character (\\u0000)");
		i++; /* skip the escaped character, so "\\\\u0000" is a backslash and text */
	}
	if (memchr(b, '\0', r->body.len))
		return http_error(r, 400, "the body holds a NUL byte");
	cJSON *j = cJSON_ParseWithLength(b, r->body.len);
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return http_error(r, 400, "the body is not a JSON object");
	}
	*out = j;
	return 0;
}

const char *http_cookie(struct http_req *r, const char *name)
{
	return form_get(&r->cookies, name);
}

void http_add_header(struct http_req *r, const char *name, const char *value)
{
	if (r->nheaders == HTTP_MAX_HEADERS) {
		log_kv(LOG_WARN, "response header dropped", 1, "name", name);
		return;
	}
	r->hname[r->nheaders] = xstrdup(name);
	r->hvalue[r->nheaders] = xstrdup(value);
	r->nheaders++;
}

static bool is_api(struct http_req *r)
{
	return (r->route && (r->route->flags & ROUTE_API)) || kx_str_starts(r->path, "/api/");
}

int http_json(struct http_req *r, int status, cJSON *value)
{
	char *s = cJSON_PrintUnformatted(value);
	cJSON_Delete(value);
	buf_reset(&r->out);
	/* <, > and & only occur inside JSON strings; as \u escapes they can never become markup,
	 * even if a browser or a careless consumer treats the body as HTML. */
	for (const char *p = s ? s : "null"; *p; p++) {
		if (*p == '<')
			buf_adds(&r->out, "\\u003c");
		else if (*p == '>')
			buf_adds(&r->out, "\\u003e");
		else if (*p == '&')
			buf_adds(&r->out, "\\u0026");
		else
			buf_addch(&r->out, *p);
	}
	cJSON_free(s);
	r->status = status;
	r->ctype = "application/json; charset=utf-8";
	return status;
}

void http_page_keys(cJSON *ctx, const char *title, const char *csrf, bool has_token,
		    const char *q, bool static_site, const char *root)
{
	cJSON_AddStringToObject(ctx, "page_title", title);
	cJSON_AddStringToObject(ctx, "root", root);
	cJSON_AddStringToObject(ctx, "ext", static_site ? ".html" : "");
	cJSON_AddBoolToObject(ctx, "static_site", static_site);
	cJSON_AddStringToObject(ctx, "csrf", csrf);
	cJSON_AddStringToObject(ctx, "version", KOFFIX_VERSION);
	if (!cJSON_GetObjectItemCaseSensitive(ctx, "q"))
		cJSON_AddStringToObject(ctx, "q", q);
	cJSON_AddBoolToObject(ctx, "has_token", has_token);
}

/* Plain text, for when even the error template cannot render. */
static int plain(struct http_req *r, int status, const char *text)
{
	buf_reset(&r->out);
	buf_adds(&r->out, text);
	r->status = status;
	r->ctype = "text/plain; charset=utf-8";
	return status;
}

int http_page(struct http_req *r, int status, const char *name, const char *title, cJSON *ctx)
{
	return http_page_csrf(r, status, name, title, ctx, r->csrf);
}

int http_page_csrf(struct http_req *r, int status, const char *name, const char *title,
		   cJSON *ctx, const char *csrf)
{
	const char *q = http_query(r, "q");
	http_page_keys(ctx, title, csrf, r->authed, q ? q : "", false, "/");
	char err[256];
	buf_reset(&r->out);
	int rc = tpl_render(r->app->tpl, name, ctx, &r->out, err, sizeof err);
	cJSON_Delete(ctx);
	if (rc) {
		log_kv(LOG_ERROR, "template failed", 2, "template", name, "error", err);
		if (strcmp(name, "error") == 0)
			return plain(r, 500, "500 Internal Server Error\n");
		return http_error(r, 500, "The page could not be built.");
	}
	r->status = status;
	r->ctype = "text/html; charset=utf-8";
	return status;
}

static const char *friendly(int status)
{
	switch (status) {
	case 401: return "This part of koffix opens only in the browser that koffix itself opened. "
			 "If koffix was restarted, or this is a bookmark, open koffix again: from its "
			 "shortcut in the Start menu, or by starting koffix.exe. It opens this page "
			 "afresh. The help articles work without it.";
	case 403: return "The request was refused by koffix's safety checks. Reload the page and try "
			 "again.";
	case 404: return "There is no page at this address.";
	case 405: return "This address does not accept that kind of request.";
	case 413: return "What was sent is larger than koffix accepts here.";
	default: return "Something went wrong inside koffix. The details are in its log.";
	}
}

int http_error(struct http_req *r, int status, const char *detail)
{
	if (is_api(r)) {
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "error", http_status_text(status));
		cJSON_AddStringToObject(e, "detail", detail ? detail : friendly(status));
		return http_json(r, status, e);
	}
	cJSON *ctx = cJSON_CreateObject();
	cJSON_AddNumberToObject(ctx, "status", status);
	/* A missing launch token is no error of the person's: most often koffix was restarted. */
	cJSON_AddStringToObject(ctx, "title", status == 401 ? "Open koffix again" :
				http_status_text(status));
	if (status == 401)
		cJSON_AddBoolToObject(ctx, "needs_link", 1);
	cJSON_AddStringToObject(ctx, "message", detail ? detail : friendly(status));
	char title[64];
	snprintf(title, sizeof title, "%s", status == 401 ? "Open koffix again" : "");
	if (status != 401)
		snprintf(title, sizeof title, "%d %s", status, http_status_text(status));
	http_page(r, status, "error", title, ctx);
	r->status = status;
	return status;
}

int http_redirect(struct http_req *r, int status, const char *location)
{
	http_add_header(r, "Location", location);
	return plain(r, status, "");
}

int http_stream(struct http_req *r, const char *ctype, http_reader fn, void *cls,
		void (*free_fn)(void *cls))
{
	r->reader = fn;
	r->reader_cls = cls;
	r->reader_free = free_fn;
	r->ctype = ctype;
	r->status = 200;
	return 200;
}

struct stream {
	http_reader fn;
	void *cls;
	void (*free_fn)(void *cls);
	struct http_server *srv;
	struct MHD_Connection *conn;
	struct stream *next;           /* in srv->suspended */
};

/* Nothing to send yet: the connection is suspended (no thread waits) until the next tick. */
static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)pos;
	struct stream *s = cls;
	long n = s->fn(s->cls, buf, max);
	if (n != 0)
		return n < 0 ? MHD_CONTENT_READER_END_OF_STREAM : (ssize_t)n;
	pthread_mutex_lock(&s->srv->lock);
	if (s->srv->stopping) {
		pthread_mutex_unlock(&s->srv->lock);
		return MHD_CONTENT_READER_END_OF_STREAM;
	}
	MHD_suspend_connection(s->conn);
	s->next = s->srv->suspended;
	s->srv->suspended = s;
	pthread_mutex_unlock(&s->srv->lock);
	return 0;
}

static void stream_free(void *cls)
{
	struct stream *s = cls;
	if (s->free_fn)
		s->free_fn(s->cls);
	free(s);
}

static enum MHD_Result queue(struct http_req *r)
{
	size_t len;
	char *body = buf_take(&r->out, &len);
	struct MHD_Response *resp;
	if (r->reader) {
		struct stream *s = xmalloc(sizeof *s);
		*s = (struct stream){ r->reader, r->reader_cls, r->reader_free, r->srv, r->conn,
				      NULL };
		resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read, s,
							 stream_free);
		free(body);
		len = 0;
	} else {
		resp = MHD_create_response_from_buffer_with_free_callback(len, body, free);
	}
	for (size_t i = 0; i < sizeof security_headers / sizeof security_headers[0]; i++)
		MHD_add_response_header(resp, security_headers[i][0], security_headers[i][1]);
	bool cache_set = false;
	for (int i = 0; i < r->nheaders; i++) {
		MHD_add_response_header(resp, r->hname[i], r->hvalue[i]);
		if (strcmp(r->hname[i], "Cache-Control") == 0)
			cache_set = true;
	}
	if (!cache_set)
		MHD_add_response_header(resp, "Cache-Control", "no-store");
	if (r->ctype)
		MHD_add_response_header(resp, "Content-Type", r->ctype);
	if (r->new_csrf_cookie) {
		char cookie[160];
		snprintf(cookie, sizeof cookie, "%s=%s; Path=/; HttpOnly; SameSite=Strict",
			 SEC_CSRF_COOKIE, r->csrf_cookie);
		MHD_add_response_header(resp, "Set-Cookie", cookie);
	}
	if (r->status == 0)
		r->status = 500;
	enum MHD_Result ret = MHD_queue_response(r->conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	r->queued = true;
	r->out.len = len; /* kept for the access log only */
	return ret;
}

/* Reads the cookies and the launch token, and makes sure the client has a CSRF cookie. */
static void identify(struct http_req *r)
{
	const char *cookie = http_header(r, "Cookie");
	if (cookie && form_parse_cookies(&r->cookies, cookie) != 0)
		form_release(&r->cookies);
	const char *tok = form_get(&r->cookies, SEC_TOKEN_COOKIE);
	r->authed = (tok && kx_str_equal_ct(tok, r->app->token)) ||
		    sec_bearer_ok(http_header(r, "Authorization"), r->app->token);
	const char *csrf = form_get(&r->cookies, SEC_CSRF_COOKIE);
	if (csrf && strlen(csrf) == 64) {
		snprintf(r->csrf_cookie, sizeof r->csrf_cookie, "%s", csrf);
	} else {
		kx_random_hex(r->csrf_cookie, 32);
		r->new_csrf_cookie = true;
	}
	sec_csrf_token(r->app->csrf_key, r->csrf_cookie, r->csrf);
}

/* The first look at a request: everything that can be refused before reading a body. */
static int precheck(struct http_req *r)
{
	struct app *app = r->app;
	if (!sec_host_ok(http_header(r, "Host"), app->bind_addr, app->port))
		return http_error(r, 403, "The Host header does not name this koffix server.");

	size_t idx;
	char allow[64];
	switch (router_match(http_routes, http_nroutes, sizeof http_routes[0], r->method, r->path,
			     &idx, &r->params, allow, sizeof allow)) {
	case ROUTER_NOT_FOUND:
		return http_error(r, 404, NULL);
	case ROUTER_BAD_METHOD:
		http_add_header(r, "Allow", allow);
		return http_error(r, 405, NULL);
	case ROUTER_FOUND:
		r->route = &http_routes[idx];
		break;
	}
	bool post = strcmp(r->method, "POST") == 0;
	if (post && !sec_origin_ok(http_header(r, "Origin"), app->bind_addr, app->port))
		return http_error(r, 403, "The request came from another web site.");
	if (post && kx_str_starts(http_header(r, "Sec-Fetch-Site") ? http_header(r, "Sec-Fetch-Site")
			       : "", "cross-site"))
		return http_error(r, 403, "The request came from another web site.");

	/* The tokenized launch link: remember the token in a cookie and drop it from the URL. */
	const char *qtok = http_query(r, "token");
	if (!post && qtok) {
		if (!kx_str_equal_ct(qtok, app->token))
			return http_error(r, 401, "The token in this link is not the one koffix "
						   "printed at its last start.");
		char cookie[160];
		snprintf(cookie, sizeof cookie, "%s=%s; Path=/; HttpOnly; SameSite=Strict",
			 SEC_TOKEN_COOKIE, app->token);
		http_add_header(r, "Set-Cookie", cookie);
		/* Keep the other arguments (a deep link into the wizard), drop only the token. */
		struct buf loc;
		buf_init(&loc, 8192);
		buf_adds(&loc, r->path);
		cJSON *args = http_query_all(r);
		const cJSON *a;
		char sep = '?';
		cJSON_ArrayForEach(a, args) {
			if (strcmp(a->string, "token") == 0)
				continue;
			buf_addch(&loc, sep);
			buf_adds_url(&loc, a->string);
			buf_addch(&loc, '=');
			buf_adds_url(&loc, a->valuestring);
			sep = '&';
		}
		cJSON_Delete(args);
		int st = http_redirect(r, 303, buf_cstr(&loc));
		buf_release(&loc);
		return st;
	}
	if ((r->route->flags & ROUTE_TOKEN) && !r->authed)
		return http_error(r, 401, NULL);

	const char *cl = http_header(r, "Content-Length");
	if (cl) {
		char *end;
		unsigned long long n = strtoull(cl, &end, 10);
		if (*end || n > r->route->body_max)
			return http_error(r, 413, NULL);
	}
	buf_init(&r->body, r->route->body_max);
	return 0;
}

/* After the body: the CSRF check, then the handler. */
static int dispatch(struct http_req *r)
{
	if (r->too_big)
		return http_error(r, 413, NULL);
	const char *ctype = http_header(r, "Content-Type");
	bool form = ctype && kx_str_starts(ctype, "application/x-www-form-urlencoded");
	if ((r->route->flags & ROUTE_FORM) && form &&
	    form_parse_urlencoded(&r->form, buf_cstr(&r->body), r->body.len) != 0)
		return http_error(r, 400, "The form data is malformed.");
	if (strcmp(r->method, "POST") == 0) {
		const char *tok = http_header(r, SEC_CSRF_HEADER);
		if (!tok)
			tok = form_get(&r->form, SEC_CSRF_FIELD);
		/* A file upload form (multipart) carries the token as one of its parts. */
		char mtok[65];
		if (!tok && ctype && kx_str_starts(ctype, "multipart/form-data") &&
		    multipart_field(ctype, r->body.data, r->body.len, SEC_CSRF_FIELD, mtok,
				    sizeof mtok) == 0)
			tok = mtok;
		const char *cookie = r->new_csrf_cookie ? NULL : r->csrf_cookie;
		if (!sec_csrf_ok(r->app->csrf_key, cookie, tok))
			return http_error(r, 403, "The form's safety token is missing or out of date. "
						   "Reload the page and try again.");
	}
	return r->route->fn(r);
}

/* ---- the connections: the header deadline ---- */

struct conn_entry {
	struct conn_entry *prev, *next;
	MHD_socket fd;
	double since;          /* when the connection opened or its last request ended */
	bool waiting;          /* for a request's headers */
	bool cut;
};

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct http_server *srv = cls;
	struct conn_entry *e = *socket_context;
	pthread_mutex_lock(&srv->lock);
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *fd = MHD_get_connection_info(
			conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		e = xcalloc(1, sizeof *e);
		e->fd = fd ? fd->connect_fd : MHD_INVALID_SOCKET;
		e->since = now_ms();
		e->waiting = true;
		e->next = srv->conns;
		if (srv->conns)
			srv->conns->prev = e;
		srv->conns = e;
		*socket_context = e;
	} else if (e) {
		/* libmicrohttpd says "closed" before it closes the socket, so the ticker (which
		 * takes the same lock) never shuts down a number that now names another socket. */
		if (e->prev)
			e->prev->next = e->next;
		else
			srv->conns = e->next;
		if (e->next)
			e->next->prev = e->prev;
		free(e);
		*socket_context = NULL;
	}
	pthread_mutex_unlock(&srv->lock);
}

/* Marks the connection of r as waiting for headers (again) or not. */
static void set_waiting(struct http_req *r, bool waiting)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		r->conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn_entry *e = ci ? ci->socket_context : NULL;
	if (!e)
		return;
	pthread_mutex_lock(&r->srv->lock);
	e->waiting = waiting;
	e->since = now_ms();
	pthread_mutex_unlock(&r->srv->lock);
}

/* Every tick: resume the suspended event streams; cut connections past the header deadline. */
static void *ticker(void *cls)
{
	struct http_server *srv = cls;
	pthread_mutex_lock(&srv->lock);
	while (!srv->stopping) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += HTTP_TICK_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&srv->wake, &srv->lock, &until);
		for (struct stream *s = srv->suspended, *next; s; s = next) {
			next = s->next;
			s->next = NULL;
			MHD_resume_connection(s->conn);
		}
		srv->suspended = NULL;
		double now = now_ms();
		for (struct conn_entry *e = srv->conns; e; e = e->next) {
			if (!e->waiting || e->cut || now - e->since < HTTP_HEADER_DEADLINE_MS ||
			    e->fd == MHD_INVALID_SOCKET)
				continue;
			/* shutdown, not close: the socket stays libmicrohttpd's to close. */
#ifdef _WIN32
			shutdown(e->fd, SD_BOTH);
#else
			shutdown(e->fd, SHUT_RDWR);
#endif
			e->cut = true;
			srv->cut++;
			log_kv(LOG_WARN, "connection cut: no request headers within the deadline", 0);
		}
	}
	/* Stopping: every suspended stream is resumed, and ends (stream_read sees stopping). */
	for (struct stream *s = srv->suspended; s; s = s->next)
		MHD_resume_connection(s->conn);
	srv->suspended = NULL;
	pthread_mutex_unlock(&srv->lock);
	return NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **req_cls)
{
	(void)version;
	struct http_req *r = *req_cls;
	if (!r) {
		struct http_server *srv = cls;
		r = xcalloc(1, sizeof *r);
		*req_cls = r;
		r->srv = srv;
		r->app = srv->app;
		r->conn = conn;
		set_waiting(r, false);
		r->method = method;
		r->path = url;
		r->start = now_ms();
		buf_init(&r->out, PAGE_MAX);
		buf_init(&r->body, 0);
		form_init(&r->form);
		form_init(&r->cookies);
		identify(r);
		if (precheck(r))
			return queue(r);
		return MHD_YES;
	}
	if (r->queued) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (!r->too_big && buf_add(&r->body, upload_data, *upload_data_size) != 0)
			r->too_big = true;
		if (r->too_big) {
			r->drained += *upload_data_size;
			if (r->drained > DRAIN_MAX)
				return MHD_NO;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	dispatch(r);
	return queue(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	struct http_req *r = *req_cls;
	if (!r)
		return;
	/* A kept-alive connection's next request has the same deadline for its headers. */
	set_waiting(r, true);
	char status[8], bytes[24], ms[24];
	snprintf(status, sizeof status, "%d", r->queued ? r->status : 0);
	snprintf(bytes, sizeof bytes, "%zu", r->out.len);
	snprintf(ms, sizeof ms, "%.2f", now_ms() - r->start);
	log_kv(toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? LOG_INFO : LOG_WARN, "request", 6,
	       "method", r->method, "path", r->path, "status", status, "bytes", bytes, "ms", ms,
	       "auth", r->authed ? "token" : "none");
	buf_release(&r->body);
	buf_release(&r->out);
	form_release(&r->form);
	form_release(&r->cookies);
	for (int i = 0; i < r->nheaders; i++) {
		free(r->hname[i]);
		free(r->hvalue[i]);
	}
	free(r);
	*req_cls = NULL;
}

/* Refuses peers that are not this machine when koffix listens on loopback. */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t len)
{
	const struct app *app = ((const struct http_server *)cls)->app;
	(void)len;
	if (strcmp(app->bind_addr, "127.0.0.1") != 0)
		return MHD_YES;
	if (addr->sa_family != AF_INET)
		return MHD_NO;
	const struct sockaddr_in *in = (const struct sockaddr_in *)addr;
	return (ntohl(in->sin_addr.s_addr) >> 24) == 127 ? MHD_YES : MHD_NO;
}

static void close_socket(MHD_socket fd)
{
#ifdef _WIN32
	closesocket(fd);
#else
	close(fd);
#endif
}

/*
 * The listening socket, bound before any of libmicrohttpd's threads exist, so that the port
 * (chosen by the system for port 0) is known and written once, before those threads read it.
 */
static MHD_socket listen_on(struct sockaddr_in *sa, unsigned *port)
{
	MHD_socket fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd == MHD_INVALID_SOCKET)
		return MHD_INVALID_SOCKET;
#ifndef _WIN32
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
#endif
	struct sockaddr_in got;
	socklen_t len = sizeof got;
	if (bind(fd, (struct sockaddr *)sa, sizeof *sa) != 0 || listen(fd, 128) != 0 ||
	    getsockname(fd, (struct sockaddr *)&got, &len) != 0) {
		close_socket(fd);
		return MHD_INVALID_SOCKET;
	}
	*port = ntohs(got.sin_port);
	return fd;
}

static void server_free(struct http_server *srv)
{
	pthread_cond_destroy(&srv->wake);
	pthread_mutex_destroy(&srv->lock);
	free(srv);
}

struct http_server *http_start(struct app *app, char *err, size_t errlen)
{
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)app->port);
	if (inet_pton(AF_INET, app->bind_addr, &sa.sin_addr) != 1) {
		snprintf(err, errlen, "cannot bind '%s': not an IPv4 address", app->bind_addr);
		return NULL;
	}
	unsigned port;
	MHD_socket fd = listen_on(&sa, &port);
	if (fd == MHD_INVALID_SOCKET) {
		snprintf(err, errlen, "cannot listen on %s:%u (port in use?)", app->bind_addr,
			 app->port);
		return NULL;
	}
	app->port = port;
	struct http_server *srv = xcalloc(1, sizeof *srv);
	srv->app = app;
	pthread_mutex_init(&srv->lock, NULL);
	pthread_cond_init(&srv->wake, NULL);
	srv->d = MHD_start_daemon(
		MHD_USE_AUTO_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG,
		(uint16_t)port, on_accept, srv, on_request, srv,
		MHD_OPTION_LISTEN_SOCKET, fd,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)HTTP_THREADS,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_CONNECTIONS,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)HTTP_CONNECTIONS,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_IDLE_TIMEOUT_S,
		/* libmicrohttpd clears this pool for every request: headers fit in 32 KiB. */
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
		MHD_OPTION_END);
	if (!srv->d) {
		snprintf(err, errlen, "cannot serve on %s:%u", app->bind_addr, app->port);
		close_socket(fd);
		server_free(srv);
		return NULL;
	}
	if (pthread_create(&srv->ticker, NULL, ticker, srv) != 0) {
		snprintf(err, errlen, "cannot start the server's timer thread");
		MHD_stop_daemon(srv->d);
		server_free(srv);
		return NULL;
	}
	srv->ticker_running = true;
	return srv;
}

void http_stop(struct http_server *srv)
{
	if (!srv)
		return;
	/* New connections are refused first; then the ticker resumes every suspended stream
	 * (libmicrohttpd must not stop with one suspended) and ends. */
	MHD_socket fd = MHD_quiesce_daemon(srv->d);
	pthread_mutex_lock(&srv->lock);
	srv->stopping = true;
	pthread_cond_signal(&srv->wake);
	pthread_mutex_unlock(&srv->lock);
	if (srv->ticker_running)
		pthread_join(srv->ticker, NULL);
	MHD_stop_daemon(srv->d);
	/* A quiesced daemon hands its listening socket back to the caller to close. */
	if (fd != MHD_INVALID_SOCKET)
		close_socket(fd);
	server_free(srv);
}

unsigned long http_cut_connections(struct http_server *srv)
{
	pthread_mutex_lock(&srv->lock);
	unsigned long n = srv->cut;
	pthread_mutex_unlock(&srv->lock);
	return n;
}
