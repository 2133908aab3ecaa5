/* SPDX-License-Identifier: MIT */
/*
 * Windows Installer: finding the connector by its display name (never by a hard-coded product
 * code, which changes with every release), and uninstall, install and repair through the Msi*
 * API with no UI and a verbose log in the run's backup folder.
 */
#include "agent.h"

#include <msi.h>
#include <msiquery.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#define UNINSTALL L"SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall"
#define DLL_NAME L"KofMsp32.dll"

const wchar_t *msi_explain(UINT rc)
{
	switch (rc) {
	case 0:
		return L"Windows Installer finished successfully";
	case 1602:
		return L"the installation was cancelled";
	case 1603:
		return L"Windows Installer hit a fatal error during the installation: the verbose log "
		       L"in the backup folder names the action that failed (search it for \"value 3\")";
	case 1605:
		return L"this product is not installed (nothing to change)";
	case 1612:
		return L"the installation source of this product is not available (the original "
		       L"installer is gone): install the connector from its installer instead of "
		       L"repairing it";
	case 1618:
		return L"another installation is already in progress: wait until it ends (or restart "
		       L"Windows) and try again";
	case 1619:
		return L"the installer package cannot be opened: check the path and that the file is "
		       L"a complete download";
	case 1620:
		return L"the installer package is not a valid Windows Installer package";
	case 1625:
	case 1925:
		return L"the installation needs administrator rights";
	case 1638:
		return L"another version of this product is already installed: uninstall it first "
		       L"(Programs and Features)";
	case 1641:
		return L"done; Windows Installer started a restart to finish";
	case 3010:
		return L"done; restart Windows to finish";
	default:
		return L"Windows Installer reported an error (see the verbose log)";
	}
}

/* ---- finding the product ---- */

static bool reg_string(HKEY h, const wchar_t *name, wchar_t *out, DWORD n)
{
	DWORD len = n * sizeof *out;
	out[0] = 0;
	return RegGetValueW(h, NULL, name, RRF_RT_REG_SZ | RRF_RT_REG_EXPAND_SZ | RRF_NOEXPAND, NULL, out, &len) ==
	       ERROR_SUCCESS;
}

static bool guid_shaped(const wchar_t *s)
{
	return wcslen(s) == 38 && s[0] == L'{' && s[37] == L'}';
}

/* The full path of the connector's KofMsp32.dll as Windows Installer placed it: the component
 * whose file it is, from the cached package, then the component's path. */
static bool component_dll(const wchar_t *code, const wchar_t *package, wchar_t *out, DWORD n)
{
	MSIHANDLE db = 0, view = 0, rec = 0;
	bool found = false;
	if (!package[0] || MsiOpenDatabaseW(package, MSIDBOPEN_READONLY, &db))
		return false;
	if (MsiDatabaseOpenViewW(db, L"SELECT `File`.`FileName`, `Component`.`ComponentId` FROM "
				 L"`File`, `Component` WHERE `File`.`Component_` = "
				 L"`Component`.`Component`", &view) || MsiViewExecute(view, 0))
		goto out;
	while (!found && MsiViewFetch(view, &rec) == ERROR_SUCCESS) {
		wchar_t file[256], comp[64];
		DWORD fl = 256, cl = 64;
		if (!MsiRecordGetStringW(rec, 1, file, &fl) && !MsiRecordGetStringW(rec, 2, comp, &cl)) {
			const wchar_t *longname = wcschr(file, L'|');
			if (!_wcsicmp(longname ? longname + 1 : file, DLL_NAME)) {
				DWORD len = n;
				INSTALLSTATE s = MsiGetComponentPathW(code, comp, out, &len);
				found = (s == INSTALLSTATE_LOCAL || s == INSTALLSTATE_ABSENT ||
					 s == INSTALLSTATE_SOURCE) && out[0];
			}
		}
		MsiCloseHandle(rec);
	}
out:
	if (view)
		MsiCloseHandle(view);
	MsiCloseHandle(db);
	return found;
}

