/* SPDX-License-Identifier: MIT */
/*
 * The fleet report and readiness in the web app (fleet_page.h). Everything is read with GET
 * and query parameters: nothing here changes anything (imports are the command line's).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/json.h"
#include "../common/util.h"
#include "../common/policy.h"
#include "../common/version.h"
#include "../repair-actions/ra.h"
#include "../fleet/fleet.h"
#include "../scan/scan.h"
#include "../templates/tpl.h"
#include "../app/app.h"
#include "fleet_page.h"
#include "http.h"
#include "router.h"

#define PCS_PER_PAGE 200
#define CHART_BARS 12         /* the rest is summed into "other" */

static const struct { const char *value, *label; } office_targets[] = {
	{ "", "No change" }, { "2016", "Office 2016" }, { "2019", "Office 2019" },
	{ "2021", "Office 2021" }, { "2024", "Office 2024" }, { "365", "Microsoft 365 Apps" },
	{ "365-x64", "Microsoft 365 Apps, 64-bit" }, { "365-x86", "Microsoft 365 Apps, 32-bit" },
	{ "2024-x64", "Office 2024, 64-bit" }, { "new", "The new Outlook" },
};
static const struct { const char *value, *label; } windows_targets[] = {
	{ "", "No change" }, { "10", "Windows 10" }, { "11", "Windows 11" },
	{ "server", "Windows Server" },
};
static const struct { const char *value, *label; } ready_labels[] = {
	{ "ready", "Ready" }, { "not_ready", "Not ready" }, { "unknown", "Cannot tell" },
};

static const char *ready_label(const char *v)
{
	for (size_t i = 0; i < sizeof ready_labels / sizeof ready_labels[0]; i++)
		if (!strcmp(ready_labels[i].value, v))
			return ready_labels[i].label;
	return v;
}

static void query_add_always(struct buf *b, const char *name, const char *value);

static void query_add(struct buf *b, const char *name, const char *value)
{
	if (value && *value)
		query_add_always(b, name, value);
}

/* name=value even when value is empty ("server=": none, not the policy's). */
static void query_add_always(struct buf *b, const char *name, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	if (!value)
		value = "";
	buf_addf(b, "%s%s=", b->len ? "&" : "?", name);
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '_' || *p == '.' || *p == '~') {
			buf_addch(b, (char)*p);
		} else {
			buf_addch(b, '%');
			buf_addch(b, hex[*p >> 4]);
			buf_addch(b, hex[*p & 15]);
		}
	}
}

/* The request's choices, checked: the targets, and the table's sort, filters and page. */
struct view {
	const char *office, *windows, *server, *sort, *ready, *finding;
	bool server_given;   /* server= was in the request, even empty: not the policy's */
	long page;
	struct fleet_targets t;
	char err[300];
};

static void office_string(const struct fleet_targets *t, char *out, size_t len)
{
	snprintf(out, len, "%s%s%s", t->office, *t->office_bits ? "-" : "", t->office_bits);
}

/* A link to the same report with one choice changed (NULL name: none). */
static void href(const struct view *v, const char *name, const char *value, struct buf *b)
{
	buf_reset(b);
	char office[32];
	office_string(&v->t, office, sizeof office);
	const struct { const char *name, *value; } q[] = {
		{ "office", office }, { "windows", v->t.windows }, { "server", v->t.server },
		{ "sort", v->sort }, { "ready", v->ready }, { "finding", v->finding },
	};
	for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
		const char *val = name && !strcmp(name, q[i].name) ? value : q[i].value;
		if (!strcmp(q[i].name, "server") && v->server_given)
			query_add_always(b, q[i].name, val);
		else
			query_add(b, q[i].name, val);
	}
	if (name && !strcmp(name, "page"))
		query_add(b, "page", value);
}

/* One chart: horizontal bars, drawn by the server as SVG (no script), with the numbers as a
 * table beside it for screen readers and print. */
