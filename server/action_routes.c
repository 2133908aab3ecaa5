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
#include "../repair-actions/ra.h"
#include "../wizard/store.h"
#include "../wizard/wiz.h"
#include "app.h"
#include "handlers.h"
#include "http.h"

/* Serialises "is a run active? then start one" so that two requests cannot both start. */
static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;
static int jobs;   /* repair threads still going, under start_lock */

struct job {
	struct app *app;
	char run[33];
	bool undo;
};

static void *job_main(void *arg)
{
	struct job *j = arg;
	if (j->undo)
		ra_undo(j->app->journal, j->app->backend, j->run, j->app->step_timeout);
	else
		ra_run(j->app->journal, j->app->backend, j->run, j->app->step_timeout);
	log_kv(LOG_INFO, j->undo ? "repair undone" : "repair finished", 1, "run", j->run);
	free(j);
	pthread_mutex_lock(&start_lock);
	jobs--;
	pthread_mutex_unlock(&start_lock);
	return NULL;
}

static void start_job(struct app *app, const char *run, bool undo)
{
	struct job *j = xcalloc(1, sizeof *j);
	j->app = app;
	snprintf(j->run, sizeof j->run, "%s", run);
	j->undo = undo;
	pthread_t t;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* Called with start_lock held. */
	jobs++;
	if (pthread_create(&t, &attr, job_main, j) != 0) {
		log_kv(LOG_ERROR, "cannot start a repair thread", 1, "run", run);
		free(j);
		jobs--;
	}
	pthread_attr_destroy(&attr);
}

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
	char flowid[128];
	wiz_store_lock(app->sessions);
	cJSON *state = wiz_store_load(app->sessions, session, flowid, sizeof flowid, NULL);
	struct wiz_flow *f = state ? app_flow(app, flowid) : NULL;
	cJSON *view = f ? wiz_view(f, state, session) : NULL;
	wiz_store_unlock(app->sessions);
	cJSON *params = NULL;
	const cJSON *a;
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(
				      cJSON_GetObjectItemCaseSensitive(view, "outcome"), "actions")) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(a, "id");
		if (cJSON_IsString(id) && !strcmp(id->valuestring, action))
			params = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(a, "params"), 1);
	}
	cJSON_Delete(view);
	cJSON_Delete(state);
	return params;
}

/*
 * Validates and starts a run. Returns the HTTP status: 202 with the id in run; else the status
 * and a message in err.
 */
static int start_run(struct app *app, const char *action, const cJSON *params,
		     const char *session, char *run, char *err, size_t errlen)
{
	cJSON *clean, *warnings;
	int rc = ra_validate(app->actions, action, params, &clean, &warnings, err, errlen);
	if (rc)
		return rc == KX_ENOTFOUND ? 404 : 400;
	cJSON_Delete(warnings);
	if (session && !id_shape(session, WIZ_ID_LEN)) {
		cJSON_Delete(clean);
		snprintf(err, errlen, "session is a wizard session id");
		return 400;
	}
	cJSON *plan = ra_plan(app->actions, action, clean);
	int status = 202;
	pthread_mutex_lock(&start_lock);
	char active[33];
	if (ra_journal_active(app->journal, active)) {
		snprintf(err, errlen, "another repair (run %s) is still going on; one at a time", active);
		status = 409;
	} else if (!plan || ra_journal_create(app->journal, action, clean, session, app->backend,
					      plan, run) != 0) {
		snprintf(err, errlen, "the run could not be recorded");
		status = 500;
	} else {
		start_job(app, run, false);
	}
	pthread_mutex_unlock(&start_lock);
	cJSON_Delete(plan);
	cJSON_Delete(clean);
	return status;
}

static int start_undo(struct app *app, const char *run, char *err, size_t errlen)
{
	cJSON *r = ra_journal_get(app->journal, run);
	if (!r) {
		snprintf(err, errlen, "no such run");
		return 404;
	}
	const char *state = cJSON_GetObjectItemCaseSensitive(r, "state")->valuestring;
	int status = 202;
	pthread_mutex_lock(&start_lock);
	if (strcmp(state, "succeeded") && strcmp(state, "failed") && strcmp(state, "interrupted")) {
		snprintf(err, errlen, "a run that is %s cannot be undone", state);
		status = 409;
	} else if (ra_journal_active(app->journal, NULL)) {
		snprintf(err, errlen, "another repair is still going on; one at a time");
		status = 409;
	} else {
		start_job(app, run, true);
	}
	pthread_mutex_unlock(&start_lock);
	cJSON_Delete(r);
	return status;
}

int actions_running(void)
{
	pthread_mutex_lock(&start_lock);
	int n = jobs;
	pthread_mutex_unlock(&start_lock);
	return n;
}

/* ---- JSON API ---- */

/*
 * A plan with steps that need administrator rights, on a machine whose agent said that koffix
 * runs without them (facts.elevated false): those steps would fail and be rolled back, so the
 * review says so first. Nothing is said when the backend detected nothing.
 */
