/* SPDX-License-Identifier: MIT */
/*
 * The route table and the handlers of the help pages. Each handler reads the request, asks the
 * modules, and returns the status of the response it built (http.h helpers).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "../kb/kb.h"
#include "../scan/scan.h"
#include "fleet_page.h"
#include "../app/app.h"
#include "handlers.h"
#include "http.h"
#include "pagecache.h"
#include "pages.h"

#define FORM_BODY_MAX (16u << 10)
#define JSON_BODY_MAX (1u << 20)
#define DLL_BODY_MAX (32u << 20)
/* A scan from another PC, with room for the form around it. */
#define SCAN_BODY_MAX (SCAN_FILE_MAX + (64u << 10))
#define SEARCH_PAGE 20
#define QUERY_MAX 200

static const char *query_or_empty(struct http_req *r, const char *name)
{
	const char *v = http_query(r, name);
	return v ? v : "";
}

/*
 * A help page kept rendered per KB generation (server/pagecache.h): key names the page and
 * what it was asked with; build makes its context on a miss. The request's CSRF token fills
 * the holes the page was rendered with.
 */
static int cached_page(struct http_req *r, const char *key, const char *name, const char *title,
		       cJSON *(*build)(struct http_req *r))
{
	char full[600], etag[8];
	snprintf(full, sizeof full, "%s|%s|%d", name, key, r->authed);
	unsigned long long gen = kb_generation(r->app->kb);
	buf_reset(&r->out);
	if (!page_cache_get(r->app->pages, full, gen, r->csrf, &r->out, etag, sizeof etag)) {
		int st = http_page_csrf(r, 200, name, title, build(r), PAGE_CACHE_HOLE);
		if (st != 200)
			return st;
		char *page = buf_take(&r->out, NULL);
		page_cache_put(r->app->pages, full, gen, page, "");
		buf_init(&r->out, PAGE_MAX);
		page_cache_fill(page, r->csrf, &r->out);
		free(page);
	}
	r->status = 200;
	r->ctype = "text/html; charset=utf-8";
	return 200;
}

static cJSON *home_context(struct http_req *r)
{
	cJSON *ctx = page_home(r->app->kb, r->app->symptoms);
	cJSON_AddBoolToObject(ctx, "nav_home", 1);
	cJSON_AddBoolToObject(ctx, "can_scan", app_can_scan(r->app));
	return ctx;
}

static int home(struct http_req *r)
{
	/* ?q= fills the search box: such a page is made for the request, not kept. */
	if (http_query(r, "q"))
		return http_page(r, 200, "home", "Help", home_context(r));
	return cached_page(r, "", "home", "Help", home_context);
}

static cJSON *list_context(struct http_req *r)
{
	cJSON *ctx = page_list(r->app->kb, http_query(r, "tag"), http_query(r, "after"),
			       http_query(r, "before"));
	cJSON_AddBoolToObject(ctx, "nav_articles", 1);
	return ctx;
}

/* The article list: a page of 50 in title order (?after=SLUG, ?before=SLUG), of one tag
 * (?tag=T). Unknown cursors give the first page; malformed arguments are 400. */
static int article_list(struct http_req *r)
{
	const char *tag = http_query(r, "tag"), *after = http_query(r, "after");
	const char *before = http_query(r, "before");
	if ((tag && (!*tag || strlen(tag) > 100)) || (after && !kx_is_slug(after)) ||
	    (before && !kx_is_slug(before)) || (after && before))
		return http_error(r, 400, "The list takes tag, and after or before (an article's "
				  "name in its address).");
	char title[160], key[400];
	snprintf(title, sizeof title, tag ? "Articles tagged %.100s" : "All articles", tag);
	snprintf(key, sizeof key, "%s|%s|%s", tag ? tag : "", after ? after : "",
		 before ? before : "");
	return cached_page(r, key, "kb_list", title, list_context);
}

/* The ETag covers what varies in an article page: the text and the votes (base), the
 * client's token and whether it came with the launch token. */
static void article_etag(struct http_req *r, const char *base, char *out, size_t len)
{
	snprintf(out, len, "\"%.40s-%.8s-%d\"", base, r->csrf, r->authed);
}

