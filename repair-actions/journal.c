/* SPDX-License-Identifier: MIT */
/* The journal (SQLite) and the runner that carries a plan out through a backend. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/db.h"
#include "../common/log.h"
#include "../common/platform.h"
#include "../common/util.h"
#include "ra.h"

static const char *schema =
	"PRAGMA journal_mode=WAL;"
	"CREATE TABLE IF NOT EXISTS repair_runs("
	" id TEXT PRIMARY KEY, action TEXT NOT NULL, params TEXT NOT NULL, session TEXT,"
	" backend TEXT NOT NULL, dry_run INTEGER NOT NULL, state TEXT NOT NULL, created TEXT NOT NULL,"
	" updated TEXT NOT NULL, result_code INTEGER, error TEXT, owner_pid INTEGER, preflight TEXT);"
	"CREATE TABLE IF NOT EXISTS repair_steps("
	" run TEXT NOT NULL, n INTEGER NOT NULL, title TEXT NOT NULL, kind TEXT NOT NULL,"
	" plan TEXT NOT NULL, state TEXT NOT NULL, started TEXT, finished TEXT, output TEXT,"
	" verification TEXT, backup TEXT, result_code INTEGER, PRIMARY KEY(run, n));"
	"CREATE INDEX IF NOT EXISTS repair_runs_session ON repair_runs(session);";

#define NOW "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"

enum stmt {
	ST_RUN_INSERT, ST_STEP_INSERT, ST_RUN_STATE, ST_STEP_STATE, ST_RUN_GET, ST_STEPS_GET,
	ST_ACTIVE, ST_RECOVER, ST_OWNERS, ST_OWN, ST_BY_SESSION, ST_INTERRUPTED, ST_BEGIN, ST_COMMIT,
	ST_STEP_OUTPUT, ST_ROLLBACK, ST_CLAIM_UNDO, ST__COUNT
};

static const char *const sql[ST__COUNT] = {
	[ST_RUN_INSERT] = "INSERT INTO repair_runs(id, action, params, session, backend, dry_run,"
			  " state, created, updated, owner_pid, preflight) VALUES (?1, ?2, ?3, ?4, ?5,"
			  " ?6, 'queued', " NOW ", " NOW ", ?7, ?8)",
	[ST_STEP_INSERT] = "INSERT INTO repair_steps(run, n, title, kind, plan, state)"
			   " VALUES (?1, ?2, ?3, ?4, ?5, 'pending')",
	[ST_RUN_STATE] = "UPDATE repair_runs SET state = ?2, error = coalesce(?3, error),"
			 " result_code = coalesce(?4, result_code), updated = " NOW " WHERE id = ?1",
	[ST_STEP_STATE] = "UPDATE repair_steps SET state = ?3,"
			  " started = CASE WHEN ?3 = 'started' THEN " NOW " ELSE started END,"
			  " finished = CASE WHEN ?3 = 'started' THEN NULL ELSE " NOW " END,"
			  " output = coalesce(?4, output), verification = coalesce(?5, verification),"
			  " backup = coalesce(?6, backup), result_code = coalesce(?7, result_code)"
			  " WHERE run = ?1 AND n = ?2",
	/* Live output of a step that still runs (its final output comes with its state). */
	[ST_STEP_OUTPUT] = "UPDATE repair_steps SET output = ?3"
			   " WHERE run = ?1 AND n = ?2 AND state IN ('started', 'undoing')",
	[ST_RUN_GET] = "SELECT id, action, params, session, backend, dry_run, state, created,"
		       " updated, error, result_code, preflight FROM repair_runs WHERE id = ?1",
	[ST_STEPS_GET] = "SELECT n, title, kind, state, output, verification, backup, result_code,"
			 " started, finished, plan FROM repair_steps WHERE run = ?1 ORDER BY n",
	[ST_ACTIVE] = "SELECT id FROM repair_runs WHERE state IN ('queued', 'running') LIMIT 1",
	[ST_RECOVER] = "UPDATE repair_runs SET state = 'interrupted', updated = " NOW ","
		       " error = 'koffix stopped while this run was going on; roll it back'"
		       " WHERE id = ?1 AND state IN ('queued', 'running')",
	[ST_OWNERS] = "SELECT id, coalesce(owner_pid, 0) FROM repair_runs"
		      " WHERE state IN ('queued', 'running')",
	[ST_OWN] = "UPDATE repair_runs SET owner_pid = ?2 WHERE id = ?1",
	[ST_BY_SESSION] = "SELECT id FROM repair_runs WHERE session = ?1 ORDER BY created DESC,"
			  " rowid DESC",
	[ST_INTERRUPTED] = "SELECT id, action, updated FROM repair_runs WHERE state = 'interrupted'"
			   " ORDER BY updated DESC LIMIT 20",
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	/* An undo takes the run over: only from a state that can be undone, never a preview. */
	[ST_CLAIM_UNDO] = "UPDATE repair_runs SET state = 'running', error = '', updated = " NOW ","
			  " owner_pid = ?2 WHERE id = ?1 AND dry_run = 0"
			  " AND state IN ('succeeded', 'failed', 'interrupted')",
};