static cJSON *chart(const char *id, const char *title, const cJSON *counts, const struct view *v,
		    const char *filter)
{
	cJSON *c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "id", id);
	cJSON_AddStringToObject(c, "title", title);
	cJSON *rows = cJSON_AddArrayToObject(c, "rows");
	double max = 1, other = 0;
	int n = 0;
	const cJSON *x;
	cJSON_ArrayForEach(x, counts) {
		double k = cJSON_GetObjectItemCaseSensitive(x, "count")->valuedouble;
		if (k > max)
			max = k;
	}
	struct buf link;
	buf_init(&link, BUF_NOMAX);
	cJSON_ArrayForEach(x, counts) {
		double k = cJSON_GetObjectItemCaseSensitive(x, "count")->valuedouble;
		if (n >= CHART_BARS) {
			other += k;
			continue;
		}
		cJSON *r = cJSON_CreateObject();
		const char *label = kx_json_str_or(x, "title", kx_json_str_or(x, "value", ""));
		cJSON_AddStringToObject(r, "label", label);
		cJSON_AddStringToObject(r, "value", kx_json_str_or(x, "value", ""));
		cJSON_AddNumberToObject(r, "count", k);
		cJSON_AddNumberToObject(r, "y", n * 28);
		cJSON_AddNumberToObject(r, "ty", n * 28 + 16);
		cJSON_AddNumberToObject(r, "width", (int)(k / max * 300 + 0.5) + 1);
		cJSON_AddNumberToObject(r, "tx", (int)(k / max * 300 + 0.5) + 6);
		if (filter) {
			href(v, filter, kx_json_str(x, "value"), &link);
			cJSON_AddStringToObject(r, "href", buf_cstr(&link));
		}
		cJSON_AddItemToArray(rows, r);
		n++;
	}
	buf_release(&link);
	if (other > 0) {
		cJSON *r = cJSON_CreateObject();
		cJSON_AddStringToObject(r, "label", "all others");
		cJSON_AddNumberToObject(r, "count", other);
		cJSON_AddNumberToObject(r, "y", n * 28);
		cJSON_AddNumberToObject(r, "ty", n * 28 + 16);
		cJSON_AddNumberToObject(r, "width", (int)(other / max * 300 + 0.5) + 1);
		cJSON_AddNumberToObject(r, "tx", (int)(other / max * 300 + 0.5) + 6);
		cJSON_AddItemToArray(rows, r);
		n++;
	}
	cJSON_AddNumberToObject(c, "height", n ? n * 28 : 28);
	return c;
}

static cJSON *counts_of_ready(const cJSON *rep)
{
	const cJSON *ready = cJSON_GetObjectItemCaseSensitive(rep, "ready");
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < sizeof ready_labels / sizeof ready_labels[0]; i++) {
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "value", ready_labels[i].value);
		cJSON_AddStringToObject(x, "title", ready_labels[i].label);
		cJSON_AddNumberToObject(x, "count", kx_json_num_or(ready, ready_labels[i].value, 0));
		cJSON_AddItemToArray(a, x);
	}
	return a;
}

