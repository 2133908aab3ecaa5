/* SPDX-License-Identifier: MIT */
/*
 * The agent backend: carries each step out by starting koffix-agent.exe once per step (so that
 * every step is journaled and can be timed out and killed on its own), writing the request as
 * JSON on its stdin and reading its events, one JSON object per line, from its stdout.
 *
 * Every line is validated: an unknown event, a malformed line, a step number that is not the
 * step's, or an agent that ends without its "result" event fails the step. A step that has not
 * finished within its timeout has its agent killed (the whole process group: under Wine the
 * agent is a tree of processes) and fails with ERROR_TIMEOUT (1460).
 *
 * Spawning goes through the platform layer (common/platform.h: posix_spawn with a process
 * group here, CreateProcess with a job object on Windows); on Linux the agent runs under
 * `wine` (the "wine" backend, WINEPREFIX from the environment).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../common/json.h"
#include "../common/platform.h"
#include "../common/util.h"
#include "ra.h"

#define LINE_MAX_BYTES (256u * 1024)
#define OUTPUT_MAX (1u << 20)
#define DETECT_TIMEOUT 120

struct agent {
	char path[4096];
	bool wine;
};

/* The agent's command line: the agent itself, or `wine AGENT` (WINEPREFIX from the
 * environment). The request goes on stdin, never on the command line. */
static int agent_spawn(const struct agent *a, struct plat_child **c)
{
	const char *argv[3] = { a->path, NULL, NULL };
	if (a->wine) {
		argv[0] = "wine";
		argv[1] = a->path;
	}
	/* Wine's own debug chatter would fill stderr: quiet unless WINEDEBUG says otherwise. */
	const char *quiet = a->wine && !getenv("WINEDEBUG") ? "WINEDEBUG=-all" : NULL;
	return plat_spawn(argv, getenv("KOFFIX_AGENT_STDERR") != NULL, quiet, c);
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* What one agent call produced. */
struct reply {
	struct buf output;      /* output and verified texts, one per line */
	cJSON *detected;        /* the detected event (owned) */
	cJSON *checks;          /* the check events of a preflight, in order (owned) */
	cJSON *scan;            /* what a scan read: sources, events, then facts (owned) */
	bool started, done, failed, have_result, timed_out;
	int result;             /* the result event's code */
	int fail_code;          /* the failed event's Win32 or MSI code */
	char error[1024];       /* the failed event's text, or why the exchange failed */
	char result_msg[256];
	char backup[512];
	char verified[512];
	bool skipped;           /* the done event said the step changed nothing */
	bool protocol_error;
};

static void reply_init(struct reply *r)
{
	memset(r, 0, sizeof *r);
	buf_init(&r->output, OUTPUT_MAX);
}

static void reply_release(struct reply *r)
{
	buf_release(&r->output);
	cJSON_Delete(r->detected);
	cJSON_Delete(r->checks);
	cJSON_Delete(r->scan);
}

static void protocol_error(struct reply *r, const char *what, const char *line)
{
	if (r->protocol_error)
		return;
	r->protocol_error = true;
	snprintf(r->error, sizeof r->error, "the agent broke the protocol: %s: '%.200s'", what, line);
}

static bool jint(const cJSON *o, const char *k, int *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int)v->valuedouble)
		return false;
	*out = (int)v->valuedouble;
	return true;
}

/* A scan's events gathered into {"sources":[...],"events":{log:[xml]},"computer","user",
 * "facts"}; false for one whose fields are not what the protocol says. */
