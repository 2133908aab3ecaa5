/* SPDX-License-Identifier: MIT */
/*
 * The step kinds of the repair plans (repair-actions/ra.h): each has a run, a verification that
 * reads the state back by another call than the one that wrote it, and an idempotent undo.
 * Windows Installer steps are in msi.c, the MAPISVC.INF merge in mapisvc.c.
 */
#include "agent.h"

#include <msi.h>
#include <psapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tlhelp32.h>
#include <wchar.h>

/* Programs that use MAPI besides those a plan names (Skype for Business and Lync through
 * UcMapi.exe, MFCMAPI, the Inbox Repair Tool). */
static const wchar_t *const other_mapi_clients[] = {
	L"UcMapi.exe", L"lync.exe", L"communicator.exe", L"MFCMAPI.exe", L"SCANPST.EXE",
	L"fixmapi.exe",
};

#define MAX_NAMES 32

static int wanted_processes(struct step *st, const wchar_t **names)
{
	int n = 0;
	const struct json *list = json_get(st->args, "processes");
	for (const struct json *p = list ? list->child : NULL; p && n < MAX_NAMES; p = p->next)
		if (p->type == JSON_STRING)
			names[n++] = st_keep(st, u2w(p->str));
	const struct json *other = json_get(st->args, "other_mapi_clients");
	if (other && ((other->type == JSON_BOOL && other->boolean) ||
		      (other->type == JSON_NUMBER && other->num != 0)))
		for (size_t i = 0; i < sizeof other_mapi_clients / sizeof *other_mapi_clients &&
				   n < MAX_NAMES; i++) {
			bool dup = false;
			for (int k = 0; k < n; k++)
				dup |= !_wcsicmp(names[k], other_mapi_clients[i]);
			if (!dup)
				names[n++] = other_mapi_clients[i];
		}
	return n;
}

static bool listed(const wchar_t *exe, const wchar_t **names, int n)
{
	for (int i = 0; i < n; i++)
		if (!_wcsicmp(exe, names[i]))
			return true;
	return false;
}

int programs_running(struct step *st, wchar_t *running, size_t len, int *watched)
{
	const wchar_t *names[MAX_NAMES];
	int n = wanted_processes(st, names), found = 0;
	*watched = n;
	running[0] = 0;
	HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
	if (snap == INVALID_HANDLE_VALUE)
		return -1;
	PROCESSENTRY32W pe = { .dwSize = sizeof pe };
	for (BOOL ok = Process32FirstW(snap, &pe); ok; ok = Process32NextW(snap, &pe)) {
		if (!listed(pe.szExeFile, names, n))
			continue;
		size_t used = wcslen(running);
		_snwprintf(running + used, len - used, L"%ls%ls (process %lu)", used ? L", " : L"",
			   pe.szExeFile, (unsigned long)pe.th32ProcessID);
		running[len - 1] = 0;
		found++;
	}
	CloseHandle(snap);
	return found;
}

static int process_check_run(struct step *st)
{
	wchar_t running[1024];
	int n;
	if (programs_running(st, running, 1024, &n) < 0)
		return fail(st, AGENT_R_STEP_FAILED, GetLastError(), L"the running programs cannot be "
			    L"listed");
	if (running[0])
		return fail(st, AGENT_R_CLOSE_PROGRAMS, 0, L"close these programs first, then try "
			    L"again: %ls", running);
	ev_output(st->n, L"None of the %d programs that use MAPI is running.", n);
	return 0;
}

static int process_check_verify(struct step *st)
{
	const wchar_t *names[MAX_NAMES];
	int n = wanted_processes(st, names);
	DWORD pids[4096], bytes = 0;
	if (!EnumProcesses(pids, sizeof pids, &bytes))
		return fail(st, AGENT_R_STEP_FAILED, GetLastError(), L"the process list cannot be read");
	int seen = 0;
	for (DWORD i = 0; i < bytes / sizeof *pids; i++) {
		HANDLE h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pids[i]);
		if (!h)
			continue;
		wchar_t image[AGENT_PATH];
		DWORD len = AGENT_PATH;
		if (QueryFullProcessImageNameW(h, 0, image, &len)) {
			const wchar_t *base = wcsrchr(image, L'\\');
			if (listed(base ? base + 1 : image, names, n))
				return CloseHandle(h), fail(st, AGENT_R_CLOSE_PROGRAMS, 0,
					L"%ls (process %lu) started meanwhile: close it", base ? base + 1
					: image, (unsigned long)pids[i]);
		}
		seen++;
		CloseHandle(h);
	}
	return verified(st, L"the process list (%d processes) holds none of the %d programs", seen, n);
}

/* ---- find-product ---- */

static int find_product_run(struct step *st)
{
	const wchar_t *name = arg(st, "display_name");
	if (!name)
		return fail(st, AGENT_R_BAD_REQUEST, 0, L"find-product needs display_name");
	struct product found[4];
	int n = find_products(name, found, 4);
	const struct json *optional = json_get(st->args, "optional");
	if (n == 0 && optional && optional->type == JSON_BOOL && optional->boolean) {
		/* A new install: the later steps see empty values and have nothing to save. */
		static const char *const keys[] = { "product.key", "product.view", "product.code",
						    "product.name", "product.version",
						    "product.install_dir", "product.local_package" };
		for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
			ctx_set(st, keys[i], L"");
		ev_output(st->n, L"No program named \"%ls\" is installed: the connector will be "
			  L"installed afresh.", name);
		return 0;
	}
	if (n == 0)
		return fail(st, AGENT_R_NOT_FOUND, ERROR_UNKNOWN_PRODUCT, L"no installed program is "
			    L"named \"%ls\" in the 64-bit, 32-bit or per-user lists of installed "
			    L"programs", name);
	if (n > 1)
		return fail(st, AGENT_R_STEP_FAILED, 0, L"%d installed programs are named \"%ls\" "
			    L"(%ls %ls and %ls %ls): remove the extra one in Programs and Features "
			    L"first", n, name, found[0].version, found[0].view, found[1].version,
			    found[1].view);
	struct product *p = &found[0];
	ctx_set(st, "product.key", p->key);
	ctx_set(st, "product.view", p->view);
	ctx_set(st, "product.code", p->code);
	ctx_set(st, "product.name", p->name);
	ctx_set(st, "product.version", p->version);
	ctx_set(st, "product.install_dir", p->install_dir);
	ctx_set(st, "product.local_package", p->local_package);
	ev_output(st->n, L"Found \"%ls\" %ls (%ls-bit list of installed programs), product code "
		  L"%ls, folder %ls, cached installer %ls.", p->name, p->version, p->view,
		  p->code[0] ? p->code : L"(none: not a Windows Installer product)",
		  p->install_dir[0] ? p->install_dir : L"(unknown)",
		  p->local_package[0] ? p->local_package : L"(none)");
	return 0;
}

