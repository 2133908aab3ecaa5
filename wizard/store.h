/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_WIZ_STORE_H
#define KOFFIX_WIZ_STORE_H

/*
 * Wizard sessions in SQLite: table wizard_sessions (one row per session: its flow and state
 * JSON, when its current question was shown) and wizard_events (every answer, correction and
 * going back, in order, with the seconds it took: the history a support ticket reports, which
 * keeps even answers that were later changed).
 *
 * Session ids are 32 lowercase hex digits from the system's random source; anything else is
 * "no such session". Only wizard/session.h reads and changes sessions (with the store's lock
 * held); this header opens and closes the store.
 */

#include <cjson/cJSON.h>
#include <stddef.h>

struct wiz_store;

#define WIZ_ID_LEN 32

struct wiz_store *wiz_store_open(const char *db_path, char *err, size_t errlen);
void wiz_store_close(struct wiz_store *s);

/* Seconds since the epoch, with a fraction. */
double wiz_now(void);

#endif
