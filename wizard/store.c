/* SPDX-License-Identifier: MIT */
#include "store_internal.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/db.h"
#include "../common/util.h"

static const char *schema =
	"PRAGMA journal_mode=WAL;"
	"CREATE TABLE IF NOT EXISTS wizard_sessions("
	" id TEXT PRIMARY KEY, flow TEXT NOT NULL, state TEXT NOT NULL, created TEXT NOT NULL,"
	" updated TEXT NOT NULL, shown_at REAL NOT NULL);"
	"CREATE TABLE IF NOT EXISTS wizard_events("
	" session TEXT NOT NULL, seq INTEGER NOT NULL, at TEXT NOT NULL, kind TEXT NOT NULL,"
	" node TEXT, answer TEXT, seconds REAL, PRIMARY KEY(session, seq));";

enum stmt { ST_CREATE, ST_LOAD, ST_SAVE, ST_EVENT, ST_EVENTS, ST_BEGIN, ST_COMMIT, ST_ROLLBACK,
	    ST__COUNT };

static const char *const sql[ST__COUNT] = {
	[ST_CREATE] = "INSERT INTO wizard_sessions(id, flow, state, created, updated, shown_at)"
		      " VALUES (?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'),"
		      " strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), ?4)",
	[ST_LOAD] = "SELECT flow, state, shown_at FROM wizard_sessions WHERE id = ?1",
	[ST_SAVE] = "UPDATE wizard_sessions SET state = ?2, shown_at = ?3,"
		    " updated = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?1",
	[ST_EVENT] = "INSERT INTO wizard_events(session, seq, at, kind, node, answer, seconds)"
		     " VALUES (?1, (SELECT coalesce(max(seq), 0) + 1 FROM wizard_events"
		     " WHERE session = ?1), strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), ?2, ?3, ?4, ?5)",
	[ST_EVENTS] = "SELECT at, kind, node, answer, seconds FROM wizard_events"
		      " WHERE session = ?1 ORDER BY seq",
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
};

struct wiz_store {
	struct db db;
};

double wiz_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static sqlite3_stmt *stmt(struct wiz_store *s, enum stmt id)
{
	return db_stmt(&s->db, id);
}

struct wiz_store *wiz_store_open(const char *db_path, char *err, size_t errlen)
{
	struct wiz_store *s = xcalloc(1, sizeof *s);
	if (db_open(&s->db, db_path, "wizard sessions", schema, sql, ST__COUNT, err, errlen)) {
		free(s);
		return NULL;
	}
	return s;
}

void wiz_store_close(struct wiz_store *s)
{
	if (!s)
		return;
	db_close(&s->db);
	free(s);
}

/* Held across a read-modify-write of a session; statements are reset when it is released. */
void wiz_store_lock(struct wiz_store *s)
{
	db_lock(&s->db);
}

void wiz_store_unlock(struct wiz_store *s)
{
	db_unlock(&s->db);
}

static bool id_ok(const char *id)
{
	if (!id || strlen(id) != WIZ_ID_LEN)
		return false;
	for (; *id; id++)
		if (!((*id >= '0' && *id <= '9') || (*id >= 'a' && *id <= 'f')))
			return false;
	return true;
}

int wiz_store_create(struct wiz_store *s, const char *flow, const cJSON *state, char *id)
{
	if (kx_random_hex(id, WIZ_ID_LEN / 2) != 0)
		return KX_EIO;
	char *json = cJSON_PrintUnformatted(state);
	sqlite3_stmt *st = stmt(s, ST_CREATE);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, flow, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, json, -1, SQLITE_TRANSIENT);
	sqlite3_bind_double(st, 4, wiz_now());
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : KX_EDB;
	cJSON_free(json);
	return rc;
}

