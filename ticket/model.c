/* SPDX-License-Identifier: MIT */
/* The ticket model: a wizard session and what other modules recorded about it, cleaned. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "../kb/kb.h"
#include "../common/version.h"
#include "../wizard/wiz.h"
#include "internal.h"

#define HISTORY_MAX 1000
#define RUNS_MAX 20
#define STEPS_MAX 200
#define DLL_MAX 20
#define SCAN_ITEMS_MAX 64  /* sources, findings, evidence per finding */
#define VOTES_MAX 100
#define TEXT_MAX 8000          /* why and summary texts */
#define SUBJECT_MAX 250
#define JSON_DEPTH_MAX 16
#define JSON_ITEMS_MAX 2000

const char *tk_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

const char *tk_str_or(const cJSON *o, const char *key, const char *fallback)
{
	const char *s = tk_str(o, key);
	return s ? s : fallback;
}

/* What all logs and outputs of one ticket may still take. */
struct budget {
	size_t left;
};

/* Adds a cleaned single-line string (or null for NULL). */
static void add_text_n(cJSON *o, const char *key, const char *s, size_t n, size_t max)
{
	if (!s) {
		cJSON_AddNullToObject(o, key);
		return;
	}
	char *c = ticket_clean(s, n, TICKET_TEXT_LINE, max, NULL);
	cJSON_AddStringToObject(o, key, c);
	free(c);
}

static void add_text(cJSON *o, const char *key, const char *s, size_t max)
{
	add_text_n(o, key, s, s ? strlen(s) : 0, max);
}

static void add_line(cJSON *o, const char *key, const char *s)
{
	add_text(o, key, s, TICKET_LINE_MAX);
}

static cJSON *line_string(const char *s)
{
	char *c = ticket_clean(s, strlen(s), TICKET_TEXT_LINE, TICKET_LINE_MAX, NULL);
	cJSON *v = cJSON_CreateString(c);
	free(c);
	return v;
}

/* Adds a cleaned log (line breaks kept) within the ticket's budget. */
static void add_block(cJSON *o, const char *key, const char *s, size_t n, struct budget *b)
{
	if (!s) {
		cJSON_AddNullToObject(o, key);
		return;
	}
	size_t max = b->left < TICKET_BLOCK_MAX ? b->left : TICKET_BLOCK_MAX;
	char *c = ticket_clean(s, n, TICKET_TEXT_BLOCK, max, NULL);
	size_t used = strlen(c);
	b->left = used < b->left ? b->left - used : 0;
	cJSON_AddStringToObject(o, key, c);
	free(c);
}

/* A column as text with its length (it may hold NUL bytes), or NULL for SQL NULL. */
static const char *col_text(sqlite3_stmt *st, int i, size_t *n)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL) {
		*n = 0;
		return NULL;
	}
	const char *p = (const char *)sqlite3_column_blob(st, i);
	*n = (size_t)sqlite3_column_bytes(st, i);
	return p ? p : "";
}

static void add_col_line(cJSON *o, const char *key, sqlite3_stmt *st, int i)
{
	size_t n;
	const char *p = col_text(st, i, &n);
	add_text_n(o, key, p, n, TICKET_LINE_MAX);
}

static void add_col_int(cJSON *o, const char *key, sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_INTEGER)
		cJSON_AddNumberToObject(o, key, (double)sqlite3_column_int64(st, i));
	else
		cJSON_AddNullToObject(o, key);
}

/* A cleaned deep copy of JSON that another module stored: strings and keys cleaned, bounded. */
static cJSON *clean_json(const cJSON *v, int depth, int *items)
{
	if (++*items > JSON_ITEMS_MAX || depth > JSON_DEPTH_MAX)
		return cJSON_CreateString("[... cut]");
	if (cJSON_IsString(v))
		return line_string(v->valuestring);
	if (cJSON_IsNumber(v))
		return cJSON_CreateNumber(isfinite(v->valuedouble) ? v->valuedouble : 0);
	if (cJSON_IsBool(v))
		return cJSON_CreateBool(cJSON_IsTrue(v));
	if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
		cJSON *c = cJSON_IsArray(v) ? cJSON_CreateArray() : cJSON_CreateObject();
		const cJSON *e;
		cJSON_ArrayForEach(e, v) {
			cJSON *x = clean_json(e, depth + 1, items);
			if (cJSON_IsArray(v)) {
				cJSON_AddItemToArray(c, x);
				continue;
			}
			const char *k = e->string ? e->string : "";
			char *key = ticket_clean(k, strlen(k), TICKET_TEXT_LINE, 200, NULL);
			cJSON_DeleteItemFromObjectCaseSensitive(c, key);
			cJSON_AddItemToObject(c, key, x);
			free(key);
		}
		return c;
	}
	return cJSON_CreateNull();
}