static int find_product_verify(struct step *st)
{
	const wchar_t *code = ctx_get(st, "product.code");
	const wchar_t *name = arg(st, "display_name");
	if (!code || !name)
		return fail(st, AGENT_R_NOT_FOUND, 0, L"no product was recorded by the run");
	if (!code[0] && !ctx_get(st, "product.key")[0]) {
		struct product again[4];
		if (find_products(name, again, 4))
			return fail(st, AGENT_R_VERIFY_FAILED, 0, L"\"%ls\" was not found, but is "
				    L"listed now", name);
		return verified(st, L"no program named \"%ls\" is installed", name);
	}
	if (!code[0])
		return verified(st, L"recorded: %ls (no Windows Installer product code)",
				ctx_get(st, "product.name"));
	wchar_t pname[256];
	DWORD len = 256;
	UINT rc = MsiGetProductInfoW(code, L"ProductName", pname, &len);
	if (rc)
		return fail(st, result_of(rc), rc, L"Windows Installer does not know product %ls", code);
	if (!wcontains(pname, name))
		return fail(st, AGENT_R_VERIFY_FAILED, 0, L"Windows Installer names product %ls "
			    L"\"%ls\", not \"%ls\"", code, pname, name);
	return verified(st, L"Windows Installer knows %ls as \"%ls\"", code, pname);
}

/* ---- registry ---- */

/* A backup file name from the plan: a plain name, saved in the run's backup folder. */
static const wchar_t *backup_path(struct step *st, const char *argname)
{
	const wchar_t *name = arg(st, argname);
	if (!name || !name[0] || wcschr(name, L'\\') || wcschr(name, L'/') || wcsstr(name, L"..") ||
	    wcschr(name, L':')) {
		fail(st, AGENT_R_BAD_REQUEST, 0, L"%hs must be a plain file name", argname);
		return NULL;
	}
	return st_wprintf(st, L"%ls\\%ls", st->backups, name);
}

/* The step's registry key: args.key in args.view (or the found product's view). */
static bool step_key(struct step *st, struct regkey *k)
{
	const char *raw = json_str(st->args, "key");
	const wchar_t *key = arg(st, "key");
	if (!key)
		return raw ? false : (fail(st, AGENT_R_BAD_REQUEST, 0, L"the step needs a key"), false);
	const char *view = json_str(st->args, "view");
	char pview[4] = "64";
	if (!view && raw && !strncmp(raw, "$product.key", 12) && ctx_get(st, "product.view")) {
		WideCharToMultiByte(CP_UTF8, 0, ctx_get(st, "product.view"), -1, pview, 4, NULL, NULL);
		view = pview;
	}
	if (!reg_parse(key, view, k))
		return fail(st, AGENT_R_BAD_REQUEST, 0, L"%ls is not a registry key", key), false;
	return true;
}

static const wchar_t *key_text(struct step *st, const struct regkey *k)
{
	return st_wprintf(st, L"%ls\\%ls", k->root_name, k->sub);
}

/* A key argument that came out empty: its placeholder names what an earlier step did not find
 * (a connector that is not installed), so there is nothing to save. */
static bool key_empty(struct step *st)
{
	const wchar_t *key = json_str(st->args, "key") ? arg(st, "key") : NULL;
	return key && !key[0];
}

static int reg_export_run(struct step *st)
{
	if (key_empty(st)) {
		ev_output(st->n, L"Nothing to save: the connector is not installed.");
		return 0;
	}
	struct regkey k;
	const wchar_t *file = backup_path(st, "file");
	if (!file || !step_key(st, &k))
		return -1;
	const wchar_t *value = arg(st, "value");
	bool existed;
	DWORD rc = reg_export(&k, value, file, &existed);
	if (rc)
		return fail(st, result_of(rc), rc, L"%ls could not be saved to %ls", key_text(st, &k),
			    file);
	wcscpy(st->backup, file);
	ev_output(st->n, existed ? L"Saved %ls%ls%ls to %ls." :
		  L"%ls%ls%ls did not exist; %ls records that.", key_text(st, &k),
		  value ? L" value " : L"", value ? value : L"", file);
	return 0;
}

static int reg_export_verify(struct step *st)
{
	if (key_empty(st))
		return verified(st, L"nothing was to be saved");
	struct regkey k;
	const wchar_t *file = backup_path(st, "file");
	if (!file || !step_key(st, &k))
		return -1;
	char *raw;
	size_t len;
	DWORD rc = read_all(file, 64u << 20, &raw, &len);
	if (rc)
		return fail(st, AGENT_R_VERIFY_FAILED, rc, L"the backup %ls cannot be read", file);
	const wchar_t *text = (const wchar_t *)(raw + 2);
	bool header = len > 40 && (unsigned char)raw[0] == 0xff &&
		      !wcsncmp(text, L"Windows Registry Editor Version 5.00", 36);
	const wchar_t *line = st_wprintf(st, L"[%ls]", key_text(st, &k));
	bool has_key = header && wcsstr(text, line);
	bool exists = reg_key_exists(&k);
	free(raw);
	if (!header || (exists && !has_key))
		return fail(st, AGENT_R_VERIFY_FAILED, 0, L"the backup %ls does not hold %ls", file,
			    key_text(st, &k));
	return verified(st, L"%ls is a .reg file (%lu bytes) holding %ls", file,
			(unsigned long)len, exists ? key_text(st, &k) : L"the note that the key was absent");
}

