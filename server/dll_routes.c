/* SPDX-License-Identifier: MIT */
/*
 * The DLL check in the web app: GET /dll-check (the upload form), POST /dll-check (the form's
 * result page) and POST /api/dll-check (JSON). Uploads are multipart/form-data: a "file" part
 * and optional text fields windows_path, install_dir, office_bitness, loaded_by, activity and
 * session (a wizard session the result belongs to). Every check is stored in dll_checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/json.h"
#include "../common/log.h"
#include "../common/util.h"
#include "../pe/checker.h"
#include "../wizard/session.h"
#include "../app/app.h"
#include "handlers.h"
#include "http.h"
#include "multipart.h"

#define FIELD_MAX 1024

struct upload {
	const struct mp_part *file;
	char windows_path[FIELD_MAX], install_dir[FIELD_MAX], loaded_by[FIELD_MAX];
	char office_bitness[8], activity[16], session[WIZ_ID_LEN + 1];
};

static const char *or_null(const char *s)
{
	return s[0] ? s : NULL;
}

/* A text field into out ("" when absent); a sentence in why when it is too long. */
static bool field(const struct multipart *m, const char *name, char *out, size_t len,
		  char *why, size_t whylen)
{
	out[0] = '\0';
	const struct mp_part *p = multipart_get(m, name);
	if (!p)
		return true;
	int rc = multipart_text(p, out, len);
	if (rc == KX_ETOOBIG)
		snprintf(why, whylen, "the field '%s' is too long (%zu bytes at most)", name, len - 1);
	else if (rc)
		snprintf(why, whylen, "the field '%s' holds a NUL byte", name);
	/* Browsers send CRLF in text fields; a path or name never ends in blanks. */
	size_t n = strlen(out);
	while (n && (out[n - 1] == '\r' || out[n - 1] == '\n' || out[n - 1] == ' '))
		out[--n] = '\0';
	return rc == 0;
}

static bool one_of(const char *v, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(v, *list) == 0)
			return true;
	return false;
}

/* Reads the upload; 0, or the status (400/404) with a sentence in why. */
static int read_upload(struct http_req *r, struct multipart *m, struct upload *u, char *why,
		       size_t whylen)
{
	memset(u, 0, sizeof *u);
	if (multipart_parse(m, http_header(r, "Content-Type"), r->body.data, r->body.len, why,
			    whylen) != 0)
		return 400;
	u->file = multipart_get(m, "file");
	if (!u->file) {
		snprintf(why, whylen, "the upload has no 'file' part: choose the DLL to check");
		return 400;
	}
	if (!field(m, "windows_path", u->windows_path, sizeof u->windows_path, why, whylen) ||
	    !field(m, "install_dir", u->install_dir, sizeof u->install_dir, why, whylen) ||
	    !field(m, "loaded_by", u->loaded_by, sizeof u->loaded_by, why, whylen) ||
	    !field(m, "office_bitness", u->office_bitness, sizeof u->office_bitness, why, whylen) ||
	    !field(m, "activity", u->activity, sizeof u->activity, why, whylen) ||
	    !field(m, "session", u->session, sizeof u->session, why, whylen))
		return 400;
	static const char *const bits[] = { "", "x86", "x64", "unknown", NULL };
	static const char *const acts[] = { "", "idle-cpu", "outbound", "none", "unknown", NULL };
	if (!one_of(u->office_bitness, bits)) {
		snprintf(why, whylen, "office_bitness is x86 or x64");
		return 400;
	}
	if (!one_of(u->activity, acts)) {
		snprintf(why, whylen, "activity is idle-cpu, outbound or none");
		return 400;
	}
	if (strcmp(u->office_bitness, "unknown") == 0)
		u->office_bitness[0] = '\0';
	if (strcmp(u->activity, "unknown") == 0)
		u->activity[0] = '\0';
	/* Checked under the session store's lock (wiz_sess_exists takes it). */
	if (u->session[0] && !wiz_sess_exists(r->app->sessions, r->app->flows, u->session)) {
		snprintf(why, whylen, "there is no wizard session '%s'", u->session);
		return 404;
	}
	return 0;
}

