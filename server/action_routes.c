/* SPDX-License-Identifier: MIT */
/*
 * Repair actions over HTTP: the catalogue, plans, runs (in a background thread, one at a time
 * per machine), live progress as Server-Sent Events, undo; and the review, run and result pages.
 * Only named actions with validated parameters run; nothing builds a command line from request
 * data, and no GET runs anything.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/log.h"
#include "../common/util.h"
#include "../common/json.h"
#include "../repair-actions/ra.h"
#include "../wizard/session.h"
#include "../wizard/wiz.h"
#include "../app/app.h"
#include "handlers.h"
#include "http.h"

static bool id_shape(const char *s, size_t len)
{
	if (!s || strlen(s) != len)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

/* The parameters an outcome of a wizard session gave this action (caller frees), or NULL. */
static cJSON *session_params(struct app *app, const char *session, const char *action)
{
	if (!id_shape(session, WIZ_ID_LEN))
		return NULL;
	struct wiz_sess ss;
	if (wiz_sess_open(app->sessions, app->flows, session, &ss) != 0)
		return NULL;
	cJSON *view = wiz_sess_view(&ss);
	wiz_sess_close(&ss);
	cJSON *params = NULL;
	const cJSON *a;
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(
				      cJSON_GetObjectItemCaseSensitive(view, "outcome"), "actions")) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(a, "id");
		if (cJSON_IsString(id) && !strcmp(id->valuestring, action))
			params = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(a, "params"), 1);
	}
	cJSON_Delete(view);
	return params;
}

/*
 * Starts a run through the runner (which owns every rule of starting one). Returns the HTTP
 * status: 202 with the id in st->run; 404 unknown action; 400 bad parameters; 409 refused by
 * a blocked check (nothing changed) or another run going on; 500 otherwise. st holds the
 * review either way (release it).
 */
static int start_run(struct app *app, const char *action, const cJSON *params,
		     const char *session, struct ra_start *st)
{
	if (session && !id_shape(session, WIZ_ID_LEN)) {
		memset(st, 0, sizeof *st);
		snprintf(st->err, sizeof st->err, "session is a wizard session id");
		return 400;
	}
	int rc = ra_start(app->runner, action, params, session, true, st);
	switch (rc) {
	case 0:
		return 202;
	case KX_ENOTFOUND:
		return 404;
	case KX_EINVAL:
		return 400;
	case KX_EBLOCKED:
	case KX_ECONFLICT:
		return 409;
	default:
		return 500;
	}
}

int web_actions_running(const struct app *app)
{
	return app->runner ? ra_runner_jobs(app->runner) : 0;
}

/* ---- JSON API ---- */

int web_api_actions_list(struct http_req *r)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "actions", ra_catalogue_list(r->app->actions));
	cJSON_AddStringToObject(o, "backend", r->app->backend->name);
	cJSON_AddBoolToObject(o, "dry_run", r->app->backend->dry_run);
	return http_json(r, 200, o);
}

/* The review as JSON: what `actions plan --format json` prints too (takes st's parts). */
cJSON *actions_review_json(const char *id, struct ra_start *st, bool dry_run)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "action", id);
	cJSON_AddItemToObject(o, "plan", st->plan);
	cJSON_AddItemToObject(o, "preflight", st->preflight);
	cJSON_AddBoolToObject(o, "blocked", ra_preflight_blocked(st->preflight));
	struct buf consent;
	buf_init(&consent, 16384);
	ra_consent_text(st->plan, &consent);
	cJSON_AddStringToObject(o, "consent", buf_cstr(&consent));
	buf_release(&consent);
	cJSON_AddItemToObject(o, "params", st->params);
	cJSON_AddItemToObject(o, "warnings", st->warnings);
	cJSON_AddBoolToObject(o, "dry_run", dry_run);
	st->plan = st->preflight = st->params = st->warnings = NULL;
	return o;
}

