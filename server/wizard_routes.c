/* SPDX-License-Identifier: MIT */
/*
 * The wizard over HTTP: the JSON API (README.md, "The troubleshooting wizard") and the HTML pages (plain forms, POST then
 * redirect; app.js swaps pages without reloads when JavaScript runs). Every route needs the
 * launch token (route table in routes.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "../common/util.h"
#include "../kb/kb.h"
#include "../scan/scan.h"
#include "../wizard/session.h"
#include "../wizard/wiz.h"
#include "../common/json.h"
#include "../repair-actions/ra.h"
#include "../app/app.h"
#include "handlers.h"
#include "http.h"


/* Opens the session named in the route (wizard/session.h: the store's lock is held until
 * wiz_sess_close); false when there is none. */
static bool session_load(struct http_req *r, struct wiz_sess *s)
{
	const char *id = router_param(&r->params, "id");
	return wiz_sess_open(r->app->sessions, r->app->flows, id ? id : "", s) == 0;
}

static int status_of(int rc)
{
	return rc == KX_ECONFLICT ? 409 : rc == KX_EINVAL ? 400 : rc == KX_ENOTFOUND ? 404 : 500;
}

/*
 * The scan a new session starts from when the request brings none: a fresh one when koffix can
 * look at this PC (the agent), else NULL. A scan that fails is logged and the wizard asks
 * instead: a person at a broken PC still gets the questions.
 */
static cJSON *fresh_scan(struct http_req *r)
{
	if (!app_can_scan(r->app))
		return NULL;
	cJSON *scan;
	char err[600];
	if (app_scan(r->app, NULL, &scan, err, sizeof err) != 0) {
		log_kv(LOG_WARN, "wizard: the scan failed; the questions are asked instead", 2,
		       "error", err);
		return NULL;
	}
	return scan;
}

/*
 * Creates a session from presets (may be NULL) and scan (may be NULL: then only what koffix
 * detected at start-up): what the scan settles is taken as detected, with its evidence, and
 * the scan is kept with the session for the ticket. *id gets the session's id.
 */
static int create(struct http_req *r, struct wiz_flow *f, const cJSON *presets,
		  const cJSON *scan, char *id, char *err, size_t errlen)
{
	cJSON *detected = NULL, *notes = NULL;
	if (scan)
		scan_wizard_detected(scan, &detected, &notes);
	else
		detected = cJSON_CreateObject();
	const cJSON *e;
	cJSON_ArrayForEach(e, r->app->detected)
		if (e->string && !cJSON_GetObjectItemCaseSensitive(detected, e->string))
			cJSON_AddItemToObject(detected, e->string, cJSON_Duplicate(e, 1));
	int rc = wiz_sess_create(r->app->sessions, f, presets, detected, notes, id, err, errlen);
	cJSON_Delete(detected);
	cJSON_Delete(notes);
	if (rc)
		return rc;
	char scan_id[33];
	if (scan && scan_store_add(r->app->scans, scan, id, scan_id) != 0)
		log_kv(LOG_WARN, "wizard: the scan could not be kept with the session", 2,
		       "session", id);
	return 0;
}

/* ---- JSON API ---- */

