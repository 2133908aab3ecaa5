/* SPDX-License-Identifier: MIT */
/*
 * The scan in the web app: GET /scan (check this PC, or open a scan file), POST /scan (read this
 * PC through the agent), POST /scan/open (a scan file saved on another PC, multipart "file"),
 * GET /scans/{id} (the findings by severity with their evidence, articles and repairs), and the
 * JSON routes POST /api/scan and GET /api/scans/{id}. Every scan is kept in the scans table;
 * "Continue in the wizard" posts its id to POST /wizard.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/json.h"
#include "../common/log.h"
#include "../common/util.h"
#include "../kb/kb.h"
#include "../scan/scan.h"
#include "../app/app.h"
#include "handlers.h"
#include "http.h"
#include "multipart.h"

/* Appends s percent-encoded for a query string (RFC 3986 unreserved characters kept). */
static void query_add(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')
		    || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
			buf_addch(b, (char)*p);
		} else {
			buf_addch(b, '%');
			buf_addch(b, hex[*p >> 4]);
			buf_addch(b, hex[*p & 15]);
		}
	}
}

/* A finding's repairs as links to their review pages, parameters in the query. */
static cJSON *action_links(struct app *app, const cJSON *actions)
{
	cJSON *out = cJSON_CreateArray();
	const cJSON *a, *p;
	cJSON_ArrayForEach(a, actions) {
		const char *id = kx_json_str(a, "id");
		const cJSON *cat = id ? app_action(app, id) : NULL;
		if (!cat)
			continue;
		struct buf q;
		buf_init(&q, BUF_NOMAX);
		cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(a, "params")) {
			if (!cJSON_IsString(p) || !*p->valuestring)
				continue;
			buf_addch(&q, q.len ? '&' : '?');
			query_add(&q, p->string);
			buf_addch(&q, '=');
			query_add(&q, p->valuestring);
		}
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "id", id);
		cJSON_AddStringToObject(x, "title", kx_json_str(cat, "title") ? kx_json_str(cat, "title") : id);
		cJSON_AddStringToObject(x, "query", buf_cstr(&q));
		const char *page = kx_json_str(cat, "page");
		if (page && page[0] == '/')
			cJSON_AddStringToObject(x, "page", page);
		cJSON_AddItemToArray(out, x);
		buf_release(&q);
	}
	return out;
}

/* The scan.html context of a kept scan. */
static cJSON *scan_context(struct http_req *r, const char *id, const cJSON *scan)
{
	cJSON *ctx = cJSON_CreateObject();
	cJSON_AddBoolToObject(ctx, "nav_scan", 1);
	cJSON_AddBoolToObject(ctx, "can_scan", app_can_scan(r->app));
	cJSON *s = cJSON_AddObjectToObject(ctx, "scan");
	cJSON_AddStringToObject(s, "id", id);
	static const char *const keys[] = { "computer", "user", "time", "version" };
	for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
		cJSON_AddStringToObject(s, keys[k], kx_json_str(scan, keys[k]) ? kx_json_str(scan, keys[k]) : "");
	static const struct { const char *severity, *heading; } groups[] = {
		{ "problem", "Problems" }, { "warning", "Warnings" },
		{ "info", "For your information" },
	};
	cJSON *list = cJSON_AddArrayToObject(s, "groups");
	int problems = 0, total = 0;
	for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
		cJSON *found = cJSON_CreateArray();
		const cJSON *f, *e;
		cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(scan, "findings")) {
			if (!kx_json_str(f, "severity") || strcmp(kx_json_str(f, "severity"), groups[g].severity))
				continue;
			cJSON *x = cJSON_CreateObject();
			cJSON_AddStringToObject(x, "id", kx_json_str(f, "id") ? kx_json_str(f, "id") : "");
			cJSON_AddStringToObject(x, "title", kx_json_str(f, "title") ? kx_json_str(f, "title") : "");
			cJSON *ev = cJSON_AddArrayToObject(x, "evidence");
			cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(f, "evidence")) {
				cJSON *y = cJSON_CreateObject();
				cJSON_AddStringToObject(y, "source", kx_json_str(e, "source") ? kx_json_str(e, "source")
							: "");
				cJSON_AddStringToObject(y, "detail", kx_json_str(e, "detail") ? kx_json_str(e, "detail")
							: "");
				cJSON_AddItemToArray(ev, y);
			}
			cJSON_AddItemToObject(x, "articles", kb_titles(r->app->kb,
				cJSON_GetObjectItemCaseSensitive(f, "articles")));
			cJSON_AddItemToObject(x, "actions", action_links(r->app,
				cJSON_GetObjectItemCaseSensitive(f, "actions")));
			cJSON_AddItemToArray(found, x);
			total++;
			problems += g == 0;
		}
		if (!cJSON_GetArraySize(found)) {
			cJSON_Delete(found);
			continue;
		}
		cJSON *grp = cJSON_CreateObject();
		cJSON_AddStringToObject(grp, "severity", groups[g].severity);
		cJSON_AddStringToObject(grp, "heading", groups[g].heading);
		cJSON_AddItemToObject(grp, "findings", found);
		cJSON_AddItemToArray(list, grp);
	}
	cJSON_AddNumberToObject(s, "problems", problems);
	cJSON_AddBoolToObject(s, "has_findings", total > 0);
	cJSON *sources = cJSON_AddArrayToObject(s, "sources");
	const cJSON *src;
	int missing = 0;
	cJSON_ArrayForEach(src, cJSON_GetObjectItemCaseSensitive(scan, "sources")) {
		bool avail = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(src, "available"));
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "name", kx_json_str(src, "name") ? kx_json_str(src, "name") : "");
		cJSON_AddBoolToObject(x, "available", avail);
		cJSON_AddStringToObject(x, "detail", kx_json_str(src, "detail") ? kx_json_str(src, "detail") : "");
		cJSON_AddItemToArray(sources, x);
		missing += !avail;
	}
	cJSON_AddNumberToObject(s, "unavailable", missing);
	return ctx;
}