static bool take_scan_event(struct reply *r, const char *ev, const cJSON *e)
{
	if (!r->scan)
		r->scan = cJSON_CreateObject();
	if (!strcmp(ev, "source")) {
		const char *name = kx_json_str(e, "name"), *detail = kx_json_str(e, "detail");
		const cJSON *avail = cJSON_GetObjectItemCaseSensitive(e, "available");
		if (!name || !detail || !cJSON_IsBool(avail))
			return false;
		cJSON *list = cJSON_GetObjectItemCaseSensitive(r->scan, "sources");
		if (!list)
			list = cJSON_AddArrayToObject(r->scan, "sources");
		cJSON *s = cJSON_CreateObject();
		cJSON_AddStringToObject(s, "name", name);
		cJSON_AddBoolToObject(s, "available", cJSON_IsTrue(avail));
		cJSON_AddStringToObject(s, "detail", detail);
		cJSON_AddItemToArray(list, s);
		return true;
	}
	if (!strcmp(ev, "evtxml")) {
		const char *log = kx_json_str(e, "log"), *xml = kx_json_str(e, "xml");
		if (!log || !xml || (strcmp(log, "application") && strcmp(log, "defender")))
			return false;
		cJSON *events = cJSON_GetObjectItemCaseSensitive(r->scan, "events");
		if (!events)
			events = cJSON_AddObjectToObject(r->scan, "events");
		cJSON *list = cJSON_GetObjectItemCaseSensitive(events, log);
		if (!list)
			list = cJSON_AddArrayToObject(events, log);
		if (cJSON_GetArraySize(list) < 1000)
			cJSON_AddItemToArray(list, cJSON_CreateString(xml));
		return true;
	}
	const cJSON *facts = cJSON_GetObjectItemCaseSensitive(e, "facts");
	if (!cJSON_IsObject(facts) || cJSON_GetObjectItemCaseSensitive(r->scan, "facts"))
		return false;
	cJSON_AddStringToObject(r->scan, "computer", kx_json_str(e, "computer") ? kx_json_str(e, "computer") : "");
	cJSON_AddStringToObject(r->scan, "user", kx_json_str(e, "user") ? kx_json_str(e, "user") : "");
	cJSON_AddItemToObject(r->scan, "facts", cJSON_Duplicate(facts, 1));
	return true;
}

/* One event line (without its line end). step is the step number the events must carry (0 for
 * detect). */
static void take_event(struct reply *r, char *line, int step)
{
	cJSON *e = cJSON_Parse(line);
	const char *ev = kx_json_str(e, "event");
	int n = 0;
	if (!cJSON_IsObject(e) || !ev) {
		protocol_error(r, "not a JSON event", line);
		goto out;
	}
	if (r->have_result) {
		protocol_error(r, "an event after the result", line);
		goto out;
	}
	bool stepped = strcmp(ev, "detected") && strcmp(ev, "result") && strcmp(ev, "check") &&
		       strcmp(ev, "source") && strcmp(ev, "evtxml") && strcmp(ev, "scanned");
	if (stepped && (!jint(e, "step", &n) || n != step)) {
		protocol_error(r, "an event for another step", line);
		goto out;
	}
	if (!strcmp(ev, "started")) {
		r->started = true;
	} else if (!strcmp(ev, "output") || !strcmp(ev, "verified")) {
		const char *t = kx_json_str(e, "text");
		if (!t) {
			protocol_error(r, "an output event without text", line);
			goto out;
		}
		if (r->output.len)
			buf_addch(&r->output, '\n');
		buf_adds(&r->output, t);
		if (!strcmp(ev, "verified"))
			snprintf(r->verified, sizeof r->verified, "%s", t);
		else if (step > 0)
			ra_progress(step, buf_cstr(&r->output));
	} else if (!strcmp(ev, "failed")) {
		const char *t = kx_json_str(e, "error");
		if (!t || !jint(e, "code", &r->fail_code)) {
			protocol_error(r, "a failed event without code and error", line);
			goto out;
		}
		r->failed = true;
		snprintf(r->error, sizeof r->error, "%s", t);
	} else if (!strcmp(ev, "done")) {
		const char *b = kx_json_str(e, "backup");
		if (!b) {
			protocol_error(r, "a done event without backup", line);
			goto out;
		}
		r->done = true;
		r->skipped = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "skipped"));
		snprintf(r->backup, sizeof r->backup, "%s", b);
	} else if (!strcmp(ev, "detected")) {
		if (step || !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(e, "answers")) ||
		    !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(e, "facts"))) {
			protocol_error(r, "a detected event out of place", line);
			goto out;
		}
		cJSON_Delete(r->detected);
		r->detected = e;
		e = NULL;
	} else if (!strcmp(ev, "check")) {
		const char *id = kx_json_str(e, "id"), *state = kx_json_str(e, "state"), *why = kx_json_str(e, "reason");
		if (step || !id || !state || !why || (strcmp(state, "ok") && strcmp(state, "warning") &&
						      strcmp(state, "blocked"))) {
			protocol_error(r, "a check event without id, state (ok, warning, blocked) and "
				       "reason", line);
			goto out;
		}
		if (!r->checks)
			r->checks = cJSON_CreateArray();
		cJSON_AddItemToArray(r->checks, e);
		e = NULL;
	} else if (!strcmp(ev, "source") || !strcmp(ev, "evtxml") || !strcmp(ev, "scanned")) {
		if (step || !take_scan_event(r, ev, e)) {
			protocol_error(r, "a scan event out of place or malformed", line);
			goto out;
		}
	} else if (!strcmp(ev, "result")) {
		const char *m = kx_json_str(e, "message");
		if (!m || !jint(e, "code", &r->result)) {
			protocol_error(r, "a result event without code and message", line);
			goto out;
		}
		r->have_result = true;
		snprintf(r->result_msg, sizeof r->result_msg, "%s", m);
	} else {
		protocol_error(r, "an unknown event", line);
	}
