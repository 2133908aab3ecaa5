/* SPDX-License-Identifier: MIT */
/*
 * DLL check results in SQLite: table dll_checks (docs/data-model.md), owned by this module.
 * The support ticket reads it by session. One store is used by one thread at a time: the web
 * app opens one per upload, which is rare and cheap next to the check itself.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "check.h"

static const char *schema =
	"PRAGMA journal_mode=WAL;"
	"CREATE TABLE IF NOT EXISTS dll_checks("
	" id TEXT PRIMARY KEY, session TEXT, created TEXT NOT NULL, file_name TEXT,"
	" windows_path TEXT, sha256 TEXT, verdict TEXT NOT NULL, result TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS dll_checks_session ON dll_checks(session, created);";

enum stmt { ST_ADD, ST_LIST, ST__COUNT };

static const char *const sql[ST__COUNT] = {
	[ST_ADD] = "INSERT INTO dll_checks(id, session, created, file_name, windows_path, sha256,"
		   " verdict, result) VALUES (?1, ?2, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), ?3,"
		   " ?4, ?5, ?6, ?7)",
	[ST_LIST] = "SELECT id, created, file_name, windows_path, sha256, verdict, result"
		    " FROM dll_checks WHERE session = ?1 ORDER BY created, rowid",
};

struct pe_store {
	sqlite3 *db;
	sqlite3_stmt *st[ST__COUNT];
};

struct pe_store *pe_store_open(const char *db_path, char *err, size_t errlen)
{
	struct pe_store *s = xcalloc(1, sizeof *s);
	if (sqlite3_open_v2(db_path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK)
		goto fail;
	sqlite3_busy_timeout(s->db, 5000);
	if (sqlite3_exec(s->db, schema, NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	for (int i = 0; i < ST__COUNT; i++)
		if (sqlite3_prepare_v2(s->db, sql[i], -1, &s->st[i], NULL) != SQLITE_OK)
			goto fail;
	return s;
fail:
	snprintf(err, errlen, "cannot open the DLL check results in '%s': %s", db_path,
		 s->db ? sqlite3_errmsg(s->db) : "out of memory");
	pe_store_close(s);
	return NULL;
}

void pe_store_close(struct pe_store *s)
{
	if (!s)
		return;
	for (int i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->db);
	free(s);
}

static void bind_or_null(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

int pe_store_add(struct pe_store *s, const char *session, const char *file_name,
		 const char *windows_path, const cJSON *report, char id[33])
{
	if (kx_random_hex(id, 16) != 0)
		return KX_EIO;
	const cJSON *sha = cJSON_GetObjectItemCaseSensitive(report, "sha256");
	const cJSON *verdict = cJSON_GetObjectItemCaseSensitive(report, "verdict");
	char *json = cJSON_PrintUnformatted(report);
	sqlite3_stmt *st = s->st[ST_ADD];
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	bind_or_null(st, 2, session);
	bind_or_null(st, 3, file_name);
	bind_or_null(st, 4, windows_path);
	bind_or_null(st, 5, cJSON_IsString(sha) ? sha->valuestring : NULL);
	bind_or_null(st, 6, cJSON_IsString(verdict) ? verdict->valuestring : "not_analysable");
	bind_or_null(st, 7, json);
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : KX_EDB;
	sqlite3_reset(st);
	cJSON_free(json);
	return rc;
}

static void add_col(cJSON *o, const char *key, sqlite3_stmt *st, int col)
{
	const unsigned char *v = sqlite3_column_text(st, col);
	if (v)
		cJSON_AddStringToObject(o, key, (const char *)v);
	else
		cJSON_AddNullToObject(o, key);
}

cJSON *pe_store_list(struct pe_store *s, const char *session)
{
	sqlite3_stmt *st = s->st[ST_LIST];
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	sqlite3_bind_text(st, 1, session, -1, SQLITE_TRANSIENT);
	cJSON *list = cJSON_CreateArray();
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON *o = cJSON_CreateObject();
		add_col(o, "id", st, 0);
		add_col(o, "created", st, 1);
		add_col(o, "file_name", st, 2);
		add_col(o, "windows_path", st, 3);
		add_col(o, "sha256", st, 4);
		add_col(o, "verdict", st, 5);
		const unsigned char *res = sqlite3_column_text(st, 6);
		cJSON *r = res ? cJSON_Parse((const char *)res) : NULL;
		cJSON_AddItemToObject(o, "result", r ? r : cJSON_CreateNull());
		cJSON_AddItemToArray(list, o);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		cJSON_Delete(list);
		return NULL;
	}
	return list;
}