int web_api_wizard_create(struct http_req *r)
{
	cJSON *body;
	int st = http_body_json(r, &body);
	if (st)
		return st;
	const cJSON *answers = cJSON_GetObjectItemCaseSensitive(body, "answers");
	const cJSON *flowid = cJSON_GetObjectItemCaseSensitive(body, "flow");
	const cJSON *given = cJSON_GetObjectItemCaseSensitive(body, "scan");
	char err[512], id[WIZ_ID_LEN + 1];
	if ((answers && !cJSON_IsObject(answers)) || (flowid && !cJSON_IsString(flowid)) ||
	    (given && !cJSON_IsObject(given) && !cJSON_IsFalse(given))) {
		cJSON_Delete(body);
		return http_error(r, 400, "answers is an object of question: answer; flow a string; "
				  "scan a koffix scan, or false for none");
	}
	struct wiz_flow *f = app_flow(r->app, flowid ? flowid->valuestring : NULL);
	if (!f) {
		cJSON_Delete(body);
		return http_error(r, 400, "no such flow");
	}
	/* A scan in the request (read on another PC), none (false), or a fresh one. */
	cJSON *scan = NULL;
	if (cJSON_IsObject(given) && app_scan_open(r->app, given, &scan, err, sizeof err) != 0) {
		cJSON_Delete(body);
		return http_error(r, 400, err);
	}
	if (!given)
		scan = fresh_scan(r);
	int rc = create(r, f, answers, scan, id, err, sizeof err);
	cJSON_Delete(scan);
	cJSON_Delete(body);
	if (rc)
		return http_error(r, status_of(rc), err);
	struct wiz_sess s;
	if (wiz_sess_open(r->app->sessions, r->app->flows, id, &s) != 0)
		return http_error(r, 500, "the new session could not be read back");
	cJSON *view = wiz_sess_view(&s);
	wiz_sess_close(&s);
	return http_json(r, 201, view);
}

int web_api_wizard_get(struct http_req *r)
{
	struct wiz_sess s;
	if (!session_load(r, &s))
		return http_error(r, 404, "no such wizard session");
	cJSON *view = wiz_sess_view(&s);
	wiz_sess_close(&s);
	return http_json(r, 200, view);
}

int web_api_wizard_answer(struct http_req *r)
{
	cJSON *body;
	int st = http_body_json(r, &body);
	if (st)
		return st;
	struct wiz_sess s;
	if (!session_load(r, &s)) {
		cJSON_Delete(body);
		return http_error(r, 404, "no such wizard session");
	}
	const cJSON *node = cJSON_GetObjectItemCaseSensitive(body, "node");
	const cJSON *answer = cJSON_GetObjectItemCaseSensitive(body, "answer");
	char err[512];
	int status = 200;
	if (!cJSON_IsString(node) || !cJSON_IsString(answer)) {
		snprintf(err, sizeof err, "the body is {\"node\": \"...\", \"answer\": \"...\"}");
		status = 400;
	} else {
		int rc = wiz_sess_answer(&s, node->valuestring, answer->valuestring, err, sizeof err);
		if (rc)
			status = status_of(rc);
	}
	cJSON_Delete(body);
	if (status != 200) {
		wiz_sess_close(&s);
		return http_error(r, status, err);
	}
	cJSON *view = wiz_sess_view(&s);
	wiz_sess_close(&s);
	return http_json(r, 200, view);
}

int web_api_wizard_back(struct http_req *r)
{
	cJSON *body;
	int st = http_body_json(r, &body);
	if (st)
		return st;
	const cJSON *node = cJSON_GetObjectItemCaseSensitive(body, "node");
	if (node && !cJSON_IsString(node)) {
		cJSON_Delete(body);
		return http_error(r, 400, "node is a question id");
	}
	struct wiz_sess s;
	if (!session_load(r, &s)) {
		cJSON_Delete(body);
		return http_error(r, 404, "no such wizard session");
	}
	char err[512];
	int rc = wiz_sess_back(&s, node ? node->valuestring : NULL, err, sizeof err);
	cJSON_Delete(body);
	if (rc) {
		wiz_sess_close(&s);
		return http_error(r, status_of(rc), err);
	}
	cJSON *view = wiz_sess_view(&s);
	wiz_sess_close(&s);
	return http_json(r, 200, view);
}

/* ---- pages ---- */

static cJSON *sorted_params(const cJSON *params)
{
	cJSON *list = cJSON_CreateArray();
	const cJSON *p;
	cJSON_ArrayForEach(p, params) {
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "name", p->string);
		cJSON_AddStringToObject(e, "value", cJSON_IsString(p) ? p->valuestring : "");
		/* Insertion sort by name: a handful of parameters. */
		int i = 0;
		const cJSON *q;
		cJSON_ArrayForEach(q, list) {
			if (strcmp(cJSON_GetObjectItemCaseSensitive(q, "name")->valuestring,
				   p->string) > 0)
				break;
			i++;
		}
		cJSON_InsertItemInArray(list, i, e);
	}
	return list;
}

