/* SPDX-License-Identifier: MIT */
/* The flows registry and sessions opened under the store's lock (session.h). */
#include "session.h"
#include "store_internal.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"

struct wiz_flows {
	struct wiz_flow **list;
	size_t n;
};

struct wiz_flow *wiz_flow_load_checked(const char *path, const struct wiz_refs *refs,
				       struct buf *report)
{
	/* A flow's tables live in the data folder beside its flows folder. */
	size_t len = strlen(path);
	char *data = xmalloc(len + 16);
	snprintf(data, len + 16, "%s", path);
	char *slash = strrchr(data, '/');
	if (slash)
		snprintf(slash, len + 16 - (size_t)(slash - data), "/../data");
	else
		snprintf(data, len + 16, "../data");
	char err[1024];
	struct wiz_flow *f = wiz_flow_load(path, data, err, sizeof err);
	free(data);
	if (!f) {
		buf_addf(report, "%s\n", err);
		return NULL;
	}
	if (wiz_flow_check(f, refs, report)) {
		wiz_flow_free(f);
		return NULL;
	}
	return f;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct wiz_flows *wiz_flows_load(const char *dir, const struct wiz_refs *refs,
				 struct buf *report)
{
	/* In name order, so that "the first flow" does not depend on the file system. */
	char **names = NULL;
	size_t nn = 0;
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (e->d_name[0] == '.' || len < 6 || strcmp(e->d_name + len - 5, ".json"))
			continue;
		names = xrealloc(names, (nn + 1) * sizeof *names);
		names[nn++] = xstrdup(e->d_name);
	}
	if (d)
		closedir(d);
	if (nn)
		qsort(names, nn, sizeof *names, by_name);
	struct wiz_flows *fl = xcalloc(1, sizeof *fl);
	size_t before = report->len;
	for (size_t i = 0; i < nn; i++) {
		size_t plen = strlen(dir) + strlen(names[i]) + 2;
		char *path = xmalloc(plen);
		snprintf(path, plen, "%s/%s", dir, names[i]);
		struct wiz_flow *f = wiz_flow_load_checked(path, refs, report);
		if (f && wiz_flows_get(fl, wiz_flow_id(f))) {
			buf_addf(report, "%s: flow id '%s' is used twice\n", path, wiz_flow_id(f));
			wiz_flow_free(f);
			f = NULL;
		}
		if (f) {
			fl->list = xrealloc(fl->list, (fl->n + 1) * sizeof *fl->list);
			fl->list[fl->n++] = f;
		}
		free(path);
		free(names[i]);
	}
	free(names);
	if (!fl->n && report->len == before)
		buf_addf(report, "%s: no wizard flow (*.json) here\n", dir);
	if (report->len != before) {
		wiz_flows_free(fl);
		return NULL;
	}
	return fl;
}

void wiz_flows_free(struct wiz_flows *fl)
{
	if (!fl)
		return;
	for (size_t i = 0; i < fl->n; i++)
		wiz_flow_free(fl->list[i]);
	free(fl->list);
	free(fl);
}

struct wiz_flow *wiz_flows_get(const struct wiz_flows *fl, const char *id)
{
	if (!fl || !fl->n)
		return NULL;
	if (!id)
		return fl->list[0];
	for (size_t i = 0; i < fl->n; i++)
		if (strcmp(wiz_flow_id(fl->list[i]), id) == 0)
			return fl->list[i];
	return NULL;
}

size_t wiz_flows_count(const struct wiz_flows *fl)
{
	return fl ? fl->n : 0;
}

struct wiz_flow *wiz_flows_at(const struct wiz_flows *fl, size_t i)
{
	return fl && i < fl->n ? fl->list[i] : NULL;
}

/* ---- sessions ---- */