int web_api_action_plan(struct http_req *r)
{
	cJSON *body;
	int st = http_body_json(r, &body);
	if (st)
		return st;
	const char *id = router_param(&r->params, "id");
	const cJSON *params = cJSON_GetObjectItemCaseSensitive(body, "params");
	struct ra_start rev;
	int rc = ra_review(r->app->runner, id, params, &rev);
	cJSON_Delete(body);
	if (rc) {
		int status = rc == KX_ENOTFOUND ? 404 : 400;
		status = http_error(r, status, rev.err);
		ra_start_release(&rev);
		return status;
	}
	cJSON *o = actions_review_json(id, &rev, r->app->backend->dry_run);
	ra_start_release(&rev);
	return http_json(r, 200, o);
}

int web_api_action_run(struct http_req *r)
{
	cJSON *body;
	int st = http_body_json(r, &body);
	if (st)
		return st;
	const char *id = router_param(&r->params, "id");
	const cJSON *confirm = cJSON_GetObjectItemCaseSensitive(body, "confirm");
	const cJSON *session = cJSON_GetObjectItemCaseSensitive(body, "session");
	char err[800];
	struct ra_start start;
	memset(&start, 0, sizeof start);
	int status;
	if (!ra_action(r->app->actions, id)) {
		status = 404;
		snprintf(err, sizeof err, "there is no repair action '%s'", id);
	} else if (!cJSON_IsTrue(confirm)) {
		status = 400;
		snprintf(err, sizeof err, "a run needs explicit confirmation: \"confirm\": true");
	} else if (session && !cJSON_IsString(session) && !cJSON_IsNull(session)) {
		status = 400;
		snprintf(err, sizeof err, "session is a wizard session id");
	} else {
		status = start_run(r->app, id, cJSON_GetObjectItemCaseSensitive(body, "params"),
				   cJSON_IsString(session) ? session->valuestring : NULL, &start);
		snprintf(err, sizeof err, "%s", start.err);
	}
	cJSON_Delete(body);
	cJSON *o = cJSON_CreateObject();
	if (status == 202) {
		cJSON_AddStringToObject(o, "run", start.run);
	} else {
		/* {"error","detail"} as every error, plus the checks behind a refusal. */
		cJSON_AddStringToObject(o, "error", http_status_text(status));
		cJSON_AddStringToObject(o, "detail", err);
		if (start.preflight && ra_preflight_blocked(start.preflight)) {
			cJSON_AddItemToObject(o, "preflight", start.preflight);
			start.preflight = NULL;
		}
		if (status == 409 && start.run[0] && !cJSON_GetObjectItemCaseSensitive(o, "preflight"))
			cJSON_AddStringToObject(o, "active_run", start.run);
	}
	ra_start_release(&start);
	return http_json(r, status, o);
}

static cJSON *run_json(struct app *app, const char *run)
{
	return id_shape(run, 32) ? ra_journal_get(app->journal, run) : NULL;
}

int web_api_run_get(struct http_req *r)
{
	cJSON *o = run_json(r->app, router_param(&r->params, "run"));
	if (!o)
		return http_error(r, 404, "no such run");
	return http_json(r, 200, o);
}

/* 202, 404 or 409 (err says why). */
static int start_undo(struct app *app, const char *run, char *err, size_t errlen)
{
	if (!id_shape(run, 32))
		return 404;
	int rc = ra_start_undo(app->runner, run, true, err, errlen);
	return rc == 0 ? 202 : rc == KX_ENOTFOUND ? 404 : rc == KX_ECONFLICT ? 409 : 500;
}

int web_api_run_undo(struct http_req *r)
{
	const char *run = router_param(&r->params, "run");
	char err[512];
	int status = start_undo(r->app, run, err, sizeof err);
	if (status == 404)
		return http_error(r, 404, "no such run");
	if (status != 202)
		return http_error(r, status, err);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "run", run);
	return http_json(r, 202, o);
}

/* ---- Server-Sent Events ---- */

struct sse {
	struct app *app;
	char run[33];
	char sent[64][24];   /* the last state sent per step */
	unsigned long long sent_output[64];  /* and a hash of the output sent with it */
	struct buf pending;
	bool ended;
	int idle;
};