static void fill_product(struct product *p, HKEY h, const wchar_t *sub)
{
	reg_string(h, L"DisplayName", p->name, 256);
	reg_string(h, L"DisplayVersion", p->version, 64);
	reg_string(h, L"InstallLocation", p->install_dir, AGENT_PATH);
	if (guid_shaped(sub) && MsiQueryProductStateW(sub) != INSTALLSTATE_UNKNOWN)
		wcscpy(p->code, sub);
	if (p->code[0]) {
		DWORD len = AGENT_PATH;
		if (MsiGetProductInfoW(p->code, L"LocalPackage", p->local_package, &len))
			p->local_package[0] = 0;
	}
	wchar_t dll[AGENT_PATH];
	if (p->code[0] && component_dll(p->code, p->local_package, dll, AGENT_PATH)) {
		wcscpy(p->dll, dll);
		if (!p->install_dir[0]) {
			wcscpy(p->install_dir, dll);
			wchar_t *slash = wcsrchr(p->install_dir, L'\\');
			if (slash)
				*slash = 0;
		}
	}
	size_t n = wcslen(p->install_dir);
	while (n && p->install_dir[n - 1] == L'\\')
		p->install_dir[--n] = 0;
	if (!p->dll[0] && p->install_dir[0])
		_snwprintf(p->dll, AGENT_PATH, L"%ls\\" DLL_NAME, p->install_dir);
}

int find_products(const wchar_t *name, struct product *out, int max)
{
	static const struct {
		HKEY root;
		const wchar_t *root_name, *view_name;
		REGSAM view;
	} views[] = {
		{ HKEY_LOCAL_MACHINE, L"HKLM", L"64", KEY_WOW64_64KEY },
		{ HKEY_LOCAL_MACHINE, L"HKLM", L"32", KEY_WOW64_32KEY },
		{ HKEY_CURRENT_USER, L"HKCU", L"64", KEY_WOW64_64KEY },
	};
	int n = 0;
	for (size_t v = 0; v < sizeof views / sizeof views[0]; v++) {
		HKEY list;
		if (RegOpenKeyExW(views[v].root, UNINSTALL, 0, KEY_READ | views[v].view, &list))
			continue;
		wchar_t sub[256];
		for (DWORD i = 0; n < max; i++) {
			DWORD len = 256;
			if (RegEnumKeyExW(list, i, sub, &len, NULL, NULL, NULL, NULL))
				break;
			HKEY h;
			if (RegOpenKeyExW(list, sub, 0, KEY_READ | views[v].view, &h))
				continue;
			wchar_t display[256];
			if (reg_string(h, L"DisplayName", display, 256) && wcontains(display, name)) {
				struct product p = { 0 };
				fill_product(&p, h, sub);
				_snwprintf(p.key, AGENT_PATH, L"%ls\\%ls\\%ls", views[v].root_name,
					   views[v].root == HKEY_CURRENT_USER ?
					   L"Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall" :
					   UNINSTALL, sub);
				wcscpy(p.view, views[v].view_name);
				/* The same product seen through both views is one product. */
				bool dup = false;
				for (int k = 0; k < n; k++)
					dup |= p.code[0] && !wcscmp(out[k].code, p.code);
				if (!dup)
					out[n++] = p;
			}
			RegCloseKey(h);
		}
		RegCloseKey(list);
	}
	return n;
}

/* ---- install, uninstall, repair ---- */

/*
 * Progress for the person watching: Windows Installer names each action as it starts
 * ("Action 12:34:56: InstallFiles. Copying new files"); the agent passes the long-running ones
 * on as output events, at most one a second and never the same twice in a row, so that the
 * page shows what an install of a minute is doing.
 */
struct progress {
	int step;
	DWORD last_tick;
	wchar_t last[160];
};

