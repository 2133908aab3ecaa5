/* SPDX-License-Identifier: MIT */
/* Running a flow: walking it with a session's answers, answering, going back, the step view. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "internal.h"

struct walk {
	const char *current;   /* the open question, or NULL */
	const char *outcome;   /* the outcome reached, or NULL */
	int consumed;          /* how many steps fit the flow */
	cJSON *answers;        /* node -> value along the path (owned) */
	cJSON *why;            /* because/note texts collected (owned) */
	cJSON *settled;        /* at an outcome: questions not asked that a detected value or a
				  preset answers, [node, value, source] (owned) */
};

static const char *auto_answer(const struct wiz_flow *f, const cJSON *session, const char *id,
			       const char **source);
static const char *auto_answer_walk(const struct wiz_flow *f, const cJSON *session,
				    const char *id, const char **source);

static const char *label_of(const struct wiz_flow *f, const char *node, const char *value)
{
	if (!value || !*value)
		return "unknown";
	const char *label = wiz_str(wiz_option(wiz_node(f, node), value), "label");
	if (label)
		return label;
	return wiz_no_evidence(f, value) ? "unknown" : value;
}

/* {{node}} becomes the label (labels true) or value of its answer. */
static char *interp(const struct wiz_flow *f, const cJSON *answers, const char *text,
		    bool labels)
{
	struct buf b;
	buf_init(&b, BUF_NOMAX);
	const char *p = text ? text : "";
	for (const char *open; (open = strstr(p, "{{")); ) {
		const char *close = strstr(open + 2, "}}");
		if (!close)
			break;
		buf_add(&b, p, (size_t)(open - p));
		char name[128];
		size_t n = (size_t)(close - open - 2);
		snprintf(name, sizeof name, "%.*s", (int)(n < sizeof name ? n : sizeof name - 1),
			 open + 2);
		const char *v = wiz_str(answers, name);
		buf_adds(&b, labels ? label_of(f, name, v) : (v ? v : ""));
		p = close + 2;
	}
	buf_adds(&b, p);
	return buf_take(&b, NULL);
}

static void add_why(const struct wiz_flow *f, struct walk *w, const char *text)
{
	if (!text || !*text)
		return;
	char *s = interp(f, w->answers, text, true);
	cJSON_AddItemToArray(w->why, cJSON_CreateString(s));
	free(s);
}

static void walk_release(struct walk *w)
{
	cJSON_Delete(w->answers);
	cJSON_Delete(w->why);
	cJSON_Delete(w->settled);
	memset(w, 0, sizeof *w);
}

/* The declared evidence among the detected values, as "evidence.KEY" answers. */
static void add_evidence(const struct wiz_flow *f, const cJSON *session, cJSON *answers)
{
	const cJSON *det = cJSON_GetObjectItemCaseSensitive(session, "detected"), *e, *v;
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(f->root, "evidence")) {
		const char *have = wiz_str(det, e->string);
		if (!have)
			continue;
		cJSON_ArrayForEach(v, e) {
			if (!cJSON_IsString(v) || strcmp(v->valuestring, have))
				continue;
			char key[160];
			snprintf(key, sizeof key, WIZ_EVIDENCE "%s", e->string);
			cJSON_AddStringToObject(answers, key, have);
			break;
		}
	}
}