struct ra_journal {
	struct db db;
	ra_step_observer *observer;
	void *observer_ctx;
};

static sqlite3_stmt *stmt(struct ra_journal *j, enum stmt id)
{
	return db_stmt(&j->db, id);
}

struct ra_journal *ra_journal_open(const char *db_path, char *err, size_t errlen)
{
	/* Journals made before runs recorded their process and their preflight gain the columns. */
	static const char *const alters[] = {
		"ALTER TABLE repair_runs ADD COLUMN owner_pid INTEGER",
		"ALTER TABLE repair_runs ADD COLUMN preflight TEXT",
	};
	db_add_columns(db_path, alters, sizeof alters / sizeof alters[0]);
	struct ra_journal *j = xcalloc(1, sizeof *j);
	if (db_open(&j->db, db_path, "the repair journal", schema, sql, ST__COUNT, err, errlen)) {
		free(j);
		return NULL;
	}
	return j;
}

void ra_journal_close(struct ra_journal *j)
{
	if (!j)
		return;
	db_close(&j->db);
	free(j);
}

/*
 * With the lock held: marks the active runs of dead processes interrupted. Writes the id of an
 * active run whose process lives into alive (33 bytes; "" when none). A run of this process
 * counts as alive when self is true (while it runs); at start-up (self false) it can only be
 * an earlier process's whose id was reused. Returns how many runs were marked.
 */
static int recover_locked(struct ra_journal *j, char *alive, bool self)
{
	char ids[64][33];
	int n = 0, found = 0;
	alive[0] = '\0';
	sqlite3_stmt *s = stmt(j, ST_OWNERS);
	while (n < 64 && sqlite3_step(s) == SQLITE_ROW) {
		long long owner = sqlite3_column_int64(s, 1);
		if (!(self && owner == plat_pid()) && !plat_process_alive(owner))
			snprintf(ids[n++], sizeof ids[0], "%s", db_col(s, 0));
		else if (!alive[0])
			snprintf(alive, 33, "%s", db_col(s, 0));
	}
	sqlite3_reset(s);
	for (int i = 0; i < n; i++) {
		s = stmt(j, ST_RECOVER);
		db_bind_text(s, 1, ids[i]);
		if (sqlite3_step(s) == SQLITE_DONE)
			found += sqlite3_changes(j->db.conn);
	}
	return found;
}

int ra_journal_recover(struct ra_journal *j)
{
	char alive[33];
	db_lock(&j->db);
	int found = recover_locked(j, alive, false);
	db_unlock(&j->db);
	return found;
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		db_bind_text(s, i, v);
}