out:
	cJSON_Delete(e);
}

/* Runs the agent with request, reading events until it exits or timeout seconds pass. */
static int call_agent(const struct agent *a, const char *request, int step, int timeout,
		      struct reply *r)
{
	struct plat_child *c;
	if (agent_spawn(a, &c)) {
		snprintf(r->error, sizeof r->error, "the agent could not be started (%s%.800s): %s",
			 a->wine ? "wine " : "", a->path, strerror(errno));
		return KX_EIO;
	}
	/* The request is small (well under a pipe's buffer), so writing it cannot block. */
	plat_child_send(c, request, strlen(request));
	long long deadline = now_ms() + (long long)timeout * 1000;
	char *line = xmalloc(LINE_MAX_BYTES + 1);
	size_t have = 0;
	bool eof = false;
	while (!eof) {
		long long left = deadline - now_ms();
		if (left <= 0) {
			r->timed_out = true;
			break;
		}
		long got = plat_child_read(c, line + have, LINE_MAX_BYTES - have,
					   left > 1000 ? 1000 : (int)left);
		if (got == 0)
			continue;
		if (got < 0) {
			eof = true;
			got = 0;
		}
		have += (size_t)got;
		/* Complete lines ("\n"; a "\r" before it is dropped: Wine consoles add them). */
		char *start = line, *nl;
		while ((nl = memchr(start, '\n', have - (size_t)(start - line)))) {
			*nl = '\0';
			if (nl > start && nl[-1] == '\r')
				nl[-1] = '\0';
			if (*start)
				take_event(r, start, step);
			start = nl + 1;
		}
		have -= (size_t)(start - line);
		memmove(line, start, have);
		if (have == LINE_MAX_BYTES) {
			line[have] = '\0';
			protocol_error(r, "a line longer than 256 KiB", line);
			have = 0;
		}
		if (eof && have) {
			line[have] = '\0';
			protocol_error(r, "a last line without its line end", line);
		}
		/* The result is the last event. Do not wait for the end of the pipe: a program the
		 * agent's Wine started (its services) may hold it open after the agent has ended. */
		if (r->have_result && !have)
			break;
	}
	free(line);
	int code = 0;
	if (!r->timed_out) {
		long long left = deadline - now_ms();
		if (!plat_child_wait(c, left > 0 ? (int)left : 0, &code))
			r->timed_out = true;
	}
	if (r->timed_out)
		plat_child_kill(c);
	plat_child_free(c);
	if (r->timed_out) {
		snprintf(r->error, sizeof r->error, "the agent did not finish within %d s and was "
			 "stopped", timeout);
		return KX_EIO;
	}
	if (!r->have_result && !r->protocol_error) {
		snprintf(r->error, sizeof r->error, "the agent ended without a result (exit %d%s)",
			 code, code > 128 ? ", killed" : "");
		r->protocol_error = true;
	}
	if (r->protocol_error)
		return KX_EIO;
	if (code < 128 && code != (r->result & 0xff)) {
		/* Wine passes the exit code through; a mismatch means something else ended it. */
		snprintf(r->error, sizeof r->error, "the agent's exit code %d differs from its result "
			 "%d", code, r->result);
		r->protocol_error = true;
		return KX_EIO;
	}
	return 0;
}

