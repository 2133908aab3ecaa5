/* SPDX-License-Identifier: MIT */
#include "db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform.h"
#include "util.h"

int db_open(struct db *db, const char *path, const char *what, const char *schema,
	    const char *const *sql, int n, char *err, size_t errlen)
{
	memset(db, 0, sizeof *db);
	pthread_mutex_init(&db->lock, NULL);
	db->st = xcalloc((size_t)n, sizeof *db->st);
	db->n = n;
	/* The database holds answers, paths and comments: its owner's only (SQLite gives its
	 * -wal and -shm files the database's mode). */
	if (*path && strcmp(path, ":memory:")) {
		size_t len = strlen(path) + 8;
		char *side = xmalloc(len);
		int bad = plat_private_file(path, true);
		snprintf(side, len, "%s-wal", path);
		bad |= plat_private_file(side, false);
		snprintf(side, len, "%s-shm", path);
		bad |= plat_private_file(side, false);
		free(side);
		if (bad) {
			snprintf(err, errlen, "cannot make %s in '%s' private to you", what, path);
			db_close(db);
			return KX_EIO;
		}
	}
	if (sqlite3_open_v2(path, &db->conn, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_busy_timeout(db->conn, 5000);
	if (sqlite3_exec(db->conn, schema, NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	for (int i = 0; i < n; i++)
		if (sqlite3_prepare_v3(db->conn, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &db->st[i],
				       NULL) != SQLITE_OK)
			goto fail;
	return 0;
fail:
	snprintf(err, errlen, "cannot open %s in '%s': %s", what, path,
		 db->conn ? sqlite3_errmsg(db->conn) : "out of memory");
	db_close(db);
	return KX_EDB;
}

void db_close(struct db *db)
{
	for (int i = 0; db->st && i < db->n; i++)
		sqlite3_finalize(db->st[i]);
	free(db->st);
	sqlite3_close(db->conn);
	pthread_mutex_destroy(&db->lock);
	memset(db, 0, sizeof *db);
}

void db_lock(struct db *db)
{
	pthread_mutex_lock(&db->lock);
}

void db_unlock(struct db *db)
{
	for (int i = 0; i < db->n; i++)
		sqlite3_reset(db->st[i]);
	pthread_mutex_unlock(&db->lock);
}

sqlite3_stmt *db_stmt(struct db *db, int id)
{
	sqlite3_reset(db->st[id]);
	sqlite3_clear_bindings(db->st[id]);
	return db->st[id];
}

void db_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

const char *db_col(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? (const char *)t : "";
}

void db_add_columns(const char *path, const char *const *alters, size_t n)
{
	sqlite3 *old;
	if (sqlite3_open_v2(path, &old, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK) {
		sqlite3_busy_timeout(old, 5000);
		for (size_t i = 0; i < n; i++)
			sqlite3_exec(old, alters[i], NULL, NULL, NULL);
	}
	sqlite3_close(old);
}