static void walk(const struct wiz_flow *f, const cJSON *session, struct walk *w)
{
	memset(w, 0, sizeof *w);
	w->answers = cJSON_CreateObject();
	w->why = cJSON_CreateArray();
	add_evidence(f, session, w->answers);
	const cJSON *steps = cJSON_GetObjectItemCaseSensitive(session, "steps");
	int nsteps = cJSON_GetArraySize(steps), i = 0;
	const char *id = wiz_str(f->root, "start");
	/* A checked flow has no cycle; the guard keeps an unchecked one from looping. */
	for (int guard = f->nnodes + nsteps + 1; guard > 0 && id; guard--) {
		const cJSON *node = wiz_node(f, id);
		const char *kind = wiz_str(node, "kind");
		if (!kind)
			break;
		if (!strcmp(kind, "outcome")) {
			w->outcome = id;
			break;
		}
		if (!strcmp(kind, "logic")) {
			const char *to = wiz_str(node, "else");
			const cJSON *r;
			cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(node, "rules")) {
				if (!wiz_cond(f, w->answers, cJSON_GetObjectItemCaseSensitive(r, "when")))
					continue;
				if (!wiz_str(r, "goto")) {
					add_why(f, w, wiz_str(r, "note"));
					continue;
				}
				add_why(f, w, wiz_str(r, "because"));
				to = wiz_str(r, "goto");
				break;
			}
			id = to;
			continue;
		}
		const cJSON *step = cJSON_GetArrayItem(steps, i);
		const char *sn = wiz_str(step, "node"), *sa = wiz_str(step, "answer");
		if (i < nsteps && sn && sa && !strcmp(sn, id) && wiz_valid_answer(node, sa)) {
			cJSON_DeleteItemFromObjectCaseSensitive(w->answers, id);
			cJSON_AddStringToObject(w->answers, id, sa);
			id = wiz_next(node, sa);
			i++;
			continue;
		}
		w->current = id;
		break;
	}
	w->consumed = i;
	/* At an outcome, what the PC told about questions never asked still fills the outcome's
	 * parameters: the evidence settled the diagnosis before they came up. */
	w->settled = cJSON_CreateArray();
	const cJSON *n;
	cJSON_ArrayForEach(n, (w->outcome ? f->nodes : NULL)) {
		const char *source;
		const char *v = wiz_is_question(f, n->string) &&
				!cJSON_GetObjectItemCaseSensitive(w->answers, n->string) ?
				auto_answer(f, session, n->string, &source) : NULL;
		if (!v || wiz_no_evidence(f, v))
			continue;
		cJSON_AddStringToObject(w->answers, n->string, v);
		const char *row[3] = { n->string, v, source };
		cJSON_AddItemToArray(w->settled, cJSON_CreateStringArray(row, 3));
	}
}

/*
 * Drops the steps after the first keep. What the person answered there is remembered (session
 * "remembered": node -> answer): going back to change one answer neither forgets the others
 * nor asks again what still fits; a remembered answer is the default of its question and
 * answers it when the walk comes back to it and it is still offered.
 */
static void truncate_steps(cJSON *session, int keep)
{
	cJSON *steps = cJSON_GetObjectItemCaseSensitive(session, "steps");
	cJSON *mem = cJSON_GetObjectItemCaseSensitive(session, "remembered");
	if (!cJSON_IsObject(mem)) {
		cJSON_DeleteItemFromObjectCaseSensitive(session, "remembered");
		mem = cJSON_AddObjectToObject(session, "remembered");
	}
	while (cJSON_GetArraySize(steps) > keep) {
		const cJSON *last = cJSON_GetArrayItem(steps, cJSON_GetArraySize(steps) - 1);
		const char *node = wiz_str(last, "node"), *answer = wiz_str(last, "answer");
		const char *source = wiz_str(last, "source");
		if (node && answer && source && !strcmp(source, "answered")) {
			cJSON_DeleteItemFromObjectCaseSensitive(mem, node);
			cJSON_AddStringToObject(mem, node, answer);
		}
		cJSON_DeleteItemFromArray(steps, cJSON_GetArraySize(steps) - 1);
	}
}

/* A value that can answer node without asking: a correction, a preset, a detected value. (The
 * answers a change set aside are not among them: those come back only on the walk itself,
 * auto_answer_walk, never into an outcome's settled answers.) */
static const char *auto_answer(const struct wiz_flow *f, const cJSON *session, const char *id,
			       const char **source)
{
	const cJSON *node = wiz_node(f, id);
	const char *v = wiz_str(cJSON_GetObjectItemCaseSensitive(session, "corrections"), id);
	if (v && wiz_valid_answer(node, v)) {
		*source = "answered";
		return v;
	}
	v = wiz_str(cJSON_GetObjectItemCaseSensitive(session, "presets"), id);
	if (v && wiz_valid_answer(node, v)) {
		*source = "preset";
		return v;
	}
	const char *key = wiz_str(node, "detect");
	v = key ? wiz_str(cJSON_GetObjectItemCaseSensitive(session, "detected"), key) : NULL;
	if (v && wiz_valid_answer(node, v)) {
		*source = "detected";
		return v;
	}
	return NULL;
}