static unsigned long long output_hash(const char *p)
{
	unsigned long long h = 1469598103934665603ull;  /* FNV-1a */
	for (; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	return h;
}

static void sse_free(void *cls)
{
	struct sse *s = cls;
	buf_release(&s->pending);
	free(s);
}

static long sse_read(void *cls, char *buf, size_t max)
{
	struct sse *s = cls;
	if (s->pending.len == 0) {
		if (s->ended)
			return -1;
		/* Looks at the journal once; with no news the connection waits suspended and the
		 * server asks again a tick (100 ms) later. */
		s->idle++;
		cJSON *run = ra_journal_get(s->app->journal, s->run);
		if (!run) {
			s->ended = true;
			return -1;
		}
		const cJSON *st;
		cJSON_ArrayForEach(st, cJSON_GetObjectItemCaseSensitive(run, "steps")) {
			int n = cJSON_GetObjectItemCaseSensitive(st, "n")->valueint;
			const char *state = cJSON_GetObjectItemCaseSensitive(st, "state")->valuestring;
			/* A step is news when its state changes, or its output while it runs. */
			const cJSON *out = cJSON_GetObjectItemCaseSensitive(st, "output");
			unsigned long long h = output_hash(cJSON_IsString(out) ? out->valuestring : "");
			if (n < 1 || n > 64 || (!strcmp(s->sent[n - 1], state) &&
						s->sent_output[n - 1] == h))
				continue;
			snprintf(s->sent[n - 1], sizeof s->sent[0], "%s", state);
			s->sent_output[n - 1] = h;
			cJSON *e = cJSON_CreateObject();
			static const char *const keys[] = { "n", "title", "state", "output",
							    "verification" };
			for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
				cJSON_AddItemToObject(e, keys[k], cJSON_Duplicate(
					cJSON_GetObjectItemCaseSensitive(st, keys[k]), 0));
			char *json = cJSON_PrintUnformatted(e);
			buf_addf(&s->pending, "event: step\ndata: %s\n\n", json);
			cJSON_free(json);
			cJSON_Delete(e);
		}
		const char *state = cJSON_GetObjectItemCaseSensitive(run, "state")->valuestring;
		if (strcmp(state, "queued") && strcmp(state, "running")) {
			buf_addf(&s->pending, "event: end\ndata: {\"state\":\"%s\"}\n\n", state);
			s->ended = true;
		} else if (s->idle % 150 == 0) {
			buf_adds(&s->pending, ": still running\n\n"); /* keeps proxies from timing out */
		}
		cJSON_Delete(run);
		if (s->pending.len == 0)
			return 0;
	}
	size_t n = s->pending.len < max ? s->pending.len : max;
	memcpy(buf, s->pending.data, n);
	memmove(s->pending.data, s->pending.data + n, s->pending.len - n);
	s->pending.len -= n;
	s->pending.data[s->pending.len] = '\0';
	return (long)n;
}

int web_api_run_events(struct http_req *r)
{
	const char *run = router_param(&r->params, "run");
	cJSON *o = run_json(r->app, run);
	if (!o)
		return http_error(r, 404, "no such run");
	cJSON_Delete(o);
	struct sse *s = xcalloc(1, sizeof *s);
	s->app = r->app;
	snprintf(s->run, sizeof s->run, "%s", run);
	buf_init(&s->pending, 1u << 20);
	http_add_header(r, "Cache-Control", "no-store");
	return http_stream(r, "text/event-stream; charset=utf-8", sse_read, s, sse_free);
}

/* ---- pages ---- */

/* The plan's steps for the page: each with its undo promise as words and a badge. */
static void plan_for_page(cJSON *plan)
{
	cJSON *st;
	cJSON_ArrayForEach(st, plan) {
		const cJSON *undo = cJSON_GetObjectItemCaseSensitive(st, "undo");
		bool changes = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st, "changes"));
		const char *u = cJSON_IsString(undo) ? undo->valuestring : "none";
		cJSON_AddBoolToObject(st, "undo_exact", changes && !strcmp(u, "exact"));
		cJSON_AddBoolToObject(st, "undo_partial", changes && !strcmp(u, "partial"));
		cJSON_AddBoolToObject(st, "undo_none", changes && !strcmp(u, "none"));
	}
}

