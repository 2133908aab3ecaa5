/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_RA_H
#define KOFFIX_RA_H

/*
 * Repair actions: the catalogue (data in repair-actions/catalogue.json, plans in C), parameter
 * validation, plans, the backends that carry plans out, and the journal.
 *
 * A plan is a cJSON array of steps, each an object:
 *   n, kind (RA_KIND_* names below), title (plain words), scope ("user"|"machine"),
 *   admin (bool), args (object: what the step works on), backup (what is saved first, or ""),
 *   verify (how the result is read back), undo (how it is reversed, or "" when nothing changes)
 * Plans are pure functions of the action and its validated parameters: the same inputs give the
 * same plan, on every OS.
 *
 * Rules (DESIGN.md, Repair actions): nothing is lost (backups before changes), every step is
 * journaled before and after it runs, a run needs explicit consent, one run at a time per
 * machine, an interrupted run is offered for rollback and never resumed, undo runs the undos of
 * the steps that started, in reverse order.
 */

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "../common/buf.h"

/* Step kinds (the "kind" string of a step). */
#define RA_KIND_PROCESS_CHECK "process-check"
#define RA_KIND_FIND_PRODUCT "find-product"
#define RA_KIND_REG_EXPORT "registry-export"
#define RA_KIND_REG_SET "registry-set"
#define RA_KIND_REG_CREATE "registry-create-key"
#define RA_KIND_REG_DELETE_TREE "registry-delete-tree"
#define RA_KIND_REG_IMPORT "registry-import"
#define RA_KIND_FILE_BACKUP "file-backup"
#define RA_KIND_FILE_RENAME "file-rename"
#define RA_KIND_INI_MERGE "mapisvc-merge"
#define RA_KIND_MSI_UNINSTALL "msi-uninstall"
#define RA_KIND_MSI_INSTALL "msi-install"
#define RA_KIND_MSI_REPAIR "msi-repair"
#define RA_KIND_OPEN_CPL "open-control-panel"
#define RA_KIND_CHECK_DLL "check-dll"
#define RA_KIND_COLLECT "collect"

struct ra_catalogue;

/* Loads the catalogue file. NULL with a message in err. Free with ra_catalogue_free(). */
struct ra_catalogue *ra_catalogue_load(const char *path, char *err, size_t errlen);
void ra_catalogue_free(struct ra_catalogue *c);

/* The catalogue's action list [{id,title,description,risk,params:{name:{type,values?,doc,
 * required}}}] (caller frees). */
cJSON *ra_catalogue_list(const struct ra_catalogue *c);

/* The catalogue entry of id (borrowed), or NULL. */
const cJSON *ra_action(const struct ra_catalogue *c, const char *id);

/*
 * Validates params (an object of strings; may be NULL) for action id. On success *clean gets
 * the accepted parameters (caller frees) and *warnings an array of messages about unknown
 * parameters, which are ignored. KX_ENOTFOUND for an unknown action; KX_EINVAL with a message
 * naming the parameter for a missing required one, a value not allowed, or a malformed value.
 */
int ra_validate(const struct ra_catalogue *c, const char *id, const cJSON *params,
		cJSON **clean, cJSON **warnings, char *err, size_t errlen);

/* The plan of action id for validated params (caller frees). NULL for an unknown action. */
cJSON *ra_plan(const struct ra_catalogue *c, const char *id, const cJSON *params);

/* Plain-words text of a plan, for the CLI (appends to out). */
void ra_plan_text(const cJSON *plan, struct buf *out);

/*
 * The .cmd script a technician runs on the affected PC: the same steps with the same backups
 * (in %LOCALAPPDATA%\koffix\backups\<run>), checks and a log, every value quoted safely.
 * run names the backup folder. Appends to out (CRLF line endings).
 */
void ra_plan_cmd(const struct ra_catalogue *c, const char *id, const cJSON *params,
		 const cJSON *plan, const char *run, struct buf *out);

/* ---- backends ---- */

/* The result of one step or undo: state is "succeeded", "failed" or "planned". */
struct ra_result {
	const char *state;
	int code;            /* a numbered result code (0 success); MSI results keep theirs */
	char output[2048];   /* what happened, for people */
	char backup[512];    /* where the backup went, or "" */
	char verification[512];
};

