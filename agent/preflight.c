/* SPDX-License-Identifier: MIT */
/*
 * The preflight: read-only checks a repair makes before its first step, each answered as
 *   {"event":"check","id":ID,"state":"ok"|"warning"|"blocked","reason":"...","facts":{...}}
 * A blocked check means the repair does not start, so each reason says what was found and what
 * to do. Nothing here writes anything: registry reads, Windows Installer queries of a package
 * opened read-only, file headers, free space, the process list.
 */
#include "agent.h"

#include <msi.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#define REASON_MAX 2048

struct verdict {
	const char *state;
	wchar_t reason[REASON_MAX];
	struct sb facts;         /* members of the facts object, without braces */
	const wchar_t *exe;      /* an installer program koffix itself should check */
};

static void say(struct verdict *v, const char *state, const wchar_t *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_vsnwprintf(v->reason, REASON_MAX, fmt, ap);
	va_end(ap);
	v->reason[REASON_MAX - 1] = 0;
	v->state = state;
}

static void fact(struct verdict *v, const char *key, const wchar_t *value)
{
	sb_add(&v->facts, v->facts.len ? "," : "");
	sb_jstr(&v->facts, key);
	sb_add(&v->facts, ":");
	sb_jwstr(&v->facts, value);
}

/* A path argument with %VARIABLES% expanded (arena). */
static const wchar_t *expanded(struct step *st, const char *key)
{
	const wchar_t *raw = arg(st, key);
	if (!raw)
		return NULL;
	wchar_t out[AGENT_PATH];
	DWORD n = ExpandEnvironmentStringsW(raw, out, AGENT_PATH);
	return n && n <= AGENT_PATH ? st_wdup(st, out) : raw;
}

static bool flag(struct step *st, const char *key)
{
	const struct json *v = json_get(st->args, key);
	return v && v->type == JSON_BOOL && v->boolean;
}

/* ---- the checks ---- */

static void check_processes(struct step *st, struct verdict *v)
{
	wchar_t running[1024];
	int watched;
	int n = programs_running(st, running, 1024, &watched);
	if (n < 0)
		say(v, "blocked", L"The list of running programs cannot be read (%ls), so koffix "
		    L"cannot tell whether Outlook is closed.", win_text(GetLastError()));
	else if (n)
		say(v, "blocked", L"Close these programs first, then check again: %ls.", running);
	else
		say(v, "ok", L"None of the %d programs that use MAPI is running.", watched);
}

static void check_admin(struct step *st, struct verdict *v)
{
	(void)st;
	HANDLE tok;
	TOKEN_ELEVATION e = { 0 };
	DWORD n = 0;
	bool known = OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok);
	if (known) {
		known = GetTokenInformation(tok, TokenElevation, &e, sizeof e, &n);
		CloseHandle(tok);
	}
	if (known && e.TokenIsElevated)
		say(v, "ok", L"koffix runs with administrator rights.");
	else if (known)
		say(v, "blocked", L"This repair changes the connector for the whole PC, which needs "
		    L"administrator rights, and koffix runs without them. Close koffix and start it "
		    L"again with right-click, \"Run as administrator\", or ask your IT to run it.");
	else
		say(v, "warning", L"Windows did not say whether koffix runs with administrator "
		    L"rights; steps that need them will fail and be rolled back if it does not.");
}

int pending_connector_ops(const wchar_t *install_dir, wchar_t *first, size_t n,
				 int *others)
{
	*others = 0;
	first[0] = 0;
	HKEY h;
	if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"SYSTEM\\CurrentControlSet\\Control\\Session Manager",
			  0, KEY_READ, &h))
		return 0;
	DWORD type = 0, len = 0;
	int found = 0;
	if (RegQueryValueExW(h, L"PendingFileRenameOperations", NULL, &type, NULL, &len) == 0 &&
	    type == REG_MULTI_SZ && len) {
		wchar_t *data = xcalloc(len / sizeof(wchar_t) + 2, sizeof(wchar_t));
		if (RegQueryValueExW(h, L"PendingFileRenameOperations", NULL, NULL, (BYTE *)data,
				     &len) == 0) {
			/* Pairs: source, then target ("" = delete at restart). */
			const wchar_t *p = data;
			while (*p) {
				const wchar_t *src = p;
				p += wcslen(p) + 1;
				const wchar_t *dst = p;
				if (*p || p[1])
					p += wcslen(p) + 1;
				else
					p += 1;
				bool ours = wcontains(src, L"kofmsp") || wcontains(src, L"KoffBackend") ||
					    wcontains(dst, L"kofmsp") ||
					    (install_dir[0] && (wcontains(src, install_dir) ||
								wcontains(dst, install_dir)));
				if (ours && !found++)
					_snwprintf(first, n, L"%ls", src);
				else if (!ours)
					(*others)++;
			}
		}
		free(data);
	}
	RegCloseKey(h);
	first[n - 1] = 0;
	return found;
}

