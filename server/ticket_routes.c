/* SPDX-License-Identifier: MIT */
/*
 * Support tickets over HTTP: the "Contact support" page (GET /wizard/{id}/ticket: a form that
 * only reflects what is typed into a preview and download links; nothing is stored) and the
 * downloads (GET /api/tickets/{session}?format=...). Both need the launch token. Also the
 * glue shared with `koffix ticket`, and the recording of article views in a wizard session.
 */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/log.h"
#include "../common/platform.h"
#include "../common/util.h"
#include "../repair-actions/ra.h"
#include "../ticket/ticket.h"
#include "../wizard/session.h"
#include "../wizard/wiz.h"
#include "../app/app.h"
#include "handlers.h"
#include "http.h"


int web_ticket_make(struct app *app, const char *id, const char *name, const char *email,
		int redact, const char *voter, const cJSON *viewed, struct ticket_config *cfg,
		cJSON **model, char *err, size_t errlen)
{
	*model = NULL;
	char path[APP_PATH_MAX + 32];
	snprintf(path, sizeof path, "%s/ticket.json", app->data_dir);
	char cfg_err[512] = "";
	if (ticket_config_load(path, cfg, cfg_err, sizeof cfg_err) != 0)
		log_msg(LOG_WARN, "%s (ticket defaults used)", cfg_err);

	/* The state and its history read together, under the session's lock. */
	struct wiz_sess ss;
	if (wiz_sess_open(app->sessions, app->flows, id, &ss) != 0) {
		snprintf(err, errlen, "no such wizard session");
		return KX_ENOTFOUND;
	}
	struct wiz_flow *f = ss.flow;
	cJSON *events = wiz_sess_events(&ss);
	cJSON *state = ss.state;
	ss.state = NULL;
	wiz_sess_close(&ss);
	snprintf(path, sizeof path, "%s/koffix.db", app->data_dir);
	char db_err[512];
	struct ticket_db *db = ticket_db_open(path, db_err, sizeof db_err);
	if (!db)
		log_kv(LOG_WARN, "ticket: the other modules' tables cannot be read", 1, "error",
		       db_err);
	cJSON *actions = app->actions ? ra_catalogue_list(app->actions) : NULL;
	struct ticket_input in = {
		.session = id, .flow = f, .state = state, .events = events, .kb = app->kb,
		.actions = actions, .db = db, .voter = voter, .viewed = viewed, .name = name,
		.email = email, .subject_prefix = cfg->subject_prefix,
	};
	int rc = ticket_build(&in, model, err, errlen);
	if (rc == 0 && redact)
		ticket_redact(*model);
	ticket_db_close(db);
	cJSON_Delete(actions);
	cJSON_Delete(events);
	cJSON_Delete(state);
	return rc;
}

/* Query arguments hiding a NUL byte (MHD hands them over cut at it) are refused. */
static enum MHD_Result find_nul(void *cls, enum MHD_ValueKind kind, const char *key,
				size_t key_size, const char *value, size_t value_size)
{
	(void)kind;
	bool *bad = cls;
	if ((key && strlen(key) != key_size) || (value && strlen(value) != value_size))
		*bad = true;
	return MHD_YES;
}

struct args {
	const char *name;
	const char *email;
	int redact;
	const char *error;
};

static void read_args(struct http_req *r, struct args *a)
{
	memset(a, 0, sizeof *a);
	bool nul = false;
	MHD_get_connection_values_n(r->conn, MHD_GET_ARGUMENT_KIND, find_nul, &nul);
	a->name = http_query(r, "name");
	a->email = http_query(r, "email");
	const char *redact = http_query(r, "redact");
	if (redact && strcmp(redact, "1") && strcmp(redact, "0") && strcmp(redact, "on"))
		a->error = "redact is 1 (hide personal details) or 0";
	a->redact = redact && strcmp(redact, "0") != 0;
	if (nul)
		a->error = "the request holds a NUL byte";
}