/* The template's fleet: counts, charts, the PCs of this page; links when interactive. */
static cJSON *fleet_context(const cJSON *rep, const struct view *v, bool interactive)
{
	cJSON *f = cJSON_CreateObject();
	int computers = (int)kx_json_num_or(rep, "computers", 0);
	cJSON_AddNumberToObject(f, "computers", computers);
	cJSON_AddBoolToObject(f, "empty", computers == 0);
	cJSON_AddBoolToObject(f, "interactive", interactive);
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(rep, "targets");
	char targets[200];
	const char *o = kx_json_str_or(t, "office", ""), *ob = kx_json_str_or(t, "office_bits", "");
	const char *w = kx_json_str_or(t, "windows", ""), *s = kx_json_str_or(t, "server", "");
	snprintf(targets, sizeof targets, "%s%s%s%s%s%s%s%s%s%s",
		 *o ? (strcmp(o, "new") ? "Office " : "") : "", *o ? (strcmp(o, "new") ? o :
		 "the new Outlook") : "", *ob ? " " : "", ob, *o && (*w || *s) ? ", " : "",
		 *w ? "Windows " : "", w, *w && *s ? ", " : "", *s ? "Kerio Connect " : "", s);
	cJSON_AddStringToObject(f, "targets", *targets ? targets : "no change (no target chosen)");
	cJSON *ready = counts_of_ready(rep);
	cJSON *charts = cJSON_AddArrayToObject(f, "charts");
	cJSON_AddItemToArray(charts, chart("ready", "Readiness", ready, v, interactive ? "ready" : NULL));
	cJSON_AddItemToArray(charts, chart("connector", "Connector version",
		cJSON_GetObjectItemCaseSensitive(rep, "by_connector"), v, NULL));
	cJSON_AddItemToArray(charts, chart("office", "Office and its bitness",
		cJSON_GetObjectItemCaseSensitive(rep, "by_office"), v, NULL));
	cJSON_AddItemToArray(charts, chart("windows", "Windows",
		cJSON_GetObjectItemCaseSensitive(rep, "by_windows"), v, NULL));
	cJSON_AddItemToArray(charts, chart("finding", "Findings of the scans",
		cJSON_GetObjectItemCaseSensitive(rep, "by_finding"), v, interactive ? "finding" : NULL));
	const cJSON *x;
	cJSON_ArrayForEach(x, ready)
		cJSON_AddNumberToObject(f, kx_json_str(x, "value"), kx_json_num_or(x, "count", 0));
	cJSON_Delete(ready);

	/* The table's page. */
	const cJSON *pcs = cJSON_GetObjectItemCaseSensitive(rep, "pcs");
	int shown = cJSON_GetArraySize(pcs);
	long pages = shown ? (shown + PCS_PER_PAGE - 1) / PCS_PER_PAGE : 1;
	long page = interactive ? (v->page < 1 ? 1 : v->page > pages ? pages : v->page) : 1;
	int first = interactive ? (int)((page - 1) * PCS_PER_PAGE) : 0;
	int last = interactive ? first + PCS_PER_PAGE : shown;
	cJSON_AddNumberToObject(f, "shown", shown);
	cJSON_AddBoolToObject(f, "filtered", (v->ready && *v->ready) || (v->finding && *v->finding));
	cJSON *rows = cJSON_AddArrayToObject(f, "pcs");
	int i = 0;
	cJSON_ArrayForEach(x, pcs) {
		if (i < first || i >= last) {
			i++;
			continue;
		}
		i++;
		cJSON *p = cJSON_Duplicate(x, 1);
		cJSON_AddStringToObject(p, "readiness_label", ready_label(kx_json_str_or(x, "readiness", "")));
		cJSON_AddItemToArray(rows, p);
	}
	struct buf link;
	buf_init(&link, BUF_NOMAX);
	if (interactive && pages > 1) {
		cJSON *pg = cJSON_AddObjectToObject(f, "pager");
		char num[24];
		cJSON_AddNumberToObject(pg, "page", page);
		cJSON_AddNumberToObject(pg, "pages", pages);
		cJSON_AddNumberToObject(pg, "first", first + 1);
		cJSON_AddNumberToObject(pg, "last", last < shown ? last : shown);
		if (page > 1) {
			snprintf(num, sizeof num, "%ld", page - 1);
			href(v, "page", num, &link);
			cJSON_AddStringToObject(pg, "prev", buf_cstr(&link));
		}
		if (page < pages) {
			snprintf(num, sizeof num, "%ld", page + 1);
			href(v, "page", num, &link);
			cJSON_AddStringToObject(pg, "next", buf_cstr(&link));
		}
	}
	/* Column headers: each a link that sorts by it (again: the other way). */
	static const struct { const char *key, *label; } cols[] = {
		{ "computer", "Computer" }, { "readiness", "Readiness" }, { "connector", "Connector" },
		{ "office", "Office" }, { "windows", "Windows" }, { "problems", "Findings" },
		{ "time", "Scanned" },
	};
	cJSON *heads = cJSON_AddArrayToObject(f, "columns");
	const char *cur = v->sort && *v->sort ? v->sort : "computer";
	bool desc = *cur == '-';
	for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++) {
		cJSON *h = cJSON_CreateObject();
		bool on = !strcmp(cur + desc, cols[c].key);
		cJSON_AddStringToObject(h, "label", cols[c].label);
		cJSON_AddStringToObject(h, "sort", on ? (desc ? "descending" : "ascending") : "none");
		if (interactive) {
			char key[32];
			snprintf(key, sizeof key, "%s%s", on && !desc ? "-" : "", cols[c].key);
			href(v, "sort", key, &link);
			cJSON_AddStringToObject(h, "href", buf_cstr(&link));
		}
		cJSON_AddItemToArray(heads, h);
	}
	if (interactive) {
		href(v, NULL, NULL, &link);
		cJSON_AddStringToObject(f, "csv", buf_cstr(&link));
		struct view all = *v;
		all.ready = all.finding = NULL;
		href(&all, NULL, NULL, &link);
		cJSON_AddStringToObject(f, "clear_filters", link.len ? buf_cstr(&link) : "?");
	}
	buf_release(&link);
	return f;
}