static void check_pending(struct step *st, struct verdict *v)
{
	HKEY h;
	if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\"
			  L"Installer\\InProgress", 0, KEY_READ | KEY_WOW64_64KEY, &h) == 0) {
		RegCloseKey(h);
		say(v, "blocked", L"Windows Installer is in the middle of another installation (its "
		    L"InProgress key is set). Let it finish, or restart Windows, then check again.");
		return;
	}
	HANDLE m = OpenMutexW(SYNCHRONIZE, FALSE, L"Global\\_MSIExecute");
	if (m) {
		CloseHandle(m);
		say(v, "blocked", L"Another installation is running right now. Wait until it has "
		    L"finished, then check again.");
		return;
	}
	struct product p[4];
	const wchar_t *name = arg(st, "product_name");
	int np = name ? find_products(name, p, 4) : 0;
	wchar_t first[AGENT_PATH];
	int others;
	int ours = pending_connector_ops(np ? p[0].install_dir : L"", first, AGENT_PATH, &others);
	if (ours)
		say(v, "blocked", L"A restart of Windows is pending that will replace or delete %d of "
		    L"the connector's files (for example %ls): an earlier installation is not "
		    L"finished. Restart Windows first, then check again.", ours, first);
	else if (others)
		say(v, "ok", L"No installation is in progress. %d file operations wait for a restart, "
		    L"none of them the connector's.", others);
	else
		say(v, "ok", L"No installation is in progress and no restart is pending.");
}

static void check_disk(struct step *st, struct verdict *v)
{
	const wchar_t *path = expanded(st, "path");
	const wchar_t *pkg = arg(st, "package");
	unsigned long long need = 200ull << 20;
	WIN32_FILE_ATTRIBUTE_DATA fa;
	if (pkg && pkg[0] && GetFileAttributesExW(pkg, GetFileExInfoStandard, &fa)) {
		unsigned long long size = (unsigned long long)fa.nFileSizeHigh << 32 | fa.nFileSizeLow;
		if (size * 3 > need)
			need = size * 3;
	}
	ULARGE_INTEGER avail;
	if (!path || !GetDiskFreeSpaceExW(path, &avail, NULL, NULL)) {
		say(v, "warning", L"The free space on the drive of %ls cannot be read (%ls).",
		    path ? path : L"(none)", win_text(GetLastError()));
		return;
	}
	wchar_t n[32];
	_snwprintf(n, 32, L"%llu", (unsigned long long)avail.QuadPart);
	fact(v, "free_bytes", n);
	if (avail.QuadPart < need)
		say(v, "blocked", L"Only %llu MB are free on the drive of %ls; Windows Installer needs "
		    L"about %llu MB to install and keep its rollback copy. Free some space, then "
		    L"check again.", (unsigned long long)(avail.QuadPart >> 20), path, need >> 20);
	else
		say(v, "ok", L"%llu MB are free on the drive of %ls (about %llu MB are needed).",
		    (unsigned long long)(avail.QuadPart >> 20), path, need >> 20);
}