static cJSON *viewed_of(struct http_req *r, const char *id);

/* This browser's vote id: its CSRF cookie, when it came with the request. */
static const char *voter(struct http_req *r)
{
	return r->new_csrf_cookie ? NULL : r->csrf_cookie;
}

int web_api_ticket(struct http_req *r)
{
	const char *id = router_param(&r->params, "id");
	const char *fmt = http_query(r, "format");
	enum ticket_format f;
	if (ticket_format_parse(fmt ? fmt : "json", &f) != 0)
		return http_error(r, 400, "format is one of json, eml, html, osticket, zammad");
	struct args a;
	read_args(r, &a);
	if (a.error)
		return http_error(r, 400, a.error);
	char err[512];
	if (ticket_requester_check(a.name, a.email, f, err, sizeof err) != 0)
		return http_error(r, 400, err);
	struct ticket_config cfg;
	cJSON *model;
	cJSON *viewed = viewed_of(r, id);
	int rc = web_ticket_make(r->app, id, a.name, a.email, a.redact, voter(r), viewed, &cfg, &model,
			     err, sizeof err);
	cJSON_Delete(viewed);
	if (rc == KX_ENOTFOUND)
		return http_error(r, 404, "no such wizard session");
	if (rc)
		return http_error(r, rc == KX_EINVAL ? 400 : 500, err);
	struct ticket_options o = { .helpdesk = cfg.helpdesk, .group = cfg.group };
	struct buf out;
	buf_init(&out, TICKET_OUT_MAX);
	rc = ticket_export(model, f, &o, &out);
	char file[96], disp[160];
	ticket_file_name(model, f, file, sizeof file);
	cJSON_Delete(model);
	if (rc) {
		buf_release(&out);
		return http_error(r, 500, rc == KX_ETOOBIG ? "the ticket is larger than koffix "
				  "exports" : "the ticket could not be made");
	}
	buf_release(&r->out);
	r->out = out;
	snprintf(disp, sizeof disp, "attachment; filename=\"%s\"", file);
	http_add_header(r, "Content-Disposition", disp);
	r->ctype = ticket_content_type(f);
	r->status = 200;
	return 200;
}

static const struct {
	enum ticket_format f;
	const char *label;
	const char *about;
} downloads[] = {
	{ TICKET_EML, "Download the e-mail for your helpdesk (.eml)",
	  "Opens in any mail program as an unsent message with everything attached: add your "
	  "helpdesk's address and send it. If Outlook does not start, attach the file to a "
	  "message in Kerio Connect web mail instead." },
	{ TICKET_HTML, "Printable page (.html)",
	  "The whole ticket as one page, to print, save as PDF or attach anywhere." },
	{ TICKET_JSON, "Data (.json)",
	  "Everything in a documented machine-readable format (docs/ticket-schema.json)." },
	{ TICKET_OSTICKET, "osTicket API request (.json)",
	  "The body of a POST to an osTicket server's /api/tickets.json, for a helpdesk "
	  "technician." },
	{ TICKET_ZAMMAD, "Zammad API request (.json)",
	  "The body of a POST to a Zammad server's /api/v1/tickets, for a helpdesk technician." },
};

static char *download_href(const char *id, enum ticket_format f, const struct args *a)
{
	struct buf b;
	buf_init(&b, BUF_NOMAX);
	buf_addf(&b, "/api/tickets/%s?format=%s&redact=%d", id, ticket_format_name(f),
		 a->redact ? 1 : 0);
	if (a->name && *a->name) {
		buf_adds(&b, "&name=");
		buf_adds_url(&b, a->name);
	}
	if (a->email && *a->email) {
		buf_adds(&b, "&email=");
		buf_adds_url(&b, a->email);
	}
	return buf_take(&b, NULL);
}

