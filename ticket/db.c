/* SPDX-License-Identifier: MIT */
/*
 * The tables other modules own, read for a ticket (docs/data-model.md). A table that does not
 * exist yet, or lacks a documented column, makes its statement fail to prepare: that part of
 * the ticket is then reported as unavailable instead of failing the whole ticket.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "internal.h"

static const char *const sql[TST__COUNT] = {
	[TST_RUNS] = "SELECT id, action, params, backend, dry_run, state, created, updated,"
		     " result_code, error, preflight FROM repair_runs WHERE session = ?1"
		     " ORDER BY created, id LIMIT ?2",
	[TST_STEPS] = "SELECT n, title, kind, state, started, finished, output, verification,"
		      " backup, result_code, plan FROM repair_steps WHERE run = ?1 ORDER BY n LIMIT ?2",
	[TST_DLL] = "SELECT id, created, file_name, windows_path, sha256, verdict, result"
		    " FROM dll_checks WHERE session = ?1 ORDER BY created, id LIMIT ?2",
	[TST_VOTES] = "SELECT slug, helpful, comment, created FROM votes"
		      " WHERE voter = ?1 AND created >= ?2 ORDER BY created, slug LIMIT ?3",
	[TST_SCAN] = "SELECT id, created, json FROM scans WHERE session = ?1"
		     " ORDER BY created DESC, rowid DESC LIMIT 1",
};

static const char *const table_of[TST__COUNT] = {
	[TST_RUNS] = "repair_runs", [TST_STEPS] = "repair_steps",
	[TST_DLL] = "dll_checks", [TST_VOTES] = "votes", [TST_SCAN] = "scans",
};

struct ticket_db {
	sqlite3 *db;
	sqlite3_stmt *st[TST__COUNT];
	bool tried[TST__COUNT];
};

struct ticket_db *ticket_db_open(const char *path, char *err, size_t errlen)
{
	struct ticket_db *t = xcalloc(1, sizeof *t);
	if (sqlite3_open_v2(path, &t->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "cannot open '%s': %s", path,
			 t->db ? sqlite3_errmsg(t->db) : "out of memory");
		ticket_db_close(t);
		return NULL;
	}
	sqlite3_busy_timeout(t->db, 5000);
	return t;
}

void ticket_db_close(struct ticket_db *t)
{
	if (!t)
		return;
	for (int i = 0; i < TST__COUNT; i++)
		sqlite3_finalize(t->st[i]);
	sqlite3_close(t->db);
	free(t);
}

sqlite3_stmt *ticket_db_stmt(struct ticket_db *t, enum ticket_stmt id)
{
	if (!t)
		return NULL;
	if (!t->tried[id]) {
		t->tried[id] = true;
		if (sqlite3_prepare_v3(t->db, sql[id], -1, SQLITE_PREPARE_PERSISTENT, &t->st[id],
				       NULL) != SQLITE_OK) {
			sqlite3_finalize(t->st[id]);
			t->st[id] = NULL;
		}
	}
	if (t->st[id]) {
		sqlite3_reset(t->st[id]);
		sqlite3_clear_bindings(t->st[id]);
	}
	return t->st[id];
}

const char *ticket_db_table(enum ticket_stmt id)
{
	return table_of[id];
}