static char *step_request(const char *command, const char *run, const cJSON *step)
{
	cJSON *req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "command", command);
	cJSON_AddStringToObject(req, "run", run);
	cJSON_AddItemToObject(req, "step", cJSON_Duplicate(step, 1));
	cJSON_AddItemToObject(req, "params", cJSON_CreateObject());
	char *s = cJSON_PrintUnformatted(req);
	cJSON_Delete(req);
	return s;
}

static int step_no(const cJSON *step)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(step, "n");
	return cJSON_IsNumber(n) ? n->valueint : 0;
}

/* One step command through the agent, into res. */
static int agent_step(struct ra_backend *b, const char *command, const char *run,
		      const cJSON *step, int timeout, struct ra_result *res)
{
	const struct agent *a = b->state;
	struct reply r;
	reply_init(&r);
	char *req = step_request(command, run, step);
	int rc = call_agent(a, req, step_no(step), timeout, &r);
	cJSON_free(req);
	snprintf(res->output, sizeof res->output, "%s", buf_cstr(&r.output));
	snprintf(res->backup, sizeof res->backup, "%s", r.backup);
	if (rc == 0 && r.result == 0 && r.done && !r.failed) {
		res->code = 0;
		if (r.skipped && !strcmp(command, "run-step"))
			res->state = "skipped";
		if (!strcmp(command, "verify-step"))
			snprintf(res->verification, sizeof res->verification, "%s", r.verified);
		goto out;
	}
	if (rc == 0)
		rc = KX_EIO;
	/* MSI and Win32 results keep their code; otherwise the agent's result code. */
	res->code = r.timed_out ? 1460 : r.failed && r.fail_code ? r.fail_code :
		    r.have_result ? r.result : 1;
	size_t n = strlen(res->output);
	snprintf(res->output + n, sizeof res->output - n, "%s%s%s%s", n ? "\n" : "",
		 r.error[0] ? r.error : "the step failed",
		 r.have_result && !r.protocol_error ? " — " : "",
		 r.have_result && !r.protocol_error ? r.result_msg : "");
	if (!strcmp(command, "verify-step"))
		snprintf(res->verification, sizeof res->verification, "%.500s", r.error);
out:
	reply_release(&r);
	return rc;
}

/*
 * The agent reports the file it checked as "PATH: N bytes, ..." (agent/steps.c); koffix runs
 * the full legitimacy check on it and adds the verdict to the step's output.
 */
static void inspect_found(struct ra_backend *b, const cJSON *step, struct ra_result *res)
{
	const char *sep = strstr(res->output, " bytes, PE machine");
	const char *colon = NULL;
	for (const char *p = res->output; sep && p < sep; p++)
		if (p[0] == ':' && p[1] == ' ')
			colon = p;
	if (!colon)
		return;
	char path[1024], summary[1200];
	snprintf(path, sizeof path, "%.*s", (int)(colon - res->output), res->output);
	const cJSON *args = cJSON_GetObjectItemCaseSensitive(step, "args");
	const cJSON *bits = cJSON_GetObjectItemCaseSensitive(args, "office_bitness");
	if (b->inspect(b->inspect_cls, path, cJSON_IsString(bits) ? bits->valuestring : NULL,
		       summary, sizeof summary) != 0)
		return;
	size_t n = strlen(res->output);
	snprintf(res->output + n, sizeof res->output - n, "\n%s", summary);
}

