/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_DB_H
#define KOFFIX_DB_H

/*
 * One SQLite connection with its schema applied and its statements prepared once (an enum of
 * the owning module indexes them), guarded by a mutex.
 *
 * Rules: take the lock (db_lock) around every use; db_stmt() hands out a statement reset and
 * with its bindings cleared; db_unlock() resets every statement before unlocking, because a
 * statement left on a row keeps a read transaction open, and a connection whose read snapshot
 * is older than another connection's commit cannot then write (SQLITE_BUSY_SNAPSHOT).
 * Several modules open their own struct db on the same file (WAL mode, 5 s busy timeout).
 */

#include <sqlite3.h>
#include <stddef.h>

#include <pthread.h>

struct db {
	sqlite3 *conn;
	sqlite3_stmt **st;
	int n;
	pthread_mutex_t lock;
};

/*
 * Opens path (created when missing), runs schema, prepares the n statements of sql. On failure
 * returns KX_EDB with "cannot open WHAT in 'PATH': reason" in err, and db holds nothing.
 */
int db_open(struct db *db, const char *path, const char *what, const char *schema,
	    const char *const *sql, int n, char *err, size_t errlen);
void db_close(struct db *db);

/*
 * Brings an existing database made by an earlier koffix up to date before db_open prepares
 * statements that use newer columns: runs each of the alters ("ALTER TABLE ... ADD COLUMN
 * ...") on path, if the file exists. A failing alter only means the table is new (db_open's
 * schema then makes it whole) or already has the column.
 */
void db_add_columns(const char *path, const char *const *alters, size_t n);

void db_lock(struct db *db);
void db_unlock(struct db *db);

/* Statement id, reset and with no bindings; only with the lock held. */
sqlite3_stmt *db_stmt(struct db *db, int id);

/* Binds a C string (NULL binds SQL NULL). */
void db_bind_text(sqlite3_stmt *s, int i, const char *v);

/* A text column as a C string, "" for NULL. */
const char *db_col(sqlite3_stmt *s, int i);

#endif