static DWORD reg_type(const wchar_t *t)
{
	if (!t || !wcscmp(t, L"REG_SZ"))
		return REG_SZ;
	if (!wcscmp(t, L"REG_EXPAND_SZ"))
		return REG_EXPAND_SZ;
	if (!wcscmp(t, L"REG_DWORD"))
		return REG_DWORD;
	return REG_NONE;
}

static int reg_set_run(struct step *st)
{
	struct regkey k;
	if (!step_key(st, &k))
		return -1;
	const wchar_t *value = arg(st, "value"), *data = arg(st, "data");
	DWORD type = reg_type(arg(st, "type"));
	if (!value || !data || type == REG_NONE)
		return fail(st, AGENT_R_BAD_REQUEST, 0, L"registry-set needs value, data and type "
			    L"REG_SZ, REG_EXPAND_SZ or REG_DWORD");
	/* Its own exact backup of the one value, whatever earlier steps saved. */
	const wchar_t *file = st_wprintf(st, L"%ls\\step%d-%ls.reg", st->backups, st->n,
					  value[0] ? value : L"default");
	bool existed;
	DWORD rc = 0;
	if (!file_exists(file))
		rc = reg_export(&k, value, file, &existed);
	else
		existed = true;
	if (rc)
		return fail(st, result_of(rc), rc, L"%ls could not be saved first", key_text(st, &k));
	if (!existed) {
		/* The key is missing, and maybe its parents: the highest missing one is what this
		 * step creates, and what its undo deletes (so that nothing it made stays behind). */
		struct regkey top = k, up = k;
		for (wchar_t *slash; (slash = wcsrchr(up.sub, L'\\')); ) {
			*slash = 0;
			if (reg_key_exists(&up))
				break;
			top = up;
		}
		ctx_set(st, st_keep(st, w2u(st_wprintf(st, L"set.created:%d", st->n))), top.sub);
	}
	wcscpy(st->backup, file);
	HKEY h;
	rc = RegCreateKeyExW(k.root, k.sub, 0, NULL, 0, KEY_SET_VALUE | k.view, NULL, &h, NULL);
	if (rc == 0) {
		if (type == REG_DWORD) {
			DWORD v = (DWORD)wcstoul(data, NULL, 0);
			rc = RegSetValueExW(h, value, 0, type, (const BYTE *)&v, sizeof v);
		} else {
			rc = RegSetValueExW(h, value, 0, type, (const BYTE *)data,
					    (DWORD)((wcslen(data) + 1) * sizeof *data));
		}
		RegCloseKey(h);
	}
	if (rc)
		return fail(st, result_of(rc), rc, L"%ls value %ls could not be written",
			    key_text(st, &k), value);
	ev_output(st->n, L"Set %ls value %ls to \"%ls\" (the previous value is in %ls).",
		  key_text(st, &k), value, data, file);
	return 0;
}

static int reg_set_verify(struct step *st)
{
	struct regkey k;
	if (!step_key(st, &k))
		return -1;
	const wchar_t *value = arg(st, "value"), *data = arg(st, "data");
	DWORD type = reg_type(arg(st, "type"));
	if (!value || !data)
		return fail(st, AGENT_R_BAD_REQUEST, 0, L"registry-set needs value and data");
	if (type == REG_DWORD) {
		DWORD v = 0, len = sizeof v;
		DWORD rc = RegGetValueW(k.root, k.sub, value, RRF_RT_REG_DWORD | RRF_SUBKEY_WOW6464KEY,
					NULL, &v, &len);
		if (rc || v != (DWORD)wcstoul(data, NULL, 0))
			return fail(st, AGENT_R_VERIFY_FAILED, rc, L"%ls reads back as %lu", value,
				    (unsigned long)v);
		return verified(st, L"%ls reads back as %lu", value, (unsigned long)v);
	}
	wchar_t back[1024];
	DWORD len = sizeof back;
	DWORD rc = RegGetValueW(k.root, k.sub, value, RRF_RT_REG_SZ | RRF_RT_REG_EXPAND_SZ |
				RRF_NOEXPAND | RRF_SUBKEY_WOW6464KEY, NULL, back, &len);
	if (rc)
		return fail(st, AGENT_R_VERIFY_FAILED, rc, L"%ls cannot be read back", value);
	if (wcscmp(back, data))
		return fail(st, AGENT_R_VERIFY_FAILED, 0, L"%ls reads back as \"%ls\", not \"%ls\"",
			    value, back, data);
	return verified(st, L"%ls reads back as \"%ls\"", value, back);
}