static int agent_run(struct ra_backend *b, const char *run, const cJSON *step, int timeout,
		     struct ra_result *res)
{
	res->state = "succeeded";
	int rc = agent_step(b, "run-step", run, step, timeout, res);
	if (rc)
		res->state = "failed";
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(step, "kind");
	if (rc == 0 && b->inspect && cJSON_IsString(kind) && !strcmp(kind->valuestring, "check-dll"))
		inspect_found(b, step, res);
	return rc;
}

static int agent_verify(struct ra_backend *b, const char *run, const cJSON *step,
			struct ra_result *res)
{
	/* Verification reads state back: it is quick, but Wine may start slowly. */
	struct ra_result v;
	memset(&v, 0, sizeof v);
	int rc = agent_step(b, "verify-step", run, step, DETECT_TIMEOUT, &v);
	snprintf(res->verification, sizeof res->verification, "%s", v.verification);
	if (rc) {
		res->code = v.code;
		size_t n = strlen(res->output);
		snprintf(res->output + n, sizeof res->output - n, "%sverification failed: %s",
			 n ? "\n" : "", v.verification[0] ? v.verification : v.output);
	}
	return rc;
}

static int agent_undo(struct ra_backend *b, const char *run, const cJSON *step, int timeout,
		      struct ra_result *res)
{
	int rc = agent_step(b, "undo-step", run, step, timeout, res);
	res->state = rc ? "failed" : "undone";
	return rc;
}

static cJSON *agent_detect(struct ra_backend *b)
{
	const struct agent *a = b->state;
	struct reply r;
	reply_init(&r);
	cJSON *out = NULL;
	int rc = call_agent(a, "{\"command\":\"detect\"}", 0, DETECT_TIMEOUT, &r);
	if (rc == 0 && r.result == 0 && r.detected) {
		/* The answers are the wizard's detected values; the facts ride along (the wizard
		 * ignores values that are not strings). */
		out = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(r.detected, "answers"), 1);
		cJSON_AddItemToObject(out, "facts", cJSON_Duplicate(
			cJSON_GetObjectItemCaseSensitive(r.detected, "facts"), 1));
	} else {
		fprintf(stderr, "koffix: detection through the agent failed: %s\n",
			r.error[0] ? r.error : "no detected event");
	}
	reply_release(&r);
	return out;
}

/*
 * An installer program (EXE) the agent found: koffix checks its signature itself and says so
 * in the check's reason; a signature that proves tampering blocks the repair.
 */
static void inspect_exe(struct ra_backend *b, cJSON *ev, const char *path)
{
	const char *level = NULL;
	char summary[1200];
	if (!b->inspect_installer || b->inspect_installer(b->inspect_cls, path, &level, summary,
							     sizeof summary) != 0)
		return;
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(ev, "state");
	const cJSON *why = cJSON_GetObjectItemCaseSensitive(ev, "reason");
	char reason[2400];
	snprintf(reason, sizeof reason, "%s %s", cJSON_IsString(why) ? why->valuestring : "",
		 summary);
	cJSON_ReplaceItemInObjectCaseSensitive(ev, "reason", cJSON_CreateString(reason));
	/* The signature may make it worse, never better: an EXE is never run silently. */
	if (!strcmp(level, "blocked") || (!strcmp(level, "warning") && cJSON_IsString(st) &&
					   !strcmp(st->valuestring, "ok")))
		cJSON_ReplaceItemInObjectCaseSensitive(ev, "state", cJSON_CreateString(level));
}