/* The wizard.html context from a step view (ownership of view taken). */
static cJSON *page_context(struct http_req *r, struct wiz_flow *f, cJSON *view, const char *error)
{
	cJSON *ctx = cJSON_CreateObject();
	cJSON *w = cJSON_AddObjectToObject(ctx, "wizard");
	cJSON_AddBoolToObject(ctx, "nav_wizard", 1);
	if (error)
		cJSON_AddStringToObject(ctx, "error", error);
	cJSON_AddStringToObject(w, "session", cJSON_GetObjectItemCaseSensitive(view, "session")
				->valuestring);
	cJSON_AddStringToObject(w, "flow_title", wiz_flow_title(f));
	const cJSON *path = cJSON_GetObjectItemCaseSensitive(view, "path");
	cJSON_AddNumberToObject(w, "step_no", cJSON_GetArraySize(path) + 1);
	const cJSON *outcome = cJSON_GetObjectItemCaseSensitive(view, "outcome");
	cJSON_AddBoolToObject(w, "finished", cJSON_IsObject(outcome));

	cJSON *p = cJSON_AddArrayToObject(w, "path");
	const cJSON *e;
	int i = 0;
	cJSON_ArrayForEach(e, path) {
		const char *source = cJSON_GetObjectItemCaseSensitive(e, "source")->valuestring;
		cJSON *x = cJSON_CreateObject();
		cJSON_AddNumberToObject(x, "index", ++i);
		cJSON_AddItemToObject(x, "node", cJSON_Duplicate(
			cJSON_GetObjectItemCaseSensitive(e, "node"), 0));
		cJSON_AddItemToObject(x, "question", cJSON_Duplicate(
			cJSON_GetObjectItemCaseSensitive(e, "question"), 0));
		cJSON_AddItemToObject(x, "answer", cJSON_Duplicate(
			cJSON_GetObjectItemCaseSensitive(e, "label"), 0));
		cJSON_AddStringToObject(x, "source", source);
		cJSON_AddBoolToObject(x, "detected", strcmp(source, "detected") == 0);
		cJSON_AddBoolToObject(x, "preset", strcmp(source, "preset") == 0);
		const cJSON *ev = cJSON_GetObjectItemCaseSensitive(e, "evidence");
		if (cJSON_IsString(ev))
			cJSON_AddStringToObject(x, "evidence", ev->valuestring);
		cJSON_AddItemToArray(p, x);
	}
	/* Back goes to the last answer shown, also on an earlier step's own address. */
	const cJSON *last = cJSON_GetArrayItem(path, cJSON_GetArraySize(path) - 1);
	if (last)
		cJSON_AddStringToObject(w, "back_node", kx_json_str_or(last, "node", ""));
	/* What the PC told: the evidence the flow acted on, and answers it settled unasked. */
	cJSON_AddStringToObject(w, "flow", wiz_flow_id(f));
	cJSON *found = cJSON_AddArrayToObject(w, "evidence");
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(view, "evidence")) {
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(e, "detail");
		if (cJSON_IsString(d) && *d->valuestring)
			cJSON_AddItemToArray(found, cJSON_CreateString(d->valuestring));
	}
	cJSON *settled = cJSON_AddArrayToObject(w, "settled");
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(view, "settled")) {
		cJSON *x = cJSON_CreateObject();
		static const char *const keys[] = { "question", "label", "evidence" };
		for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, keys[k]);
			if (cJSON_IsString(v))
				cJSON_AddStringToObject(x, keys[k], v->valuestring);
		}
		cJSON_AddItemToArray(settled, x);
	}
	cJSON_AddBoolToObject(w, "decided_by_scan", cJSON_IsObject(outcome) && !cJSON_GetArraySize(path)
			      && cJSON_GetArraySize(found) > 0);

	const cJSON *node = cJSON_GetObjectItemCaseSensitive(view, "node");
	if (cJSON_IsString(node)) {
		const char *kind = cJSON_GetObjectItemCaseSensitive(view, "kind")->valuestring;
		const char *value = cJSON_GetObjectItemCaseSensitive(view, "value")->valuestring;
		const cJSON *det = cJSON_GetObjectItemCaseSensitive(view, "detected");
		cJSON *q = cJSON_AddObjectToObject(w, "question");
		cJSON_AddStringToObject(q, "node", node->valuestring);
		cJSON_AddStringToObject(q, "kind", kind);
		cJSON_AddBoolToObject(q, "is_choice", strcmp(kind, "choice") == 0);
		cJSON_AddBoolToObject(q, "is_text", strcmp(kind, "text") == 0);
		cJSON_AddItemToObject(q, "text", cJSON_Duplicate(
			cJSON_GetObjectItemCaseSensitive(view, "question"), 0));
		const char *help = cJSON_GetObjectItemCaseSensitive(view, "help")->valuestring;
		if (*help)
			cJSON_AddStringToObject(q, "help", help);
		const cJSON *ph = cJSON_GetObjectItemCaseSensitive(view, "placeholder");
		if (cJSON_IsString(ph))
			cJSON_AddStringToObject(q, "placeholder", ph->valuestring);
		cJSON_AddStringToObject(q, "value", strcmp(kind, "text") == 0 ? value : "");
		cJSON *opts = cJSON_AddArrayToObject(q, "options");
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(view, "options")) {
			cJSON *o = cJSON_Duplicate(e, 1);
			const char *v = cJSON_GetObjectItemCaseSensitive(e, "value")->valuestring;
			cJSON_AddBoolToObject(o, "checked", strcmp(v, value) == 0);
			if (cJSON_IsString(det) && strcmp(v, det->valuestring) == 0) {
				cJSON *d = cJSON_AddObjectToObject(q, "detected");
				cJSON_AddStringToObject(d, "value", v);
				cJSON_AddItemToObject(d, "label", cJSON_Duplicate(
					cJSON_GetObjectItemCaseSensitive(e, "label"), 0));
			}
			cJSON_AddItemToArray(opts, o);
		}
		if (strcmp(kind, "text") == 0 && cJSON_IsString(det)) {
			cJSON *d = cJSON_AddObjectToObject(q, "detected");
			cJSON_AddStringToObject(d, "value", det->valuestring);
			cJSON_AddStringToObject(d, "label", det->valuestring);
		}
	}
	if (cJSON_IsObject(outcome)) {
		cJSON *o = cJSON_AddObjectToObject(w, "outcome");
		static const char *const keys[] = { "id", "title", "summary", "why" };
		for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
			cJSON_AddItemToObject(o, keys[k], cJSON_Duplicate(
				cJSON_GetObjectItemCaseSensitive(outcome, keys[k]), 0));
		cJSON_AddItemToObject(o, "articles", kb_titles(r->app->kb,
			cJSON_GetObjectItemCaseSensitive(outcome, "articles")));
		cJSON *acts = cJSON_AddArrayToObject(o, "actions");
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(outcome, "actions")) {
			const char *aid = cJSON_GetObjectItemCaseSensitive(e, "id")->valuestring;
			const cJSON *cat = app_action(r->app, aid);
			const cJSON *title = cJSON_GetObjectItemCaseSensitive(cat, "title");
			cJSON *a = cJSON_CreateObject();
			cJSON_AddStringToObject(a, "id", aid);
			cJSON_AddStringToObject(a, "title", cJSON_IsString(title) ? title->valuestring
										  : aid);
			/* An action with a page of its own (the DLL check's upload form). */
			const cJSON *page = cJSON_GetObjectItemCaseSensitive(cat, "page");
			if (cJSON_IsString(page) && page->valuestring[0] == '/')
				cJSON_AddStringToObject(a, "page", page->valuestring);
			cJSON *params = sorted_params(cJSON_GetObjectItemCaseSensitive(e, "params"));
			/* Parameters in people's words: the catalogue's label, and the answer's label
			 * where the value is one of the person's answers. */
			cJSON *pp;
			cJSON_ArrayForEach(pp, params) {
				const char *pname = kx_json_str(pp, "name"), *pval = kx_json_str(pp, "value");
				cJSON_AddStringToObject(pp, "label", ra_param_label(r->app->actions, pname));
				const char *said = ra_param_value_label(r->app->actions, pname, pval);
				if (said != pval) {
					cJSON_ReplaceItemInObjectCaseSensitive(pp, "value",
						cJSON_CreateString(said));
					continue;   /* pval was the replaced value */
				}
				const cJSON *step;
				cJSON_ArrayForEach(step, cJSON_GetObjectItemCaseSensitive(view, "path"))
					if (!strcmp(kx_json_str_or(step, "node", ""), pname) &&
					    !strcmp(kx_json_str_or(step, "answer", ""), pval) &&
					    kx_json_str(step, "label")) {
						cJSON_ReplaceItemInObjectCaseSensitive(pp, "value",
							cJSON_CreateString(kx_json_str(step, "label")));
						break;   /* pval was the replaced value */
					}
			}
			cJSON_AddBoolToObject(a, "has_params", cJSON_GetArraySize(params) > 0);
			cJSON_AddBoolToObject(a, "first", cJSON_GetArraySize(acts) == 0);
			cJSON_AddItemToObject(a, "params", params);
			cJSON_AddItemToArray(acts, a);
		}
		cJSON_AddItemToObject(o, "reminder", cJSON_Duplicate(
			cJSON_GetObjectItemCaseSensitive(view, "reminder"), 0));
	}
	cJSON_Delete(view);
	return ctx;
}