int ra_journal_create(struct ra_journal *j, const char *action, const cJSON *params,
		      const char *session, const struct ra_backend *b, const cJSON *plan,
		      const cJSON *preflight, char *id)
{
	char newid[33];
	if (kx_random_hex(newid, 16) != 0)
		return KX_EIO;
	char *p = cJSON_PrintUnformatted(params);
	char *pf = preflight ? cJSON_PrintUnformatted(preflight) : NULL;
	int rc = 0;
	db_lock(&j->db);
	/* BEGIN IMMEDIATE takes SQLite's write lock: from here to COMMIT no other connection, in
	 * this process or another, can create a run, so the look and the insert are one step. */
	if (sqlite3_step(stmt(j, ST_BEGIN)) != SQLITE_DONE) {
		rc = KX_EDB;
		goto out;
	}
	char alive[33];
	recover_locked(j, alive, true);
	if (alive[0]) {
		snprintf(id, 33, "%s", alive);
		rc = KX_ECONFLICT;
		sqlite3_step(stmt(j, ST_ROLLBACK));
		goto out;
	}
	snprintf(id, 33, "%s", newid);
	sqlite3_stmt *s = stmt(j, ST_RUN_INSERT);
	bind_text(s, 1, id);
	bind_text(s, 2, action);
	bind_text(s, 3, p);
	bind_text(s, 4, session);
	bind_text(s, 5, b->name);
	sqlite3_bind_int(s, 6, b->dry_run);
	sqlite3_bind_int64(s, 7, plat_pid());
	bind_text(s, 8, pf);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = KX_EDB;
	const cJSON *st;
	cJSON_ArrayForEach(st, plan) {
		if (rc)
			break;
		char *sp = cJSON_PrintUnformatted(st);
		s = stmt(j, ST_STEP_INSERT);
		bind_text(s, 1, id);
		sqlite3_bind_int(s, 2, (int)cJSON_GetObjectItemCaseSensitive(st, "n")->valuedouble);
		bind_text(s, 3, cJSON_GetObjectItemCaseSensitive(st, "title")->valuestring);
		bind_text(s, 4, cJSON_GetObjectItemCaseSensitive(st, "kind")->valuestring);
		bind_text(s, 5, sp);
		if (sqlite3_step(s) != SQLITE_DONE)
			rc = KX_EDB;
		cJSON_free(sp);
	}
	if (rc == 0 && sqlite3_step(stmt(j, ST_COMMIT)) != SQLITE_DONE)
		rc = KX_EDB;
	if (rc)
		sqlite3_step(stmt(j, ST_ROLLBACK));
out:
	db_unlock(&j->db);
	cJSON_free(p);
	cJSON_free(pf);
	return rc;
}

int ra_journal_claim_undo(struct ra_journal *j, const char *id)
{
	int rc = 0;
	db_lock(&j->db);
	if (sqlite3_step(stmt(j, ST_BEGIN)) != SQLITE_DONE) {
		db_unlock(&j->db);
		return KX_EDB;
	}
	char alive[33];
	recover_locked(j, alive, true);
	sqlite3_stmt *s = stmt(j, ST_RUN_GET);
	db_bind_text(s, 1, id);
	bool exists = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_reset(s);
	if (!exists) {
		rc = KX_ENOTFOUND;
	} else if (alive[0]) {
		rc = KX_ECONFLICT;
	} else {
		s = stmt(j, ST_CLAIM_UNDO);
		db_bind_text(s, 1, id);
		sqlite3_bind_int64(s, 2, plat_pid());
		if (sqlite3_step(s) != SQLITE_DONE)
			rc = KX_EDB;
		else if (sqlite3_changes(j->db.conn) != 1)
			rc = KX_ECONFLICT;
	}
	if (rc == 0 && sqlite3_step(stmt(j, ST_COMMIT)) != SQLITE_DONE)
		rc = KX_EDB;
	if (rc)
		sqlite3_step(stmt(j, ST_ROLLBACK));
	db_unlock(&j->db);
	return rc;
}