static void check_product(struct step *st, struct verdict *v)
{
	const wchar_t *name = arg(st, "display_name");
	struct product p[4];
	int n = name ? find_products(name, p, 4) : 0;
	if (n == 0)
		say(v, "blocked", L"The connector is not installed, so there is nothing to repair "
		    L"or register: install it from your Kerio Connect server instead.");
	else if (n > 1)
		say(v, "blocked", L"%d connectors are listed as installed (%ls and %ls): an upgrade "
		    L"was interrupted. Restart Windows, then reinstall the connector.", n,
		    p[0].version, p[1].version);
	else
		say(v, "ok", L"\"%ls\" %ls is installed in %ls.", p[0].name, p[0].version,
		    p[0].install_dir[0] ? p[0].install_dir : L"(a folder Windows does not name)");
}

static void check_mapisvc(struct step *st, struct verdict *v)
{
	wchar_t path[AGENT_PATH], how[512], from[AGENT_PATH];
	if (!mapisvc_locate(json_str(st->args, "locate"), json_str(st->args, "view"), path,
			    AGENT_PATH, how, 512)) {
		say(v, "blocked", L"MAPISVC.INF, the file that lists MAPI's providers, was not found "
		    L"(%ls). Repair Office, then check again.", how);
		return;
	}
	fact(v, "path", path);
	const wchar_t *name = arg(st, "display_name");
	struct product p[4];
	int n = name ? find_products(name, p, 4) : 0;
	char *src = n ? mapisvc_evidence(p[0].install_dir, p[0].local_package, from, AGENT_PATH,
					 false) : NULL;
	if (!src) {
		say(v, "blocked", L"MAPISVC.INF is %ls (%ls), but no trustworthy copy of the "
		    L"connector's entries exists on this PC: neither its installed package nor an "
		    L"earlier koffix backup has them, and koffix never writes entries it made up. "
		    L"Reinstall the connector instead (reinstall-koff): its installer registers it.",
		    path, how);
		return;
	}
	free(src);
	fact(v, "source", from);
	say(v, "ok", L"MAPISVC.INF is %ls (%ls)%ls. The connector's entries will come from %ls.",
	    path, how, mapisvc_lists_connector(path) ? L" and lists the connector" :
	    L" and does not list the connector", from);
}

static void check_key_free(struct step *st, struct verdict *v)
{
	const wchar_t *key = arg(st, "key"), *what = arg(st, "what");
	struct regkey k;
	if (!key || !reg_parse(key, NULL, &k)) {
		say(v, "blocked", L"The key to create is not a registry key.");
		return;
	}
	if (reg_key_exists(&k))
		say(v, "blocked", L"There is already %ls here (%ls): choose another name.",
		    what ? what : L"a key with this name", key);
	else
		say(v, "ok", L"The name is free.");
}

static void check_path(struct step *st, struct verdict *v, bool folder)
{
	const wchar_t *path = expanded(st, "path"), *what = arg(st, "what");
	if (!path) {
		say(v, "blocked", L"No path was given.");
		return;
	}
	bool there = folder ? dir_exists(path) : file_exists(path);
	if (there)
		say(v, "ok", L"%ls is there: %ls.", what ? what : L"It", path);
	else
		say(v, "blocked", L"%ls is not there (%ls), so there is nothing to work on.",
		    what ? what : L"It", path);
}

/* ---- the installer ---- */

static bool any_maker(struct step *st, const wchar_t *manufacturer)
{
	const struct json *list = json_get(st->args, "manufacturers");
	for (const struct json *m = list ? list->child : NULL; m; m = m->next) {
		if (m->type != JSON_STRING)
			continue;
		wchar_t *w = u2w(m->str);
		bool hit = wcontains(manufacturer, w);
		free(w);
		if (hit)
			return true;
	}
	return false;
}

static void check_exe(struct step *st, struct verdict *v, const wchar_t *path, bool manual)
{
	wchar_t product[256], company[256], version[64];
	version_string(path, L"ProductName", product, 256);
	version_string(path, L"CompanyName", company, 256);
	if (!file_version(path, version, 64))
		wcscpy(version, L"without a version");
	fact(v, "kind", L"exe");
	fact(v, "product", product);
	fact(v, "company", company);
	v->exe = path;
	const wchar_t *what = st_wprintf(st, L"%ls is a program (EXE): \"%ls\" %ls by \"%ls\".",
					 path, product[0] ? product : L"unnamed", version,
					 company[0] ? company : L"an unnamed company");
	if (manual)
		say(v, "ok", L"%ls You will run it yourself after uninstalling the old connector in "
		    L"Programs and Features.", what);
	else
		say(v, "blocked", L"%ls koffix installs only Windows Installer packages (.msi) "
		    L"itself: the switches that would run this program silently are not documented "
		    L"by its vendor, so koffix never runs it unattended. Choose \"I run the installer "
		    L"myself\" (method: manual), or give the connector's .msi.", what);
}