/* Each step has its own address, so that the browser's history walks the wizard:
 * /wizard/ID?at=NODE for a question, ?at=result for the outcome. */
static void step_location(const struct wiz_sess *s, const char *id, char *loc, size_t len)
{
	cJSON *view = wiz_sess_view(s);
	const cJSON *node = cJSON_GetObjectItemCaseSensitive(view, "node");
	snprintf(loc, len, "/wizard/%s?at=%s", id, cJSON_IsString(node) && strlen(node->valuestring)
		 < 64 ? node->valuestring : "result");
	cJSON_Delete(view);
}

static int step_page(struct http_req *r, struct wiz_sess *s, int status, const char *error)
{
	cJSON *ctx = page_context(r, s->flow, wiz_sess_view(s), error);
	wiz_sess_close(s);
	return http_page(r, status, "wizard", "Troubleshooting wizard", ctx);
}

int web_wizard_start_page(struct http_req *r)
{
	struct wiz_flow *f = app_flow(r->app, http_query(r, "flow"));
	if (!f)
		return http_error(r, 404, "There is no such troubleshooting wizard.");
	cJSON *ctx = cJSON_CreateObject();
	cJSON_AddBoolToObject(ctx, "nav_wizard", 1);
	cJSON *flow = cJSON_AddObjectToObject(ctx, "flow");
	cJSON_AddStringToObject(flow, "id", wiz_flow_id(f));
	cJSON_AddStringToObject(flow, "title", wiz_flow_title(f));
	cJSON_AddStringToObject(flow, "intro", wiz_flow_intro(f));
	cJSON_AddBoolToObject(ctx, "can_scan", app_can_scan(r->app));
	/* A deep link pre-answers questions: checked now, carried by the start form. */
	cJSON *args = http_query_all(r);
	cJSON *presets = cJSON_AddArrayToObject(ctx, "presets");
	const cJSON *a;
	int status = 200;
	cJSON_ArrayForEach(a, args) {
		if (!strcmp(a->string, "flow") || !strcmp(a->string, "scan"))
			continue;
		if (!wiz_is_question(f, a->string)) {
			char msg[300];
			snprintf(msg, sizeof msg, "The link names '%.100s', which is not a question of "
				 "this wizard; it was left out.", a->string);
			cJSON_AddStringToObject(ctx, "error", msg);
			status = 400;
			continue;
		}
		cJSON *p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "name", a->string);
		cJSON_AddStringToObject(p, "value", a->valuestring);
		cJSON_AddItemToArray(presets, p);
	}
	cJSON_Delete(args);
	const char *last = http_cookie(r, WIZARD_COOKIE);
	struct wiz_sess s;
	if (last) {
		if (wiz_sess_open(r->app->sessions, r->app->flows, last, &s) == 0) {
			cJSON *view = wiz_sess_view(&s);
			cJSON *resume = cJSON_AddObjectToObject(ctx, "resume");
			cJSON_AddStringToObject(resume, "id", s.id);
			const cJSON *q = cJSON_GetObjectItemCaseSensitive(view, "question");
			const cJSON *o = cJSON_GetObjectItemCaseSensitive(view, "outcome");
			cJSON_AddStringToObject(resume, "question", cJSON_IsString(q) ? q->valuestring
						: cJSON_GetObjectItemCaseSensitive(o, "title")->valuestring);
			cJSON_Delete(view);
			wiz_sess_close(&s);
		}
	}
	return http_page(r, status, "wizard_start", "Troubleshooting wizard", ctx);
}