/* A stored JSON column parsed and cleaned; NULL when absent or not of the wanted shape. */
static cJSON *col_json(sqlite3_stmt *st, int i, bool object)
{
	size_t n;
	const char *p = col_text(st, i, &n);
	if (!p)
		return NULL;
	cJSON *raw = cJSON_ParseWithLength(p, n);
	cJSON *c = NULL;
	int items = 0;
	if (object ? cJSON_IsObject(raw) : raw != NULL)
		c = clean_json(raw, 0, &items);
	cJSON_Delete(raw);
	return c;
}

static void unavailable(cJSON *m, enum ticket_stmt id)
{
	cJSON *list = cJSON_GetObjectItemCaseSensitive(m, "unavailable");
	const cJSON *e;
	cJSON_ArrayForEach(e, list)
		if (strcmp(e->valuestring, ticket_db_table(id)) == 0)
			return;
	cJSON_AddItemToArray(list, cJSON_CreateString(ticket_db_table(id)));
}

/* [{slug, title}] for a list of slugs, titles from the KB (the slug when unknown). */
static cJSON *titled(struct kb *kb, const cJSON *slugs)
{
	cJSON *known = kb ? kb_titles(kb, slugs) : NULL;
	cJSON *list = cJSON_CreateArray();
	const cJSON *s;
	cJSON_ArrayForEach(s, slugs) {
		if (!cJSON_IsString(s))
			continue;
		const char *title = s->valuestring;
		const cJSON *k;
		cJSON_ArrayForEach(k, known)
			if (strcmp(tk_str_or(k, "slug", ""), s->valuestring) == 0)
				title = tk_str_or(k, "title", title);
		cJSON *a = cJSON_CreateObject();
		add_line(a, "slug", s->valuestring);
		add_line(a, "title", title);
		cJSON_AddItemToArray(list, a);
	}
	cJSON_Delete(known);
	return list;
}

static double tenths(double s)
{
	return isfinite(s) && s > 0 ? round(s * 10) / 10 : 0;
}

static void add_session(cJSON *m, const struct ticket_input *in, const cJSON *view)
{
	cJSON *s = cJSON_AddObjectToObject(m, "session");
	add_line(s, "id", in->session);
	add_line(s, "flow", wiz_flow_id(in->flow));
	add_line(s, "flow_title", wiz_flow_title(in->flow));
	const cJSON *first = cJSON_GetArrayItem(in->events, 0);
	const cJSON *last = cJSON_GetArrayItem(in->events, cJSON_GetArraySize(in->events) - 1);
	add_line(s, "started", tk_str(first, "at"));
	add_line(s, "updated", tk_str(last, "at"));
	cJSON_AddBoolToObject(s, "finished",
			      cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(view, "outcome")));
}

static void add_subject(cJSON *m, const struct ticket_input *in, const cJSON *view)
{
	const char *prefix = in->subject_prefix && *in->subject_prefix ? in->subject_prefix
								     : TICKET_SUBJECT_PREFIX;
	const cJSON *outcome = cJSON_GetObjectItemCaseSensitive(view, "outcome");
	const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(view, "path"), 0);
	struct buf b;
	buf_init(&b, BUF_NOMAX);
	if (cJSON_IsObject(outcome))
		buf_addf(&b, "%s: %s", prefix, tk_str_or(outcome, "title", "diagnosis"));
	else if (first)
		buf_addf(&b, "%s: %s (diagnosis not finished)", prefix,
			 tk_str_or(first, "label", "?"));
	else
		buf_addf(&b, "%s: support request (wizard not started)", prefix);
	add_text(m, "subject", buf_cstr(&b), SUBJECT_MAX);
	buf_release(&b);
}