static INT CALLBACK on_msi_message(LPVOID ctx, UINT type, LPCWSTR message)
{
	struct progress *p = ctx;
	if ((type & 0xff000000u) != INSTALLMESSAGE_ACTIONSTART || !message)
		return 0;
	/* "Action hh:mm:ss: Name. Description": keep "Description (Name)". */
	const wchar_t *name = wcsstr(message, L": ");
	name = name ? name + 2 : message;
	const wchar_t *dot = wcsstr(name, L". ");
	wchar_t text[160];
	if (dot && dot[2])
		_snwprintf(text, 159, L"%ls (%.*ls)", dot + 2, (int)(dot - name), name);
	else
		_snwprintf(text, 159, L"%ls", name);
	text[159] = L'\0';
	/* An action without a description ends in ". ": keep its name only. */
	size_t len = wcslen(text);
	while (len && (text[len - 1] == L' ' || text[len - 1] == L'.'))
		text[--len] = L'\0';
	if (!len)
		return 0;
	DWORD now = GetTickCount();
	if (!wcscmp(text, p->last) || (p->last_tick && now - p->last_tick < 1000))
		return 0;
	p->last_tick = now;
	wcscpy(p->last, text);
	ev_output(p->step, L"Windows Installer: %ls", text);
	return 0; /* not handled: the installer goes on as it would */
}

static struct progress msi_progress;

static void quiet_and_logged(struct step *st, const wchar_t *log)
{
	MsiSetInternalUI(INSTALLUILEVEL_NONE, NULL);
	memset(&msi_progress, 0, sizeof msi_progress);
	msi_progress.step = st->n;
	MsiSetExternalUIW(on_msi_message, INSTALLLOGMODE_ACTIONSTART, &msi_progress);
	if (log)
		MsiEnableLogW(INSTALLLOGMODE_FATALEXIT | INSTALLLOGMODE_ERROR | INSTALLLOGMODE_WARNING |
			      INSTALLLOGMODE_USER | INSTALLLOGMODE_INFO | INSTALLLOGMODE_RESOLVESOURCE |
			      INSTALLLOGMODE_OUTOFDISKSPACE | INSTALLLOGMODE_ACTIONSTART |
			      INSTALLLOGMODE_ACTIONDATA | INSTALLLOGMODE_COMMONDATA |
			      INSTALLLOGMODE_PROPERTYDUMP | INSTALLLOGMODE_VERBOSE, log,
			      INSTALLLOGATTRIBUTES_FLUSHEACHLINE);
	(void)st;
}

static const wchar_t *log_path(struct step *st)
{
	const wchar_t *name = arg(st, "log");
	if (!name || wcschr(name, L'\\') || wcschr(name, L'/') || wcsstr(name, L".."))
		name = st_wprintf(st, L"step%d-msi.log", st->n);
	return st_wprintf(st, L"%ls\\%ls", st->backups, name);
}

/* 0 for success (restart notes become output), else the failure is recorded. */
static int msi_result(struct step *st, UINT rc, const wchar_t *what, const wchar_t *log)
{
	if (rc == 0 || rc == ERROR_SUCCESS_REBOOT_REQUIRED || rc == ERROR_SUCCESS_REBOOT_INITIATED) {
		ev_output(st->n, L"%ls: %ls (%u). Log: %ls", what, msi_explain(rc), rc, log);
		return 0;
	}
	int result = rc == ERROR_INSTALL_ALREADY_RUNNING ? AGENT_R_BUSY :
		     rc == ERROR_UNKNOWN_PRODUCT ? AGENT_R_NOT_FOUND :
		     rc == 1625 || rc == 1925 ? AGENT_R_ACCESS : AGENT_R_STEP_FAILED;
	return fail(st, result, rc, L"%ls: %ls. Log: %ls", what, msi_explain(rc), log);
}