/* Runs the check on the upload and stores it; returns the report (caller frees). */
static cJSON *run_check(struct http_req *r, const struct upload *u)
{
	char err[512];
	const char *name = u->file->filename[0] ? u->file->filename : NULL;
	struct pe_check_opts o = { .file_name = name, .windows_path = or_null(u->windows_path),
				   .install_dir = or_null(u->install_dir),
				   .office_bitness = or_null(u->office_bitness),
				   .loaded_by = or_null(u->loaded_by),
				   .activity = or_null(u->activity) };
	cJSON *rep = NULL;
	pe_checker_check(r->app->checker, u->file->data, u->file->len, &o, &rep);

	char db[APP_PATH_MAX + 16], id[33] = "";
	snprintf(db, sizeof db, "%s/koffix.db", r->app->data_dir);
	struct pe_store *s = pe_store_open(db, err, sizeof err);
	if (!s || pe_store_add(s, or_null(u->session), name, o.windows_path, rep, id) != 0) {
		log_kv(LOG_ERROR, "dll check not stored", 1, "error", s ? "insert failed" : err);
		id[0] = '\0';
	}
	pe_store_close(s);
	if (id[0])
		cJSON_AddStringToObject(rep, "id", id);
	else
		cJSON_AddNullToObject(rep, "id");
	if (u->session[0])
		cJSON_AddStringToObject(rep, "session", u->session);
	else
		cJSON_AddNullToObject(rep, "session");
	return rep;
}

int web_api_dll_check(struct http_req *r)
{
	struct multipart *m = xmalloc(sizeof *m);
	struct upload u;
	char why[256];
	int st = read_upload(r, m, &u, why, sizeof why);
	if (st) {
		free(m);
		return http_error(r, st, why);
	}
	cJSON *rep = run_check(r, &u);
	free(m);
	if (!rep)
		return http_error(r, 500, "the DLL check's data files are missing");
	return http_json(r, 200, rep);
}

/* ---- pages ---- */

static const char *const ind_labels[][2] = {
	{ "signature", "Digital signature" },
	{ "location", "Where it was found" },
	{ "size", "Size" },
	{ "format", "File structure" },
	{ "process", "Program that loads it" },
	{ "activity", "What it was seen doing" },
	{ "bitness", "32-bit or 64-bit" },
};

static const char *verdict_label(const char *v)
{
	if (strcmp(v, "legitimate") == 0)
		return "Looks genuine";
	if (strcmp(v, "suspicious") == 0)
		return "Suspicious";
	if (strcmp(v, "malicious") == 0)
		return "Probably malicious";
	return "Could not be analysed";
}

static const char *level_label(const char *l)
{
	if (strcmp(l, "ok") == 0)
		return "OK";
	if (strcmp(l, "suspicious") == 0)
		return "Suspicious";
	if (strcmp(l, "malicious") == 0)
		return "Malicious";
	return "Not checked";
}