static int reg_set_undo(struct step *st)
{
	struct regkey k;
	if (!step_key(st, &k))
		return -1;
	const wchar_t *value = arg(st, "value");
	if (!value)
		return fail(st, AGENT_R_BAD_REQUEST, 0, L"registry-set needs value");
	const wchar_t *file = st_wprintf(st, L"%ls\\step%d-%ls.reg", st->backups, st->n,
					 value[0] ? value : L"default");
	if (!file_exists(file)) {
		ev_output(st->n, L"Nothing to undo: the step saved nothing, so it changed nothing.");
		return 0;
	}
	const char *created = st_keep(st, w2u(st_wprintf(st, L"set.created:%d", st->n)));
	const wchar_t *top = ctx_get(st, created);
	if (top) {
		struct regkey t = k;
		/* "1": a run journaled before the highest created key was recorded. */
		if (wcscmp(top, L"1"))
			_snwprintf(t.sub, AGENT_PATH, L"%ls", top);
		t.sub[AGENT_PATH - 1] = 0;
		DWORD rc = reg_delete_tree(&t);
		if (rc)
			return fail(st, result_of(rc), rc, L"%ls could not be removed", key_text(st, &t));
		ev_output(st->n, L"Removed %ls, which did not exist before.", key_text(st, &t));
		return 0;
	}
	HKEY h;
	DWORD rc = RegOpenKeyExW(k.root, k.sub, 0, KEY_SET_VALUE | k.view, &h);
	if (rc == 0) {
		rc = RegDeleteValueW(h, value);
		RegCloseKey(h);
	}
	if (rc && rc != ERROR_FILE_NOT_FOUND)
		return fail(st, result_of(rc), rc, L"%ls value %ls could not be removed",
			    key_text(st, &k), value);
	rc = reg_import(file, KEY_WOW64_64KEY);
	if (rc)
		return fail(st, result_of(rc), rc, L"%ls could not be imported", file);
	wcscpy(st->backup, file);
	ev_output(st->n, L"Put %ls value %ls back as it was (from %ls).", key_text(st, &k), value,
		  file);
	return 0;
}

/* The subkey names of key's parent, joined by newlines (arena). */
static const wchar_t *siblings(struct step *st, const struct regkey *k)
{
	wchar_t parent[AGENT_PATH];
	wcscpy(parent, k->sub);
	wchar_t *slash = wcsrchr(parent, L'\\');
	if (slash)
		*slash = 0;
	HKEY h;
	struct sb b = { 0 };
	if (slash && RegOpenKeyExW(k->root, parent, 0, KEY_READ | k->view, &h) == 0) {
		wchar_t name[256];
		for (DWORD i = 0; ; i++) {
			DWORD len = 256;
			if (RegEnumKeyExW(h, i, name, &len, NULL, NULL, NULL, NULL))
				break;
			char *u = w2u(name);
			sb_add(&b, u);
			sb_add(&b, "\n");
			free(u);
		}
		RegCloseKey(h);
	}
	wchar_t *w = u2w(b.p ? b.p : "");
	sb_free(&b);
	return st_keep(st, w);
}

static int reg_create_run(struct step *st)
{
	struct regkey k;
	if (!step_key(st, &k))
		return -1;
	if (reg_key_exists(&k))
		return fail(st, AGENT_R_STEP_FAILED, ERROR_ALREADY_EXISTS, L"%ls already exists: "
			    L"koffix does not reuse it; choose another name", key_text(st, &k));
	const char *sib = st_keep(st, w2u(st_wprintf(st, L"siblings:%d", st->n)));
	ctx_set(st, sib, siblings(st, &k));
	HKEY h;
	DWORD disp = 0;
	DWORD rc = RegCreateKeyExW(k.root, k.sub, 0, NULL, 0, KEY_READ | k.view, NULL, &h, &disp);
	if (rc)
		return fail(st, result_of(rc), rc, L"%ls could not be created", key_text(st, &k));
	RegCloseKey(h);
	if (disp == REG_CREATED_NEW_KEY)
		ctx_set(st, st_keep(st, w2u(st_wprintf(st, L"created:%d", st->n))), L"1");
	ev_output(st->n, L"Created the empty key %ls beside the existing ones.", key_text(st, &k));
	return 0;
}

static int reg_create_verify(struct step *st)
{
	struct regkey k;
	if (!step_key(st, &k))
		return -1;
	HKEY h;
	DWORD rc = RegOpenKeyExW(k.root, k.sub, 0, KEY_READ | k.view, &h);
	if (rc)
		return fail(st, AGENT_R_VERIFY_FAILED, rc, L"%ls is not there", key_text(st, &k));
	DWORD nsub = 0, nval = 0;
	rc = RegQueryInfoKeyW(h, NULL, NULL, NULL, &nsub, NULL, NULL, &nval, NULL, NULL, NULL, NULL);
	RegCloseKey(h);
	if (rc || nsub || nval)
		return fail(st, AGENT_R_VERIFY_FAILED, rc, L"%ls is not empty (%lu keys, %lu values)",
			    key_text(st, &k), (unsigned long)nsub, (unsigned long)nval);
	const wchar_t *before = ctx_get(st, st_keep(st, w2u(st_wprintf(st, L"siblings:%d", st->n))));
	int kept = 0;
	for (const wchar_t *p = before ? before : L""; *p; ) {
		const wchar_t *nl = wcschr(p, L'\n');
		size_t len = nl ? (size_t)(nl - p) : wcslen(p);
		wchar_t *name = st_wprintf(st, L"%.*ls", (int)len, p);
		struct regkey old = k;
		wchar_t *slash = wcsrchr(old.sub, L'\\');
		if (slash)
			_snwprintf(slash + 1, AGENT_PATH - (size_t)(slash + 1 - old.sub), L"%ls", name);
		if (!reg_key_exists(&old))
			return fail(st, AGENT_R_VERIFY_FAILED, 0, L"the existing key %ls is gone", name);
		kept++;
		p += len + (nl ? 1 : 0);
	}
	return verified(st, L"%ls exists and is empty; the %d keys beside it are still there",
			key_text(st, &k), kept);
}

static int reg_create_undo(struct step *st)
{
	struct regkey k;
	if (!step_key(st, &k))
		return -1;
	const char *created = st_keep(st, w2u(st_wprintf(st, L"created:%d", st->n)));
	const wchar_t *mark = ctx_get(st, created);
	if (!mark || wcscmp(mark, L"1")) {
		ev_output(st->n, L"Nothing to undo: this step did not create %ls.", key_text(st, &k));
		return 0;
	}
	DWORD rc = reg_delete_tree(&k);
	if (rc)
		return fail(st, result_of(rc), rc, L"%ls could not be deleted", key_text(st, &k));
	ctx_set(st, created, L"undone");
	ev_output(st->n, L"Deleted %ls, which this run had created.", key_text(st, &k));
	return 0;
}