static void add_path(cJSON *m, const struct ticket_input *in, const cJSON *view)
{
	cJSON *path = cJSON_AddArrayToObject(m, "path");
	cJSON *env = cJSON_AddArrayToObject(m, "environment");
	const cJSON *p;
	int i = 0;
	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(view, "path")) {
		cJSON *x = cJSON_CreateObject();
		cJSON_AddNumberToObject(x, "step", ++i);
		add_line(x, "node", tk_str_or(p, "node", ""));
		add_line(x, "question", tk_str_or(p, "question", ""));
		cJSON *a = cJSON_AddObjectToObject(x, "answer");
		add_line(a, "value", tk_str_or(p, "answer", ""));
		add_line(a, "label", tk_str_or(p, "label", ""));
		add_line(x, "source", tk_str_or(p, "source", "answered"));
		const cJSON *sec = cJSON_GetObjectItemCaseSensitive(p, "seconds");
		cJSON_AddNumberToObject(x, "seconds", tenths(cJSON_IsNumber(sec) ? sec->valuedouble
								     : 0));
		cJSON_AddItemToArray(path, x);

		cJSON *e = cJSON_CreateObject();
		add_line(e, "name", tk_str_or(p, "node", ""));
		add_line(e, "question", tk_str_or(p, "question", ""));
		add_line(e, "value", tk_str_or(p, "answer", ""));
		add_line(e, "label", tk_str_or(p, "label", ""));
		add_line(e, "source", tk_str_or(p, "source", "answered"));
		cJSON_AddItemToArray(env, e);
	}
	/* Detected values that answered no question of the path (a flow's detect key is
	 * normally the question's id, so those are the keys no path step carries). */
	const cJSON *d;
	cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(in->state, "detected")) {
		if (!cJSON_IsString(d) || !d->string)
			continue;
		bool seen = false;
		cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(view, "path"))
			if (strcmp(tk_str_or(p, "node", ""), d->string) == 0)
				seen = true;
		if (seen)
			continue;
		cJSON *e = cJSON_CreateObject();
		add_line(e, "name", d->string);
		cJSON_AddNullToObject(e, "question");
		add_line(e, "value", d->valuestring);
		add_line(e, "label", d->valuestring);
		cJSON_AddStringToObject(e, "source", "detected");
		cJSON_AddItemToArray(env, e);
	}
}

static void add_history(cJSON *m, const struct ticket_input *in, struct kb *kb)
{
	cJSON *h = cJSON_AddArrayToObject(m, "history");
	cJSON *slugs = cJSON_CreateArray();
	cJSON *firsts = cJSON_CreateObject(), *counts = cJSON_CreateObject();
	const cJSON *e;
	int seq = 0;
	cJSON_ArrayForEach(e, in->events) {
		const char *kind = tk_str_or(e, "kind", "");
		const char *node = tk_str(e, "node");
		if (++seq <= HISTORY_MAX) {
			cJSON *x = cJSON_CreateObject();
			cJSON_AddNumberToObject(x, "seq", seq);
			add_line(x, "at", tk_str_or(e, "at", ""));
			add_line(x, "kind", kind);
			add_line(x, "node", node);
			add_line(x, "answer", tk_str(e, "answer"));
			const cJSON *sec = cJSON_GetObjectItemCaseSensitive(e, "seconds");
			cJSON_AddNumberToObject(x, "seconds",
						tenths(cJSON_IsNumber(sec) ? sec->valuedouble : 0));
			cJSON_AddItemToArray(h, x);
		}
		if (strcmp(kind, "view") || !node || !kx_is_slug(node))
			continue;
		cJSON *n = cJSON_GetObjectItemCaseSensitive(counts, node);
		if (n) {
			cJSON_SetNumberValue(n, n->valuedouble + 1);
			continue;
		}
		cJSON_AddItemToArray(slugs, cJSON_CreateString(node));
		cJSON_AddNumberToObject(counts, node, 1);
		cJSON_AddStringToObject(firsts, node, tk_str_or(e, "at", ""));
	}
	/* Views this browser recorded in its own cookie (a GET writes nothing on the server). */
	cJSON_ArrayForEach(e, in->viewed) {
		const char *slug = tk_str(e, "slug");
		const cJSON *views = cJSON_GetObjectItemCaseSensitive(e, "views");
		if (!slug || !kx_is_slug(slug) || !cJSON_IsNumber(views) || views->valuedouble < 1)
			continue;
		cJSON *n = cJSON_GetObjectItemCaseSensitive(counts, slug);
		if (n) {
			cJSON_SetNumberValue(n, n->valuedouble + views->valuedouble);
			continue;
		}
		cJSON_AddItemToArray(slugs, cJSON_CreateString(slug));
		cJSON_AddNumberToObject(counts, slug, views->valuedouble);
		cJSON_AddStringToObject(firsts, slug, tk_str_or(e, "first_viewed", ""));
	}
	cJSON *viewed = titled(kb, slugs);
	cJSON *v;
	cJSON_ArrayForEach(v, viewed) {
		const char *slug = tk_str(v, "slug");
		add_line(v, "first_viewed", tk_str(firsts, slug));
		cJSON_AddNumberToObject(v, "views",
					cJSON_GetObjectItemCaseSensitive(counts, slug)->valuedouble);
	}
	cJSON_AddItemToObject(m, "articles_viewed", viewed);
	cJSON_Delete(slugs);
	cJSON_Delete(firsts);
	cJSON_Delete(counts);
}