/* What the review leads with: what changes, how long, what can be undone (three lines). */
static void plan_summary(cJSON *ctx, const cJSON *plan, const char *action_id)
{
	int total = 0, changing = 0, machine = 0, exact = 0;
	struct buf not_undone;
	buf_init(&not_undone, 4096);
	const cJSON *st;
	cJSON_ArrayForEach(st, plan) {
		total++;
		if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st, "changes")))
			continue;
		changing++;
		machine += !strcmp(kx_json_str_or(st, "scope", ""), "machine");
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st, "undo_exact")))
			exact++;
		else
			buf_addf(&not_undone, "%s%s", not_undone.len ? "; " : "",
				 kx_json_str_or(st, "title", ""));
	}
	/* Long lists are cut on a character's boundary, not in the middle of one. */
	if (not_undone.len > 700) {
		size_t cut = 700;
		while (cut > 0 && ((unsigned char)not_undone.data[cut] & 0xC0) == 0x80)
			cut--;
		not_undone.data[cut] = '\0';
		not_undone.len = cut;
	}
	char line[1024];
	cJSON *sum = cJSON_AddObjectToObject(ctx, "summary");
	if (!changing)
		snprintf(line, sizeof line, "Nothing on this PC changes: all %d steps only check or "
			 "read.", total);
	else
		snprintf(line, sizeof line, "%d of its %d steps %s this PC (%s); the others only "
			 "check. What a step replaces is saved first.", changing, total,
			 changing == 1 ? "changes" : "change", machine ?
			 "some of them for every user of the PC" : "only your own settings");
	cJSON_AddStringToObject(sum, "changes", line);
	/* How long: what the steps do, not a promise (no step has a known duration). */
	bool installs = action_id && (!strcmp(action_id, "reinstall-koff") ||
				      !strcmp(action_id, "reregister-mapi"));
	cJSON_AddStringToObject(sum, "time", installs ? "Usually a few minutes: Windows Installer "
				"does most of the work. Outlook must stay closed until it ends." :
				"Usually under a minute. Outlook must stay closed until it ends.");
	if (!changing)
		snprintf(line, sizeof line, "Nothing to undo.");
	else if (exact == changing)
		snprintf(line, sizeof line, "Everything it changes can be undone, from the run's "
			 "page (Undo).");
	else
		snprintf(line, sizeof line, "Not everything can be undone exactly: %s. The steps "
			 "below say what undo does for each.", buf_cstr(&not_undone));
	cJSON_AddStringToObject(sum, "undo", line);
	buf_release(&not_undone);
}

/* What a risk level means, for people (the catalogue's "risk"). */
static const char *risk_text(const char *risk)
{
	if (!strcmp(risk, "none"))
		return "Changes nothing: it only reads and reports.";
	if (!strcmp(risk, "low"))
		return "Changes your own settings, which koffix saves first and can put back.";
	if (!strcmp(risk, "medium"))
		return "Changes the connector's installation or registration for the whole PC. "
		       "koffix checks first and keeps what it can to undo, but an installation "
		       "cannot always be taken back exactly.";
	return "Read every step before you run it.";
}

/* The preflight results for the page, with a flag per state (templates cannot compare). */
static void preflight_for_page(cJSON *ctx, cJSON *preflight)
{
	cJSON *c;
	int blocked = 0, warnings = 0;
	cJSON_ArrayForEach(c, preflight) {
		const cJSON *state = cJSON_GetObjectItemCaseSensitive(c, "state");
		const char *s = cJSON_IsString(state) ? state->valuestring : "";
		cJSON_AddBoolToObject(c, "is_ok", !strcmp(s, "ok"));
		cJSON_AddBoolToObject(c, "is_warning", !strcmp(s, "warning"));
		cJSON_AddBoolToObject(c, "is_blocked", !strcmp(s, "blocked"));
		blocked += !strcmp(s, "blocked");
		warnings += !strcmp(s, "warning");
	}
	cJSON_AddItemToObject(ctx, "preflight", preflight);
	cJSON_AddBoolToObject(ctx, "blocked", blocked > 0);
	cJSON_AddBoolToObject(ctx, "preflight_warnings", warnings > 0);
}

