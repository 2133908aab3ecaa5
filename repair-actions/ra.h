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
 *   verify (how the result is read back),
 *   changes (bool: false for a step that only reads, or writes only into koffix's own backup
 *   folder), undo ("exact" | "partial" | "none": what undoing the step gives back) and
 *   undo_note (that promise in plain words; every page, export and consent text is built from
 *   these two and nothing else).
 * Plans are pure functions of the action and its validated parameters: the same inputs give the
 * same plan, on every OS.
 *
 * Preflight. Each action also has read-only checks (ra_checks) that run through the backend
 * before step 1: [{id, kind, title, args}] in, [{id, title, state: "ok"|"warning"|"blocked",
 * reason}] out. A blocked check refuses the run with nothing changed (ra_start).
 *
 * Rules (docs/architecture.md, "Repairs"): nothing is lost (backups before changes), every step
 * is journaled before and after it runs, a run needs explicit consent and a preflight without a
 * blocked check, one run at a time across every koffix process (enforced by the journal in the
 * transaction that creates a run), an interrupted run is offered for rollback and never
 * resumed, undo runs the undos of the steps that started, in reverse order, and says which
 * steps it could not undo.
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
/* A parameter's name for people ("Office bitness" for office_bitness): its "label", else name. */
const char *ra_param_label(const struct ra_catalogue *c, const char *name);
/* A choice value in people's words (the catalogue's value_labels), else the value itself. */
const char *ra_param_value_label(const struct ra_catalogue *c, const char *name,
				 const char *value);

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

/* The preflight checks of action id for validated params: [{id, kind, title, args}] (caller
 * frees). NULL for an unknown action. */
cJSON *ra_checks(const struct ra_catalogue *c, const char *id, const cJSON *params);

/* true when a preflight result list holds a blocked check. */
bool ra_preflight_blocked(const cJSON *results);

/*
 * What the consent asks a person to accept, built from the plan's declared undo only: "Step 5
 * cannot be undone: ..." per step that changes something without an exact undo, or one
 * sentence saying every change can be undone exactly. Appends to out.
 */
void ra_consent_text(const cJSON *plan, struct buf *out);

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

/* The result of one step or undo: state is "succeeded", "failed", "planned", or "skipped" (the
 * step found nothing to do and changed nothing: it has nothing to undo). */
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
	/*
	 * Runs the preflight checks (ra_checks' list), reading only. Appends one result per check
	 * to results: {id, title, state, reason}. A check the backend cannot make is a warning
	 * that says so, never ok. 0, or a kx_err when the backend could not be asked at all (then
	 * every check is reported blocked by the caller).
	 */
	int (*preflight)(struct ra_backend *b, const cJSON *checks, cJSON *results);
	/*
	 * Reads the PC (the agent's "scan", read only): *raw gets {"computer","user","sources",
	 * "facts","events":{"application":[xml],"defender":[xml]}} (caller frees). options is
	 * {"days","min_free_mb"} or NULL. NULL when the backend cannot look at a PC (previews).
	 * 0, or a kx_err with a sentence in err.
	 */
	int (*scan)(struct ra_backend *b, const cJSON *options, cJSON **raw, char *err,
		    size_t errlen);
	void (*free)(struct ra_backend *b);
	void *state;
	/*
	 * Optional, set by the program that owns the backend: the full DLL legitimacy check of a
	 * file a check-dll step found (path as Windows writes it), run by koffix itself; writes a
	 * short summary for people into out. 0, or a kx_err when the file cannot be checked.
	 */
	int (*inspect)(void *cls, const char *windows_path, const char *office_bitness, char *out,
		       size_t outlen);
	/*
	 * Optional, likewise: the check of an installer program (an EXE a person gave instead of
	 * an .msi) by its version resource and Authenticode signature. *level gets "ok",
	 * "warning" or "blocked" (a signature that proves tampering); out a sentence. 0, or a
	 * kx_err when the file cannot be read from here.
	 */
	int (*inspect_installer)(void *cls, const char *windows_path, const char **level,
				 char *out, size_t outlen);
	/* Optional, likewise: the full check-dll report of a file on the PC (caller frees), or
	 * NULL when koffix cannot read it from here. */
	cJSON *(*check_file)(void *cls, const char *windows_path, const char *office_bitness);
	void *inspect_cls;
};

/*
 * A backend that learns of a running step's progress reports it here: the output of step n so
 * far (everything said so far). The journal records it for the run that this thread carries
 * out (ra_run and ra_undo set the thread's sink), so runs on different threads never share
 * one; outside a run it goes nowhere.
 */
void ra_progress(int n, const char *text);

/* The dry-run backend: detects nothing, plans everything. */
struct ra_backend *ra_backend_plan(void);