/* On the walk (and as a question's default): an answer the person gave before a change comes
 * first, when it is still offered; else what auto_answer finds. */
static const char *auto_answer_walk(const struct wiz_flow *f, const cJSON *session,
				    const char *id, const char **source)
{
	const char *v = wiz_str(cJSON_GetObjectItemCaseSensitive(session, "remembered"), id);
	if (v && wiz_valid_answer(wiz_node(f, id), v)) {
		*source = "answered";
		return v;
	}
	return auto_answer(f, session, id, source);
}

static void add_step(cJSON *session, const char *node, const char *answer, const char *source,
		     double seconds)
{
	cJSON *s = cJSON_CreateObject();
	cJSON_AddStringToObject(s, "node", node);
	cJSON_AddStringToObject(s, "answer", answer);
	cJSON_AddStringToObject(s, "source", source);
	cJSON_AddNumberToObject(s, "seconds", seconds);
	cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(session, "steps"), s);
}

/* Drops steps that no longer fit the flow, then answers what can be answered without asking. */
static void advance(const struct wiz_flow *f, cJSON *session)
{
	const char *hold = wiz_str(session, "hold");
	for (int guard = f->nnodes + 1; guard > 0; guard--) {
		struct walk w;
		walk(f, session, &w);
		truncate_steps(session, w.consumed);
		const char *source = NULL, *value = NULL;
		if (w.current && !(hold && !strcmp(hold, w.current)))
			value = auto_answer_walk(f, session, w.current, &source);
		if (value)
			add_step(session, w.current, value, source, 0);
		walk_release(&w);
		if (!value)
			break;
	}
}

static void set_string(cJSON *obj, const char *key, const char *value)
{
	cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
	if (value)
		cJSON_AddStringToObject(obj, key, value);
	else
		cJSON_AddNullToObject(obj, key);
}

int wiz_session_new(const struct wiz_flow *f, const cJSON *presets, const cJSON *detected,
		    cJSON **out, char *err, size_t errlen)
{
	*out = NULL;
	cJSON *s = cJSON_CreateObject();
	cJSON_AddStringToObject(s, "flow", wiz_flow_id(f));
	cJSON_AddArrayToObject(s, "steps");
	cJSON *p = cJSON_AddObjectToObject(s, "presets");
	cJSON *d = cJSON_AddObjectToObject(s, "detected");
	cJSON_AddObjectToObject(s, "corrections");
	cJSON_AddNullToObject(s, "hold");
	const cJSON *e;
	cJSON_ArrayForEach(e, presets) {
		if (!wiz_is_question(f, e->string)) {
			snprintf(err, errlen, "'%s' is not a question of this wizard", e->string);
			goto bad;
		}
		if (!cJSON_IsString(e) || !wiz_valid_answer(wiz_node(f, e->string), e->valuestring)) {
			snprintf(err, errlen, "'%s' is not an answer to '%s'",
				 cJSON_IsString(e) ? e->valuestring : "(not a string)", e->string);
			goto bad;
		}
		cJSON_AddStringToObject(p, e->string, e->valuestring);
	}
	cJSON_ArrayForEach(e, detected)
		if (cJSON_IsString(e) && strlen(e->valuestring) <= WIZ_TEXT_MAX)
			cJSON_AddStringToObject(d, e->string, e->valuestring);
	advance(f, s);
	*out = s;
	return 0;
bad:
	cJSON_Delete(s);
	return KX_EINVAL;
}

void wiz_session_evidence(cJSON *session, const cJSON *notes)
{
	cJSON_DeleteItemFromObjectCaseSensitive(session, "evidence");
	cJSON *e = cJSON_AddObjectToObject(session, "evidence");
	const cJSON *n;
	cJSON_ArrayForEach(n, notes)
		if (cJSON_IsString(n) && n->string && !cJSON_GetObjectItemCaseSensitive(e, n->string))
			cJSON_AddStringToObject(e, n->string, n->valuestring);
}