static int reg_delete_run(struct step *st)
{
	struct regkey k;
	if (!step_key(st, &k))
		return -1;
	const wchar_t *file = st_wprintf(st, L"%ls\\step%d-deleted.reg", st->backups, st->n);
	bool existed;
	DWORD rc = file_exists(file) ? 0 : reg_export(&k, NULL, file, &existed);
	if (rc)
		return fail(st, result_of(rc), rc, L"%ls could not be saved first", key_text(st, &k));
	wcscpy(st->backup, file);
	rc = reg_delete_tree(&k);
	if (rc)
		return fail(st, result_of(rc), rc, L"%ls could not be deleted", key_text(st, &k));
	ev_output(st->n, L"Deleted %ls (saved in %ls).", key_text(st, &k), file);
	return 0;
}

static int reg_delete_verify(struct step *st)
{
	struct regkey k;
	if (!step_key(st, &k))
		return -1;
	HKEY h;
	DWORD rc = RegOpenKeyExW(k.root, k.sub, 0, KEY_READ | k.view, &h);
	if (rc == 0) {
		RegCloseKey(h);
		return fail(st, AGENT_R_VERIFY_FAILED, 0, L"%ls is still there", key_text(st, &k));
	}
	return verified(st, L"%ls is gone", key_text(st, &k));
}

/* Undo of delete-tree and import: the tree as it was, exactly (delete, then import). */
static int restore_tree(struct step *st, const wchar_t *file)
{
	struct regkey k;
	if (!step_key(st, &k))
		return -1;
	if (!file_exists(file)) {
		ev_output(st->n, L"Nothing to undo: the step saved nothing, so it changed nothing.");
		return 0;
	}
	DWORD rc = reg_delete_tree(&k);
	if (rc == 0)
		rc = reg_import(file, KEY_WOW64_64KEY);
	if (rc)
		return fail(st, result_of(rc), rc, L"%ls could not be restored from %ls",
			    key_text(st, &k), file);
	wcscpy(st->backup, file);
	ev_output(st->n, L"Restored %ls exactly from %ls.", key_text(st, &k), file);
	return 0;
}

static int reg_delete_undo(struct step *st)
{
	return restore_tree(st, st_wprintf(st, L"%ls\\step%d-deleted.reg", st->backups, st->n));
}

static int reg_import_run(struct step *st)
{
	struct regkey k;
	if (!step_key(st, &k))
		return -1;
	const wchar_t *file = arg(st, "file");
	if (!file)
		return fail(st, AGENT_R_BAD_REQUEST, 0, L"registry-import needs file");
	if (!wcschr(file, L'\\'))
		file = st_wprintf(st, L"%ls\\%ls", st->backups, file);
	if (!file_exists(file))
		return fail(st, AGENT_R_NOT_FOUND, ERROR_FILE_NOT_FOUND, L"%ls is not there", file);
	const wchar_t *before = st_wprintf(st, L"%ls\\step%d-before-import.reg", st->backups, st->n);
	bool existed;
	DWORD rc = file_exists(before) ? 0 : reg_export(&k, NULL, before, &existed);
	if (rc == 0)
		rc = reg_delete_tree(&k);
	if (rc == 0)
		rc = reg_import(file, KEY_WOW64_64KEY);
	if (rc)
		return fail(st, result_of(rc), rc, L"%ls could not be imported into %ls", file,
			    key_text(st, &k));
	wcscpy(st->backup, before);
	ev_output(st->n, L"Replaced %ls with the contents of %ls (the previous tree is in %ls).",
		  key_text(st, &k), file, before);
	return 0;
}

static int reg_import_verify(struct step *st)
{
	struct regkey k;
	if (!step_key(st, &k))
		return -1;
	if (!reg_key_exists(&k))
		return fail(st, AGENT_R_VERIFY_FAILED, 0, L"%ls is not there after the import",
			    key_text(st, &k));
	return verified(st, L"%ls is there", key_text(st, &k));
}

static int reg_import_undo(struct step *st)
{
	return restore_tree(st, st_wprintf(st, L"%ls\\step%d-before-import.reg", st->backups,
					   st->n));
}

/* ---- files ---- */

static int file_backup_run(struct step *st)
{
	const char *locate = json_str(st->args, "locate");
	const wchar_t *src;
	if (locate) {
		wchar_t path[AGENT_PATH], how[512];
		if (!mapisvc_locate(locate, json_str(st->args, "view"), path, AGENT_PATH, how, 512))
			return fail(st, AGENT_R_NOT_FOUND, ERROR_FILE_NOT_FOUND, L"MAPISVC.INF was not "
				    L"found (%ls)", how);
		ctx_set(st, "mapisvc", path);
		ev_output(st->n, L"MAPISVC.INF is %ls (%ls).", path, how);
		src = st_wdup(st, path);
	} else {
		src = arg(st, "path");
		if (!src)
			return -1;
	}
	const wchar_t *dest = backup_path(st, "name");
	if (!dest)
		return -1;
	if (!file_exists(src))
		return fail(st, AGENT_R_NOT_FOUND, ERROR_FILE_NOT_FOUND, L"%ls is not there", src);
	if (!CopyFileW(src, dest, FALSE))
		return fail(st, result_of(GetLastError()), GetLastError(), L"%ls could not be copied "
			    L"to %ls", src, dest);
	ctx_set(st, st_keep(st, w2u(st_wprintf(st, L"backup.source:%d", st->n))), src);
	wcscpy(st->backup, dest);
	ev_output(st->n, L"Copied %ls to %ls.", src, dest);
	return 0;
}