int web_wizard_create_page(struct http_req *r)
{
	struct wiz_flow *f = app_flow(r->app, form_get(&r->form, "flow"));
	if (!f)
		return http_error(r, 400, "There is no such troubleshooting wizard.");
	cJSON *presets = cJSON_CreateObject();
	for (int i = 0; i < r->form.n; i++)
		if (kx_str_starts(r->form.keys[i], "preset_") && r->form.keys[i][7])
			cJSON_AddStringToObject(presets, r->form.keys[i] + 7, r->form.values[i]);
	char err[512], id[WIZ_ID_LEN + 1];
	/* From a scan kept here (the scan page's "Continue in the wizard"), without one ("scan"
	 * is "no": answer the questions yourself), or from a fresh one. */
	const char *from = form_get(&r->form, "scan");
	cJSON *scan = NULL;
	if (from && *from && strcmp(from, "no")) {
		scan = scan_store_get(r->app->scans, from);
		if (!scan) {
			cJSON_Delete(presets);
			return http_error(r, 404, "There is no such scan here any more. Check this PC "
					  "again or open the scan file.");
		}
	} else if (!from || !*from) {
		scan = fresh_scan(r);
	}
	int rc = create(r, f, presets, scan, id, err, sizeof err);
	cJSON_Delete(scan);
	cJSON_Delete(presets);
	if (rc)
		return http_error(r, status_of(rc), err);
	char cookie[160], loc[64];
	snprintf(cookie, sizeof cookie, "%s=%s; Path=/; HttpOnly; SameSite=Strict", WIZARD_COOKIE,
		 id);
	http_add_header(r, "Set-Cookie", cookie);
	snprintf(loc, sizeof loc, "/wizard/%s", id);
	struct wiz_sess s;
	char step[160];
	if (wiz_sess_open(r->app->sessions, r->app->flows, id, &s) == 0) {
		step_location(&s, id, step, sizeof step);
		wiz_sess_close(&s);
		return http_redirect(r, 303, step);
	}
	return http_redirect(r, 303, loc);
}