/* The ProductCode a package installs, from its Property table. */
static bool package_code(const wchar_t *package, wchar_t *code, DWORD n)
{
	MSIHANDLE db = 0, view = 0, rec = 0;
	bool ok = false;
	code[0] = 0;
	if (MsiOpenDatabaseW(package, MSIDBOPEN_READONLY, &db))
		return false;
	if (!MsiDatabaseOpenViewW(db, L"SELECT `Value` FROM `Property` WHERE `Property` = "
				  L"'ProductCode'", &view) && !MsiViewExecute(view, 0) &&
	    MsiViewFetch(view, &rec) == ERROR_SUCCESS) {
		ok = !MsiRecordGetStringW(rec, 1, code, &n) && guid_shaped(code);
		MsiCloseHandle(rec);
	}
	if (view)
		MsiCloseHandle(view);
	MsiCloseHandle(db);
	return ok;
}

static bool installed(const wchar_t *code)
{
	return code && code[0] && MsiQueryProductStateW(code) == INSTALLSTATE_DEFAULT;
}

static int uninstall_run(struct step *st)
{
	const wchar_t *code = arg(st, "product");
	if (!code)
		return -1;
	if (!guid_shaped(code))
		return fail(st, AGENT_R_NOT_FOUND, ERROR_UNKNOWN_PRODUCT, L"the connector is not a "
			    L"Windows Installer product here; uninstall it in Programs and Features");
	const wchar_t *log = log_path(st);
	if (!installed(code)) {
		ev_output(st->n, L"%ls is not installed: nothing to uninstall.", code);
		return 0;
	}
	ctx_set(st, "uninstalled.code", code);
	quiet_and_logged(st, log);
	UINT rc = MsiConfigureProductExW(code, INSTALLLEVEL_DEFAULT, INSTALLSTATE_ABSENT,
					 L"REBOOT=ReallySuppress");
	wcscpy(st->backup, log);
	return msi_result(st, rc, st_wprintf(st, L"Uninstalling %ls", code), log);
}

static int install_run(struct step *st)
{
	const wchar_t *package = arg(st, "package");
	if (!package || !package[0])
		return fail(st, AGENT_R_BAD_REQUEST, 0, L"msi-install needs the installer package");
	if (!file_exists(package))
		return fail(st, AGENT_R_NOT_FOUND, ERROR_FILE_NOT_FOUND, L"the installer %ls is not "
			    L"there", package);
	wchar_t code[64];
	if (!package_code(package, code, 64))
		return fail(st, AGENT_R_STEP_FAILED, ERROR_INSTALL_PACKAGE_INVALID, L"%ls is not a "
			    L"Windows Installer package", package);
	ctx_set(st, "installed.code", code);
	if (!ctx_get(st, "installed.before"))
		ctx_set(st, "installed.before", installed(code) ? L"yes" : L"no");
	const wchar_t *log = log_path(st);
	quiet_and_logged(st, log);
	UINT rc = MsiInstallProductW(package, L"REBOOT=ReallySuppress");
	wcscpy(st->backup, log);
	return msi_result(st, rc, st_wprintf(st, L"Installing %ls (%ls)", package, code), log);
}

static int repair_run(struct step *st)
{
	const wchar_t *code = arg(st, "product");
	if (!code)
		return -1;
	if (!installed(code))
		return fail(st, AGENT_R_NOT_FOUND, ERROR_UNKNOWN_PRODUCT, L"%ls is not installed: "
			    L"reinstall the connector instead of repairing it", code);
	const wchar_t *log = log_path(st);
	quiet_and_logged(st, log);
	/* "omus": files older or missing, machine and user registry data, shortcuts. */
	UINT rc = MsiReinstallProductW(code, REINSTALLMODE_FILEOLDERVERSION |
				       REINSTALLMODE_MACHINEDATA | REINSTALLMODE_USERDATA |
				       REINSTALLMODE_SHORTCUT);
	wcscpy(st->backup, log);
	return msi_result(st, rc, st_wprintf(st, L"Repairing %ls", code), log);
}

int msi_run(struct step *st)
{
	if (!strcmp(st->kind, "msi-uninstall"))
		return uninstall_run(st);
	if (!strcmp(st->kind, "msi-install"))
		return install_run(st);
	return repair_run(st);
}