static int scan_page_of(struct http_req *r, int status, const char *id, const cJSON *scan,
			const char *error)
{
	cJSON *ctx = scan ? scan_context(r, id, scan) : cJSON_CreateObject();
	if (!scan) {
		cJSON_AddBoolToObject(ctx, "nav_scan", 1);
		cJSON_AddBoolToObject(ctx, "can_scan", app_can_scan(r->app));
	}
	if (error)
		cJSON_AddStringToObject(ctx, "error", error);
	return http_page(r, status, "scan", scan ? "Scan of this PC" : "Check this PC", ctx);
}

int web_scan_page(struct http_req *r)
{
	return scan_page_of(r, 200, NULL, NULL, NULL);
}

/* Keeps scan (no session yet) and answers with a redirect to its page. */
static int keep_and_show(struct http_req *r, cJSON *scan)
{
	char id[33], loc[64];
	int rc = scan_store_add(r->app->scans, scan, NULL, id);
	if (rc) {
		int st = scan_page_of(r, 500, "", scan, "The scan could not be kept in koffix's "
				      "database; it is shown once here.");
		cJSON_Delete(scan);
		return st;
	}
	cJSON_Delete(scan);
	snprintf(loc, sizeof loc, "/scans/%s", id);
	return http_redirect(r, 303, loc);
}

int web_scan_run_page(struct http_req *r)
{
	cJSON *scan;
	char err[600];
	int rc = app_scan(r->app, NULL, &scan, err, sizeof err);
	if (rc == KX_ENOTFOUND)
		return scan_page_of(r, 409, NULL, NULL, "koffix cannot look at a PC from here: run "
				    "koffix on the affected PC, or open a scan file saved there.");
	if (rc)
		return scan_page_of(r, 502, NULL, NULL, err);
	return keep_and_show(r, scan);
}

int web_scan_open_page(struct http_req *r)
{
	struct multipart m;
	char why[400];
	if (multipart_parse(&m, http_header(r, "Content-Type"), r->body.data, r->body.len, why,
			    sizeof why) != 0)
		return scan_page_of(r, 400, NULL, NULL, why);
	const struct mp_part *file = multipart_get(&m, "file");
	if (!file || !file->len)
		return scan_page_of(r, 400, NULL, NULL, "Choose the scan file to open (a .json file "
				    "written by koffix scan --out).");
	cJSON *j = cJSON_ParseWithLength(file->data, file->len), *scan;
	int rc = j ? app_scan_open(r->app, j, &scan, why, sizeof why) : KX_EINVAL;
	cJSON_Delete(j);
	if (rc)
		return scan_page_of(r, 400, NULL, NULL, j ? why : "This file is not a koffix scan: it "
				    "is not JSON.");
	return keep_and_show(r, scan);
}

int web_scan_show_page(struct http_req *r)
{
	const char *id = router_param(&r->params, "id");
	cJSON *scan = scan_store_get(r->app->scans, id);
	if (!scan)
		return http_error(r, 404, "There is no scan at this address. Check this PC again or "
				  "open the scan file.");
	int st = scan_page_of(r, 200, id, scan, NULL);
	cJSON_Delete(scan);
	return st;
}

/* ---- JSON ---- */

int web_api_scan_run(struct http_req *r)
{
	cJSON *body;
	int st = http_body_json(r, &body);
	if (st)
		return st;
	const cJSON *options = cJSON_GetObjectItemCaseSensitive(body, "options");
	if (options && !cJSON_IsObject(options)) {
		cJSON_Delete(body);
		return http_error(r, 400, "options is an object: {\"days\", \"min_free_mb\"}");
	}
	/* The same bounds as the command line's. */
	const cJSON *days = cJSON_GetObjectItemCaseSensitive(options, "days");
	const cJSON *free_mb = cJSON_GetObjectItemCaseSensitive(options, "min_free_mb");
	if ((days && (!cJSON_IsNumber(days) || days->valuedouble < 1 || days->valuedouble > 365))
	    || (free_mb && (!cJSON_IsNumber(free_mb) || free_mb->valuedouble < 0 ||
			    free_mb->valuedouble > 100000000))) {
		cJSON_Delete(body);
		return http_error(r, 400, "days is 1 to 365; min_free_mb 0 to 100000000");
	}
	cJSON *scan;
	char err[600], id[33];
	int rc = app_scan(r->app, options, &scan, err, sizeof err);
	cJSON_Delete(body);
	if (rc)
		return http_error(r, rc == KX_ENOTFOUND ? 409 : 502, err);
	if (scan_store_add(r->app->scans, scan, NULL, id) != 0) {
		cJSON_Delete(scan);
		return http_error(r, 500, "the scan could not be kept");
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddItemToObject(o, "scan", scan);
	return http_json(r, 201, o);
}

int web_api_scan_get(struct http_req *r)
{
	cJSON *scan = scan_store_get(r->app->scans, router_param(&r->params, "id"));
	if (!scan)
		return http_error(r, 404, "no such scan");
	return http_json(r, 200, scan);
}