static void add_outcome(cJSON *m, const struct ticket_input *in, const cJSON *view)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(view, "outcome");
	if (!cJSON_IsObject(o)) {
		cJSON_AddNullToObject(m, "diagnosis");
		cJSON_AddArrayToObject(m, "articles_suggested");
		cJSON_AddArrayToObject(m, "repairs_suggested");
		return;
	}
	cJSON *d = cJSON_AddObjectToObject(m, "diagnosis");
	add_line(d, "id", tk_str_or(o, "id", ""));
	add_text(d, "title", tk_str_or(o, "title", ""), TEXT_MAX);
	add_text(d, "summary", tk_str_or(o, "summary", ""), TEXT_MAX);
	add_text(d, "why", tk_str_or(o, "why", ""), TEXT_MAX);
	cJSON_AddItemToObject(m, "articles_suggested",
			      titled(in->kb, cJSON_GetObjectItemCaseSensitive(o, "articles")));
	cJSON *reps = cJSON_AddArrayToObject(m, "repairs_suggested");
	const cJSON *a;
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(o, "actions")) {
		const char *id = tk_str_or(a, "id", "");
		const char *title = id;
		const cJSON *c;
		cJSON_ArrayForEach(c, in->actions)
			if (strcmp(tk_str_or(c, "id", ""), id) == 0)
				title = tk_str_or(c, "title", id);
		cJSON *x = cJSON_CreateObject();
		add_line(x, "id", id);
		add_line(x, "title", title);
		int items = 0;
		const cJSON *params = cJSON_GetObjectItemCaseSensitive(a, "params");
		cJSON_AddItemToObject(x, "params", cJSON_IsObject(params)
				      ? clean_json(params, 0, &items) : cJSON_CreateObject());
		cJSON_AddItemToArray(reps, x);
	}
}

static bool listed(const cJSON *list, const char *slug)
{
	const cJSON *e;
	cJSON_ArrayForEach(e, list)
		if (strcmp(tk_str_or(e, "slug", ""), slug) == 0)
			return true;
	return false;
}

/* This browser's votes since the session started, on articles the session touched. */
static void add_votes(cJSON *m, const struct ticket_input *in)
{
	cJSON *votes = cJSON_AddArrayToObject(m, "votes");
	const char *started = tk_str(cJSON_GetObjectItemCaseSensitive(m, "session"), "started");
	if (!in->voter || !*in->voter || !started)
		return;
	sqlite3_stmt *st = ticket_db_stmt(in->db, TST_VOTES);
	if (!st) {
		unavailable(m, TST_VOTES);
		return;
	}
	sqlite3_bind_text(st, 1, in->voter, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, started, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 3, VOTES_MAX);
	const cJSON *viewed = cJSON_GetObjectItemCaseSensitive(m, "articles_viewed");
	const cJSON *suggested = cJSON_GetObjectItemCaseSensitive(m, "articles_suggested");
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *slug = (const char *)sqlite3_column_text(st, 0);
		if (!slug || (!listed(viewed, slug) && !listed(suggested, slug)))
			continue;
		cJSON *v = cJSON_CreateObject();
		add_line(v, "slug", slug);
		cJSON_AddBoolToObject(v, "helpful", sqlite3_column_int(st, 1) != 0);
		add_col_line(v, "comment", st, 2);
		add_col_line(v, "at", st, 3);
		cJSON_AddItemToArray(votes, v);
	}
	sqlite3_reset(st);
}

static void add_dll_checks(cJSON *m, const struct ticket_input *in)
{
	cJSON *list = cJSON_AddArrayToObject(m, "dll_checks");
	sqlite3_stmt *st = ticket_db_stmt(in->db, TST_DLL);
	if (!st) {
		unavailable(m, TST_DLL);
		return;
	}
	sqlite3_bind_text(st, 1, in->session, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, DLL_MAX);
	while (sqlite3_step(st) == SQLITE_ROW) {
		cJSON *c = cJSON_CreateObject();
		static const char *const keys[] = { "id", "created", "file_name", "windows_path",
						    "sha256", "verdict" };
		for (int i = 0; i < 6; i++)
			add_col_line(c, keys[i], st, i);
		cJSON *result = col_json(st, 6, true);
		cJSON_AddItemToObject(c, "result", result ? result : cJSON_CreateNull());
		cJSON_AddItemToArray(list, c);
	}
	sqlite3_reset(st);
}