/* The report reshaped for the template: labels, flags for styling, details as a list. */
static cJSON *result_ctx(const cJSON *rep)
{
	cJSON *o = cJSON_CreateObject();
	const char *v = kx_json_str_or(rep, "verdict", "");
	cJSON_AddStringToObject(o, "verdict", v);
	cJSON_AddStringToObject(o, "verdict_label", verdict_label(v));
	cJSON_AddBoolToObject(o, "good", strcmp(v, "legitimate") == 0);
	cJSON_AddStringToObject(o, "reason", kx_json_str_or(rep, "reason", ""));
	/* One instruction per verdict, and the one next step. */
	static const struct { const char *verdict, *instruction, *href, *label; } next[] = {
		{ "legitimate", "This is the connector's own file. If your antivirus quarantined it, "
		  "restore it, then add the exclusions GFI recommends so that it is not flagged again.",
		  "/kb/antivirus-exclusions", "Add the antivirus exclusions" },
		{ "suspicious", "Do not restore or run this file. Reinstall the connector from your "
		  "Kerio Connect server, and give this file to your IT team to look at.",
		  "/kb/is-kofmsp-dll-a-virus", "What to do with a suspicious file" },
		{ "malicious", "Disconnect this PC from the network (unplug the cable, turn Wi-Fi off), "
		  "do not start Outlook, and call your IT security contact now.",
		  "/kb/is-kofmsp-dll-a-virus", "If the result is malicious" },
		{ "not_analysable", "koffix could not read this file as a program library. Check that "
		  "you chose the file your antivirus named, or give it to your IT team.", NULL, NULL },
	};
	for (size_t k = 0; k < sizeof next / sizeof next[0]; k++) {
		if (strcmp(v, next[k].verdict))
			continue;
		cJSON_AddStringToObject(o, "instruction", next[k].instruction);
		if (next[k].href) {
			cJSON_AddStringToObject(o, "next_href", next[k].href);
			cJSON_AddStringToObject(o, "next_label", next[k].label);
		}
	}
	cJSON *inds = cJSON_AddArrayToObject(o, "indicators");
	const cJSON *i;
	cJSON_ArrayForEach(i, cJSON_GetObjectItemCaseSensitive(rep, "indicators")) {
		cJSON *j = cJSON_CreateObject();
		const char *id = kx_json_str_or(i, "id", ""), *label = id;
		for (size_t k = 0; k < sizeof ind_labels / sizeof ind_labels[0]; k++)
			if (strcmp(ind_labels[k][0], id) == 0)
				label = ind_labels[k][1];
		cJSON_AddStringToObject(j, "id", id);
		cJSON_AddStringToObject(j, "label", label);
		cJSON_AddStringToObject(j, "level", kx_json_str_or(i, "level", ""));
		cJSON_AddStringToObject(j, "level_label", level_label(kx_json_str_or(i, "level", "")));
		cJSON_AddStringToObject(j, "reason", kx_json_str_or(i, "reason", ""));
		cJSON_AddItemToArray(inds, j);
	}
	cJSON *details = cJSON_AddArrayToObject(o, "details");
	struct row {
		const char *label, *value;
	} rows[16];
	int n = 0;
	rows[n++] = (struct row){ "File", kx_json_str_or(rep, "file_name", "") };
	rows[n++] = (struct row){ "Found at", kx_json_str_or(rep, "windows_path", "") };
	rows[n++] = (struct row){ "SHA-256", kx_json_str_or(rep, "sha256", "") };
	rows[n++] = (struct row){ "Processor", kx_json_str_or(rep, "machine", "") };
	const cJSON *sig = cJSON_GetObjectItemCaseSensitive(rep, "signature");
	const cJSON *signer = cJSON_GetObjectItemCaseSensitive(sig, "signer");
	rows[n++] = (struct row){ "Signed by", kx_json_str_or(signer, "subject", "") };
	rows[n++] = (struct row){ "Certificate issuer", kx_json_str_or(signer, "issuer", "") };
	rows[n++] = (struct row){ "Signing time",
		kx_json_str_or(cJSON_GetObjectItemCaseSensitive(sig, "timestamp"), "time", "") };
	const cJSON *ver = cJSON_GetObjectItemCaseSensitive(rep, "version_info");
	rows[n++] = (struct row){ "Company", kx_json_str_or(ver, "CompanyName", "") };
	rows[n++] = (struct row){ "Description", kx_json_str_or(ver, "FileDescription", "") };
	rows[n++] = (struct row){ "File version", kx_json_str_or(ver, "FileVersion", "") };
	rows[n++] = (struct row){ "Original file name", kx_json_str_or(ver, "OriginalFilename", "") };
	rows[n++] = (struct row){ "Product", kx_json_str_or(ver, "ProductName", "") };
	for (int k = 0; k < n; k++) {
		if (!rows[k].value[0])
			continue;
		cJSON *d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "label", rows[k].label);
		cJSON_AddStringToObject(d, "value", rows[k].value);
		cJSON_AddItemToArray(details, d);
	}
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(rep, "id");
	if (cJSON_IsString(id))
		cJSON_AddStringToObject(o, "id", id->valuestring);
	return o;
}

static int page(struct http_req *r, int status, const char *session, const char *error,
		cJSON *result)
{
	cJSON *ctx = cJSON_CreateObject();
	cJSON_AddBoolToObject(ctx, "nav_dll", 1);
	if (session && *session)
		cJSON_AddStringToObject(ctx, "session", session);
	if (error)
		cJSON_AddStringToObject(ctx, "error", error);
	if (result)
		cJSON_AddItemToObject(ctx, "result", result);
	return http_page(r, status, "dll_check", result ? "DLL check result" : "Check a DLL", ctx);
}

int web_dll_check_page(struct http_req *r)
{
	const char *session = http_query(r, "session");
	/* Only a well-formed id is carried into the form; the POST checks that it exists. */
	bool ok = session && strlen(session) == WIZ_ID_LEN &&
		  strspn(session, "0123456789abcdef") == WIZ_ID_LEN;
	return page(r, 200, ok ? session : NULL, NULL, NULL);
}

int web_dll_check_form(struct http_req *r)
{
	struct multipart *m = xmalloc(sizeof *m);
	struct upload u;
	char why[256];
	int st = read_upload(r, m, &u, why, sizeof why);
	if (st) {
		free(m);
		char msg[300];
		snprintf(msg, sizeof msg, "The upload could not be read: %s.", why);
		return page(r, st, NULL, msg, NULL);
	}
	cJSON *rep = run_check(r, &u);
	free(m);
	if (!rep)
		return http_error(r, 500, "The DLL check's data files are missing.");
	cJSON *res = result_ctx(rep);
	cJSON_Delete(rep);
	return page(r, 200, u.session, NULL, res);
}
