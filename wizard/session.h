/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_WIZ_SESSION_H
#define KOFFIX_WIZ_SESSION_H

/*
 * The wizard as the web app and the commands use it: the flows of a content set, loaded and
 * checked once (struct wiz_flows), and sessions opened through the store with its lock held
 * (struct wiz_sess). Every rule about a session lives here, beside its data:
 *
 *   - a session is read and changed only between wiz_sess_open() and wiz_sess_close(), which
 *     hold the store's lock, so two threads never interleave a read-modify-write;
 *   - a change is saved with the event that made it, in one transaction (wiz_sess_answer(),
 *     wiz_sess_back(), wiz_sess_create());
 *   - a session whose flow is not loaded is "no such session".
 *
 * docs/architecture.md ("Wizard sessions") shows who calls what.
 */

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "../common/buf.h"
#include "store.h"
#include "wiz.h"

/* ---- the flows of a content set ---- */

struct wiz_flows;

/*
 * Loads every *.json flow of dir (their tables from dir/../data) and checks each against refs.
 * NULL when any is invalid, or two share an id, or there is none; every problem is appended
 * to report, one per line, naming its file. Read-only after loading: share it between threads.
 */
struct wiz_flows *wiz_flows_load(const char *dir, const struct wiz_refs *refs,
				 struct buf *report);
void wiz_flows_free(struct wiz_flows *fl);

/* Loads and checks one flow file (tables from its folder's ../data); NULL with the problems. */
struct wiz_flow *wiz_flow_load_checked(const char *path, const struct wiz_refs *refs,
				       struct buf *report);

/* The flow with this id (NULL: the first one), or NULL. */
struct wiz_flow *wiz_flows_get(const struct wiz_flows *fl, const char *id);
size_t wiz_flows_count(const struct wiz_flows *fl);
struct wiz_flow *wiz_flows_at(const struct wiz_flows *fl, size_t i);

/* ---- sessions ---- */

struct wiz_sess {
	struct wiz_store *store;
	char id[WIZ_ID_LEN + 1];
	struct wiz_flow *flow;
	cJSON *state;
	double shown_at;     /* when its current question was shown (seconds since the epoch) */
};

/*
 * Creates a session of flow f, answered as far as presets, detected values and notes (the
 * sentence of evidence behind each detected value; may be NULL) allow, with its "start"
 * event; its id into id. 0, KX_EINVAL (a preset that is not an answer, named in err) or
 * KX_EDB. Takes the lock itself.
 */
int wiz_sess_create(struct wiz_store *s, struct wiz_flow *f, const cJSON *presets,
		    const cJSON *detected, const cJSON *notes, char id[WIZ_ID_LEN + 1],
		    char *err, size_t errlen);

/*
 * Opens session id: takes the store's lock and loads it. 0, or KX_ENOTFOUND (malformed or
 * unknown id, or a flow that is not loaded) with the lock released. Always pair a 0 with
 * wiz_sess_close().
 */
int wiz_sess_open(struct wiz_store *s, const struct wiz_flows *fl, const char *id,
		  struct wiz_sess *out);
void wiz_sess_close(struct wiz_sess *ss);

/* Answers the current question / goes back (wiz.h), saving the new state with its event. */
int wiz_sess_answer(struct wiz_sess *ss, const char *node, const char *answer, char *err,
		    size_t errlen);
int wiz_sess_back(struct wiz_sess *ss, const char *node, char *err, size_t errlen);
/* Answers node, the current question or an earlier one (wiz_change), saved with its event. */
int wiz_sess_change(struct wiz_sess *ss, const char *node, const char *answer, char *err,
		    size_t errlen);
/* Adds an event that changes no answer (kind "fixed": whether a repair helped) to the history
 * the support ticket reads. 0 or KX_EDB. */
int wiz_sess_note(struct wiz_sess *ss, const char *kind, const char *node, const char *answer);
/* The view of the session as if it went back to node (an earlier question), changing nothing:
 * a step's own address (GET /wizard/ID?at=NODE). NULL when node has no answer here. */
cJSON *wiz_sess_view_at(const struct wiz_sess *ss, const char *node);

/* The step view (wiz_view) and the history of an open session (caller frees). */
cJSON *wiz_sess_view(const struct wiz_sess *ss);
cJSON *wiz_sess_events(struct wiz_sess *ss);

/* Whether session id exists (and its flow is loaded); takes the lock itself. */
bool wiz_sess_exists(struct wiz_store *s, const struct wiz_flows *fl, const char *id);

#endif