/*
 * The scan the session started from (the newest kept with it): who and when, every source with
 * whether it could be read, and the findings with their evidence. null when there is none.
 */
static void add_scan(cJSON *m, const struct ticket_input *in)
{
	sqlite3_stmt *st = ticket_db_stmt(in->db, TST_SCAN);
	if (!st) {
		unavailable(m, TST_SCAN);
		cJSON_AddNullToObject(m, "scan");
		return;
	}
	sqlite3_bind_text(st, 1, in->session, -1, SQLITE_TRANSIENT);
	cJSON *scan = NULL;
	if (sqlite3_step(st) == SQLITE_ROW) {
		/* Not cleaned as a whole (its facts are large): each value kept is cleaned. */
		size_t len;
		const char *text = col_text(st, 2, &len);
		cJSON *j = text ? cJSON_ParseWithLength(text, len) : NULL;
		scan = cJSON_CreateObject();
		add_col_line(scan, "id", st, 0);
		add_col_line(scan, "kept", st, 1);
		static const char *const keys[] = { "computer", "user", "time", "version" };
		for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
			add_line(scan, keys[k], tk_str_or(j, keys[k], ""));
		cJSON *sources = cJSON_AddArrayToObject(scan, "sources");
		const cJSON *e, *x;
		int n = 0;
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(j, "sources")) {
			if (n++ >= SCAN_ITEMS_MAX)
				break;
			cJSON *s = cJSON_CreateObject();
			add_line(s, "name", tk_str_or(e, "name", ""));
			cJSON_AddBoolToObject(s, "available", cJSON_IsTrue(
				cJSON_GetObjectItemCaseSensitive(e, "available")));
			add_line(s, "detail", tk_str_or(e, "detail", ""));
			cJSON_AddItemToArray(sources, s);
		}
		cJSON *findings = cJSON_AddArrayToObject(scan, "findings");
		n = 0;
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(j, "findings")) {
			if (n++ >= SCAN_ITEMS_MAX)
				break;
			cJSON *f = cJSON_CreateObject();
			static const char *const fk[] = { "id", "severity", "title" };
			for (size_t k = 0; k < sizeof fk / sizeof fk[0]; k++)
				add_line(f, fk[k], tk_str_or(e, fk[k], ""));
			cJSON *ev = cJSON_AddArrayToObject(f, "evidence");
			int k = 0;
			cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(e, "evidence")) {
				if (k++ >= SCAN_ITEMS_MAX)
					break;
				cJSON *y = cJSON_CreateObject();
				add_line(y, "source", tk_str_or(x, "source", ""));
				add_line(y, "detail", tk_str_or(x, "detail", ""));
				cJSON_AddItemToArray(ev, y);
			}
			cJSON_AddItemToArray(findings, f);
		}
		cJSON_Delete(j);
	}
	sqlite3_reset(st);
	cJSON_AddItemToObject(m, "scan", scan ? scan : cJSON_CreateNull());
}

static cJSON *run_steps(cJSON *m, const struct ticket_input *in, const char *run,
			struct budget *b)
{
	cJSON *steps = cJSON_CreateArray();
	sqlite3_stmt *st = ticket_db_stmt(in->db, TST_STEPS);
	if (!st) {
		unavailable(m, TST_STEPS);
		return steps;
	}
	sqlite3_bind_text(st, 1, run, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, STEPS_MAX);
	while (sqlite3_step(st) == SQLITE_ROW) {
		cJSON *s = cJSON_CreateObject();
		add_col_int(s, "n", st, 0);
		static const char *const keys[] = { "title", "kind", "state", "started",
						    "finished" };
		for (int i = 0; i < 5; i++)
			add_col_line(s, keys[i], st, 1 + i);
		size_t n;
		const char *p = col_text(st, 6, &n);
		add_block(s, "output", p, n, b);
		p = col_text(st, 7, &n);
		add_block(s, "verification", p, n, b);
		add_col_line(s, "backup", st, 8);
		add_col_int(s, "result_code", st, 9);
		/* What the step promised about its undo before it ran (its plan). */
		cJSON *plan = col_json(st, 10, true);
		const cJSON *undo = cJSON_GetObjectItemCaseSensitive(plan, "undo");
		const cJSON *note = cJSON_GetObjectItemCaseSensitive(plan, "undo_note");
		add_line(s, "undo", cJSON_IsString(undo) ? undo->valuestring : "none");
		add_line(s, "undo_note", cJSON_IsString(note) ? note->valuestring : "");
		cJSON_Delete(plan);
		cJSON_AddItemToArray(steps, s);
	}
	sqlite3_reset(st);
	return steps;
}