/*
 * The review page's context: the parameter form, and the plan with its preflight when the
 * parameters are valid. rev is the review to show (from a refused run) or NULL to make one.
 */
static cJSON *review_context(struct http_req *r, const char *id, const cJSON *given,
			     const char *session, const char *error, struct ra_start *given_rev)
{
	const cJSON *action = ra_action(r->app->actions, id);
	cJSON *ctx = cJSON_CreateObject();
	cJSON *a = cJSON_AddObjectToObject(ctx, "action");
	static const char *const keys[] = { "id", "title", "description", "risk" };
	for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(action, keys[k]);
		cJSON_AddStringToObject(a, keys[k], cJSON_IsString(v) ? v->valuestring : "");
	}
	cJSON_AddStringToObject(a, "risk_text", risk_text(kx_json_str_or(a, "risk", "")));
	if (session)
		cJSON_AddStringToObject(ctx, "session", session);
	cJSON *list = ra_catalogue_list(r->app->actions), *mine = NULL;
	const cJSON *e;
	cJSON_ArrayForEach(e, list)
		if (!strcmp(cJSON_GetObjectItemCaseSensitive(e, "id")->valuestring, id))
			mine = cJSON_GetObjectItemCaseSensitive(e, "params");
	struct ra_start own, *rev = given_rev;
	int rc = 0;
	if (!rev) {
		rc = ra_review(r->app->runner, id, given, &own);
		rev = &own;
	} else if (!rev->plan) {
		rc = KX_EINVAL;
	}
	const char *err = rev->err;
	cJSON *form = cJSON_AddArrayToObject(ctx, "form");
	cJSON_ArrayForEach(e, mine) {
		const cJSON *given_v = cJSON_GetObjectItemCaseSensitive(given, e->string);
		const char *value = cJSON_IsString(given_v) ? given_v->valuestring : "";
		cJSON *f = cJSON_CreateObject();
		const cJSON *doc = cJSON_GetObjectItemCaseSensitive(e, "doc");
		cJSON_AddStringToObject(f, "name", e->string);
		cJSON_AddStringToObject(f, "label", ra_param_label(r->app->actions, e->string));
		cJSON_AddStringToObject(f, "help", cJSON_IsString(doc) ? doc->valuestring : "");
		cJSON_AddBoolToObject(f, "required", cJSON_IsTrue(
			cJSON_GetObjectItemCaseSensitive(e, "required")));
		const cJSON *values = cJSON_GetObjectItemCaseSensitive(e, "values");
		cJSON_AddBoolToObject(f, "is_choice", cJSON_IsArray(values));
		cJSON *vs = cJSON_AddArrayToObject(f, "values");
		const cJSON *v;
		cJSON_ArrayForEach(v, values) {
			cJSON *x = cJSON_CreateObject();
			cJSON_AddStringToObject(x, "value", v->valuestring);
			cJSON_AddStringToObject(x, "text", ra_param_value_label(r->app->actions,
									      e->string, v->valuestring));
			cJSON_AddBoolToObject(x, "selected", !strcmp(v->valuestring, value));
			cJSON_AddItemToArray(vs, x);
		}
		cJSON_AddStringToObject(f, "value", value);
		char quoted[128];
		snprintf(quoted, sizeof quoted, "'%s'", e->string);
		cJSON_AddBoolToObject(f, "has_error", rc && strstr(err, quoted));
		cJSON_AddItemToArray(form, f);
	}
	if (error || rc)
		cJSON_AddStringToObject(ctx, "error", error ? error : err);
	if (rev->warnings && cJSON_GetArraySize(rev->warnings))
		cJSON_AddItemToObject(ctx, "warnings", cJSON_Duplicate(rev->warnings, 1));
	if (rc == 0 && rev->plan) {
		cJSON *plan = cJSON_Duplicate(rev->plan, 1);
		cJSON *programs = cJSON_AddArrayToObject(ctx, "programs");
		cJSON_ArrayForEach(e, plan) {
			const cJSON *procs = cJSON_GetObjectItemCaseSensitive(
				cJSON_GetObjectItemCaseSensitive(e, "args"), "processes");
			const cJSON *p;
			cJSON_ArrayForEach(p, procs)
				cJSON_AddItemToArray(programs, cJSON_Duplicate(p, 0));
		}
		struct buf consent;
		buf_init(&consent, 16384);
		ra_consent_text(plan, &consent);
		cJSON_AddStringToObject(ctx, "consent", buf_cstr(&consent));
		buf_release(&consent);
		plan_for_page(plan);
		plan_summary(ctx, plan, id);
		cJSON_AddItemToObject(ctx, "plan", plan);
		preflight_for_page(ctx, cJSON_Duplicate(rev->preflight, 1));
		struct buf url;
		buf_init(&url, 8192);
		buf_addf(&url, "/actions/%s/script.cmd?", id);
		cJSON_ArrayForEach(e, rev->params) {
			buf_adds_url(&url, e->string);
			buf_addch(&url, '=');
			buf_adds_url(&url, e->valuestring);
			buf_addch(&url, '&');
		}
		cJSON_AddStringToObject(ctx, "script_url", buf_cstr(&url));
		buf_release(&url);
	}
	cJSON_AddStringToObject(ctx, "backups_folder", "%LOCALAPPDATA%\\koffix\\backups\\<run>");
	cJSON_AddBoolToObject(ctx, "dry_run", r->app->backend->dry_run);
	if (rev == &own)
		ra_start_release(&own);
	cJSON_Delete(list);
	return ctx;
}