static void check_installer(struct step *st, struct verdict *v)
{
	const wchar_t *path = arg(st, "path");
	const char *method = json_str(st->args, "method");
	bool manual = method && !strcmp(method, "manual");
	if (!path || !path[0]) {
		say(v, "blocked", L"No installer was given.");
		return;
	}
	HANDLE h = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING,
			       FILE_ATTRIBUTE_NORMAL, NULL);
	if (h == INVALID_HANDLE_VALUE) {
		DWORD e = GetLastError();
		say(v, "blocked", L"The installer %ls cannot be opened: %ls. Check the path; a network "
		    L"path (\\\\server\\share\\...) needs the share to be reachable from this PC.",
		    path, win_text(e));
		return;
	}
	unsigned char head[8] = { 0 };
	DWORD got = 0;
	ReadFile(h, head, sizeof head, &got, NULL);
	CloseHandle(h);
	if (got >= 2 && head[0] == 'M' && head[1] == 'Z') {
		check_exe(st, v, path, manual);
		return;
	}
	static const unsigned char ole[8] = { 0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1 };
	if (got < 8 || memcmp(head, ole, 8)) {
		say(v, "blocked", L"%ls is neither a Windows Installer package (.msi) nor an installer "
		    L"program: it may be a web page or an archive saved under the wrong name. "
		    L"Download the connector's installer from your Kerio Connect server again.", path);
		return;
	}
	struct package p;
	wchar_t why[1024];
	if (msi_read_package(path, &p, why, 1024)) {
		say(v, "blocked", L"The installer %ls is not usable: %ls. Download it again.", path,
		    why);
		return;
	}
	fact(v, "kind", L"msi");
	fact(v, "product_code", p.product_code);
	fact(v, "upgrade_code", p.upgrade_code);
	fact(v, "version", p.version);
	fact(v, "platform", p.platform[0] ? p.platform : L"Intel");
	const wchar_t *want = arg(st, "product_name");
	if ((want && !wcontains(p.name, want)) || !any_maker(st, p.manufacturer)) {
		say(v, "blocked", L"%ls installs \"%ls\" by \"%ls\", not the Kerio Outlook Connector "
		    L"(by Kerio or GFI). Check that you picked the right file.", path, p.name,
		    p.manufacturer[0] ? p.manufacturer : L"an unnamed manufacturer");
		return;
	}
	const wchar_t *office = arg(st, "office_bitness");
	if (!office || !office[0])
		office = office_bitness_now();
	const wchar_t *bits = p.is_64 ? L"x64" : L"x86";
	if (office && wcscmp(office, bits)) {
		say(v, "blocked", L"%ls is the %ls connector (%ls), but Office here is %ls: Outlook only "
		    L"loads a connector of its own bitness. Get the %ls installer from your Kerio "
		    L"Connect server.", path, p.is_64 ? L"64-bit" : L"32-bit", bits,
		    !wcscmp(office, L"x64") ? L"64-bit" : L"32-bit",
		    !wcscmp(office, L"x64") ? L"64-bit" : L"32-bit");
		return;
	}
	struct product inst[4];
	int n = find_products(L"Kerio Outlook Connector", inst, 4);
	const wchar_t *code = n ? inst[0].code : L"", *version = n ? inst[0].version : L"";
	enum msi_strategy s = msi_strategy(&p, code, version, flag(st, "allow_downgrade"), why, 1024);
	static const wchar_t *const names[] = { L"fresh", L"same-product", L"major-upgrade",
						L"uninstall-first", L"refused" };
	fact(v, "strategy", names[s]);
	const wchar_t *head_line = st_wprintf(st, L"%ls is \"%ls\" %ls (%ls) by %ls.", path, p.name,
					      p.version, p.is_64 ? L"64-bit" : L"32-bit",
					      p.manufacturer);
	if (s == MSI_REFUSE) {
		say(v, "blocked", L"%ls %ls", head_line, why);
		return;
	}
	if (manual) {
		say(v, "ok", L"%ls You will install it yourself.", head_line);
		return;
	}
	if (s == MSI_UNINSTALL_FIRST) {
		wchar_t prev[AGENT_PATH];
		if (!msi_previous_package(arg(st, "previous_installer"), code, prev, AGENT_PATH)) {
			say(v, "blocked", L"%ls %ls If the new install then failed, the PC would be left "
			    L"without a connector, and koffix has no installer of the installed %ls "
			    L"(with its files) to put it back. Name that installer (previous "
			    L"installer), or reinstall by hand (method: manual).", head_line, why,
			    version);
			return;
		}
		say(v, "warning", L"%ls %ls If the new install fails, koffix puts %ls back from %ls.",
		    head_line, why, version, prev);
		return;
	}
	const wchar_t *named = arg(st, "previous_installer");
	wchar_t prev[AGENT_PATH];
	if (named && named[0] && code[0] && !msi_previous_package(named, code, prev, AGENT_PATH)) {
		say(v, "warning", L"%ls %ls The previous installer you named (%ls) is not the "
		    L"installed connector's package, so an undo could not use it.", head_line, why,
		    named);
		return;
	}
	say(v, "ok", L"%ls %ls", head_line, why);
}