static void view_read(struct http_req *r, struct view *v)
{
	memset(v, 0, sizeof *v);
	v->office = http_query(r, "office");
	v->windows = http_query(r, "windows");
	v->server = http_query(r, "server");
	v->server_given = v->server != NULL;
	bool from_policy = !v->server && *r->app->policy.server;
	if (from_policy)
		v->server = r->app->policy.server;   /* the administrator's, unless chosen */
	v->sort = http_query(r, "sort");
	v->ready = http_query(r, "ready");
	v->finding = http_query(r, "finding");
	const char *page = http_query(r, "page");
	char *end;
	v->page = page ? strtol(page, &end, 10) : 1;
	if (fleet_targets_parse(v->office, v->windows, v->server, &v->t, v->err, sizeof v->err) != 0) {
		/* A bad ServerVersion in the policy: the person's own choices still count. */
		char err2[300];
		if (from_policy && fleet_targets_parse(v->office, v->windows, NULL, &v->t, err2,
						      sizeof err2) == 0)
			snprintf(v->err, sizeof v->err, "The policy's ServerVersion is not a version: "
				 "give the server's version here.");
		else
			memset(&v->t, 0, sizeof v->t);
	}
	if (v->sort && !fleet_sort_key_valid(v->sort))
		v->sort = NULL;
	if (v->ready && strcmp(v->ready, "ready") && strcmp(v->ready, "not_ready") &&
	    strcmp(v->ready, "unknown"))
		v->ready = NULL;
	if (v->finding && (strlen(v->finding) > 64 || !*v->finding))
		v->finding = NULL;
}

/* The form's choices, each marked when it is the current one. */
static cJSON *choices(const char *cur, const void *table, size_t n, size_t stride)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++) {
		const char *const *row = (const char *const *)((const char *)table + i * stride);
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "value", row[0]);
		cJSON_AddStringToObject(o, "label", row[1]);
		cJSON_AddBoolToObject(o, "selected", !strcmp(cur ? cur : "", row[0]));
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

static void form_context(cJSON *ctx, const struct view *v, const cJSON *findings)
{
	char office[32];
	office_string(&v->t, office, sizeof office);
	cJSON *form = cJSON_AddObjectToObject(ctx, "form");
	cJSON_AddItemToObject(form, "office", choices(office, office_targets,
		sizeof office_targets / sizeof office_targets[0], sizeof office_targets[0]));
	cJSON_AddItemToObject(form, "windows", choices(v->t.windows, windows_targets,
		sizeof windows_targets / sizeof windows_targets[0], sizeof windows_targets[0]));
	cJSON_AddStringToObject(form, "server", v->t.server);
	cJSON_AddStringToObject(form, "sort", v->sort ? v->sort : "");
	cJSON *rd = cJSON_AddArrayToObject(form, "ready");
	for (size_t i = 0; i < sizeof ready_labels / sizeof ready_labels[0]; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "value", ready_labels[i].value);
		cJSON_AddStringToObject(o, "label", ready_labels[i].label);
		cJSON_AddBoolToObject(o, "selected", v->ready && !strcmp(v->ready, ready_labels[i].value));
		cJSON_AddItemToArray(rd, o);
	}
	cJSON *fl = cJSON_AddArrayToObject(form, "findings");
	const cJSON *x;
	cJSON_ArrayForEach(x, findings) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "value", kx_json_str_or(x, "value", ""));
		cJSON_AddStringToObject(o, "label", kx_json_str_or(x, "title", kx_json_str_or(x, "value", "")));
		cJSON_AddBoolToObject(o, "selected", v->finding && !strcmp(v->finding, kx_json_str_or(x, "value", "")));
		cJSON_AddItemToArray(fl, o);
	}
	if (*v->err)
		cJSON_AddStringToObject(ctx, "error", v->err);
}

int web_fleet_page(struct http_req *r)
{
	struct view v;
	view_read(r, &v);
	/* The finding choices come from the whole fleet, not the filtered part. */
	cJSON *rep = fleet_report(r->app->fleet, &v.t, r->app->support, v.sort, v.ready, v.finding);
	cJSON *ctx = cJSON_CreateObject();
	cJSON_AddBoolToObject(ctx, "nav_fleet", 1);
	cJSON_AddItemToObject(ctx, "fleet", fleet_context(rep, &v, true));
	form_context(ctx, &v, cJSON_GetObjectItemCaseSensitive(rep, "by_finding"));
	cJSON_Delete(rep);
	return http_page(r, 200, "fleet", "Fleet readiness", ctx);
}

