/* SPDX-License-Identifier: MIT */
/* koffix-agent.exe: reads one request on stdin, carries it out, writes events on stdout. */
#include "agent.h"

#include <fcntl.h>
#include <io.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#define REQUEST_MAX (1u << 20)

/* ---- events ---- */

/* The protocol's channel: the stdout koffix gave the agent, kept private (see wmain). */
static HANDLE events_out = INVALID_HANDLE_VALUE;

void ev_emit(struct sb *b)
{
	sb_add(b, "\n");
	HANDLE out = events_out != INVALID_HANDLE_VALUE ? events_out : GetStdHandle(STD_OUTPUT_HANDLE);
	DWORD put;
	WriteFile(out, b->p, (DWORD)b->len, &put, NULL);
	b->len = 0;
}

/*
 * Keeps the event channel to the agent itself: the stdout handle moves to a private,
 * non-inheritable copy and the standard handles become NUL, so that no program started on
 * the way (an installer's custom action prints to the console it inherits under Wine) can
 * write into the protocol or hold its pipe open.
 */
static void own_the_channel(void)
{
	HANDLE self = GetCurrentProcess(), out = GetStdHandle(STD_OUTPUT_HANDLE);
	if (out && out != INVALID_HANDLE_VALUE &&
	    DuplicateHandle(self, out, self, &events_out, 0, FALSE, DUPLICATE_SAME_ACCESS)) {
		SetHandleInformation(out, HANDLE_FLAG_INHERIT, 0);
		HANDLE nul = CreateFileW(L"NUL", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ |
					 FILE_SHARE_WRITE, NULL, OPEN_EXISTING, 0, NULL);
		if (nul != INVALID_HANDLE_VALUE) {
			SetStdHandle(STD_OUTPUT_HANDLE, nul);
			SetStdHandle(STD_INPUT_HANDLE, nul);
		}
	}
}

static void ev_simple(const char *event, int step)
{
	struct sb b = { 0 };
	sb_addf(&b, "{\"event\":\"%s\",\"step\":%d}", event, step);
	ev_emit(&b);
	sb_free(&b);
}

static void ev_text(const char *event, int step, const wchar_t *text)
{
	struct sb b = { 0 };
	sb_addf(&b, "{\"event\":\"%s\",\"step\":%d,\"text\":", event, step);
	sb_jwstr(&b, text);
	sb_add(&b, "}");
	ev_emit(&b);
	sb_free(&b);
}

void ev_output(int step, const wchar_t *fmt, ...)
{
	wchar_t text[4096];
	va_list ap;
	va_start(ap, fmt);
	_vsnwprintf(text, 4096, fmt, ap);
	va_end(ap);
	text[4095] = 0;
	ev_text("output", step, text);
}

static int ev_result(int code, const wchar_t *message)
{
	struct sb b = { 0 };
	sb_addf(&b, "{\"event\":\"result\",\"code\":%d,\"message\":", code);
	sb_jwstr(&b, message);
	sb_add(&b, "}");
	ev_emit(&b);
	sb_free(&b);
	return code;
}

/* ---- failures ---- */

const wchar_t *win_text(DWORD code)
{
	static wchar_t text[1024];
	text[0] = 0;
	DWORD n = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL,
				 code, 0, text, 1024, NULL);
	if (!n) {
		/* Windows Installer codes have their text in msimsg.dll on real Windows. */
		HMODULE msi = LoadLibraryExW(L"msimsg.dll", NULL, LOAD_LIBRARY_AS_DATAFILE);
		if (msi) {
			n = FormatMessageW(FORMAT_MESSAGE_FROM_HMODULE | FORMAT_MESSAGE_IGNORE_INSERTS,
					   msi, code, 0, text, 1024, NULL);
			FreeLibrary(msi);
		}
	}
	if (!n)
		_snwprintf(text, 1024, L"error %lu", (unsigned long)code);
	text[1023] = 0;
	/* FormatMessage ends its text with a line break. */
	for (size_t len = wcslen(text); len && (text[len - 1] == L'\n' || text[len - 1] == L'\r' ||
						 text[len - 1] == L' ' || text[len - 1] == L'.'); )
		text[--len] = 0;
	return text;
}