static int file_backup_verify(struct step *st)
{
	const wchar_t *src = ctx_get(st, st_keep(st, w2u(st_wprintf(st, L"backup.source:%d", st->n))));
	const wchar_t *dest = backup_path(st, "name");
	if (!src || !dest)
		return fail(st, AGENT_R_VERIFY_FAILED, 0, L"the run recorded no copy for step %d",
			    st->n);
	wchar_t a[65], b[65];
	DWORD rc = sha256_file(src, a);
	if (rc == 0)
		rc = sha256_file(dest, b);
	if (rc)
		return fail(st, AGENT_R_VERIFY_FAILED, rc, L"the copy cannot be compared");
	if (wcscmp(a, b))
		return fail(st, AGENT_R_VERIFY_FAILED, 0, L"the copy %ls differs from %ls", dest, src);
	return verified(st, L"the copy and the original have the same SHA-256 %ls", a);
}

/* Files and bytes under dir (recursively). */
static void inventory(const wchar_t *dir, unsigned long long *files, unsigned long long *bytes)
{
	wchar_t pat[AGENT_PATH + 4];
	_snwprintf(pat, AGENT_PATH + 4, L"%ls\\*", dir);
	pat[AGENT_PATH + 3] = 0;
	WIN32_FIND_DATAW fd;
	HANDLE h = FindFirstFileW(pat, &fd);
	if (h == INVALID_HANDLE_VALUE)
		return;
	do {
		if (!wcscmp(fd.cFileName, L".") || !wcscmp(fd.cFileName, L".."))
			continue;
		if (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) {
			wchar_t sub[AGENT_PATH + 4];
			_snwprintf(sub, AGENT_PATH + 4, L"%ls\\%ls", dir, fd.cFileName);
			sub[AGENT_PATH + 3] = 0;
			inventory(sub, files, bytes);
		} else {
			(*files)++;
			*bytes += (unsigned long long)fd.nFileSizeHigh << 32 | fd.nFileSizeLow;
		}
	} while (FindNextFileW(h, &fd));
	FindClose(h);
}

static int file_rename_run(struct step *st)
{
	const wchar_t *from = arg(st, "path"), *suffix = arg(st, "suffix");
	if (!from || !suffix)
		return fail(st, AGENT_R_BAD_REQUEST, 0, L"file-rename needs path and suffix");
	const wchar_t *to = st_wprintf(st, L"%ls%ls", from, suffix);
	if (!dir_exists(from) && !file_exists(from))
		return fail(st, AGENT_R_NOT_FOUND, ERROR_PATH_NOT_FOUND, L"%ls is not there", from);
	unsigned long long files = 0, bytes = 0;
	inventory(from, &files, &bytes);
	if (!MoveFileExW(from, to, 0)) {
		DWORD e = GetLastError();
		return fail(st, result_of(e), e, L"%ls could not be renamed: a program probably has a "
			    L"file in it open (close Outlook, KoffBackend.exe and backup or search "
			    L"tools); nothing was changed", from);
	}
	ctx_set(st, "renamed.from", from);
	ctx_set(st, "renamed.to", to);
	ctx_set(st, "renamed.inventory", st_wprintf(st, L"%llu files, %llu bytes", files, bytes));
	wcscpy(st->backup, to);
	ev_output(st->n, L"Renamed %ls to %ls (%llu files, %llu bytes kept).", from, to, files, bytes);
	return 0;
}

static int file_rename_verify(struct step *st)
{
	const wchar_t *from = ctx_get(st, "renamed.from"), *to = ctx_get(st, "renamed.to");
	const wchar_t *inv = ctx_get(st, "renamed.inventory");
	if (!from || !to || !inv)
		return fail(st, AGENT_R_VERIFY_FAILED, 0, L"the run recorded no rename");
	if (GetFileAttributesW(from) != INVALID_FILE_ATTRIBUTES)
		return fail(st, AGENT_R_VERIFY_FAILED, 0, L"%ls is still there", from);
	unsigned long long files = 0, bytes = 0;
	inventory(to, &files, &bytes);
	const wchar_t *now = st_wprintf(st, L"%llu files, %llu bytes", files, bytes);
	if (GetFileAttributesW(to) == INVALID_FILE_ATTRIBUTES || wcscmp(now, inv))
		return fail(st, AGENT_R_VERIFY_FAILED, 0, L"%ls holds %ls, not %ls", to, now, inv);
	return verified(st, L"%ls is free and %ls holds the same %ls", from, to, inv);
}

static int file_rename_undo(struct step *st)
{
	const wchar_t *from = ctx_get(st, "renamed.from"), *to = ctx_get(st, "renamed.to");
	if (!from || !to || GetFileAttributesW(to) == INVALID_FILE_ATTRIBUTES) {
		ev_output(st->n, L"Nothing to undo: the folder was not renamed.");
		return 0;
	}
	if (GetFileAttributesW(from) != INVALID_FILE_ATTRIBUTES) {
		/* The connector made a new cache meanwhile: set it aside, never delete it. */
		wchar_t stamp[20];
		utc_stamp(stamp);
		const wchar_t *aside = st_wprintf(st, L"%ls.koffix-undo-%ls", from, stamp);
		if (!MoveFileExW(from, aside, 0))
			return fail(st, result_of(GetLastError()), GetLastError(), L"the new %ls could "
				    L"not be set aside", from);
		ev_output(st->n, L"Set the newer %ls aside as %ls.", from, aside);
	}
	if (!MoveFileExW(to, from, 0))
		return fail(st, result_of(GetLastError()), GetLastError(), L"%ls could not be renamed "
			    L"back to %ls", to, from);
	ctx_set(st, "renamed.to", L"");
	ev_output(st->n, L"Renamed %ls back to %ls.", to, from);
	return 0;
}

/* ---- control panels ---- */