/* Parameters from query arguments or form fields: every name the action accepts. */
static cJSON *params_from(struct http_req *r, const char *id, bool form)
{
	cJSON *list = ra_catalogue_list(r->app->actions);
	cJSON *params = cJSON_CreateObject();
	const cJSON *e, *p;
	cJSON_ArrayForEach(e, list) {
		if (strcmp(cJSON_GetObjectItemCaseSensitive(e, "id")->valuestring, id))
			continue;
		cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(e, "params")) {
			const char *v = form ? form_get(&r->form, p->string) : http_query(r, p->string);
			if (v && *v)
				cJSON_AddStringToObject(params, p->string, v);
		}
	}
	cJSON_Delete(list);
	return params;
}

int web_actions_page(struct http_req *r)
{
	cJSON *ctx = cJSON_CreateObject();
	cJSON *list = ra_catalogue_list(r->app->actions);
	cJSON *act;
	/* The page lists parameters in order: an array of {name, doc, required}. */
	cJSON_ArrayForEach(act, list) {
		cJSON *arr = cJSON_CreateArray(), *p;
		cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(act, "params")) {
			cJSON *e = cJSON_CreateObject();
			const cJSON *doc = cJSON_GetObjectItemCaseSensitive(p, "doc");
			cJSON_AddStringToObject(e, "name", p->string);
			cJSON_AddStringToObject(e, "doc", cJSON_IsString(doc) ? doc->valuestring : "");
			cJSON_AddBoolToObject(e, "required", cJSON_IsTrue(
				cJSON_GetObjectItemCaseSensitive(p, "required")));
			cJSON_AddItemToArray(arr, e);
		}
		cJSON_ReplaceItemInObjectCaseSensitive(act, "params", arr);
	}
	cJSON_AddItemToObject(ctx, "actions", list);
	cJSON *runs = ra_journal_interrupted(r->app->journal);
	const cJSON *e;
	cJSON_ArrayForEach(e, runs) {
		const cJSON *a = ra_action(r->app->actions,
					   cJSON_GetObjectItemCaseSensitive(e, "action")->valuestring);
		const cJSON *title = cJSON_GetObjectItemCaseSensitive(a, "title");
		cJSON_AddStringToObject((cJSON *)e, "title", cJSON_IsString(title) ? title->valuestring
					: "repair");
	}
	if (cJSON_GetArraySize(runs))
		cJSON_AddItemToObject(ctx, "interrupted", runs);
	else
		cJSON_Delete(runs);
	cJSON_AddBoolToObject(ctx, "nav_actions", 1);
	return http_page(r, 200, "actions", "Repairs", ctx);
}

