/* SPDX-License-Identifier: MIT */
/*
 * Scans kept in SQLite: table scans (docs/data-model.md), owned by this module, with its own
 * connection and lock (common/db.h): a scan run on this PC, or one a technician opened from
 * another PC, and the wizard session it started, which the support ticket reports.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/db.h"
#include "../common/util.h"
#include "scan.h"

static const char *schema =
	"PRAGMA journal_mode=WAL;"
	"CREATE TABLE IF NOT EXISTS scans("
	" id TEXT PRIMARY KEY, created TEXT NOT NULL, computer TEXT, session TEXT,"
	" json TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS scans_session ON scans(session, created);";

enum stmt { ST_ADD, ST_GET, ST_SESSION, ST_BIND, ST__COUNT };

static const char *const sql[ST__COUNT] = {
	[ST_ADD] = "INSERT INTO scans(id, created, computer, session, json)"
		   " VALUES (?1, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), ?2, ?3, ?4)",
	[ST_GET] = "SELECT json FROM scans WHERE id = ?1",
	[ST_SESSION] = "SELECT json FROM scans WHERE session = ?1 ORDER BY created DESC, rowid DESC"
		       " LIMIT 1",
	[ST_BIND] = "UPDATE scans SET session = ?2 WHERE id = ?1 AND session IS NULL",
};

struct scan_store {
	struct db db;
};

struct scan_store *scan_store_open(const char *db_path, char *err, size_t errlen)
{
	struct scan_store *s = xcalloc(1, sizeof *s);
	if (db_open(&s->db, db_path, "the scans", schema, sql, ST__COUNT, err, errlen)) {
		free(s);
		return NULL;
	}
	return s;
}

void scan_store_close(struct scan_store *s)
{
	if (!s)
		return;
	db_close(&s->db);
	free(s);
}

int scan_store_add(struct scan_store *s, const cJSON *scan, const char *session, char id[33])
{
	if (kx_random_hex(id, 16) != 0)
		return KX_EIO;
	char *json = cJSON_PrintUnformatted(scan);
	const cJSON *computer = cJSON_GetObjectItemCaseSensitive(scan, "computer");
	db_lock(&s->db);
	sqlite3_stmt *st = db_stmt(&s->db, ST_ADD);
	db_bind_text(st, 1, id);
	db_bind_text(st, 2, cJSON_IsString(computer) ? computer->valuestring : NULL);
	db_bind_text(st, 3, session);
	db_bind_text(st, 4, json);
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : KX_EDB;
	db_unlock(&s->db);
	cJSON_free(json);
	return rc;
}

static cJSON *one(struct scan_store *s, int which, const char *key)
{
	db_lock(&s->db);
	sqlite3_stmt *st = db_stmt(&s->db, which);
	db_bind_text(st, 1, key);
	cJSON *j = sqlite3_step(st) == SQLITE_ROW ? cJSON_Parse(db_col(st, 0)) : NULL;
	db_unlock(&s->db);
	return j;
}

cJSON *scan_store_get(struct scan_store *s, const char *id)
{
	return one(s, ST_GET, id);
}

cJSON *scan_store_of_session(struct scan_store *s, const char *session)
{
	return one(s, ST_SESSION, session);
}

int scan_store_bind(struct scan_store *s, const char *id, const char *session)
{
	db_lock(&s->db);
	sqlite3_stmt *st = db_stmt(&s->db, ST_BIND);
	db_bind_text(st, 1, id);
	db_bind_text(st, 2, session);
	int rc = sqlite3_step(st) == SQLITE_DONE && sqlite3_changes(s->db.conn) == 1 ? 0 :
		 KX_ENOTFOUND;
	db_unlock(&s->db);
	return rc;
}