static int open_cpl_run(struct step *st)
{
	const wchar_t *applet = arg(st, "applet");
	if (!applet || (_wcsicmp(applet, L"appwiz.cpl") && _wcsicmp(applet, L"mlcfg32.cpl")))
		return fail(st, AGENT_R_BAD_REQUEST, 0, L"only appwiz.cpl and mlcfg32.cpl are opened");
	wchar_t sys[MAX_PATH];
	if (!GetSystemDirectoryW(sys, MAX_PATH))
		return fail(st, AGENT_R_STEP_FAILED, GetLastError(), L"the system folder is unknown");
	const wchar_t *exe = st_wprintf(st, L"%ls\\control.exe", sys);
	wchar_t *cmdline = st_wprintf(st, L"\"%ls\" %ls", exe, applet);
	/* No standard handles: Control Panel must not keep the agent's output pipe open. */
	STARTUPINFOW si = { .cb = sizeof si, .dwFlags = STARTF_USESTDHANDLES };
	PROCESS_INFORMATION pi;
	if (!CreateProcessW(exe, cmdline, NULL, NULL, FALSE, DETACHED_PROCESS, NULL, NULL, &si, &pi))
		return fail(st, result_of(GetLastError()), GetLastError(), L"%ls could not be started",
			    exe);
	ctx_set(st, "cpl.pid", st_wprintf(st, L"%lu", (unsigned long)pi.dwProcessId));
	ctx_set(st, "cpl.exe", exe);
	CloseHandle(pi.hThread);
	CloseHandle(pi.hProcess);
	ev_output(st->n, L"Opened %ls (Control Panel, process %lu): finish there.", applet,
		  (unsigned long)pi.dwProcessId);
	return 0;
}

static int open_cpl_verify(struct step *st)
{
	const wchar_t *pid = ctx_get(st, "cpl.pid"), *exe = ctx_get(st, "cpl.exe");
	if (!pid || !exe || !file_exists(exe))
		return fail(st, AGENT_R_VERIFY_FAILED, 0, L"Control Panel was not started");
	return verified(st, L"Control Panel (%ls) was started as process %ls", exe, pid);
}

/* ---- check-dll ---- */

static int check_dll_run(struct step *st)
{
	const wchar_t *path = arg(st, "path");
	if (!path)
		return -1;
	WIN32_FILE_ATTRIBUTE_DATA fa;
	if (!GetFileAttributesExW(path, GetFileExInfoStandard, &fa))
		return fail(st, AGENT_R_NOT_FOUND, GetLastError(), L"%ls is not there", path);
	wchar_t hex[65], ver[64];
	DWORD rc = sha256_file(path, hex);
	if (rc)
		return fail(st, result_of(rc), rc, L"%ls cannot be read", path);
	WORD m = pe_machine(path);
	if (!file_version(path, ver, 64))
		wcscpy(ver, L"none");
	unsigned long long size = (unsigned long long)fa.nFileSizeHigh << 32 | fa.nFileSizeLow;
	ctx_set(st, "dll.size", st_wprintf(st, L"%llu", size));
	ctx_set(st, "dll.sha256", hex);
	const wchar_t *office = arg(st, "office_bitness");
	ev_output(st->n, L"%ls: %llu bytes, PE machine %ls, file version %ls, SHA-256 %ls.%ls%ls%ls",
		  path, size, machine_name(m), ver, hex,
		  office ? (!wcscmp(office, machine_name(m)) ? L" It matches Office (" :
			    L" It does NOT match Office (") : L"",
		  office ? office : L"", office ? L")." : L"");
	ev_output(st->n, L"The full check (signature, signer, location, packing) runs in koffix: "
		  L"koffix check-dll FILE --windows-path \"%ls\"", path);
	return 0;
}

static int check_dll_verify(struct step *st)
{
	const wchar_t *path = arg(st, "path"), *size = ctx_get(st, "dll.size");
	if (!path || !size)
		return fail(st, AGENT_R_VERIFY_FAILED, 0, L"the run recorded no DLL check");
	HANDLE h = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
	LARGE_INTEGER li = { 0 };
	bool ok = h != INVALID_HANDLE_VALUE && GetFileSizeEx(h, &li);
	if (h != INVALID_HANDLE_VALUE)
		CloseHandle(h);
	if (!ok || (unsigned long long)li.QuadPart != wcstoull(size, NULL, 10))
		return fail(st, AGENT_R_VERIFY_FAILED, 0, L"%ls changed while it was checked", path);
	return verified(st, L"%ls still has %ls bytes", path, size);
}

/* ---- collect ---- */

static DWORD write_text(const wchar_t *path, const char *text)
{
	return write_atomic(path, text, strlen(text));
}

static void collect_eventlog(const wchar_t *file)
{
	struct sb out = { 0 };
	HANDLE log = OpenEventLogW(NULL, L"Application");
	if (!log) {
		sb_addf(&out, "the Application event log cannot be opened (error %lu)\r\n",
			(unsigned long)GetLastError());
	} else {
		static BYTE buf[65536];
		DWORD got = 0, need = 0;
		int seen = 0, kept = 0;
		while (seen < 5000 && ReadEventLogW(log, EVENTLOG_SEQUENTIAL_READ | EVENTLOG_BACKWARDS_READ,
						     0, buf, sizeof buf, &got, &need)) {
			for (BYTE *p = buf; p < buf + got; ) {
				EVENTLOGRECORD *r = (EVENTLOGRECORD *)p;
				const wchar_t *source = (const wchar_t *)(p + sizeof *r);
				struct sb text = { 0 };
				const wchar_t *s = (const wchar_t *)(p + r->StringOffset);
				for (WORD i = 0; i < r->NumStrings; i++) {
					char *u = w2u(s);
					sb_add(&text, u);
					sb_add(&text, " ");
					free(u);
					s += wcslen(s) + 1;
				}
				wchar_t *wt = u2w(text.p ? text.p : "");
				if (wcontains(wt, L"kofmsp") || wcontains(wt, L"MAPI") ||
				    wcontains(source, L"Outlook")) {
					char *src = w2u(source);
					sb_addf(&out, "record %lu source %s event %lu: %s\r\n",
						(unsigned long)r->RecordNumber, src,
						(unsigned long)(r->EventID & 0xffff), text.p ? text.p : "");
					free(src);
					kept++;
				}
				free(wt);
				sb_free(&text);
				seen++;
				p += r->Length;
			}
		}
		sb_addf(&out, "%d of %d Application log entries name MAPI, kofmsp or Outlook\r\n", kept,
			seen);
		CloseEventLog(log);
	}
	write_text(file, out.p);
	sb_free(&out);
}