/*
 * A scripted backend for tests: script is "ok", "fail:N" (step N fails), "verify:N" (step N's
 * verification fails), "hang:N" (step N never returns; the timeout ends it), "undofail:N", or
 * "block:ID" / "warn:ID" (the preflight check ID is blocked / a warning; the others are ok).
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

/*
 * Creates a run (state queued) with its planned steps and its preflight results (may be NULL);
 * writes its id (33 bytes) to id. The one-run rule lives here: inside the same write
 * transaction, a queued or running run of a koffix process that is still alive makes this
 * KX_ECONFLICT (its id goes to id), whichever process asks; one whose process has died is
 * marked interrupted first. 0, KX_ECONFLICT, KX_EDB or KX_EIO.
 */
int ra_journal_create(struct ra_journal *j, const char *action, const cJSON *params,
		      const char *session, const struct ra_backend *b, const cJSON *plan,
		      const cJSON *preflight, char *id);

/*
 * Marks run id running for an undo, under the same rule: KX_ECONFLICT when another run is
 * active, or when this run's state cannot be undone (queued, running, undone, or a dry run:
 * a preview has nothing to undo); KX_ENOTFOUND for no such run.
 */
int ra_journal_claim_undo(struct ra_journal *j, const char *id);

/* The run as {"run","action","params","session","state","dry_run","backend","created",
 * "updated","error","preflight":[...],"undo_complete","steps":[{"n","title","kind","state",
 * "output","verification","backup","result_code","started","finished","changes","undo",
 * "undo_note"}]} (caller frees), or NULL. A step its undo could not reverse has the state
 * "not-undone"; undo_complete is false while any has. */
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
 * Undoes a succeeded, failed or interrupted run: the undos of every step that started and
 * changed something, in reverse order, journaled; state "undone". A step whose declared undo is
 * "none" is journaled "not-undone" with its note, and the run's error says which. KX_ECONFLICT
 * for a run that is queued, running, already undone, or a dry run (ra_journal_claim_undo), or
 * while another run is active.
 */
int ra_undo(struct ra_journal *j, struct ra_backend *b, const char *id, int step_timeout);

/* The undo's work after ra_journal_claim_undo() has claimed run id (for a runner that answers
 * its caller before the undo runs on a thread). */
int ra_undo_claimed(struct ra_journal *j, struct ra_backend *b, const char *id,
		    int step_timeout);

/* ---- the runner: how the web app and the command line start repairs ---- */

struct ra_runner;

/* A runner over catalogue c, journal j and backend b (all borrowed; they outlive it). */
struct ra_runner *ra_runner_new(const struct ra_catalogue *c, struct ra_journal *j,
				struct ra_backend *b, int step_timeout);
/* The administrator's policy (borrowed; NULL for none): AllowedRepairs becomes a preflight
 * check that blocks any other repair, ConnectorInstaller the installer when none is given. */
struct kx_policy;
void ra_runner_policy(struct ra_runner *r, const struct kx_policy *p);
/* Waits for the runs it started in the background, then frees it. */
void ra_runner_free(struct ra_runner *r);

/* What ra_start and ra_review report (caller releases with ra_start_release). */
struct ra_start {
	char run[33];        /* the new run, or the active one on KX_ECONFLICT */
	cJSON *params;       /* the validated parameters */
	cJSON *warnings;     /* messages: ignored parameters, steps needing rights */
	cJSON *plan;         /* the steps */
	cJSON *preflight;    /* the check results */
	char err[768];       /* why it was refused, for people */
};

void ra_start_release(struct ra_start *s);

/*
 * The review of action id with params: validation, plan, warnings and preflight (run through
 * the backend; nothing changes). 0; KX_ENOTFOUND for an unknown action; KX_EINVAL with err
 * naming the parameter (plan and preflight then NULL).
 */
int ra_review(struct ra_runner *r, const char *id, const cJSON *params, struct ra_start *out);

/*
 * Starts a run of action id: ra_review, then a refusal with nothing changed when a check is
 * blocked (KX_EBLOCKED, err naming every blocked check), then the journal's one-run rule
 * (KX_ECONFLICT), then the run itself: on a background thread when background is true (the
 * web app), else on this thread to the end (the command line; the return is then the run's
 * outcome: 0 or KX_EIO). session may be NULL.
 */
int ra_start(struct ra_runner *r, const char *id, const cJSON *params, const char *session,
	     bool background, struct ra_start *out);

/* Starts the undo of run id likewise: KX_ENOTFOUND, KX_ECONFLICT (err says why), else 0. */
int ra_start_undo(struct ra_runner *r, const char *run, bool background, char *err,
		  size_t errlen);

/* Runs the runner has started in the background that are still going. */
int ra_runner_jobs(struct ra_runner *r);

#endif