int result_of(DWORD code)
{
	switch (code) {
	case ERROR_FILE_NOT_FOUND:
	case ERROR_PATH_NOT_FOUND:
	case ERROR_UNKNOWN_PRODUCT:
		return AGENT_R_NOT_FOUND;
	case ERROR_ACCESS_DENIED:
	case ERROR_PRIVILEGE_NOT_HELD:
	case ERROR_ELEVATION_REQUIRED:
		return AGENT_R_ACCESS;
	case ERROR_INSTALL_ALREADY_RUNNING:
		return AGENT_R_BUSY;
	default:
		return AGENT_R_STEP_FAILED;
	}
}

int fail(struct step *st, int result, DWORD code, const wchar_t *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_vsnwprintf(st->error, 2048, fmt, ap);
	va_end(ap);
	st->error[2047] = 0;
	if (code) {
		size_t n = wcslen(st->error);
		_snwprintf(st->error + n, 2048 - n, L" (%lu: %ls)", (unsigned long)code,
			   win_text(code));
		st->error[2047] = 0;
	}
	st->result = result;
	st->code = code;
	return -1;
}

int verified(struct step *st, const wchar_t *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_vsnwprintf(st->verified, 1024, fmt, ap);
	va_end(ap);
	st->verified[1023] = 0;
	return 0;
}

/* ---- the step's arena and context ---- */

void *st_keep(struct step *st, void *p)
{
	if (st->narena == (int)(sizeof st->arena / sizeof st->arena[0])) {
		/* Full: keep the oldest pointers and leak nothing by freeing the first slot. */
		free(st->arena[0]);
		memmove(st->arena, st->arena + 1, sizeof st->arena - sizeof st->arena[0]);
		st->narena--;
	}
	st->arena[st->narena++] = p;
	return p;
}

wchar_t *st_wdup(struct step *st, const wchar_t *w)
{
	return st_keep(st, xwcsdup(w));
}

wchar_t *st_wprintf(struct step *st, const wchar_t *fmt, ...)
{
	wchar_t tmp[4096];
	va_list ap;
	va_start(ap, fmt);
	_vsnwprintf(tmp, 4096, fmt, ap);
	va_end(ap);
	tmp[4095] = 0;
	return st_wdup(st, tmp);
}

const wchar_t *ctx_get(struct step *st, const char *key)
{
	for (int i = 0; i < st->nctx; i++)
		if (!strcmp(st->ctx[i].key, key))
			return st->ctx[i].value;
	return NULL;
}

void ctx_set(struct step *st, const char *key, const wchar_t *value)
{
	for (int i = 0; i < st->nctx; i++) {
		if (!strcmp(st->ctx[i].key, key)) {
			free(st->ctx[i].value);
			st->ctx[i].value = xwcsdup(value);
			st->ctx_dirty = true;
			return;
		}
	}
	if (st->nctx == (int)(sizeof st->ctx / sizeof st->ctx[0]))
		return;
	st->ctx[st->nctx].key = xstrdup(key);
	st->ctx[st->nctx++].value = xwcsdup(value);
	st->ctx_dirty = true;
}

static void ctx_path(const struct step *st, wchar_t *out)
{
	_snwprintf(out, AGENT_PATH, L"%ls\\context.json", st->backups);
	out[AGENT_PATH - 1] = 0;
}

static void ctx_load(struct step *st)
{
	wchar_t path[AGENT_PATH];
	ctx_path(st, path);
	char *text;
	size_t len;
	if (read_all(path, 1u << 20, &text, &len))
		return;
	struct json *o = json_parse(text, len);
	free(text);
	for (const struct json *c = o && o->type == JSON_OBJECT ? o->child : NULL; c; c = c->next) {
		if (c->type != JSON_STRING)
			continue;
		wchar_t *w = u2w(c->str);
		ctx_set(st, c->key, w);
		free(w);
	}
	json_free(o);
	st->ctx_dirty = false;
}

static DWORD ctx_save(struct step *st)
{
	if (!st->ctx_dirty)
		return 0;
	struct sb b = { 0 };
	sb_add(&b, "{\n");
	for (int i = 0; i < st->nctx; i++) {
		sb_add(&b, "  ");
		sb_jstr(&b, st->ctx[i].key);
		sb_add(&b, ": ");
		sb_jwstr(&b, st->ctx[i].value);
		sb_add(&b, i + 1 < st->nctx ? ",\n" : "\n");
	}
	sb_add(&b, "}\n");
	wchar_t path[AGENT_PATH];
	ctx_path(st, path);
	DWORD rc = write_atomic(path, b.p, b.len);
	sb_free(&b);
	return rc;
}

/* ---- placeholders ---- */

