/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_WIZ_STORE_INTERNAL_H
#define KOFFIX_WIZ_STORE_INTERNAL_H

/*
 * The store's raw operations, for wizard/session.c only: everyone else opens sessions through
 * session.h, which takes the lock, so no caller can read or change one without it.
 */

#include "store.h"

void wiz_store_lock(struct wiz_store *s);
void wiz_store_unlock(struct wiz_store *s);

/* Stores a new session; writes its id into id (WIZ_ID_LEN + 1 bytes). 0 or KX_EDB. */
int wiz_store_create(struct wiz_store *s, const char *flow, const cJSON *state, char *id);

/*
 * Loads a session: its state (caller frees) and flow id (into flow, flowlen bytes), and
 * *shown_at (seconds since the epoch when its current question was shown). NULL when id is
 * malformed or unknown.
 */
cJSON *wiz_store_load(struct wiz_store *s, const char *id, char *flow, size_t flowlen,
		      double *shown_at);

/* Replaces the state of session id and marks its question shown now. 0 or KX_EDB. */
int wiz_store_save(struct wiz_store *s, const char *id, const cJSON *state);

/* Appends an event (kind: "answer", "back", "start") to the session's history. */
int wiz_store_event(struct wiz_store *s, const char *id, const char *kind, const char *node,
		    const char *answer, double seconds);

/*
 * The two writes that must go together, in one transaction (all or nothing, even when the
 * process is killed between them): a new session with its "start" event, and a session's new
 * state with the event that made it. With the lock held. 0 or KX_EDB.
 */
int wiz_store_create_started(struct wiz_store *s, const char *flow, const cJSON *state,
			     char *id);
int wiz_store_save_event(struct wiz_store *s, const char *id, const cJSON *state,
			 const char *kind, const char *node, const char *answer, double seconds);

/* The history of a session as [{at, kind, node, answer, seconds}] (caller frees). */
cJSON *wiz_store_events(struct wiz_store *s, const char *id);

#endif
