/* SPDX-License-Identifier: MIT */
/* The plan backend (dry runs) and the scripted backend the tests drive. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/json.h"
#include "../common/util.h"
#include "ra.h"

static const char *title_of(const cJSON *step)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(step, "title");
	return cJSON_IsString(t) ? t->valuestring : "";
}

static int step_no(const cJSON *step)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(step, "n");
	return cJSON_IsNumber(n) ? n->valueint : 0;
}

/* ---- plan ---- */

static cJSON *plan_detect(struct ra_backend *b)
{
	(void)b;
	return NULL;
}

static int plan_run(struct ra_backend *b, const char *run, const cJSON *step, int timeout,
		    struct ra_result *res)
{
	(void)b;
	(void)run;
	(void)timeout;
	res->state = "planned";
	res->code = 0;
	snprintf(res->output, sizeof res->output, "dry run: would %s", title_of(step));
	return 0;
}

static int plan_undo(struct ra_backend *b, const char *run, const cJSON *step, int timeout,
		     struct ra_result *res)
{
	(void)b;
	(void)run;
	(void)timeout;
	res->state = "planned";
	snprintf(res->output, sizeof res->output, "dry run: would undo step %d", step_no(step));
	return 0;
}

static void add_result(cJSON *results, const cJSON *check, const char *state, const char *reason)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", kx_json_str_or(check, "id", ""));
	cJSON_AddStringToObject(o, "title", kx_json_str_or(check, "title", ""));
	cJSON_AddStringToObject(o, "state", state);
	cJSON_AddStringToObject(o, "reason", reason);
	cJSON_AddItemToArray(results, o);
}

/* A preview looks at nothing: each check says so, as a warning, never as ok. */
static int plan_preflight(struct ra_backend *b, const cJSON *checks, cJSON *results)
{
	(void)b;
	const cJSON *c;
	cJSON_ArrayForEach(c, checks)
		add_result(results, c, "warning", "Not checked: this computer is not the affected "
			   "PC, so the preview cannot look. The script for the affected PC checks "
			   "it there before it changes anything.");
	return 0;
}

static void plain_free(struct ra_backend *b)
{
	free(b->state);
	free(b);
}

struct ra_backend *ra_backend_plan(void)
{
	struct ra_backend *b = xcalloc(1, sizeof *b);
	b->name = "plan";
	b->dry_run = true;
	b->detect = plan_detect;
	b->run_step = plan_run;
	b->undo_step = plan_undo;
	b->preflight = plan_preflight;
	b->free = plain_free;
	return b;
}

/* ---- script ---- */

struct script {
	char what[16];
	int at;
	char check[64];      /* block:ID / warn:ID */
	struct buf log;
};

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static int script_run(struct ra_backend *b, const char *run, const cJSON *step, int timeout,
		      struct ra_result *res)
{
	(void)run;
	struct script *s = b->state;
	int n = step_no(step);
	buf_addf(&s->log, "run %d\n", n);
	res->state = "succeeded";
	if (n == s->at && !strcmp(s->what, "fail")) {
		res->code = 1603;
		snprintf(res->output, sizeof res->output, "scripted failure at step %d", n);
		return KX_EIO;
	}
	if (n == s->at && !strcmp(s->what, "hang")) {
		/* Never finishes by itself: the timeout ends it, as the agent backend kills a hung
		 * agent. A killed test process stops here with the step journaled "started". It
		 * says what it is doing first, as the agent does during a long install. */
		char text[64];
		snprintf(text, sizeof text, "scripted step %d is still working", n);
		ra_progress(n, text);
		for (int waited = 0; waited < timeout * 1000; waited += 50)
			sleep_ms(50);
		res->code = 1460; /* ERROR_TIMEOUT */
		snprintf(res->output, sizeof res->output, "step %d did not finish within %d s", n,
			 timeout);
		return KX_EIO;
	}
	snprintf(res->output, sizeof res->output, "done: %s", title_of(step));
	snprintf(res->backup, sizeof res->backup, "%s", *cJSON_GetObjectItemCaseSensitive(step,
		 "backup")->valuestring ? "backups/step.reg" : "");
	return 0;
}

static int script_verify(struct ra_backend *b, const char *run, const cJSON *step,
			 struct ra_result *res)
{
	(void)run;
	struct script *s = b->state;
	int n = step_no(step);
	buf_addf(&s->log, "verify %d\n", n);
	if (n == s->at && !strcmp(s->what, "verify")) {
		snprintf(res->verification, sizeof res->verification,
			 "the state read back differs from what step %d wrote", n);
		snprintf(res->output, sizeof res->output, "verification failed");
		return KX_EIO;
	}
	snprintf(res->verification, sizeof res->verification, "read back: as expected");
	return 0;
}

static int script_undo(struct ra_backend *b, const char *run, const cJSON *step, int timeout,
		       struct ra_result *res)
{
	(void)run;
	(void)timeout;
	struct script *s = b->state;
	int n = step_no(step);
	buf_addf(&s->log, "undo %d\n", n);
	res->state = "undone";
	if (n == s->at && !strcmp(s->what, "undofail")) {
		snprintf(res->output, sizeof res->output, "scripted undo failure at step %d", n);
		return KX_EIO;
	}
	snprintf(res->output, sizeof res->output, "undone: step %d", n);
	return 0;
}

static int script_preflight(struct ra_backend *b, const cJSON *checks, cJSON *results)
{
	const struct script *s = b->state;
	const cJSON *c;
	cJSON_ArrayForEach(c, checks) {
		bool hit = s->check[0] && !strcmp(s->check, kx_json_str_or(c, "id", ""));
		if (hit && !strcmp(s->what, "block"))
			add_result(results, c, "blocked", "scripted: this check is blocked");
		else if (hit && !strcmp(s->what, "warn"))
			add_result(results, c, "warning", "scripted: this check warns");
		else
			add_result(results, c, "ok", "scripted: fine");
	}
	return 0;
}

static void script_free(struct ra_backend *b)
{
	struct script *s = b->state;
	buf_release(&s->log);
	free(s);
	free(b);
}

struct ra_backend *ra_backend_script(const char *script)
{
	struct ra_backend *b = xcalloc(1, sizeof *b);
	struct script *s = xcalloc(1, sizeof *s);
	buf_init(&s->log, 1u << 20);
	if (sscanf(script ? script : "ok", "%15[a-z]:%d", s->what, &s->at) < 1)
		snprintf(s->what, sizeof s->what, "ok");
	if ((!strcmp(s->what, "block") || !strcmp(s->what, "warn")) && strchr(script, ':'))
		sscanf(strchr(script, ':') + 1, "%63s", s->check);
	b->name = "script";
	b->dry_run = false;
	b->detect = plan_detect;
	b->run_step = script_run;
	b->verify_step = script_verify;
	b->undo_step = script_undo;
	b->preflight = script_preflight;
	b->free = script_free;
	b->state = s;
	return b;
}

const char *ra_backend_script_log(struct ra_backend *b)
{
	return buf_cstr(&((struct script *)b->state)->log);
}