int web_action_page(struct http_req *r)
{
	const char *id = router_param(&r->params, "id");
	if (!ra_action(r->app->actions, id))
		return http_error(r, 404, "There is no such repair.");
	const char *session = http_query(r, "session");
	cJSON *params = params_from(r, id, false);
	if (cJSON_GetArraySize(params) == 0 && session) {
		cJSON *from = session_params(r->app, session, id);
		if (from) {
			cJSON_Delete(params);
			params = from;
		}
	}
	cJSON *ctx = review_context(r, id, params, id_shape(session, WIZ_ID_LEN) ? session : NULL,
				    NULL, NULL);
	/* Missing parameters are the person's next step, not an error on first view. */
	cJSON_DeleteItemFromObjectCaseSensitive(ctx, "error");
	cJSON_Delete(params);
	const cJSON *title = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(ctx, "action"), "title");
	return http_page(r, 200, "action", title->valuestring, ctx);
}

int web_action_script(struct http_req *r)
{
	const char *id = router_param(&r->params, "id");
	if (!ra_action(r->app->actions, id))
		return http_error(r, 404, "There is no such repair.");
	cJSON *params = params_from(r, id, false), *clean, *warnings;
	char err[512], run[33];
	int rc = ra_validate(r->app->actions, id, params, &clean, &warnings, err, sizeof err);
	cJSON_Delete(params);
	if (rc)
		return http_error(r, 400, err);
	cJSON *plan = ra_plan(r->app->actions, id, clean);
	kx_random_hex(run, 16);
	buf_reset(&r->out);
	ra_plan_cmd(r->app->actions, id, clean, plan, run, &r->out);
	cJSON_Delete(plan);
	cJSON_Delete(clean);
	cJSON_Delete(warnings);
	char disp[128];
	snprintf(disp, sizeof disp, "attachment; filename=\"koffix-%s.cmd\"", id);
	http_add_header(r, "Content-Disposition", disp);
	r->ctype = "application/octet-stream";
	r->status = 200;
	return 200;
}

int web_action_run_page(struct http_req *r)
{
	const char *id = router_param(&r->params, "id");
	if (!ra_action(r->app->actions, id))
		return http_error(r, 404, "There is no such repair.");
	const char *session = form_get(&r->form, "session");
	if (session && !*session)
		session = NULL;
	cJSON *params = params_from(r, id, true);
	const char *confirm = form_get(&r->form, "confirm");
	struct ra_start st;
	memset(&st, 0, sizeof st);
	int status;
	char err[768];
	if (!confirm || strcmp(confirm, "yes")) {
		status = 400;
		snprintf(err, sizeof err, "Tick the box to confirm that koffix may make these changes.");
	} else {
		status = start_run(r->app, id, params, session, &st);
		snprintf(err, sizeof err, "%s", st.err);
	}
	if (status == 202) {
		cJSON_Delete(params);
		char loc[64];
		snprintf(loc, sizeof loc, "/runs/%s", st.run);
		ra_start_release(&st);
		return http_redirect(r, 303, loc);
	}
	if (status == 404) {
		cJSON_Delete(params);
		ra_start_release(&st);
		return http_error(r, 404, err);
	}
	/* The page again, with the review the refusal was based on when there is one. */
	cJSON *ctx = review_context(r, id, params, session, err, st.plan ? &st : NULL);
	ra_start_release(&st);
	cJSON_Delete(params);
	const cJSON *title = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(ctx, "action"), "title");
	char t[256];
	snprintf(t, sizeof t, "%s", title->valuestring);
	return http_page(r, status, "action", t, ctx);
}