int web_ticket_page(struct http_req *r)
{
	const char *id = router_param(&r->params, "id");
	struct args a;
	read_args(r, &a);
	char err[512] = "";
	int status = 200;
	if (a.error) {
		snprintf(err, sizeof err, "%s", a.error);
		a.name = a.email = NULL;
		status = 400;
	} else if (ticket_requester_check(a.name, a.email, TICKET_JSON, err, sizeof err) != 0) {
		/* Shown with the form; the preview leaves the refused values out. */
		a.name = a.email = NULL;
		status = 400;
	}
	struct ticket_config cfg;
	cJSON *model;
	char merr[512];
	cJSON *viewed = viewed_of(r, id);
	int rc = web_ticket_make(r->app, id, a.name, a.email, a.redact, voter(r), viewed, &cfg, &model,
			     merr, sizeof merr);
	cJSON_Delete(viewed);
	if (rc == KX_ENOTFOUND)
		return http_error(r, 404, "There is no wizard session at this address.");
	if (rc)
		return http_error(r, 500, NULL);
	struct buf preview;
	buf_init(&preview, TICKET_OUT_MAX);
	ticket_html_fragment(model, 3, &preview);  /* inside "3. What will be shared" (h2) */

	cJSON *ctx = cJSON_CreateObject();
	cJSON_AddBoolToObject(ctx, "nav_wizard", 1);
	cJSON *t = cJSON_AddObjectToObject(ctx, "ticket");
	cJSON_AddStringToObject(t, "session", id);
	if (*err)
		cJSON_AddStringToObject(t, "error", err);
	const char *qn = http_query(r, "name"), *qe = http_query(r, "email");
	/* The form shows what was typed, even when it was refused (escaped by the template). */
	cJSON_AddStringToObject(t, "name", qn && ticket_text_ok(qn, strlen(qn)) ? qn : "");
	cJSON_AddStringToObject(t, "email", qe && ticket_text_ok(qe, strlen(qe)) ? qe : "");
	bool has_email = a.email && *a.email;
	cJSON_AddBoolToObject(t, "has_email", has_email);
	cJSON_AddBoolToObject(t, "redact", a.redact);
	cJSON_AddBoolToObject(t, "finished", cJSON_IsObject(
		cJSON_GetObjectItemCaseSensitive(model, "diagnosis")));
	const cJSON *subject = cJSON_GetObjectItemCaseSensitive(model, "subject");
	cJSON_AddStringToObject(t, "subject", cJSON_IsString(subject) ? subject->valuestring : "");
	const cJSON *reminder = cJSON_GetObjectItemCaseSensitive(model, "reminder");
	if (cJSON_IsString(reminder) && *reminder->valuestring)
		cJSON_AddStringToObject(t, "reminder", reminder->valuestring);
	cJSON *list = cJSON_AddArrayToObject(t, "downloads");
	for (size_t i = 0; i < sizeof downloads / sizeof downloads[0]; i++) {
		enum ticket_format f = downloads[i].f;
		bool needs = f == TICKET_OSTICKET || f == TICKET_ZAMMAD;
		cJSON *d = cJSON_CreateObject();
		cJSON_AddBoolToObject(d, "primary", f == TICKET_EML);
		cJSON_AddBoolToObject(d, "for_it", needs);
		cJSON_AddStringToObject(d, "format", ticket_format_name(f));
		cJSON_AddStringToObject(d, "label", downloads[i].label);
		cJSON_AddStringToObject(d, "about", downloads[i].about);
		cJSON_AddBoolToObject(d, "available", !needs || has_email);
		char *href = download_href(id, f, &a);
		cJSON_AddStringToObject(d, "href", href);
		free(href);
		cJSON_AddItemToArray(list, d);
	}
	cJSON_AddStringToObject(t, "preview", buf_cstr(&preview));
	buf_release(&preview);
	cJSON_Delete(model);
	if (*r->app->policy.tickets)
		cJSON_AddStringToObject(ctx, "ticket_destination", r->app->policy.tickets);
	return http_page(r, status, "ticket", "Contact support", ctx);
}