struct ra_backend {
	const char *name;
	bool dry_run;        /* every step "planned"; nothing changes */
	/* Environment facts as wizard answers (object; caller frees), or NULL. */
	cJSON *(*detect)(struct ra_backend *b);
	/* Runs step (with the run id, for backup folders) within timeout seconds. */
	int (*run_step)(struct ra_backend *b, const char *run, const cJSON *step, int timeout,
			struct ra_result *res);
	/* Reads back what the step did; a failed verification fails the run. */
	int (*verify_step)(struct ra_backend *b, const char *run, const cJSON *step,
			   struct ra_result *res);
	/* Reverses a step that started (it may have failed half-way: undos are idempotent). */
	int (*undo_step)(struct ra_backend *b, const char *run, const cJSON *step, int timeout,
			 struct ra_result *res);
	void (*free)(struct ra_backend *b);
	void *state;
	/*
	 * Optional, set by the program that owns the backend: the full DLL legitimacy check of a
	 * file a check-dll step found (path as Windows writes it), run by koffix itself; writes a
	 * short summary for people into out. 0, or a kx_err when the file cannot be checked.
	 */
	int (*inspect)(void *cls, const char *windows_path, const char *office_bitness, char *out,
		       size_t outlen);
	void *inspect_cls;
	/*
	 * Optional, set by the journal while it runs steps: the output of step n so far, while
	 * the step still runs (a backend that learns of progress calls it; text is everything
	 * said so far). Called from the thread that runs the step.
	 */
	void (*progress)(void *cls, int n, const char *text);
	void *progress_cls;
};

/* The dry-run backend: detects nothing, plans everything. */
struct ra_backend *ra_backend_plan(void);

/*
 * A scripted backend for tests: script is "ok", "fail:N" (step N fails), "verify:N" (step N's
 * verification fails), "hang:N" (step N never returns; the timeout ends it) or "undofail:N".
 * Steps succeed and record their calls in order (ra_backend_script_log).
 */
struct ra_backend *ra_backend_script(const char *script);
const char *ra_backend_script_log(struct ra_backend *b);

/*
 * The agent backend (agent_backend.c): koffix-agent.exe at path, started once per step, under
 * `wine` when wine is true (WINEPREFIX must be set). detect() returns the agent's answers with
 * its facts as the member "facts" (an object; the wizard only takes string answers). NULL with
 * a message in err when the agent is not there or Wine has no prefix.
 */
struct ra_backend *ra_backend_agent(const char *path, bool wine, char *err, size_t errlen);

/* ---- journal and runs ---- */

struct ra_journal;

struct ra_journal *ra_journal_open(const char *db_path, char *err, size_t errlen);
void ra_journal_close(struct ra_journal *j);

/*
 * Marks every run left "running" or "queued" by a process that is no longer alive
 * "interrupted" (it died mid-run); a run another live koffix is carrying out is left alone.
 * Returns how many were found.
 */
int ra_journal_recover(struct ra_journal *j);

/* Creates a run (state queued) with its planned steps; writes its id (33 bytes) to id. */
int ra_journal_create(struct ra_journal *j, const char *action, const cJSON *params,
		      const char *session, const struct ra_backend *b, const cJSON *plan,
		      char *id);

/* The run as {"run","action","params","session","state","dry_run","backend","created",
 * "updated","error","steps":[{"n","title","kind","state","output","verification","backup",
 * "result_code","started","finished"}]} (caller frees), or NULL. */
cJSON *ra_journal_get(struct ra_journal *j, const char *id);

/* The id of a queued or running run, into id (33 bytes); false when none. */
bool ra_journal_active(struct ra_journal *j, char *id);

/*
 * Told of each step's new state as the journal records it while a run or undo goes on
 * ("started", "succeeded", "failed", "undoing", "undone", "undo-failed"...): the CLI prints
 * it as progress. title is the step's plan title. Called on the thread that runs the steps;
 * fn NULL stops it. Set it while no run goes on (it is read without a lock).
 */
typedef void ra_step_observer(void *ctx, const char *run, int n, const char *title,
			      const char *state);
void ra_journal_observe(struct ra_journal *j, ra_step_observer *fn, void *ctx);

/* Runs interrupted when koffix last stopped, offered for rollback: [{run, action, updated}]. */
cJSON *ra_journal_interrupted(struct ra_journal *j);

/* Runs of a wizard session, newest first (caller frees). */
cJSON *ra_journal_runs(struct ra_journal *j, const char *session);

/*
 * Carries out run id with backend b: each step journaled "started" before and its result
 * after; a failed step or verification stops the run and the steps that started are undone in
 * reverse order (state failed, error says why). Returns 0 when the run succeeded.
 */
int ra_run(struct ra_journal *j, struct ra_backend *b, const char *id, int step_timeout);

/*
 * Undoes a succeeded, failed or interrupted run: the undos of every step that started, in
 * reverse order, journaled; state "undone". KX_ECONFLICT for a run that is queued, running or
 * already undone.
 */
int ra_undo(struct ra_journal *j, struct ra_backend *b, const char *id, int step_timeout);

#endif
