/* SPDX-License-Identifier: MIT */
/*
 * The runner: the one way a repair starts, for the web app and the command line alike.
 * Validation, the plan, the preflight through the backend, the refusal of a blocked check, the
 * journal's one-run rule (inside the transaction that creates the run, so no caller and no
 * second process can skip it), then the run on a thread of its own or on the caller's.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/json.h"
#include "../common/log.h"
#include "../common/util.h"
#include "../common/policy.h"
#include "ra.h"

struct ra_runner {
	const struct ra_catalogue *cat;
	struct ra_journal *j;
	struct ra_backend *b;
	int timeout;
	const struct kx_policy *policy;   /* the administrator's (borrowed), or NULL */
	pthread_mutex_t lock;
	pthread_cond_t idle;
	int jobs;            /* threads still going, under lock */
};

struct ra_runner *ra_runner_new(const struct ra_catalogue *c, struct ra_journal *j,
				struct ra_backend *b, int step_timeout)
{
	struct ra_runner *r = xcalloc(1, sizeof *r);
	r->cat = c;
	r->j = j;
	r->b = b;
	r->timeout = step_timeout;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->idle, NULL);
	return r;
}

void ra_runner_policy(struct ra_runner *r, const struct kx_policy *p)
{
	r->policy = p;
}

/* The action declares a parameter named name. */
static bool has_param(const struct ra_catalogue *c, const char *id, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(ra_action(c, id),
		"params"), name) != NULL;
}

void ra_runner_free(struct ra_runner *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	while (r->jobs)
		pthread_cond_wait(&r->idle, &r->lock);
	pthread_mutex_unlock(&r->lock);
	pthread_cond_destroy(&r->idle);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

int ra_runner_jobs(struct ra_runner *r)
{
	pthread_mutex_lock(&r->lock);
	int n = r->jobs;
	pthread_mutex_unlock(&r->lock);
	return n;
}

void ra_start_release(struct ra_start *s)
{
	cJSON_Delete(s->params);
	cJSON_Delete(s->warnings);
	cJSON_Delete(s->plan);
	cJSON_Delete(s->preflight);
	memset(s, 0, sizeof *s);
}

/* When the backend could not be asked at all, nothing is known: every check is blocked. */
static void all_blocked(const cJSON *checks, cJSON *results)
{
	const cJSON *c;
	cJSON_ArrayForEach(c, checks) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "id", kx_json_str_or(c, "id", ""));
		cJSON_AddStringToObject(o, "title", kx_json_str_or(c, "title", ""));
		cJSON_AddStringToObject(o, "state", "blocked");
		cJSON_AddStringToObject(o, "reason", "koffix could not ask the PC, so this was not "
					"checked; nothing will run until it can be.");
		cJSON_AddItemToArray(results, o);
	}
}

int ra_review(struct ra_runner *r, const char *id, const cJSON *params, struct ra_start *out)
{
	memset(out, 0, sizeof *out);
	/* The installer the administrator named, unless the person chose another. */
	cJSON *with = NULL;
	const struct kx_policy *pol = r->policy;
	bool policy_installer = pol && *pol->installer && has_param(r->cat, id, "installer") &&
				!*kx_json_str_or(params, "installer", "");
	if (policy_installer) {
		with = params ? cJSON_Duplicate(params, 1) : cJSON_CreateObject();
		cJSON_DeleteItemFromObjectCaseSensitive(with, "installer");
		cJSON_AddStringToObject(with, "installer", pol->installer);
		params = with;
	}
	int rc = ra_validate(r->cat, id, params, &out->params, &out->warnings, out->err,
			     sizeof out->err);
	cJSON_Delete(with);
	if (rc)
		return rc;
	if (policy_installer)
		cJSON_AddItemToArray(out->warnings, cJSON_CreateString("The installer is the one your "
			"IT department set for this PC (policy ConnectorInstaller)."));
	out->plan = ra_plan(r->cat, id, out->params);
	cJSON *checks = ra_checks(r->cat, id, out->params);
	out->preflight = cJSON_CreateArray();
	if (!out->plan || !checks) {
		cJSON_Delete(checks);
		snprintf(out->err, sizeof out->err, "the repair '%s' has no plan", id);
		return KX_ENOTFOUND;
	}
	if (!r->b->preflight || r->b->preflight(r->b, checks, out->preflight) != 0) {
		cJSON_Delete(out->preflight);
		out->preflight = cJSON_CreateArray();
		all_blocked(checks, out->preflight);
	}
	cJSON_Delete(checks);
	/* The administrator's list of repairs: a check like the others, so a refusal changes
	 * nothing and says why, whoever starts the run. */
	if (pol && pol->allowed_set) {
		bool ok = kx_policy_allows(pol, id);
		char reason[1400];
		snprintf(reason, sizeof reason, ok ? "Your IT department's policy allows this repair "
			 "on this PC." : "Your IT department's policy does not allow this repair on this "
			 "PC (it allows: %s). Ask them to run it, or to allow it (%s, AllowedRepairs).",
			 pol->allowed, POLICY_KEY);
		cJSON *c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "id", "policy");
		cJSON_AddStringToObject(c, "title", "Your IT department allows this repair");
		cJSON_AddStringToObject(c, "state", ok ? "ok" : "blocked");
		cJSON_AddStringToObject(c, "reason", reason);
		cJSON_AddItemToArray(out->preflight, c);
	}
	return 0;
}