static void set_run(struct ra_journal *j, const char *id, const char *state, const char *error,
		    const int *code)
{
	db_lock(&j->db);
	sqlite3_stmt *s = stmt(j, ST_RUN_STATE);
	bind_text(s, 1, id);
	bind_text(s, 2, state);
	bind_text(s, 3, error);
	if (code)
		sqlite3_bind_int(s, 4, *code);
	if (sqlite3_step(s) != SQLITE_DONE)
		log_kv(LOG_ERROR, "journal write failed", 2, "run", id, "error", sqlite3_errmsg(j->db.conn));
	db_unlock(&j->db);
}

/* The process carrying the run out: another process finding it running checks it is alive. */
static void set_owner(struct ra_journal *j, const char *id)
{
	db_lock(&j->db);
	sqlite3_stmt *s = stmt(j, ST_OWN);
	db_bind_text(s, 1, id);
	sqlite3_bind_int64(s, 2, plat_pid());
	sqlite3_step(s);
	db_unlock(&j->db);
}

void ra_journal_observe(struct ra_journal *j, ra_step_observer *fn, void *ctx)
{
	j->observer = fn;
	j->observer_ctx = ctx;
}

/* Records the new state of step n (plan is its plan, for the observer), then tells the observer. */
static void set_step(struct ra_journal *j, const char *id, int n, const cJSON *plan,
		     const char *state, const struct ra_result *r)
{
	db_lock(&j->db);
	sqlite3_stmt *s = stmt(j, ST_STEP_STATE);
	bind_text(s, 1, id);
	sqlite3_bind_int(s, 2, n);
	bind_text(s, 3, state);
	if (r) {
		bind_text(s, 4, r->output);
		bind_text(s, 5, r->verification);
		if (*r->backup)
			bind_text(s, 6, r->backup);
		sqlite3_bind_int(s, 7, r->code);
	}
	if (sqlite3_step(s) != SQLITE_DONE)
		log_kv(LOG_ERROR, "journal write failed", 2, "run", id, "error", sqlite3_errmsg(j->db.conn));
	db_unlock(&j->db);
	if (j->observer) {
		const cJSON *title = cJSON_GetObjectItemCaseSensitive(plan, "title");
		j->observer(j->observer_ctx, id, n, cJSON_IsString(title) ? title->valuestring : "",
			    state);
	}
}

/* The journal's side of ra_backend.progress: the running step's output so far. */
struct live {
	struct ra_journal *j;
	const char *run;
};

static void on_progress(void *cls, int n, const char *text)
{
	const struct live *l = cls;
	db_lock(&l->j->db);
	sqlite3_stmt *s = stmt(l->j, ST_STEP_OUTPUT);
	bind_text(s, 1, l->run);
	sqlite3_bind_int(s, 2, n);
	bind_text(s, 3, text);
	if (sqlite3_step(s) != SQLITE_DONE)
		log_kv(LOG_ERROR, "journal write failed", 2, "run", l->run, "error",
		       sqlite3_errmsg(l->j->db.conn));
	db_unlock(&l->j->db);
}

/* The progress sink of the run this thread carries out (ra_progress). */
static _Thread_local const struct live *live_now;

void ra_progress(int n, const char *text)
{
	if (live_now)
		on_progress((void *)live_now, n, text);
}

static void live_on(struct live *l, struct ra_journal *j, const char *run)
{
	l->j = j;
	l->run = run;
	live_now = l;
}

static void live_off(void)
{
	live_now = NULL;
}

static const char *col(sqlite3_stmt *s, int i)
{
	return db_col(s, i);
}