/*
 * Article views are kept by the browser, not the server: a GET changes nothing on the server.
 * The cookie holds the session they belong to and up to VIEWED_MAX articles, the most recent
 * first: "SESSION.slug:views:first-seen-epoch.slug:views:epoch...". It is the person's own
 * record for their own ticket, so it is checked, not trusted for anything else.
 */
#define VIEWED_COOKIE "koffix_viewed"
#define VIEWED_MAX 20

struct view {
	char slug[128];
	long views;
	long long first;
};

/* The views the cookie holds for session id (at most VIEWED_MAX); their count. */
static int viewed_parse(const char *cookie, const char *id, struct view *v)
{
	size_t idlen = strlen(id);
	if (!cookie || idlen != WIZ_ID_LEN || strncmp(cookie, id, idlen) || cookie[idlen] != '.')
		return 0;
	int n = 0;
	for (const char *p = cookie + idlen + 1; *p && n < VIEWED_MAX; ) {
		const char *end = strchr(p, '.');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char item[200];
		if (len < sizeof item) {
			memcpy(item, p, len);
			item[len] = '\0';
			char *c1 = strchr(item, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL, *e1, *e2;
			if (c2) {
				*c1 = *c2 = '\0';
				long views = strtol(c1 + 1, &e1, 10);
				long long first = strtoll(c2 + 1, &e2, 10);
				if (kx_is_slug(item) && strlen(item) < sizeof v[n].slug && !*e1 && !*e2 &&
				    views >= 1 && views <= 9999 && first >= 0) {
					memcpy(v[n].slug, item, strlen(item) + 1);
					v[n].views = views;
					v[n].first = first;
					n++;
				}
			}
		}
		p += len + (end != NULL);
	}
	return n;
}

void web_ticket_note_view(struct http_req *r, const char *slug)
{
	const char *id = http_cookie(r, WIZARD_COOKIE);
	if (!id || !r->authed || strlen(id) != WIZ_ID_LEN || strlen(slug) >= 128)
		return;
	struct view v[VIEWED_MAX + 1];
	int n = viewed_parse(http_cookie(r, VIEWED_COOKIE), id, v + 1);
	/* This article first, with one more view; the oldest falls off past VIEWED_MAX. */
	snprintf(v[0].slug, sizeof v[0].slug, "%s", slug);
	v[0].views = 1;
	v[0].first = (long long)time(NULL);
	for (int i = 1; i <= n; i++) {
		if (strcmp(v[i].slug, slug))
			continue;
		v[0].views = v[i].views < 9999 ? v[i].views + 1 : 9999;
		v[0].first = v[i].first;
		memmove(v + i, v + i + 1, (size_t)(n - i) * sizeof *v);
		n--;
		break;
	}
	if (n > VIEWED_MAX - 1)
		n = VIEWED_MAX - 1;
	struct buf c;
	buf_init(&c, 8192);
	buf_addf(&c, "%s=%s", VIEWED_COOKIE, id);
	for (int i = 0; i <= n; i++)
		buf_addf(&c, ".%s:%ld:%lld", v[i].slug, v[i].views, v[i].first);
	buf_adds(&c, "; Path=/; HttpOnly; SameSite=Strict");
	http_add_header(r, "Set-Cookie", buf_cstr(&c));
	buf_release(&c);
}

/* The views of session id this request's cookie holds, for the ticket (caller frees). */
static cJSON *viewed_of(struct http_req *r, const char *id)
{
	struct view v[VIEWED_MAX];
	int n = viewed_parse(http_cookie(r, VIEWED_COOKIE), id, v);
	cJSON *list = cJSON_CreateArray();
	for (int i = n - 1; i >= 0; i--) {
		time_t t = (time_t)v[i].first;
		struct tm tm;
		char at[32] = "";
		if (plat_gmtime(t, &tm))
			strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "slug", v[i].slug);
		cJSON_AddNumberToObject(x, "views", (double)v[i].views);
		cJSON_AddStringToObject(x, "first_viewed", at);
		cJSON_AddItemToArray(list, x);
	}
	return list;
}