static int agent_preflight(struct ra_backend *b, const cJSON *checks, cJSON *results)
{
	const struct agent *a = b->state;
	cJSON *req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "command", "preflight");
	cJSON_AddItemToObject(req, "checks", cJSON_Duplicate(checks, 1));
	char *text = cJSON_PrintUnformatted(req);
	cJSON_Delete(req);
	struct reply r;
	reply_init(&r);
	int rc = call_agent(a, text, 0, DETECT_TIMEOUT, &r);
	cJSON_free(text);
	if (rc == 0 && r.result != 0)
		rc = KX_EIO;
	if (rc) {
		fprintf(stderr, "koffix: the preflight through the agent failed: %s\n",
			r.error[0] ? r.error : r.result_msg);
		reply_release(&r);
		return rc;
	}
	/* One result per check, in the plan's order; a check the agent did not answer is
	 * blocked: nothing runs on what was not looked at. */
	const cJSON *c;
	cJSON_ArrayForEach(c, checks) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(c, "id");
		const cJSON *title = cJSON_GetObjectItemCaseSensitive(c, "title");
		cJSON *ev = NULL, *e;
		cJSON_ArrayForEach(e, r.checks) {
			const cJSON *eid = cJSON_GetObjectItemCaseSensitive(e, "id");
			if (cJSON_IsString(id) && !strcmp(eid->valuestring, id->valuestring))
				ev = e;
		}
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "id", cJSON_IsString(id) ? id->valuestring : "");
		cJSON_AddStringToObject(o, "title", cJSON_IsString(title) ? title->valuestring : "");
		if (!ev) {
			cJSON_AddStringToObject(o, "state", "blocked");
			cJSON_AddStringToObject(o, "reason", "The agent did not answer this check, so "
						"nothing will run.");
		} else {
			const cJSON *exe = cJSON_GetObjectItemCaseSensitive(ev, "exe");
			if (cJSON_IsString(exe))
				inspect_exe(b, ev, exe->valuestring);
			cJSON_AddStringToObject(o, "state", kx_json_str(ev, "state"));
			cJSON_AddStringToObject(o, "reason", kx_json_str(ev, "reason"));
			const cJSON *facts = cJSON_GetObjectItemCaseSensitive(ev, "facts");
			if (cJSON_IsObject(facts))
				cJSON_AddItemToObject(o, "facts", cJSON_Duplicate(facts, 1));
		}
		cJSON_AddItemToArray(results, o);
	}
	reply_release(&r);
	return 0;
}

static int agent_scan(struct ra_backend *b, const cJSON *options, cJSON **raw, char *err,
		      size_t errlen)
{
	const struct agent *a = b->state;
	cJSON *req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "command", "scan");
	if (options)
		cJSON_AddItemToObject(req, "options", cJSON_Duplicate(options, 1));
	char *text = cJSON_PrintUnformatted(req);
	cJSON_Delete(req);
	struct reply r;
	reply_init(&r);
	*raw = NULL;
	int rc = call_agent(a, text, 0, DETECT_TIMEOUT, &r);
	cJSON_free(text);
	if (rc == 0 && (r.result != 0 || !cJSON_GetObjectItemCaseSensitive(r.scan, "facts")))
		rc = KX_EIO;
	if (rc)
		snprintf(err, errlen, "the scan through the agent failed: %s", r.error[0] ? r.error :
			 r.result_msg[0] ? r.result_msg : "it read nothing");
	else
		*raw = cJSON_Duplicate(r.scan, 1);
	reply_release(&r);
	return rc;
}

static void agent_free(struct ra_backend *b)
{
	free(b->state);
	free(b);
}

struct ra_backend *ra_backend_agent(const char *path, bool wine, char *err, size_t errlen)
{
	struct stat st;
	if (!path || !*path || stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "the Windows agent '%s' is not there: build it with `make` "
			 "(needs mingw-w64) or name it with --agent PATH or KOFFIX_AGENT",
			 path && *path ? path : "koffix-agent.exe");
		return NULL;
	}
	if (wine) {
		const char *prefix = getenv("WINEPREFIX");
		if (!prefix || !*prefix) {
			snprintf(err, errlen, "--backend wine runs the agent in the Wine prefix named by "
				 "WINEPREFIX, which is not set");
			return NULL;
		}
	}
	struct ra_backend *b = xcalloc(1, sizeof *b);
	struct agent *a = xcalloc(1, sizeof *a);
	snprintf(a->path, sizeof a->path, "%s", path);
	a->wine = wine;
	b->name = wine ? "wine" : "agent";
	b->dry_run = false;
	b->detect = agent_detect;
	b->run_step = agent_run;
	b->verify_step = agent_verify;
	b->undo_step = agent_undo;
	b->preflight = agent_preflight;
	b->scan = agent_scan;
	b->free = agent_free;
	b->state = a;
	return b;
}