cJSON *wiz_store_load(struct wiz_store *s, const char *id, char *flow, size_t flowlen,
		      double *shown_at)
{
	if (!id_ok(id))
		return NULL;
	sqlite3_stmt *st = stmt(s, ST_LOAD);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return NULL;
	}
	snprintf(flow, flowlen, "%s", (const char *)sqlite3_column_text(st, 0));
	cJSON *state = cJSON_Parse((const char *)sqlite3_column_text(st, 1));
	if (shown_at)
		*shown_at = sqlite3_column_double(st, 2);
	/* Ends the read transaction: a stale snapshot would make the next write fail. */
	sqlite3_reset(st);
	return cJSON_IsObject(state) ? state : (cJSON_Delete(state), NULL);
}

int wiz_store_save(struct wiz_store *s, const char *id, const cJSON *state)
{
	char *json = cJSON_PrintUnformatted(state);
	sqlite3_stmt *st = stmt(s, ST_SAVE);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, json, -1, SQLITE_TRANSIENT);
	sqlite3_bind_double(st, 3, wiz_now());
	int rc = sqlite3_step(st) == SQLITE_DONE && sqlite3_changes(s->db.conn) == 1 ? 0 : KX_EDB;
	cJSON_free(json);
	return rc;
}

int wiz_store_event(struct wiz_store *s, const char *id, const char *kind, const char *node,
		    const char *answer, double seconds)
{
	sqlite3_stmt *st = stmt(s, ST_EVENT);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_TRANSIENT);
	if (node)
		sqlite3_bind_text(st, 3, node, -1, SQLITE_TRANSIENT);
	if (answer)
		sqlite3_bind_text(st, 4, answer, -1, SQLITE_TRANSIENT);
	sqlite3_bind_double(st, 5, seconds);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : KX_EDB;
}

/* Ends the transaction the caller began: COMMIT when rc is 0, else ROLLBACK. */
static int in_transaction(struct wiz_store *s, int rc)
{
	if (rc == 0 && sqlite3_step(stmt(s, ST_COMMIT)) == SQLITE_DONE)
		return 0;
	sqlite3_step(stmt(s, ST_ROLLBACK));
	return rc ? rc : KX_EDB;
}

int wiz_store_create_started(struct wiz_store *s, const char *flow, const cJSON *state, char *id)
{
	if (sqlite3_step(stmt(s, ST_BEGIN)) != SQLITE_DONE)
		return KX_EDB;
	int rc = wiz_store_create(s, flow, state, id);
	if (rc == 0)
		rc = wiz_store_event(s, id, "start", NULL, NULL, 0);
	return in_transaction(s, rc);
}

int wiz_store_save_event(struct wiz_store *s, const char *id, const cJSON *state,
			 const char *kind, const char *node, const char *answer, double seconds)
{
	if (sqlite3_step(stmt(s, ST_BEGIN)) != SQLITE_DONE)
		return KX_EDB;
	int rc = wiz_store_save(s, id, state);
	if (rc == 0)
		rc = wiz_store_event(s, id, kind, node, answer, seconds);
	return in_transaction(s, rc);
}

cJSON *wiz_store_events(struct wiz_store *s, const char *id)
{
	cJSON *list = cJSON_CreateArray();
	sqlite3_stmt *st = stmt(s, ST_EVENTS);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(st) == SQLITE_ROW) {
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "at", (const char *)sqlite3_column_text(st, 0));
		cJSON_AddStringToObject(e, "kind", (const char *)sqlite3_column_text(st, 1));
		if (sqlite3_column_type(st, 2) != SQLITE_NULL)
			cJSON_AddStringToObject(e, "node", (const char *)sqlite3_column_text(st, 2));
		if (sqlite3_column_type(st, 3) != SQLITE_NULL)
			cJSON_AddStringToObject(e, "answer", (const char *)sqlite3_column_text(st, 3));
		cJSON_AddNumberToObject(e, "seconds", sqlite3_column_double(st, 4));
		cJSON_AddItemToArray(list, e);
	}
	sqlite3_reset(st);
	return list;
}