int wiz_sess_create(struct wiz_store *s, struct wiz_flow *f, const cJSON *presets,
		    const cJSON *detected, const cJSON *notes, char id[WIZ_ID_LEN + 1],
		    char *err, size_t errlen)
{
	cJSON *state;
	int rc = wiz_session_new(f, presets, detected, &state, err, errlen);
	if (rc)
		return rc;
	if (notes)
		wiz_session_evidence(state, notes);
	wiz_store_lock(s);
	rc = wiz_store_create_started(s, wiz_flow_id(f), state, id);
	wiz_store_unlock(s);
	cJSON_Delete(state);
	if (rc)
		snprintf(err, errlen, "the session could not be stored");
	return rc;
}

int wiz_sess_open(struct wiz_store *s, const struct wiz_flows *fl, const char *id,
		  struct wiz_sess *out)
{
	memset(out, 0, sizeof *out);
	if (!s)
		return KX_ENOTFOUND;
	char flow[128];
	wiz_store_lock(s);
	out->state = wiz_store_load(s, id, flow, sizeof flow, &out->shown_at);
	out->flow = out->state ? wiz_flows_get(fl, flow) : NULL;
	if (!out->flow) {
		cJSON_Delete(out->state);
		wiz_store_unlock(s);
		memset(out, 0, sizeof *out);
		return KX_ENOTFOUND;
	}
	out->store = s;
	snprintf(out->id, sizeof out->id, "%s", id);
	return 0;
}

void wiz_sess_close(struct wiz_sess *ss)
{
	if (!ss->store)
		return;
	cJSON_Delete(ss->state);
	wiz_store_unlock(ss->store);
	memset(ss, 0, sizeof *ss);
}

int wiz_sess_answer(struct wiz_sess *ss, const char *node, const char *answer, char *err,
		    size_t errlen)
{
	double seconds = wiz_now() - ss->shown_at;
	int rc = wiz_answer(ss->flow, ss->state, node, answer, seconds, err, errlen);
	if (rc == 0 && wiz_store_save_event(ss->store, ss->id, ss->state, "answer", node, answer,
					    seconds) != 0) {
		snprintf(err, errlen, "the answer could not be stored");
		rc = KX_EDB;
	}
	return rc;
}

int wiz_sess_change(struct wiz_sess *ss, const char *node, const char *answer, char *err,
		    size_t errlen)
{
	double seconds = wiz_now() - ss->shown_at;
	int rc = wiz_change(ss->flow, ss->state, node, answer, seconds, err, errlen);
	if (rc == 0 && wiz_store_save_event(ss->store, ss->id, ss->state, "answer", node, answer,
					    seconds) != 0) {
		snprintf(err, errlen, "the answer could not be stored");
		rc = KX_EDB;
	}
	return rc;
}

int wiz_sess_note(struct wiz_sess *ss, const char *kind, const char *node, const char *answer)
{
	return wiz_store_save_event(ss->store, ss->id, ss->state, kind, node, answer, 0) == 0 ? 0 :
	       KX_EDB;
}

cJSON *wiz_sess_view_at(const struct wiz_sess *ss, const char *node)
{
	cJSON *copy = cJSON_Duplicate(ss->state, 1);
	char err[256];
	cJSON *v = wiz_back(ss->flow, copy, node, err, sizeof err) == 0 ?
		   wiz_view(ss->flow, copy, ss->id) : NULL;
	cJSON_Delete(copy);
	return v;
}

int wiz_sess_back(struct wiz_sess *ss, const char *node, char *err, size_t errlen)
{
	int rc = wiz_back(ss->flow, ss->state, node, err, errlen);
	if (rc == 0 && wiz_store_save_event(ss->store, ss->id, ss->state, "back", node, NULL,
					    0) != 0) {
		snprintf(err, errlen, "the session could not be stored");
		rc = KX_EDB;
	}
	return rc;
}

cJSON *wiz_sess_view(const struct wiz_sess *ss)
{
	return wiz_view(ss->flow, ss->state, ss->id);
}

cJSON *wiz_sess_events(struct wiz_sess *ss)
{
	return wiz_store_events(ss->store, ss->id);
}

bool wiz_sess_exists(struct wiz_store *s, const struct wiz_flows *fl, const char *id)
{
	struct wiz_sess ss;
	if (wiz_sess_open(s, fl, id, &ss) != 0)
		return false;
	wiz_sess_close(&ss);
	return true;
}