/* err: "nothing was changed" and each blocked check's reason. */
static void blocked_reasons(const cJSON *results, char *err, size_t errlen)
{
	size_t n = (size_t)snprintf(err, errlen, "koffix did not start this repair and changed "
				    "nothing:");
	const cJSON *c;
	cJSON_ArrayForEach(c, results) {
		if (strcmp(kx_json_str_or(c, "state", ""), "blocked") || n >= errlen)
			continue;
		n += (size_t)snprintf(err + n, errlen - n, " %s", kx_json_str_or(c, "reason", ""));
	}
}

struct job {
	struct ra_runner *r;
	char run[33];
	bool undo;
};

static void *job_main(void *arg)
{
	struct job *job = arg;
	struct ra_runner *r = job->r;
	if (job->undo)
		ra_undo_claimed(r->j, r->b, job->run, r->timeout);
	else
		ra_run(r->j, r->b, job->run, r->timeout);
	log_kv(LOG_INFO, job->undo ? "repair undone" : "repair finished", 1, "run", job->run);
	free(job);
	pthread_mutex_lock(&r->lock);
	if (--r->jobs == 0)
		pthread_cond_broadcast(&r->idle);
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

/* Runs run (or its undo) on a thread of its own, or here; returns the outcome when here. */
static int carry_out(struct ra_runner *r, const char *run, bool undo, bool background)
{
	if (!background)
		return undo ? ra_undo_claimed(r->j, r->b, run, r->timeout) :
		       ra_run(r->j, r->b, run, r->timeout) == 0 ? 0 : KX_EIO;
	struct job *job = xcalloc(1, sizeof *job);
	job->r = r;
	job->undo = undo;
	snprintf(job->run, sizeof job->run, "%s", run);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_mutex_lock(&r->lock);
	r->jobs++;
	pthread_mutex_unlock(&r->lock);
	pthread_t t;
	int rc = 0;
	if (pthread_create(&t, &attr, job_main, job) != 0) {
		/* The run is journaled queued by this living process; carry it out here rather
		 * than leave it for ever. */
		log_kv(LOG_ERROR, "cannot start a repair thread; running it on the request's", 1,
		       "run", run);
		free(job);
		pthread_mutex_lock(&r->lock);
		r->jobs--;
		pthread_mutex_unlock(&r->lock);
		rc = carry_out(r, run, undo, false);
	}
	pthread_attr_destroy(&attr);
	return background ? 0 : rc;
}

int ra_start(struct ra_runner *r, const char *id, const cJSON *params, const char *session,
	     bool background, struct ra_start *out)
{
	int rc = ra_review(r, id, params, out);
	if (rc)
		return rc;
	if (ra_preflight_blocked(out->preflight)) {
		blocked_reasons(out->preflight, out->err, sizeof out->err);
		return KX_EBLOCKED;
	}
	rc = ra_journal_create(r->j, id, out->params, session, r->b, out->plan, out->preflight,
			       out->run);
	if (rc == KX_ECONFLICT) {
		snprintf(out->err, sizeof out->err, "another repair (run %s) is still going on; one "
			 "at a time", out->run);
		return rc;
	}
	if (rc) {
		out->run[0] = '\0';
		snprintf(out->err, sizeof out->err, "the run could not be recorded (%s)",
			 kx_strerror(rc));
		return rc;
	}
	return carry_out(r, out->run, false, background);
}

int ra_start_undo(struct ra_runner *r, const char *run, bool background, char *err,
		  size_t errlen)
{
	int rc = ra_journal_claim_undo(r->j, run);
	if (rc == KX_ENOTFOUND) {
		snprintf(err, errlen, "no such run");
		return rc;
	}
	if (rc == KX_ECONFLICT) {
		cJSON *o = ra_journal_get(r->j, run);
		const char *state = o ? kx_json_str_or(o, "state", "") : "";
		bool dry = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "dry_run"));
		if (dry)
			snprintf(err, errlen, "this was a preview: it changed nothing, so there is "
				 "nothing to undo");
		else if (!strcmp(state, "succeeded") || !strcmp(state, "failed") ||
			 !strcmp(state, "interrupted"))
			snprintf(err, errlen, "another repair is still going on; one at a time");
		else
			snprintf(err, errlen, "a run that is %s cannot be undone", state);
		cJSON_Delete(o);
		return rc;
	}
	if (rc) {
		snprintf(err, errlen, "the journal could not be written (%s)", kx_strerror(rc));
		return rc;
	}
	return carry_out(r, run, true, background);
}