/* Headers and status of an article page whose body is in r->out; 304 when the client has it. */
static int article_answer(struct http_req *r, const char *base)
{
	char etag[128];
	article_etag(r, base, etag, sizeof etag);
	http_add_header(r, "ETag", etag);
	http_add_header(r, "Cache-Control", "no-cache");
	const char *inm = http_header(r, "If-None-Match");
	if (inm && strcmp(inm, etag) == 0) {
		buf_reset(&r->out);
		r->status = 304;
		r->ctype = NULL;
		return 304;
	}
	r->status = 200;
	r->ctype = "text/html; charset=utf-8";
	return 200;
}

/*
 * An article page. Rendered once per KB generation and kept (server/pagecache.h) with a hole
 * where the vote form's CSRF token goes; later requests copy it and fill their token in.
 */
static int article(struct http_req *r)
{
	const char *slug = router_param(&r->params, "slug");
	if (!kx_is_slug(slug))
		return http_error(r, 404, "There is no help article at this address.");
	/* "KB articles viewed" of the support ticket, when a wizard session is open. */
	web_ticket_note_view(r, slug);
	const char *voted = http_query(r, "voted");
	bool thanks = voted && (strcmp(voted, "yes") == 0 || strcmp(voted, "no") == 0);
	char key[160], base[64];
	snprintf(key, sizeof key, "%s|%d", slug, r->authed);
	/* The generation is read first: a change during the render makes this entry stale. */
	unsigned long long gen = kb_generation(r->app->kb);
	buf_reset(&r->out);
	if (!thanks && page_cache_get(r->app->pages, key, gen, r->csrf, &r->out, base,
				      sizeof base))
		return article_answer(r, base);
	cJSON *a = kb_get(r->app->kb, slug);
	if (!a)
		return http_error(r, 404, "There is no help article at this address.");
	snprintf(base, sizeof base, "%.16s-%d-%d",
		 cJSON_GetObjectItemCaseSensitive(a, "etag")->valuestring,
		 (int)cJSON_GetObjectItemCaseSensitive(a, "yes")->valuedouble,
		 (int)cJSON_GetObjectItemCaseSensitive(a, "no")->valuedouble);
	char title[512];
	snprintf(title, sizeof title, "%s", cJSON_GetObjectItemCaseSensitive(a, "title")->valuestring);
	cJSON *ctx = page_article(r->app->kb, a);
	if (thanks) {
		cJSON_AddStringToObject(ctx, "voted", voted);
		int st = http_page(r, 200, "article", title, ctx);
		return st == 200 ? article_answer(r, base) : st;
	}
	int st = http_page_csrf(r, 200, "article", title, ctx, PAGE_CACHE_HOLE);
	if (st != 200)
		return st;
	char *page = buf_take(&r->out, NULL);
	page_cache_put(r->app->pages, key, gen, page, base);
	/* This request's copy, its token filled in. */
	buf_init(&r->out, PAGE_MAX);
	page_cache_fill(page, r->csrf, &r->out);
	free(page);
	return article_answer(r, base);
}

static int search_page(struct http_req *r)
{
	const char *q = query_or_empty(r, "q");
	if (strlen(q) > QUERY_MAX)
		return http_error(r, 400, "The search text is too long (200 characters at most).");
	/* Pages of SEARCH_PAGE results: ?page=N, 1 to 50. */
	const char *pg = http_query(r, "page");
	long page = 1;
	if (pg) {
		char *end;
		page = strtol(pg, &end, 10);
		if (*end || end == pg || page < 1 || page > 50)
			return http_error(r, 400, "page is a whole number from 1 to 50.");
	}
	const char *mode;
	bool more;
	cJSON *results = kb_search_page(r->app->kb, q, SEARCH_PAGE, (int)(page - 1) * SEARCH_PAGE,
					&mode, &more);
	if (!results)
		return http_error(r, 500, NULL);
	cJSON *ctx = cJSON_CreateObject();
	int count = cJSON_GetArraySize(results);
	cJSON_AddItemToObject(ctx, "results", results);
	cJSON_AddNumberToObject(ctx, "count", count);
	cJSON_AddNumberToObject(ctx, "first", (double)(page - 1) * SEARCH_PAGE + 1);
	cJSON_AddNumberToObject(ctx, "last", (double)(page - 1) * SEARCH_PAGE + count);
	cJSON_AddBoolToObject(ctx, "has_results", count > 0);
	cJSON_AddBoolToObject(ctx, "some_words", !strcmp(mode, "any"));
	cJSON_AddBoolToObject(ctx, "word_starts", !strcmp(mode, "prefix"));
	if (page > 1)
		cJSON_AddNumberToObject(ctx, "prev_page", (double)page - 1);
	if (more && page < 50)
		cJSON_AddNumberToObject(ctx, "next_page", (double)page + 1);
	if (!count)
		cJSON_AddItemToObject(ctx, "suggestions",
				      page_symptom_groups(r->app->kb, r->app->symptoms));
	return http_page(r, 200, "search", *q ? "Search results" : "Search", ctx);
}