int wiz_answer(const struct wiz_flow *f, cJSON *session, const char *node, const char *answer,
	       double seconds, char *err, size_t errlen)
{
	struct walk w;
	int rc = 0;
	walk(f, session, &w);
	if (!w.current) {
		snprintf(err, errlen, "this session is finished");
		rc = KX_ECONFLICT;
	} else if (!node || strcmp(node, w.current)) {
		snprintf(err, errlen, "'%s' is not the current question (that is '%s')",
			 node ? node : "", w.current);
		rc = KX_ECONFLICT;
	} else if (!answer || !wiz_valid_answer(wiz_node(f, node), answer)) {
		const char *kind = wiz_str(wiz_node(f, node), "kind");
		snprintf(err, errlen, !strcmp(kind, "choice") ? "'%s' is not one of the answers "
			 "offered for '%s'" : "'%s' is not a valid answer for '%s'",
			 answer ? answer : "", node);
		rc = KX_EINVAL;
	}
	if (rc == 0) {
		truncate_steps(session, w.consumed);
		add_step(session, node, answer, "answered", seconds < 0 ? 0 : seconds);
		const char *source;
		cJSON *corr = cJSON_GetObjectItemCaseSensitive(session, "corrections");
		cJSON_DeleteItemFromObjectCaseSensitive(corr, node);
		cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(session,
			"remembered"), node);
		/* The person overrode a preset or detected value: remember it for later walks. */
		if (auto_answer(f, session, node, &source))
			cJSON_AddStringToObject(corr, node, answer);
		set_string(session, "hold", NULL);
		advance(f, session);
	}
	walk_release(&w);
	return rc;
}

int wiz_back(const struct wiz_flow *f, cJSON *session, const char *node, char *err,
	     size_t errlen)
{
	struct walk w;
	walk(f, session, &w);
	const cJSON *steps = cJSON_GetObjectItemCaseSensitive(session, "steps");
	int target = -1;
	if (!node) {
		target = w.consumed - 1;
	} else {
		for (int i = 0; i < w.consumed; i++)
			if (!strcmp(wiz_str(cJSON_GetArrayItem(steps, i), "node"), node))
				target = i;
	}
	walk_release(&w);
	if (target < 0) {
		snprintf(err, errlen, node ? "'%s' has no answer in this session to go back to"
			 : "there is no answer to go back to", node ? node : "");
		return KX_ECONFLICT;
	}
	char *back_to = xstrdup(wiz_str(cJSON_GetArrayItem(steps, target), "node"));
	truncate_steps(session, target);
	set_string(session, "hold", back_to);
	free(back_to);
	advance(f, session);
	return 0;
}

int wiz_change(const struct wiz_flow *f, cJSON *session, const char *node, const char *answer,
	       double seconds, char *err, size_t errlen)
{
	struct walk w;
	walk(f, session, &w);
	bool current = w.current && node && !strcmp(node, w.current);
	walk_release(&w);
	if (current)
		return wiz_answer(f, session, node, answer, seconds, err, errlen);
	/* An earlier question: go back to it and answer it, on a copy, so that an error leaves
	 * the session as it was. */
	cJSON *copy = cJSON_Duplicate(session, 1);
	int rc = wiz_back(f, copy, node, err, errlen);
	if (rc == 0)
		rc = wiz_answer(f, copy, node, answer, seconds, err, errlen);
	if (rc == 0) {
		/* The session object stays the caller's: its members are replaced. */
		while (session->child)
			cJSON_Delete(cJSON_DetachItemViaPointer(session, session->child));
		while (copy->child) {
			cJSON *item = cJSON_DetachItemViaPointer(copy, copy->child);
			char *key = xstrdup(item->string);
			cJSON_AddItemToObject(session, key, item);
			free(key);
		}
	}
	cJSON_Delete(copy);
	return rc;
}