static const wchar_t *const collect_files[] = {
	L"detect.json", L"profiles.reg", L"MAPISVC.INF", L"eventlog.txt",
};

static int collect_run(struct step *st)
{
	const wchar_t *folder = arg(st, "folder");
	if (!folder)
		return -1;
	DWORD rc = mkdir_p(folder);
	if (rc)
		return fail(st, result_of(rc), rc, L"%ls cannot be created", folder);
	ctx_set(st, "collect.folder", folder);
	struct sb answers = { 0 }, facts = { 0 }, all = { 0 };
	detect(&answers, &facts);
	sb_addf(&all, "{\"answers\":{%s},\"facts\":{%s}}\n", answers.p ? answers.p : "",
		facts.p ? facts.p : "");
	rc = write_text(st_wprintf(st, L"%ls\\detect.json", folder), all.p);
	sb_free(&answers);
	sb_free(&facts);
	sb_free(&all);
	if (rc)
		return fail(st, result_of(rc), rc, L"the diagnostics cannot be written to %ls", folder);
	int n = 1;
	struct regkey k;
	const wchar_t *pk = arg(st, "profiles_key");
	bool existed;
	if (pk && reg_parse(pk, NULL, &k) &&
	    reg_export(&k, NULL, st_wprintf(st, L"%ls\\profiles.reg", folder), &existed) == 0)
		n++;
	wchar_t ini[AGENT_PATH], how[512];
	if (mapisvc_locate("auto", NULL, ini, AGENT_PATH, how, 512) &&
	    CopyFileW(ini, st_wprintf(st, L"%ls\\MAPISVC.INF", folder), FALSE))
		n++;
	collect_eventlog(st_wprintf(st, L"%ls\\eventlog.txt", folder));
	n++;
	wcscpy(st->backup, folder);
	ev_output(st->n, L"Wrote %d files to %ls: detect.json (Windows, Office, profiles, connector, "
		  L"processes), profiles.reg, MAPISVC.INF, eventlog.txt.", n, folder);
	return 0;
}

static int collect_verify(struct step *st)
{
	const wchar_t *folder = ctx_get(st, "collect.folder");
	if (!folder)
		return fail(st, AGENT_R_VERIFY_FAILED, 0, L"the run recorded no folder");
	int n = 0;
	for (size_t i = 0; i < sizeof collect_files / sizeof *collect_files; i++)
		n += file_exists(st_wprintf(st, L"%ls\\%ls", folder, collect_files[i]));
	if (!file_exists(st_wprintf(st, L"%ls\\detect.json", folder)))
		return fail(st, AGENT_R_VERIFY_FAILED, 0, L"%ls holds no detect.json", folder);
	return verified(st, L"%ls holds %d collected files", folder, n);
}

static int collect_undo(struct step *st)
{
	const wchar_t *folder = ctx_get(st, "collect.folder");
	if (!folder || !dir_exists(folder)) {
		ev_output(st->n, L"Nothing to undo: no folder was collected.");
		return 0;
	}
	/* Only the files this step writes: anything else a person put there stays. */
	for (size_t i = 0; i < sizeof collect_files / sizeof *collect_files; i++)
		DeleteFileW(st_wprintf(st, L"%ls\\%ls", folder, collect_files[i]));
	RemoveDirectoryW(folder);
	ev_output(st->n, L"Deleted the collected files in %ls.", folder);
	return 0;
}

static int nothing(struct step *st)
{
	ev_output(st->n, L"Nothing to undo: this step changes nothing.");
	return 0;
}

/* ---- dispatch ---- */

static const struct {
	const char *kind;
	int (*run)(struct step *);
	int (*verify)(struct step *);
	int (*undo)(struct step *);
} kinds[] = {
	{ "process-check", process_check_run, process_check_verify, nothing },
	{ "find-product", find_product_run, find_product_verify, nothing },
	{ "registry-export", reg_export_run, reg_export_verify, nothing },
	{ "registry-set", reg_set_run, reg_set_verify, reg_set_undo },
	{ "registry-create-key", reg_create_run, reg_create_verify, reg_create_undo },
	{ "registry-delete-tree", reg_delete_run, reg_delete_verify, reg_delete_undo },
	{ "registry-import", reg_import_run, reg_import_verify, reg_import_undo },
	{ "file-backup", file_backup_run, file_backup_verify, nothing },
	{ "file-rename", file_rename_run, file_rename_verify, file_rename_undo },
	{ "mapisvc-merge", mapisvc_merge_run, mapisvc_merge_verify, mapisvc_merge_undo },
	{ "msi-uninstall", msi_run, msi_verify, msi_undo },
	{ "msi-install", msi_run, msi_verify, msi_undo },
	{ "msi-repair", msi_run, msi_verify, msi_undo },
	{ "open-control-panel", open_cpl_run, open_cpl_verify, nothing },
	{ "check-dll", check_dll_run, check_dll_verify, nothing },
	{ "collect", collect_run, collect_verify, collect_undo },
};

static int dispatch(struct step *st, int which)
{
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		if (strcmp(kinds[i].kind, st->kind))
			continue;
		int rc = which == 0 ? kinds[i].run(st) : which == 1 ? kinds[i].verify(st) :
			 kinds[i].undo(st);
		if (rc && !st->result)
			st->result = AGENT_R_STEP_FAILED;
		return rc;
	}
	return fail(st, AGENT_R_BAD_REQUEST, 0, L"unknown step kind \"%hs\"", st->kind);
}

int step_run(struct step *st)
{
	return dispatch(st, 0);
}

int step_verify(struct step *st)
{
	return dispatch(st, 1);
}

int step_undo(struct step *st)
{
	return dispatch(st, 2);
}