/* With the lock held. plans: when not NULL, receives each step's plan object. */
static cJSON *get_locked(struct ra_journal *j, const char *id, cJSON *plans)
{
	sqlite3_stmt *s = stmt(j, ST_RUN_GET);
	bind_text(s, 1, id);
	if (sqlite3_step(s) != SQLITE_ROW)
		return NULL;
	cJSON *r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "run", col(s, 0));
	cJSON_AddStringToObject(r, "action", col(s, 1));
	cJSON *params = cJSON_Parse(col(s, 2));
	cJSON_AddItemToObject(r, "params", params ? params : cJSON_CreateObject());
	if (sqlite3_column_type(s, 3) != SQLITE_NULL)
		cJSON_AddStringToObject(r, "session", col(s, 3));
	else
		cJSON_AddNullToObject(r, "session");
	cJSON_AddStringToObject(r, "backend", col(s, 4));
	cJSON_AddBoolToObject(r, "dry_run", sqlite3_column_int(s, 5));
	cJSON_AddStringToObject(r, "state", col(s, 6));
	cJSON_AddStringToObject(r, "created", col(s, 7));
	cJSON_AddStringToObject(r, "updated", col(s, 8));
	cJSON_AddStringToObject(r, "error", col(s, 9));
	cJSON_AddNumberToObject(r, "result_code", sqlite3_column_int(s, 10));
	cJSON *pf = cJSON_Parse(col(s, 11));
	cJSON_AddItemToObject(r, "preflight", cJSON_IsArray(pf) ? pf :
			      (cJSON_Delete(pf), cJSON_CreateArray()));
	bool complete = true;
	cJSON *steps = cJSON_AddArrayToObject(r, "steps");
	s = stmt(j, ST_STEPS_GET);
	bind_text(s, 1, id);
	while (sqlite3_step(s) == SQLITE_ROW) {
		cJSON *x = cJSON_CreateObject();
		cJSON_AddNumberToObject(x, "n", sqlite3_column_int(s, 0));
		cJSON_AddStringToObject(x, "title", col(s, 1));
		cJSON_AddStringToObject(x, "kind", col(s, 2));
		cJSON_AddStringToObject(x, "state", col(s, 3));
		cJSON_AddStringToObject(x, "output", col(s, 4));
		cJSON_AddStringToObject(x, "verification", col(s, 5));
		cJSON_AddStringToObject(x, "backup", col(s, 6));
		cJSON_AddNumberToObject(x, "result_code", sqlite3_column_int(s, 7));
		cJSON_AddStringToObject(x, "started", col(s, 8));
		cJSON_AddStringToObject(x, "finished", col(s, 9));
		/* What the step promised about its undo, from its plan: pages say it per step. */
		cJSON *p = cJSON_Parse(col(s, 10));
		cJSON_AddBoolToObject(x, "changes", cJSON_IsTrue(
			cJSON_GetObjectItemCaseSensitive(p, "changes")));
		const cJSON *undo = cJSON_GetObjectItemCaseSensitive(p, "undo");
		const cJSON *note = cJSON_GetObjectItemCaseSensitive(p, "undo_note");
		cJSON_AddStringToObject(x, "undo", cJSON_IsString(undo) ? undo->valuestring : "none");
		cJSON_AddStringToObject(x, "undo_note", cJSON_IsString(note) ? note->valuestring : "");
		complete &= strcmp(col(s, 3), "not-undone") != 0;
		cJSON_AddItemToArray(steps, x);
		if (plans)
			cJSON_AddItemToArray(plans, p ? p : cJSON_CreateObject());
		else
			cJSON_Delete(p);
	}
	cJSON_AddBoolToObject(r, "undo_complete", complete);
	return r;
}

cJSON *ra_journal_get(struct ra_journal *j, const char *id)
{
	db_lock(&j->db);
	cJSON *r = get_locked(j, id, NULL);
	db_unlock(&j->db);
	return r;
}

bool ra_journal_active(struct ra_journal *j, char *id)
{
	db_lock(&j->db);
	sqlite3_stmt *s = stmt(j, ST_ACTIVE);
	bool found = sqlite3_step(s) == SQLITE_ROW;
	if (found && id)
		snprintf(id, 33, "%s", col(s, 0));
	db_unlock(&j->db);
	return found;
}