static void warn_elevation(const struct app *app, const cJSON *plan, cJSON *warnings)
{
	const cJSON *elevated = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(app->detected, "facts"), "elevated");
	if (!cJSON_IsFalse(elevated))
		return;
	const cJSON *s;
	cJSON_ArrayForEach(s, plan) {
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "admin"))) {
			cJSON_AddItemToArray(warnings, cJSON_CreateString(
				"Some steps of this repair need administrator rights, and koffix is "
				"running without them, so those steps would fail and the repair would be "
				"rolled back. Close koffix and start it again with right-click, \"Run as "
				"administrator\", or ask your IT to run this repair."));
			return;
		}
	}
}

int api_actions_list(struct http_req *r)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "actions", ra_catalogue_list(r->app->actions));
	cJSON_AddStringToObject(o, "backend", r->app->backend->name);
	cJSON_AddBoolToObject(o, "dry_run", r->app->backend->dry_run);
	return http_json(r, 200, o);
}

int api_action_plan(struct http_req *r)
{
	cJSON *body;
	int st = http_body_json(r, &body);
	if (st)
		return st;
	const char *id = router_param(&r->params, "id");
	const cJSON *params = cJSON_GetObjectItemCaseSensitive(body, "params");
	cJSON *clean, *warnings;
	char err[512];
	int rc = ra_validate(r->app->actions, id, params, &clean, &warnings, err, sizeof err);
	cJSON_Delete(body);
	if (rc)
		return http_error(r, rc == KX_ENOTFOUND ? 404 : 400, err);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "action", id);
	cJSON *plan = ra_plan(r->app->actions, id, clean);
	warn_elevation(r->app, plan, warnings);
	cJSON_AddItemToObject(o, "plan", plan);
	cJSON_AddItemToObject(o, "params", clean);
	cJSON_AddItemToObject(o, "warnings", warnings);
	cJSON_AddBoolToObject(o, "dry_run", r->app->backend->dry_run);
	return http_json(r, 200, o);
}

int api_action_run(struct http_req *r)
{
	cJSON *body;
	int st = http_body_json(r, &body);
	if (st)
		return st;
	const char *id = router_param(&r->params, "id");
	const cJSON *confirm = cJSON_GetObjectItemCaseSensitive(body, "confirm");
	const cJSON *session = cJSON_GetObjectItemCaseSensitive(body, "session");
	char err[512], run[33];
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
				   cJSON_IsString(session) ? session->valuestring : NULL, run, err,
				   sizeof err);
	}
	cJSON_Delete(body);
	if (status != 202)
		return http_error(r, status, err);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "run", run);
	return http_json(r, 202, o);
}

static cJSON *run_json(struct app *app, const char *run)
{
	return id_shape(run, 32) ? ra_journal_get(app->journal, run) : NULL;
}

int api_run_get(struct http_req *r)
{
	cJSON *o = run_json(r->app, router_param(&r->params, "run"));
	if (!o)
		return http_error(r, 404, "no such run");
	return http_json(r, 200, o);
}