/* ---- dispatch ---- */

static const struct {
	const char *kind;
	void (*fn)(struct step *st, struct verdict *v);
} kinds[] = {
	{ "processes", check_processes },
	{ "admin", check_admin },
	{ "pending-install", check_pending },
	{ "disk-space", check_disk },
	{ "product", check_product },
	{ "mapisvc", check_mapisvc },
	{ "key-free", check_key_free },
	{ "installer", check_installer },
};

static void one(const struct json *c)
{
	const char *id = json_str(c, "id"), *kind = json_str(c, "kind");
	const struct json *args = json_get(c, "args");
	struct step *st = xcalloc(1, sizeof *st);
	st->kind = kind ? kind : "";
	st->run = "";
	st->args = args && args->type == JSON_OBJECT ? args : NULL;
	static const struct json empty = { .type = JSON_OBJECT };
	if (!st->args)
		st->args = &empty;
	struct verdict v = { .state = NULL };
	bool known = false;
	for (size_t i = 0; kind && i < sizeof kinds / sizeof kinds[0]; i++) {
		if (!strcmp(kinds[i].kind, kind)) {
			kinds[i].fn(st, &v);
			known = true;
		}
	}
	if (kind && !strcmp(kind, "folder"))
		check_path(st, &v, true), known = true;
	if (kind && !strcmp(kind, "file"))
		check_path(st, &v, false), known = true;
	if (!known)
		say(&v, "blocked", L"This version of the agent does not know the check \"%hs\".",
		    kind ? kind : "(none)");
	if (!v.state)   /* a placeholder of the check could not be filled (fail() said why) */
		say(&v, "blocked", L"%ls", st->error[0] ? st->error : L"the check could not be made");
	struct sb b = { 0 };
	sb_add(&b, "{\"event\":\"check\",\"id\":");
	sb_jstr(&b, id ? id : "");
	sb_add(&b, ",\"state\":");
	sb_jstr(&b, v.state);
	sb_add(&b, ",\"reason\":");
	sb_jwstr(&b, v.reason);
	sb_addf(&b, ",\"facts\":{%s}", v.facts.p ? v.facts.p : "");
	if (v.exe) {
		sb_add(&b, ",\"exe\":");
		sb_jwstr(&b, v.exe);
	}
	sb_add(&b, "}");
	ev_emit(&b);
	sb_free(&b);
	sb_free(&v.facts);
	for (int i = 0; i < st->narena; i++)
		free(st->arena[i]);
	free(st);
}

int preflight(const struct json *checks)
{
	if (!checks || checks->type != JSON_ARRAY)
		return AGENT_R_BAD_REQUEST;
	for (const struct json *c = checks->child; c; c = c->next)
		if (c->type == JSON_OBJECT)
			one(c);
	return AGENT_R_OK;
}