cJSON *ra_journal_runs(struct ra_journal *j, const char *session)
{
	cJSON *list = cJSON_CreateArray();
	db_lock(&j->db);
	sqlite3_stmt *s = stmt(j, ST_BY_SESSION);
	bind_text(s, 1, session);
	char ids[64][33];
	int n = 0;
	while (n < 64 && sqlite3_step(s) == SQLITE_ROW)
		snprintf(ids[n++], 33, "%s", col(s, 0));
	for (int i = 0; i < n; i++) {
		cJSON *r = get_locked(j, ids[i], NULL);
		if (r)
			cJSON_AddItemToArray(list, r);
	}
	db_unlock(&j->db);
	return list;
}

cJSON *ra_journal_interrupted(struct ra_journal *j)
{
	cJSON *list = cJSON_CreateArray();
	db_lock(&j->db);
	sqlite3_stmt *s = stmt(j, ST_INTERRUPTED);
	while (sqlite3_step(s) == SQLITE_ROW) {
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "run", col(s, 0));
		cJSON_AddStringToObject(e, "action", col(s, 1));
		cJSON_AddStringToObject(e, "updated", col(s, 2));
		cJSON_AddItemToArray(list, e);
	}
	db_unlock(&j->db);
	return list;
}

/* ---- running ---- */

static void result_init(struct ra_result *r)
{
	memset(r, 0, sizeof *r);
	r->state = "failed";
}

/*
 * Undoes the steps of plans that started (by the journal), last first. Returns failures; the
 * numbers of the steps that changed something and declare no undo go to not_undone ("5, 6").
 */
static int undo_started(struct ra_journal *j, struct ra_backend *b, const char *id,
			const cJSON *run, const cJSON *plans, int timeout, struct buf *not_undone)
{
	int failures = 0;
	const cJSON *steps = cJSON_GetObjectItemCaseSensitive(run, "steps");
	for (int i = cJSON_GetArraySize(steps) - 1; i >= 0; i--) {
		const cJSON *st = cJSON_GetArrayItem(steps, i);
		const char *state = cJSON_GetObjectItemCaseSensitive(st, "state")->valuestring;
		if (strcmp(state, "started") && strcmp(state, "succeeded") && strcmp(state, "failed") &&
		    strcmp(state, "planned"))
			continue;
		const cJSON *plan = cJSON_GetArrayItem(plans, i);
		int n = (int)cJSON_GetObjectItemCaseSensitive(st, "n")->valuedouble;
		const cJSON *undo = cJSON_GetObjectItemCaseSensitive(plan, "undo");
		/* A step that changes nothing has nothing to undo; its journal row stays as is. */
		if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(plan, "changes")))
			continue;
		struct ra_result r;
		result_init(&r);
		if (cJSON_IsString(undo) && !strcmp(undo->valuestring, "none") &&
		    !strcmp(state, "succeeded")) {
			/* Declared: nothing can take it back. Said, never attempted. (A step that
			 * failed or was cut off is still asked: its undo finds out what it left.) */
			const cJSON *note = cJSON_GetObjectItemCaseSensitive(plan, "undo_note");
			r.state = "not-undone";
			snprintf(r.output, sizeof r.output, "Not undone: %s", cJSON_IsString(note) ?
				 note->valuestring : "this step cannot be undone.");
			set_step(j, id, n, plan, "not-undone", &r);
			buf_addf(not_undone, "%s%d", not_undone->len ? ", " : "", n);
			continue;
		}
		set_step(j, id, n, plan, "undoing", NULL);
		int rc = b->undo_step(b, id, plan, timeout, &r);
		set_step(j, id, n, plan, rc == 0 ? "undone" : "undo-failed", &r);
		failures += rc != 0;
	}
	return failures;
}