int web_fleet_csv(struct http_req *r)
{
	struct view v;
	view_read(r, &v);
	if (*v.err && (v.server_given || !*r->app->policy.server))
		return http_error(r, 400, v.err);
	cJSON *rep = fleet_report(r->app->fleet, &v.t, r->app->support, v.sort, v.ready, v.finding);
	buf_reset(&r->out);
	fleet_csv(rep, &r->out);
	cJSON_Delete(rep);
	http_add_header(r, "Content-Disposition", "attachment; filename=\"koffix-fleet.csv\"");
	r->ctype = "text/csv; charset=utf-8";
	r->status = 200;
	return 200;
}

int fleet_page_standalone(struct app *app, const cJSON *report, struct buf *out, char *err,
			  size_t errlen)
{
	struct view v;
	memset(&v, 0, sizeof v);
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(report, "targets");
	snprintf(v.t.office, sizeof v.t.office, "%s", kx_json_str_or(t, "office", ""));
	snprintf(v.t.office_bits, sizeof v.t.office_bits, "%s", kx_json_str_or(t, "office_bits", ""));
	snprintf(v.t.windows, sizeof v.t.windows, "%s", kx_json_str_or(t, "windows", ""));
	snprintf(v.t.server, sizeof v.t.server, "%s", kx_json_str_or(t, "server", ""));
	cJSON *ctx = cJSON_CreateObject();
	cJSON_AddItemToObject(ctx, "fleet", fleet_context(report, &v, false));
	cJSON_AddStringToObject(ctx, "version", KOFFIX_VERSION);
	char when[21];
	kx_utc_now(when);
	cJSON_AddStringToObject(ctx, "generated", when);
	for (size_t i = 0; i < app->nstatic; i++)
		if (!strcmp(app->statics[i].name, "style.css")) {
			char *css = xmalloc(app->statics[i].len + 1);
			memcpy(css, app->statics[i].data, app->statics[i].len);
			css[app->statics[i].len] = '\0';
			cJSON_AddStringToObject(ctx, "css", css);
			free(css);
		}
	int rc = tpl_render(app->tpl, "fleet_report", ctx, out, err, errlen);
	cJSON_Delete(ctx);
	return rc;
}

/* ---- one PC ---- */

int web_readiness_page(struct http_req *r)
{
	struct view v;
	view_read(r, &v);
	const char *id = http_query(r, "scan");
	cJSON *ctx = cJSON_CreateObject();
	cJSON_AddBoolToObject(ctx, "nav_fleet", 1);
	form_context(ctx, &v, NULL);
	cJSON *scan = id && *id ? scan_store_get(r->app->scans, id) : NULL;
	if (id && *id && !scan)
		cJSON_AddStringToObject(ctx, "error", "There is no kept scan with this id: check the "
					"PC again, or open its scan file.");
	if (scan) {
		cJSON_AddStringToObject(ctx, "scan_id", id);
		cJSON *rd = fleet_readiness_json(scan, &v.t, r->app->support);
		const char *state = kx_json_str_or(rd, "readiness", "unknown");
		cJSON_AddStringToObject(rd, "label", !strcmp(state, "ready") ? "Ready for this upgrade" :
					!strcmp(state, "not_ready") ? "Not ready: do this first" :
					"koffix cannot tell");
		cJSON_AddStringToObject(rd, "scan_time", kx_json_str_or(scan, "time", ""));
		cJSON_AddItemToObject(ctx, "result", rd);
		cJSON_Delete(scan);
	}
	return http_page(r, 200, "readiness", "Ready for the upgrade?", ctx);
}

/* ---- about this PC ---- */

int web_about_page(struct http_req *r)
{
	struct app *app = r->app;
	cJSON *ctx = cJSON_CreateObject();
	cJSON *a = cJSON_AddObjectToObject(ctx, "about");
	cJSON_AddStringToObject(a, "version", KOFFIX_VERSION);
	cJSON_AddStringToObject(a, "program", app->root);
	cJSON_AddStringToObject(a, "data", app->data_dir);
	cJSON_AddStringToObject(a, "backend", app->backend ? app->backend->name : "none");
	cJSON_AddBoolToObject(a, "can_scan", app_can_scan(app));
	cJSON_AddItemToObject(a, "policy", kx_policy_json(&app->policy));
	return http_page(r, 200, "about", "About this PC", ctx);
}