static int api_search(struct http_req *r)
{
	const char *q = query_or_empty(r, "q");
	const char *lim = http_query(r, "limit"), *off = http_query(r, "offset");
	long limit = 10, offset = 0;
	if (strlen(q) > QUERY_MAX)
		return http_error(r, 400, "q is too long (200 characters at most)");
	if (lim) {
		char *end;
		limit = strtol(lim, &end, 10);
		if (*end || end == lim || limit < 1 || limit > 100)
			return http_error(r, 400, "limit must be a whole number from 1 to 100");
	}
	if (off) {
		char *end;
		offset = strtol(off, &end, 10);
		if (*end || end == off || offset < 0 || offset > 1000)
			return http_error(r, 400, "offset must be a whole number from 0 to 1000");
	}
	const char *mode;
	bool more;
	cJSON *results = kb_search_page(r->app->kb, q, (int)limit, (int)offset, &mode, &more);
	if (!results)
		return http_error(r, 500, "search failed");
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "query", q);
	cJSON_AddItemToObject(o, "results", results);
	cJSON_AddNumberToObject(o, "offset", (double)offset);
	cJSON_AddBoolToObject(o, "more", more);
	cJSON_AddStringToObject(o, "match", mode);
	return http_json(r, 200, o);
}

static int api_article(struct http_req *r)
{
	const char *slug = router_param(&r->params, "slug");
	cJSON *a = kx_is_slug(slug) ? kb_get(r->app->kb, slug) : NULL;
	if (!a)
		return http_error(r, 404, "no article with this slug");
	cJSON_DeleteItemFromObjectCaseSensitive(a, "etag");
	return http_json(r, 200, a);
}

static int feedback(struct http_req *r)
{
	const char *slug = router_param(&r->params, "slug");
	const char *helpful = form_get(&r->form, "helpful");
	const char *comment = form_get(&r->form, "comment");
	if (!kx_is_slug(slug))
		return http_error(r, 404, NULL);
	if (!helpful || (strcmp(helpful, "yes") && strcmp(helpful, "no")))
		return http_error(r, 400, "helpful must be yes or no");
	int yes = 0, no = 0;
	bool kept;
	/* One vote per browser: the CSRF cookie identifies it without identifying the person.
	 * The bounds on votes and comments are kb_vote's (kb/kb.h). */
	int rc = kb_vote(r->app->kb, slug, r->csrf_cookie, strcmp(helpful, "yes") == 0, comment,
			 &kept, &yes, &no);
	if (rc == KX_ENOTFOUND)
		return http_error(r, 404, "There is no help article at this address.");
	if (rc == KX_EINVAL)
		return http_error(r, 400, "comment is too long (1000 characters at most)");
	if (rc == KX_ETOOBIG)
		return http_error(r, 429, "This article has had as many votes as koffix keeps; "
				  "thank you all the same.");
	if (rc)
		return http_error(r, 500, NULL);
	const char *accept = http_header(r, "Accept");
	if (accept && strstr(accept, "application/json")) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddBoolToObject(o, "ok", 1);
		cJSON_AddNumberToObject(o, "yes", yes);
		cJSON_AddNumberToObject(o, "no", no);
		cJSON_AddBoolToObject(o, "comment_kept", kept);
		return http_json(r, 200, o);
	}
	char loc[512];
	snprintf(loc, sizeof loc, "/kb/%s?voted=%s#feedback", slug, helpful);
	return http_redirect(r, 303, loc);
}

static int api_csrf(struct http_req *r)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "token", r->csrf);
	return http_json(r, 200, o);
}

static int static_named(struct http_req *r, const char *name);

static int static_file(struct http_req *r)
{
	return static_named(r, router_param(&r->params, "name"));
}