int web_wizard_step_page(struct http_req *r)
{
	struct wiz_sess s;
	if (!session_load(r, &s))
		return http_error(r, 404, "There is no wizard session at this address. Start a new "
				  "one from the wizard page.");
	/* An earlier step's address (the browser's Back button): that question again, with its
	 * answer chosen; nothing changes until it is answered. */
	const char *at = http_query(r, "at");
	cJSON *earlier = at && strcmp(at, "result") ? wiz_sess_view_at(&s, at) : NULL;
	if (earlier) {
		cJSON *ctx = page_context(r, s.flow, earlier, NULL);
		cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(ctx, "wizard"), "revisit",
					"You came back to an earlier question. Your later answers are "
					"kept: change this one and koffix asks only what no longer fits.");
		wiz_sess_close(&s);
		return http_page(r, 200, "wizard", "Troubleshooting wizard", ctx);
	}
	return step_page(r, &s, 200, NULL);
}

int web_wizard_answer_page(struct http_req *r)
{
	struct wiz_sess s;
	if (!session_load(r, &s))
		return http_error(r, 404, NULL);
	const char *node = form_get(&r->form, "node");
	const char *answer = form_get(&r->form, "answer");
	char err[512];
	int rc;
	if (!answer) {
		snprintf(err, sizeof err, "Choose one of the answers, then press Next.");
		rc = KX_EINVAL;
	} else {
		/* The current question, or an earlier one (its own address, the Back button). */
		rc = wiz_sess_change(&s, node, answer, err, sizeof err);
	}
	if (rc == KX_ECONFLICT)
		snprintf(err, sizeof err, "That question is not part of this session any more "
			 "(perhaps it changed in another window). This is where the session is now.");
	if (rc)
		return step_page(r, &s, status_of(rc), err);
	char loc[160];
	step_location(&s, router_param(&r->params, "id"), loc, sizeof loc);
	wiz_sess_close(&s);
	return http_redirect(r, 303, loc);
}