char *wiz_text(const struct wiz_flow *f, const cJSON *session, const char *text)
{
	struct walk w;
	walk(f, session, &w);
	char *s = interp(f, w.answers, text, true);
	walk_release(&w);
	return s;
}

static cJSON *outcome_view(const struct wiz_flow *f, struct walk *w)
{
	const cJSON *n = wiz_node(f, w->outcome);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", w->outcome);
	char *s = interp(f, w->answers, wiz_str(n, "title"), true);
	cJSON_AddStringToObject(o, "title", s);
	free(s);
	s = interp(f, w->answers, wiz_str(n, "summary"), true);
	cJSON_AddStringToObject(o, "summary", s);
	free(s);
	add_why(f, w, wiz_str(n, "why"));
	struct buf why;
	buf_init(&why, BUF_NOMAX);
	const cJSON *e;
	cJSON_ArrayForEach(e, w->why) {
		if (why.len)
			buf_addch(&why, ' ');
		buf_adds(&why, e->valuestring);
	}
	cJSON_AddStringToObject(o, "why", buf_cstr(&why));
	buf_release(&why);
	cJSON *arts = cJSON_AddArrayToObject(o, "articles");
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(n, "articles"))
		if (cJSON_IsString(e))
			cJSON_AddItemToArray(arts, cJSON_CreateString(e->valuestring));
	cJSON *acts = cJSON_AddArrayToObject(o, "actions");
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(n, "actions")) {
		/* An action with "when" is offered where its condition holds: the order of the
		 * list is the order of advice, so evidence can move a repair up or down. */
		const cJSON *when = cJSON_GetObjectItemCaseSensitive(e, "when");
		if (!wiz_str(e, "id") || (when && !wiz_cond(f, w->answers, when)))
			continue;
		cJSON *a = cJSON_CreateObject();
		cJSON_AddStringToObject(a, "id", wiz_str(e, "id"));
		cJSON *params = cJSON_AddObjectToObject(a, "params");
		const cJSON *p;
		cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(e, "params")) {
			if (!cJSON_IsString(p))
				continue;
			char *v = interp(f, w->answers, p->valuestring, false);
			if (!wiz_no_evidence(f, v))
				cJSON_AddStringToObject(params, p->string, v);
			free(v);
		}
		cJSON_AddItemToArray(acts, a);
	}
	return o;
}