int api_run_undo(struct http_req *r)
{
	const char *run = router_param(&r->params, "run");
	char err[512];
	int status = id_shape(run, 32) ? start_undo(r->app, run, err, sizeof err) : 404;
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
		/* Poll the journal; the connection has its own thread, so a short sleep is fine. */
		struct timespec ts = { 0, 100 * 1000000L };
		if (s->idle++)
			nanosleep(&ts, NULL);
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

int api_run_events(struct http_req *r)
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

/* The review page's context: the parameter form, and the plan when the parameters are valid. */
static cJSON *review_context(struct http_req *r, const char *id, const cJSON *given,
			     const char *session, const char *error)
{
	const cJSON *action = ra_action(r->app->actions, id);
	cJSON *ctx = cJSON_CreateObject();
	cJSON *a = cJSON_AddObjectToObject(ctx, "action");
	static const char *const keys[] = { "id", "title", "description", "risk" };
	for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(action, keys[k]);
		cJSON_AddStringToObject(a, keys[k], cJSON_IsString(v) ? v->valuestring : "");
	}
	if (session)
		cJSON_AddStringToObject(ctx, "session", session);
	cJSON *list = ra_catalogue_list(r->app->actions), *mine = NULL;
	const cJSON *e;
	cJSON_ArrayForEach(e, list)
		if (!strcmp(cJSON_GetObjectItemCaseSensitive(e, "id")->valuestring, id))
			mine = cJSON_GetObjectItemCaseSensitive(e, "params");
	char err[512] = "";
	cJSON *clean = NULL, *warnings = NULL;
	int rc = ra_validate(r->app->actions, id, given, &clean, &warnings, err, sizeof err);
	cJSON *form = cJSON_AddArrayToObject(ctx, "form");
	cJSON_ArrayForEach(e, mine) {
		const cJSON *given_v = cJSON_GetObjectItemCaseSensitive(given, e->string);
		const char *value = cJSON_IsString(given_v) ? given_v->valuestring : "";
		cJSON *f = cJSON_CreateObject();
		const cJSON *doc = cJSON_GetObjectItemCaseSensitive(e, "doc");
		cJSON_AddStringToObject(f, "name", e->string);
		cJSON_AddStringToObject(f, "label", cJSON_IsString(doc) ? doc->valuestring : e->string);
		cJSON_AddBoolToObject(f, "required", cJSON_IsTrue(
			cJSON_GetObjectItemCaseSensitive(e, "required")));
		const cJSON *values = cJSON_GetObjectItemCaseSensitive(e, "values");
		cJSON_AddBoolToObject(f, "is_choice", cJSON_IsArray(values));
		cJSON *vs = cJSON_AddArrayToObject(f, "values");
		const cJSON *v;
		cJSON_ArrayForEach(v, values) {
			cJSON *x = cJSON_CreateObject();
			cJSON_AddStringToObject(x, "value", v->valuestring);
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
	cJSON *plan = rc == 0 ? ra_plan(r->app->actions, id, clean) : NULL;
	if (plan && warnings)
		warn_elevation(r->app, plan, warnings);
	if (warnings && cJSON_GetArraySize(warnings))
		cJSON_AddItemToObject(ctx, "warnings", cJSON_Duplicate(warnings, 1));
	if (rc == 0) {
		cJSON *programs = cJSON_AddArrayToObject(ctx, "programs");
		cJSON_ArrayForEach(e, plan) {
			const cJSON *procs = cJSON_GetObjectItemCaseSensitive(
				cJSON_GetObjectItemCaseSensitive(e, "args"), "processes");
			const cJSON *p;
			cJSON_ArrayForEach(p, procs)
				cJSON_AddItemToArray(programs, cJSON_Duplicate(p, 0));
		}
		cJSON_AddItemToObject(ctx, "plan", plan);
		struct buf url;
		buf_init(&url, 8192);
		buf_addf(&url, "/actions/%s/script.cmd?", id);
		cJSON_ArrayForEach(e, clean) {
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
	cJSON_Delete(clean);
	cJSON_Delete(warnings);
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

int actions_page(struct http_req *r)
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

int action_page(struct http_req *r)
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
				    NULL);
	/* Missing parameters are the person's next step, not an error on first view. */
	cJSON_DeleteItemFromObjectCaseSensitive(ctx, "error");
	cJSON_Delete(params);
	const cJSON *title = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(ctx, "action"), "title");
	return http_page(r, 200, "action", title->valuestring, ctx);
}

int action_script(struct http_req *r)
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
	random_hex(run, 16);
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

int action_run_page(struct http_req *r)
{
	const char *id = router_param(&r->params, "id");
	if (!ra_action(r->app->actions, id))
		return http_error(r, 404, "There is no such repair.");
	const char *session = form_get(&r->form, "session");
	if (session && !*session)
		session = NULL;
	cJSON *params = params_from(r, id, true);
	const char *confirm = form_get(&r->form, "confirm");
	char err[512], run[33];
	int status;
	if (!confirm || strcmp(confirm, "yes")) {
		status = 400;
		snprintf(err, sizeof err, "Tick the box to confirm that koffix may make these changes.");
	} else {
		status = start_run(r->app, id, params, session, run, err, sizeof err);
	}
	if (status == 202) {
		cJSON_Delete(params);
		char loc[64];
		snprintf(loc, sizeof loc, "/runs/%s", run);
		return http_redirect(r, 303, loc);
	}
	if (status == 404) {
		cJSON_Delete(params);
		return http_error(r, 404, err);
	}
	cJSON *ctx = review_context(r, id, params, session, err);
	cJSON_Delete(params);
	const cJSON *title = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(ctx, "action"), "title");
	char t[256];
	snprintf(t, sizeof t, "%s", title->valuestring);
	return http_page(r, status, "action", t, ctx);
}

int run_page(struct http_req *r)
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
	cJSON_AddBoolToObject(run, "can_undo", !strcmp(state, "succeeded") ||
			      !strcmp(state, "failed") || !strcmp(state, "interrupted"));
	if (cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(run, "session")))
		cJSON_DeleteItemFromObjectCaseSensitive(run, "session");
	cJSON *ctx = cJSON_CreateObject();
	cJSON_AddItemToObject(ctx, "run", run);
	return http_page(r, 200, "run", "Repair", ctx);
}

int run_undo_page(struct http_req *r)
{
	const char *run = router_param(&r->params, "run");
	char err[512];
	int status = id_shape(run, 32) ? start_undo(r->app, run, err, sizeof err) : 404;
	if (status == 404)
		return http_error(r, 404, "There is no such repair run.");
	if (status != 202)
		return http_error(r, status, err);
	char loc[64];
	snprintf(loc, sizeof loc, "/runs/%s", run);
	return http_redirect(r, 303, loc);
}