/* The installed product's KofMsp32.dll, checked against the expected PE machine. */
static int check_installed_dll(struct step *st, const wchar_t *code)
{
	wchar_t package[AGENT_PATH], dll[AGENT_PATH];
	DWORD len = AGENT_PATH;
	if (MsiGetProductInfoW(code, L"LocalPackage", package, &len))
		package[0] = 0;
	if (!component_dll(code, package, dll, AGENT_PATH))
		return verified(st, L"Windows Installer reports %ls installed", code);
	if (!file_exists(dll))
		return fail(st, AGENT_R_VERIFY_FAILED, ERROR_FILE_NOT_FOUND, L"%ls is installed but "
			    L"%ls is missing", code, dll);
	WORD m = pe_machine(dll);
	const wchar_t *want = arg(st, "expect_machine");
	if (want && wcscmp(want, machine_name(m)))
		return fail(st, AGENT_R_VERIFY_FAILED, 0, L"%ls is built for %ls but Office is %ls: "
			    L"install the connector build for %ls", dll, machine_name(m), want, want);
	return verified(st, L"Windows Installer reports %ls installed; %ls is there (%ls)", code,
			dll, machine_name(m));
}

int msi_verify(struct step *st)
{
	if (!strcmp(st->kind, "msi-uninstall")) {
		const wchar_t *code = arg(st, "product");
		if (!code)
			return -1;
		INSTALLSTATE s = MsiQueryProductStateW(code);
		if (s == INSTALLSTATE_DEFAULT)
			return fail(st, AGENT_R_VERIFY_FAILED, 0, L"%ls is still installed", code);
		return verified(st, L"Windows Installer reports %ls not installed (state %d)", code,
				(int)s);
	}
	const wchar_t *code = !strcmp(st->kind, "msi-install") ? ctx_get(st, "installed.code") :
			      arg(st, "product");
	if (!code)
		return fail(st, AGENT_R_VERIFY_FAILED, 0, L"the run recorded no product code");
	if (!installed(code))
		return fail(st, AGENT_R_VERIFY_FAILED, 0, L"Windows Installer does not report %ls "
			    L"installed", code);
	return check_installed_dll(st, code);
}

int msi_undo(struct step *st)
{
	if (!strcmp(st->kind, "msi-repair")) {
		ev_output(st->n, L"Nothing to undo: a repair puts back the package's own files.");
		return 0;
	}
	const wchar_t *log = st_wprintf(st, L"%ls\\step%d-undo.log", st->backups, st->n);
	if (!strcmp(st->kind, "msi-install")) {
		const wchar_t *code = ctx_get(st, "installed.code");
		const wchar_t *before = ctx_get(st, "installed.before");
		if (!code || !installed(code) || (before && !wcscmp(before, L"yes"))) {
			ev_output(st->n, L"Nothing to undo: this step installed nothing that is still "
				  L"there.");
			return 0;
		}
		quiet_and_logged(st, log);
		UINT rc = MsiConfigureProductExW(code, INSTALLLEVEL_DEFAULT, INSTALLSTATE_ABSENT,
						 L"REBOOT=ReallySuppress");
		wcscpy(st->backup, log);
		return msi_result(st, rc, st_wprintf(st, L"Uninstalling the new %ls", code), log);
	}
	/* msi-uninstall: install the saved previous package again. */
	const wchar_t *code = ctx_get(st, "uninstalled.code");
	if (!code || installed(code)) {
		ev_output(st->n, L"Nothing to undo: the previous connector is installed.");
		return 0;
	}
	const wchar_t *package = st_wprintf(st, L"%ls\\previous-connector.msi", st->backups);
	if (!file_exists(package))
		return fail(st, AGENT_R_NOT_FOUND, ERROR_FILE_NOT_FOUND, L"the previous installer was "
			    L"not saved (%ls): install the previous connector by hand", package);
	quiet_and_logged(st, log);
	UINT rc = MsiInstallProductW(package, L"REBOOT=ReallySuppress");
	wcscpy(st->backup, log);
	return msi_result(st, rc, st_wprintf(st, L"Installing the previous connector %ls again",
					     code), log);
}