/* The run and, in *plans, each step's plan object; NULL (and *plans NULL) for no such run. */
static cJSON *load(struct ra_journal *j, const char *id, cJSON **plans)
{
	*plans = cJSON_CreateArray();
	db_lock(&j->db);
	cJSON *run = get_locked(j, id, *plans);
	db_unlock(&j->db);
	if (!run) {
		cJSON_Delete(*plans);
		*plans = NULL;
	}
	return run;
}

int ra_run(struct ra_journal *j, struct ra_backend *b, const char *id, int step_timeout)
{
	cJSON *plans;
	cJSON *run = load(j, id, &plans);
	if (!run)
		return KX_ENOTFOUND;
	set_run(j, id, "running", NULL, NULL);
	set_owner(j, id);
	struct live live;
	live_on(&live, j, id);
	int rc = 0;
	char why[2300] = "";
	const cJSON *plan;
	cJSON_ArrayForEach(plan, plans) {
		int n = (int)cJSON_GetObjectItemCaseSensitive(plan, "n")->valuedouble;
		struct ra_result r;
		result_init(&r);
		/* Journaled before it runs: a crash from here on leaves "started" behind. */
		set_step(j, id, n, plan, "started", NULL);
		rc = b->run_step(b, id, plan, step_timeout, &r);
		if (rc == 0 && b->verify_step && strcmp(r.state, "planned"))
			rc = b->verify_step(b, id, plan, &r);
		set_step(j, id, n, plan, rc == 0 ? r.state : "failed", &r);
		if (rc) {
			snprintf(why, sizeof why, "step %d failed: %s", n, *r.output ? r.output :
				 kx_strerror(rc));
			break;
		}
	}
	if (rc) {
		cJSON_Delete(run);
		db_lock(&j->db);
		run = get_locked(j, id, NULL);
		db_unlock(&j->db);
		struct buf none;
		buf_init(&none, 256);
		int undo_failures = undo_started(j, b, id, run, plans, step_timeout, &none);
		if (undo_failures)
			snprintf(why + strlen(why), sizeof why - strlen(why),
				 "; %d undo step(s) failed too: see each step", undo_failures);
		else if (none.len)
			snprintf(why + strlen(why), sizeof why - strlen(why),
				 "; the steps before it were undone, except step(s) %s, which cannot "
				 "be undone (see each step)", buf_cstr(&none));
		else
			snprintf(why + strlen(why), sizeof why - strlen(why),
				 "; the steps before it were undone");
		buf_release(&none);
		set_run(j, id, "failed", why, &rc);
	} else {
		int zero = 0;
		set_run(j, id, "succeeded", NULL, &zero);
	}
	live_off();
	cJSON_Delete(run);
	cJSON_Delete(plans);
	return rc;
}

int ra_undo_claimed(struct ra_journal *j, struct ra_backend *b, const char *id,
		    int step_timeout)
{
	cJSON *plans;
	cJSON *run = load(j, id, &plans);
	if (!run)
		return KX_ENOTFOUND;
	struct live live;
	live_on(&live, j, id);
	struct buf none;
	buf_init(&none, 256);
	int failures = undo_started(j, b, id, run, plans, step_timeout, &none);
	live_off();
	char why[400] = "";
	if (failures)
		snprintf(why, sizeof why, "some undo steps failed: see each step");
	else if (none.len)
		snprintf(why, sizeof why, "undone, except step(s) %s, which cannot be undone (see "
			 "each step)", buf_cstr(&none));
	buf_release(&none);
	set_run(j, id, failures ? "failed" : "undone", why, NULL);
	cJSON_Delete(run);
	cJSON_Delete(plans);
	return failures ? KX_EIO : 0;
}

int ra_undo(struct ra_journal *j, struct ra_backend *b, const char *id, int step_timeout)
{
	int rc = ra_journal_claim_undo(j, id);
	return rc ? rc : ra_undo_claimed(j, b, id, step_timeout);
}