int web_run_page(struct http_req *r)
{
	cJSON *run = run_json(r->app, router_param(&r->params, "run"));
	if (!run)
		return http_error(r, 404, "There is no such repair run.");
	const char *state = cJSON_GetObjectItemCaseSensitive(run, "state")->valuestring;
	const cJSON *action = ra_action(r->app->actions,
					cJSON_GetObjectItemCaseSensitive(run, "action")->valuestring);
	const cJSON *title = cJSON_GetObjectItemCaseSensitive(action, "title");
	cJSON_AddStringToObject(run, "title", cJSON_IsString(title) ? title->valuestring
				: cJSON_GetObjectItemCaseSensitive(run, "action")->valuestring);
	cJSON_AddBoolToObject(run, "active", !strcmp(state, "queued") || !strcmp(state, "running"));
	bool dry = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(run, "dry_run"));
	/* A preview changed nothing: it has nothing to undo and offers no Undo. */
	cJSON_AddBoolToObject(run, "can_undo", !dry && (!strcmp(state, "succeeded") ||
			      !strcmp(state, "failed") || !strcmp(state, "interrupted")));
	cJSON *st;
	bool inexact = false;
	cJSON_ArrayForEach(st, cJSON_GetObjectItemCaseSensitive(run, "steps")) {
		const cJSON *u = cJSON_GetObjectItemCaseSensitive(st, "undo");
		bool changes = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st, "changes"));
		bool exact = cJSON_IsString(u) && !strcmp(u->valuestring, "exact");
		cJSON_AddBoolToObject(st, "undo_inexact", changes && !exact);
		inexact |= changes && !exact;
	}
	cJSON_AddBoolToObject(run, "undo_inexact", inexact);
	if (cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(run, "session")))
		cJSON_DeleteItemFromObjectCaseSensitive(run, "session");
	/* After a repair that ran: "Did this fix it?", answered into the session's history. */
	bool has_session = cJSON_IsString(cJSON_GetObjectItemCaseSensitive(run, "session"));
	const char *fixed = http_query(r, "fixed");
	cJSON_AddBoolToObject(run, "ask_fixed", has_session && !dry && !strcmp(state, "succeeded") &&
			      !fixed);
	if (fixed && !strcmp(fixed, "yes"))
		cJSON_AddBoolToObject(run, "fixed_yes", 1);
	cJSON *ctx = cJSON_CreateObject();
	cJSON_AddItemToObject(ctx, "run", run);
	return http_page(r, 200, "run", "Repair", ctx);
}

/* POST /runs/{run}/fixed (answer yes|no): recorded in the run's wizard session, so that the
 * support ticket says whether the repair helped; "no" leads to what to try next. */
int web_run_fixed_page(struct http_req *r)
{
	const char *id = router_param(&r->params, "run");
	cJSON *run = run_json(r->app, id);
	if (!run)
		return http_error(r, 404, "There is no such repair run.");
	const char *answer = form_get(&r->form, "answer");
	const cJSON *session = cJSON_GetObjectItemCaseSensitive(run, "session");
	char loc[160];
	int status;
	const char *state = kx_json_str_or(run, "state", "");
	if (!answer || (strcmp(answer, "yes") && strcmp(answer, "no"))) {
		status = http_error(r, 400, "Answer yes or no.");
	} else if (strcmp(state, "succeeded") ||
		   cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(run, "dry_run"))) {
		status = http_error(r, 409, "Only a repair that ran to its end can be asked about.");
	} else if (!cJSON_IsString(session)) {
		status = http_error(r, 409, "This repair was not started from the wizard, so there is "
				    "no ticket to note the answer in.");
	} else if (web_wizard_note(r, session->valuestring, "fixed",
				   kx_json_str_or(run, "action", ""), answer) != 0) {
		status = http_error(r, 500, "The answer could not be stored.");
	} else {
		if (!strcmp(answer, "yes"))
			snprintf(loc, sizeof loc, "/runs/%s?fixed=yes", id);
		else
			snprintf(loc, sizeof loc, "/wizard/%s?at=result#wizard-then-h",
				 session->valuestring);
		status = http_redirect(r, 303, loc);
	}
	cJSON_Delete(run);
	return status;
}

int web_run_undo_page(struct http_req *r)
{
	const char *run = router_param(&r->params, "run");
	char err[512];
	int status = start_undo(r->app, run, err, sizeof err);
	if (status == 404)
		return http_error(r, 404, "There is no such repair run.");
	if (status != 202)
		return http_error(r, status, err);
	char loc[64];
	snprintf(loc, sizeof loc, "/runs/%s", run);
	return http_redirect(r, 303, loc);
}