const wchar_t *expand(struct step *st, const char *text)
{
	static const struct {
		const char *name, *key;
	} vars[] = {
		{ "$product.key", "product.key" }, { "$product.code", "product.code" },
		{ "$product.install_dir", "product.install_dir" },
		{ "$product.local_package", "product.local_package" },
		{ "$product.view", "product.view" },
		{ "$mapisvc", "mapisvc" },
	};
	wchar_t *w = u2w(text);
	struct sb out = { 0 };
	for (const wchar_t *p = w; *p; ) {
		const wchar_t *val = NULL;
		size_t skip = 0;
		char head[32];
		size_t i = 0;
		for (; i < sizeof head - 1 && p[i] && p[i] < 128; i++)
			head[i] = (char)p[i];
		head[i] = 0;
		for (size_t v = 0; v < sizeof vars / sizeof vars[0] && !skip; v++) {
			size_t n = strlen(vars[v].name);
			if (strncmp(head, vars[v].name, n))
				continue;
			skip = n;
			val = ctx_get(st, vars[v].key);
			if (!val) {
				wchar_t *name = u2w(vars[v].name);
				fail(st, AGENT_R_NOT_FOUND, 0, L"step %d needs %ls, which an earlier step "
				     L"of this run finds; it has not been found", st->n, name);
				free(name);
				free(w);
				sb_free(&out);
				return NULL;
			}
		}
		if (!skip && !strncmp(head, "$stamp", 6)) {
			skip = 6;
			val = ctx_get(st, "stamp");
			if (!val) {
				wchar_t stamp[20];
				utc_stamp(stamp);
				ctx_set(st, "stamp", stamp);
				val = ctx_get(st, "stamp");
			}
		}
		if (!skip && !strncmp(head, "$run", 4)) {
			skip = 4;
			val = st_keep(st, u2w(st->run));
		}
		if (!skip && !_strnicmp(head, "%LOCALAPPDATA%", 14)) {
			skip = 14;
			val = local_appdata();
		}
		if (skip) {
			char *u = w2u(val);
			sb_add(&out, u);
			free(u);
			p += skip;
			continue;
		}
		wchar_t one[2] = { *p++, 0 };
		char *u = w2u(one);
		sb_add(&out, u);
		free(u);
	}
	free(w);
	wchar_t *res = u2w(out.p ? out.p : "");
	sb_free(&out);
	return st_keep(st, res);
}

const wchar_t *arg(struct step *st, const char *key)
{
	const char *v = json_str(st->args, key);
	return v ? expand(st, v) : NULL;
}

/* ---- commands ---- */