cJSON *wiz_view(const struct wiz_flow *f, const cJSON *session, const char *id)
{
	struct walk w;
	walk(f, session, &w);
	cJSON *v = cJSON_CreateObject();
	cJSON_AddStringToObject(v, "session", id ? id : "");
	cJSON_AddStringToObject(v, "flow", wiz_flow_id(f));
	const cJSON *node = wiz_node(f, w.current);
	if (node) {
		cJSON_AddStringToObject(v, "node", w.current);
		char *s = interp(f, w.answers, wiz_str(node, "question"), true);
		cJSON_AddStringToObject(v, "question", s);
		free(s);
		cJSON_AddStringToObject(v, "kind", wiz_str(node, "kind"));
		s = interp(f, w.answers, wiz_str(node, "help"), true);
		cJSON_AddStringToObject(v, "help", s);
		free(s);
		if (wiz_str(node, "placeholder"))
			cJSON_AddStringToObject(v, "placeholder", wiz_str(node, "placeholder"));
		cJSON *opts = cJSON_AddArrayToObject(v, "options");
		const cJSON *o;
		cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(node, "options")) {
			cJSON *x = cJSON_CreateObject();
			cJSON_AddStringToObject(x, "value", wiz_str(o, "value"));
			cJSON_AddStringToObject(x, "label", wiz_str(o, "label"));
			cJSON_AddItemToArray(opts, x);
		}
		const char *key = wiz_str(node, "detect");
		const char *det = key ? wiz_str(cJSON_GetObjectItemCaseSensitive(session, "detected"),
						key) : NULL;
		if (det && wiz_valid_answer(node, det))
			cJSON_AddStringToObject(v, "detected", det);
		else
			cJSON_AddNullToObject(v, "detected");
		const char *source;
		const char *pre = auto_answer_walk(f, session, w.current, &source);
		cJSON_AddStringToObject(v, "value", pre ? pre : "");
	} else {
		cJSON_AddNullToObject(v, "node");
		cJSON_AddNullToObject(v, "question");
		cJSON_AddNullToObject(v, "kind");
		cJSON_AddArrayToObject(v, "options");
		cJSON_AddNullToObject(v, "detected");
	}
	cJSON *path = cJSON_AddArrayToObject(v, "path");
	const cJSON *steps = cJSON_GetObjectItemCaseSensitive(session, "steps");
	const cJSON *notes = cJSON_GetObjectItemCaseSensitive(session, "evidence");
	for (int i = 0; i < w.consumed; i++) {
		const cJSON *st = cJSON_GetArrayItem(steps, i);
		const char *sn = wiz_str(st, "node"), *sa = wiz_str(st, "answer");
		cJSON *p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "node", sn);
		const char *q = wiz_str(wiz_node(f, sn), "question");
		cJSON_AddStringToObject(p, "question", q ? q : sn);
		cJSON_AddStringToObject(p, "answer", sa);
		cJSON_AddStringToObject(p, "label", *sa ? label_of(f, sn, sa) : "(skipped)");
		cJSON_AddStringToObject(p, "source", wiz_str(st, "source") ? wiz_str(st, "source")
								   : "answered");
		const cJSON *sec = cJSON_GetObjectItemCaseSensitive(st, "seconds");
		cJSON_AddNumberToObject(p, "seconds", cJSON_IsNumber(sec) ? sec->valuedouble : 0);
		const char *key = wiz_str(wiz_node(f, sn), "detect");
		const char *note = key && wiz_str(st, "source") &&
				   !strcmp(wiz_str(st, "source"), "detected") ? wiz_str(notes, key) : NULL;
		if (note)
			cJSON_AddStringToObject(p, "evidence", note);
		cJSON_AddItemToArray(path, p);
	}
	cJSON *settled = cJSON_AddArrayToObject(v, "settled");
	const cJSON *row;
	cJSON_ArrayForEach(row, w.settled) {
		const char *sn = cJSON_GetArrayItem(row, 0)->valuestring;
		const char *sa = cJSON_GetArrayItem(row, 1)->valuestring;
		const char *src = cJSON_GetArrayItem(row, 2)->valuestring;
		cJSON *p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "node", sn);
		cJSON_AddStringToObject(p, "question", wiz_str(wiz_node(f, sn), "question"));
		cJSON_AddStringToObject(p, "answer", sa);
		cJSON_AddStringToObject(p, "label", label_of(f, sn, sa));
		cJSON_AddStringToObject(p, "source", src);
		const char *key = wiz_str(wiz_node(f, sn), "detect");
		const char *note = key && !strcmp(src, "detected") ? wiz_str(notes, key) : NULL;
		if (note)
			cJSON_AddStringToObject(p, "evidence", note);
		cJSON_AddItemToArray(settled, p);
	}
	/* The evidence the flow acts on, with the sentence behind it. */
	cJSON *found = cJSON_AddArrayToObject(v, "evidence");
	const cJSON *e;
	cJSON_ArrayForEach(e, w.answers) {
		if (strncmp(e->string, WIZ_EVIDENCE, strlen(WIZ_EVIDENCE)))
			continue;
		const char *key = e->string + strlen(WIZ_EVIDENCE);
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "key", key);
		cJSON_AddStringToObject(x, "value", e->valuestring);
		const char *note = wiz_str(notes, key);
		cJSON_AddStringToObject(x, "detail", note ? note : "");
		cJSON_AddItemToArray(found, x);
	}
	if (w.outcome)
		cJSON_AddItemToObject(v, "outcome", outcome_view(f, &w));
	else
		cJSON_AddNullToObject(v, "outcome");
	const char *reminder = wiz_str(f->root, "reminder");
	cJSON_AddStringToObject(v, "reminder", reminder ? reminder : "");
	walk_release(&w);
	return v;
}