static int static_named(struct http_req *r, const char *name)
{
	for (size_t i = 0; i < r->app->nstatic; i++) {
		const struct static_file *f = &r->app->statics[i];
		if (strcmp(f->name, name) != 0)
			continue;
		http_add_header(r, "ETag", f->etag);
		http_add_header(r, "Cache-Control", "no-cache");
		const char *inm = http_header(r, "If-None-Match");
		if (inm && strcmp(inm, f->etag) == 0) {
			r->status = 304;
			return 304;
		}
		buf_reset(&r->out);
		buf_add(&r->out, f->data, f->len);
		r->ctype = f->ctype;
		r->status = 200;
		return 200;
	}
	return http_error(r, 404, NULL);
}

/* Browsers ask for /favicon.ico on their own: the SVG icon every page also names. */
static int favicon(struct http_req *r)
{
	return static_named(r, "favicon.svg");
}

const struct route http_routes[] = {
	{ { "GET", "/" }, home, 0, 0, "help page" },
	{ { "GET", "/kb" }, article_list, 0, 0, "all articles" },
	{ { "GET", "/kb/{slug}" }, article, 0, 0, "one article" },
	{ { "POST", "/kb/{slug}/feedback" }, feedback, ROUTE_FORM, FORM_BODY_MAX,
	  "\"was this helpful?\" vote" },
	{ { "GET", "/search" }, search_page, 0, 0, "search results" },
	{ { "GET", "/static/{name}" }, static_file, 0, 0, "style sheets and scripts" },
	{ { "GET", "/favicon.ico" }, favicon, 0, 0, "the icon (the SVG of /static/favicon.svg)" },
	{ { "GET", "/wizard" }, web_wizard_start_page, ROUTE_TOKEN, 0, "wizard start (deep links)" },
	{ { "POST", "/wizard" }, web_wizard_create_page, ROUTE_TOKEN | ROUTE_FORM, FORM_BODY_MAX,
	  "start a wizard session" },
	{ { "GET", "/wizard/{id}" }, web_wizard_step_page, ROUTE_TOKEN, 0, "wizard step" },
	{ { "GET", "/support" }, web_support_page, ROUTE_TOKEN, 0,
	  "contact support (the last session's ticket, or a start)" },
	{ { "POST", "/support" }, web_support_create, ROUTE_TOKEN | ROUTE_FORM, FORM_BODY_MAX,
	  "a ticket without the wizard's questions" },
	{ { "POST", "/wizard/{id}/answer" }, web_wizard_answer_page, ROUTE_TOKEN | ROUTE_FORM,
	  FORM_BODY_MAX, "answer (form)" },
	{ { "POST", "/wizard/{id}/back" }, web_wizard_back_page, ROUTE_TOKEN | ROUTE_FORM,
	  FORM_BODY_MAX, "go back (form)" },
	{ { "POST", "/api/wizard" }, web_api_wizard_create, ROUTE_TOKEN | ROUTE_API, SCAN_BODY_MAX,
	  "new wizard session (answers; scan: a koffix scan, or false; else a fresh scan)" },
	{ { "GET", "/api/wizard/{id}" }, web_api_wizard_get, ROUTE_TOKEN | ROUTE_API, 0,
	  "wizard step state" },
	{ { "POST", "/api/wizard/{id}/answer" }, web_api_wizard_answer, ROUTE_TOKEN | ROUTE_API,
	  JSON_BODY_MAX, "answer the current question" },
	{ { "POST", "/api/wizard/{id}/back" }, web_api_wizard_back, ROUTE_TOKEN | ROUTE_API,
	  JSON_BODY_MAX, "go back" },
	{ { "GET", "/actions" }, web_actions_page, ROUTE_TOKEN, 0, "repair catalogue" },
	{ { "GET", "/actions/{id}" }, web_action_page, ROUTE_TOKEN, 0, "review a repair's plan" },
	{ { "GET", "/actions/{id}/script.cmd" }, web_action_script, ROUTE_TOKEN, 0,
	  "a repair as a .cmd script for the affected PC" },
	{ { "POST", "/actions/{id}/run" }, web_action_run_page, ROUTE_TOKEN | ROUTE_FORM, FORM_BODY_MAX,
	  "run a repair (confirmation required)" },
	{ { "GET", "/runs/{run}" }, web_run_page, ROUTE_TOKEN, 0, "a repair's progress and result" },
	{ { "POST", "/runs/{run}/fixed" }, web_run_fixed_page, ROUTE_TOKEN | ROUTE_FORM, FORM_BODY_MAX,
	  "did the repair fix it? (answer yes|no; noted in the session for the ticket)" },
	{ { "POST", "/runs/{run}/undo" }, web_run_undo_page, ROUTE_TOKEN | ROUTE_FORM, FORM_BODY_MAX,
	  "undo a repair" },
	{ { "GET", "/api/actions" }, web_api_actions_list, ROUTE_TOKEN | ROUTE_API, 0, "repair catalogue" },
	{ { "POST", "/api/actions/{id}/plan" }, web_api_action_plan, ROUTE_TOKEN | ROUTE_API,
	  JSON_BODY_MAX, "a repair's plan" },
	{ { "POST", "/api/actions/{id}/run" }, web_api_action_run, ROUTE_TOKEN | ROUTE_API, JSON_BODY_MAX,
	  "run a repair: 202 {run}" },
	{ { "GET", "/api/runs/{run}" }, web_api_run_get, ROUTE_TOKEN | ROUTE_API, 0, "a run's state" },
	{ { "GET", "/api/runs/{run}/events" }, web_api_run_events, ROUTE_TOKEN | ROUTE_API, 0,
	  "a run's steps as Server-Sent Events" },
	{ { "POST", "/api/runs/{run}/undo" }, web_api_run_undo, ROUTE_TOKEN | ROUTE_API, JSON_BODY_MAX,
	  "undo a run: 202 {run}" },
	{ { "GET", "/wizard/{id}/ticket" }, web_ticket_page, ROUTE_TOKEN, 0,
	  "contact support: ticket preview and downloads" },
	{ { "GET", "/api/tickets/{id}" }, web_api_ticket, ROUTE_TOKEN | ROUTE_API, 0,
	  "support ticket (format=json|eml|html|osticket|zammad, redact=1, name, email)" },
	{ { "GET", "/dll-check" }, web_dll_check_page, ROUTE_TOKEN, 0, "DLL check: upload form" },
	{ { "POST", "/dll-check" }, web_dll_check_form, ROUTE_TOKEN, DLL_BODY_MAX,
	  "DLL check: result page (multipart upload)" },
	{ { "POST", "/api/dll-check" }, web_api_dll_check, ROUTE_TOKEN | ROUTE_API, DLL_BODY_MAX,
	  "DLL check: verdict JSON (multipart: file, windows_path, session)" },
	{ { "GET", "/scan" }, web_scan_page, ROUTE_TOKEN, 0, "check this PC, or open a scan file" },
	{ { "POST", "/scan" }, web_scan_run_page, ROUTE_TOKEN | ROUTE_FORM, FORM_BODY_MAX,
	  "read this PC (read only) and show the findings" },
	{ { "POST", "/scan/open" }, web_scan_open_page, ROUTE_TOKEN, SCAN_BODY_MAX,
	  "open a scan saved on another PC (multipart: file)" },
	{ { "GET", "/scans/{id}" }, web_scan_show_page, ROUTE_TOKEN, 0, "a scan's findings and sources" },
	{ { "POST", "/api/scan" }, web_api_scan_run, ROUTE_TOKEN | ROUTE_API, JSON_BODY_MAX,
	  "scan this PC: 201 {id, scan}" },
	{ { "GET", "/api/scans/{id}" }, web_api_scan_get, ROUTE_TOKEN | ROUTE_API, 0, "a kept scan" },
	{ { "GET", "/readiness" }, web_readiness_page, ROUTE_TOKEN, 0,
	  "one PC before an upgrade (scan, office, windows, server)" },
	{ { "GET", "/fleet" }, web_fleet_page, ROUTE_TOKEN, 0,
	  "the fleet's readiness (office, windows, server, sort, ready, finding, page)" },
	{ { "GET", "/fleet.csv" }, web_fleet_csv, ROUTE_TOKEN, 0, "the fleet's computers as CSV" },
	{ { "GET", "/about" }, web_about_page, ROUTE_TOKEN, 0,
	  "about this PC: koffix, its folders, the administrator's policy" },
	{ { "GET", "/api/search" }, api_search, ROUTE_API, 0, "search as JSON" },
	{ { "GET", "/api/kb/{slug}" }, api_article, ROUTE_API, 0, "article as JSON" },
	{ { "GET", "/api/csrf" }, api_csrf, ROUTE_API, 0, "CSRF token for scripts" },
};

const size_t http_nroutes = sizeof http_routes / sizeof http_routes[0];