static bool run_id_ok(const char *run)
{
	if (!run || strlen(run) != 32)
		return false;
	for (const char *p = run; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

static int do_detect(void)
{
	struct sb answers = { 0 }, facts = { 0 }, b = { 0 };
	detect(&answers, &facts);
	sb_add(&b, "{\"event\":\"detected\",\"answers\":{");
	sb_add(&b, answers.p ? answers.p : "");
	sb_add(&b, "},\"facts\":{");
	sb_add(&b, facts.p ? facts.p : "");
	sb_add(&b, "}}");
	ev_emit(&b);
	sb_free(&answers);
	sb_free(&facts);
	sb_free(&b);
	return ev_result(AGENT_R_OK, L"detection finished");
}

static int do_step(const char *command, const struct json *req)
{
	const char *run = json_str(req, "run");
	const struct json *stepv = json_get(req, "step");
	const struct json *n = json_get(stepv, "n");
	const char *kind = json_str(stepv, "kind");
	const struct json *args = json_get(stepv, "args");
	if (!run_id_ok(run) || !n || n->type != JSON_NUMBER || n->num < 1 || n->num > 1000 ||
	    !kind || !args || args->type != JSON_OBJECT)
		return ev_result(AGENT_R_BAD_REQUEST, L"a step request needs run (32 lowercase hex "
				 L"digits) and step {n, kind, args}");
	struct step *st = xcalloc(1, sizeof *st);
	st->n = (int)n->num;
	st->kind = kind;
	st->run = run;
	st->args = args;
	st->params = json_get(req, "params");
	const wchar_t *lad = local_appdata();
	wchar_t *wrun = u2w(run);
	_snwprintf(st->backups, AGENT_PATH, L"%ls\\koffix\\backups\\%ls", lad, wrun);
	st->backups[AGENT_PATH - 1] = 0;
	free(wrun);
	int rc;
	if (!lad[0]) {
		fail(st, AGENT_R_NOT_FOUND, 0, L"the local application data folder (%%LOCALAPPDATA%%) "
		     L"of this user is unknown");
		rc = -1;
		goto report;
	}
	DWORD mk = mkdir_p(st->backups);
	if (mk) {
		fail(st, result_of(mk), mk, L"the backup folder %ls cannot be created", st->backups);
		rc = -1;
		goto report;
	}
	ctx_load(st);
	ev_simple("started", st->n);
	if (!strcmp(command, "run-step"))
		rc = step_run(st);
	else if (!strcmp(command, "verify-step"))
		rc = step_verify(st);
	else
		rc = step_undo(st);
	DWORD saved = ctx_save(st);
	if (rc == 0 && saved)
		fail(st, result_of(saved), saved, L"the run's context.json cannot be written"), rc = -1;
report:;
	int result;
	wchar_t message[256];
	if (rc == 0) {
		if (!strcmp(command, "verify-step"))
			ev_text("verified", st->n, st->verified);
		struct sb b = { 0 };
		sb_addf(&b, "{\"event\":\"done\",\"step\":%d,\"backup\":", st->n);
		sb_jwstr(&b, st->backup);
		sb_add(&b, st->skipped && !strcmp(command, "run-step") ? ",\"skipped\":true}" : "}");
		ev_emit(&b);
		sb_free(&b);
		result = AGENT_R_OK;
		_snwprintf(message, 256, L"step %d: %hs finished", st->n, command);
	} else {
		result = st->result ? st->result : AGENT_R_STEP_FAILED;
		if (!strcmp(command, "verify-step") && result == AGENT_R_STEP_FAILED)
			result = AGENT_R_VERIFY_FAILED;
		if (!strcmp(command, "undo-step") && result == AGENT_R_STEP_FAILED)
			result = AGENT_R_UNDO_FAILED;
		struct sb b = { 0 };
		sb_addf(&b, "{\"event\":\"failed\",\"step\":%d,\"code\":%lu,\"error\":", st->n,
			(unsigned long)st->code);
		sb_jwstr(&b, st->error[0] ? st->error : L"the step failed");
		sb_add(&b, "}");
		ev_emit(&b);
		sb_free(&b);
		_snwprintf(message, 256, L"step %d: %hs failed", st->n, command);
	}
	message[255] = 0;
	for (int i = 0; i < st->narena; i++)
		free(st->arena[i]);
	for (int i = 0; i < st->nctx; i++) {
		free(st->ctx[i].key);
		free(st->ctx[i].value);
	}
	free(st);
	return ev_result(result, message);
}

int wmain(void);

int wmain(void)
{
	_setmode(_fileno(stdout), _O_BINARY);
	_setmode(_fileno(stdin), _O_BINARY);
	/* Never a dialog box: the agent also runs unattended (Intune, SCCM). */
	SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX | SEM_NOOPENFILEERRORBOX);
	HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
	char *req = xmalloc(REQUEST_MAX + 1);
	size_t len = 0;
	DWORD got;
	while (len < REQUEST_MAX && ReadFile(in, req + len, (DWORD)(REQUEST_MAX - len), &got, NULL) &&
	       got)
		len += got;
	req[len] = 0;
	if (len == REQUEST_MAX) {
		free(req);
		return ev_result(AGENT_R_BAD_REQUEST, L"the request is larger than 1 MiB");
	}
	own_the_channel();
	struct json *r = json_parse(req, len);
	free(req);
	const char *command = json_str(r, "command");
	int rc;
	if (!r || r->type != JSON_OBJECT || !command)
		rc = ev_result(AGENT_R_BAD_REQUEST, L"the request is not a JSON object with a command");
	else if (!strcmp(command, "detect"))
		rc = do_detect();
	else if (!strcmp(command, "run-step") || !strcmp(command, "verify-step") ||
		 !strcmp(command, "undo-step"))
		rc = do_step(command, r);
	else if (!strcmp(command, "scan"))
		rc = ev_result(scan(json_get(r, "options")), L"scan finished");
	else if (!strcmp(command, "preflight"))
		rc = preflight(json_get(r, "checks")) ? ev_result(AGENT_R_BAD_REQUEST, L"a preflight "
			       L"request needs checks: [{id, kind, args}]") :
			       ev_result(AGENT_R_OK, L"preflight finished");
	else
		rc = ev_result(AGENT_R_BAD_REQUEST, L"unknown command: use detect, scan, preflight, "
			       L"run-step, verify-step or undo-step");
	json_free(r);
	return rc;
}