int web_wizard_back_page(struct http_req *r)
{
	struct wiz_sess s;
	if (!session_load(r, &s))
		return http_error(r, 404, NULL);
	const char *node = form_get(&r->form, "node");
	char err[512];
	int rc = wiz_sess_back(&s, node && *node ? node : NULL, err, sizeof err);
	if (rc)
		return step_page(r, &s, status_of(rc), err);
	char loc[160];
	step_location(&s, router_param(&r->params, "id"), loc, sizeof loc);
	wiz_sess_close(&s);
	return http_redirect(r, 303, loc);
}

/* ---- Contact support without going through the wizard ---- */

/* GET /support: the last wizard session's ticket page when this browser has one, else a page
 * that offers the wizard or a ticket right away (POST /support). Changes nothing. */
int web_support_page(struct http_req *r)
{
	const char *last = http_cookie(r, WIZARD_COOKIE);
	if (last && wiz_sess_exists(r->app->sessions, r->app->flows, last)) {
		char loc[96];
		snprintf(loc, sizeof loc, "/wizard/%s/ticket", last);
		return http_redirect(r, 303, loc);
	}
	cJSON *ctx = cJSON_CreateObject();
	return http_page(r, 200, "support", "Contact support", ctx);
}

/* POST /support: a session with no answers yet, for a ticket now; its page is the ticket's. */
int web_support_create(struct http_req *r)
{
	struct wiz_flow *f = app_flow(r->app, NULL);
	if (!f)
		return http_error(r, 404, "There is no troubleshooting wizard here.");
	char id[33], err[512];
	int rc = create(r, f, NULL, NULL, id, err, sizeof err);
	if (rc)
		return http_error(r, status_of(rc), err);
	char cookie[160], loc[96];
	snprintf(cookie, sizeof cookie, "%s=%s; Path=/; HttpOnly; SameSite=Strict", WIZARD_COOKIE,
		 id);
	http_add_header(r, "Set-Cookie", cookie);
	snprintf(loc, sizeof loc, "/wizard/%s/ticket", id);
	return http_redirect(r, 303, loc);
}

int web_wizard_note(struct http_req *r, const char *session, const char *kind, const char *node,
		    const char *answer)
{
	struct wiz_sess s;
	if (wiz_sess_open(r->app->sessions, r->app->flows, session, &s) != 0)
		return KX_ENOTFOUND;
	int rc = wiz_sess_note(&s, kind, node, answer);
	wiz_sess_close(&s);
	return rc;
}