static void add_runs(cJSON *m, const struct ticket_input *in)
{
	cJSON *runs = cJSON_AddArrayToObject(m, "actions_run");
	sqlite3_stmt *st = ticket_db_stmt(in->db, TST_RUNS);
	if (!st) {
		unavailable(m, TST_RUNS);
		return;
	}
	struct budget b = { TICKET_BUDGET };
	sqlite3_bind_text(st, 1, in->session, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, RUNS_MAX);
	/* Rows first, steps after: the steps statement runs on the same connection. */
	while (sqlite3_step(st) == SQLITE_ROW) {
		cJSON *r = cJSON_CreateObject();
		add_col_line(r, "run", st, 0);
		add_col_line(r, "action", st, 1);
		const char *aid = tk_str_or(r, "action", "");
		const char *title = aid;
		const cJSON *c;
		cJSON_ArrayForEach(c, in->actions)
			if (strcmp(tk_str_or(c, "id", ""), aid) == 0)
				title = tk_str_or(c, "title", aid);
		add_line(r, "title", title);
		cJSON *params = col_json(st, 2, true);
		cJSON_AddItemToObject(r, "params", params ? params : cJSON_CreateObject());
		add_col_line(r, "backend", st, 3);
		cJSON_AddBoolToObject(r, "dry_run", sqlite3_column_int(st, 4) != 0);
		add_col_line(r, "state", st, 5);
		add_col_line(r, "created", st, 6);
		add_col_line(r, "updated", st, 7);
		add_col_int(r, "result_code", st, 8);
		size_t n;
		const char *p = col_text(st, 9, &n);
		add_block(r, "error", p, n, &b);
		/* The checks the run was started on: [{id, title, state, reason}]. */
		cJSON *pf = col_json(st, 10, false), *checks = cJSON_AddArrayToObject(r, "preflight");
		const cJSON *check;
		cJSON_ArrayForEach(check, (cJSON_IsArray(pf) ? pf : NULL)) {
			cJSON *o = cJSON_CreateObject();
			static const char *const keys[] = { "id", "title", "state", "reason" };
			for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
				add_line(o, keys[k], tk_str_or(check, keys[k], ""));
			cJSON_AddItemToArray(checks, o);
		}
		cJSON_Delete(pf);
		cJSON_AddItemToArray(runs, r);
	}
	sqlite3_reset(st);
	cJSON *r;
	cJSON_ArrayForEach(r, runs)
		cJSON_AddItemToObject(r, "steps", run_steps(m, in, tk_str_or(r, "run", ""), &b));
}

int ticket_build(const struct ticket_input *in, cJSON **out, char *err, size_t errlen)
{
	*out = NULL;
	int rc = ticket_requester_check(in->name, in->email, TICKET_JSON, err, errlen);
	if (rc)
		return rc;
	cJSON *view = wiz_view(in->flow, in->state, in->session);
	cJSON *m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "schema_version", TICKET_SCHEMA_VERSION);
	cJSON_AddStringToObject(m, "koffix_version", KOFFIX_VERSION);
	char now[21];
	kx_utc_now(now);
	add_line(m, "created", in->created ? in->created : now);
	cJSON_AddBoolToObject(m, "redacted", 0);
	cJSON_AddArrayToObject(m, "unavailable");
	add_session(m, in, view);
	cJSON *req = cJSON_AddObjectToObject(m, "requester");
	add_line(req, "name", in->name && *in->name ? in->name : NULL);
	add_line(req, "email", in->email && *in->email ? in->email : NULL);
	add_subject(m, in, view);
	add_outcome(m, in, view);
	add_path(m, in, view);
	add_history(m, in, in->kb);
	add_votes(m, in);
	add_scan(m, in);
	add_dll_checks(m, in);
	add_runs(m, in);
	add_text(m, "reminder", tk_str_or(view, "reminder", ""), TEXT_MAX);
	cJSON_Delete(view);
	*out = m;
	return 0;
}
