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

/* ---- installer packages, read without installing ---- */

static bool prop(MSIHANDLE db, const wchar_t *name, wchar_t *out, DWORD n)
{
	MSIHANDLE view = 0, rec = 0, q = MsiCreateRecord(1);
	bool ok = false;
	out[0] = 0;
	MsiRecordSetStringW(q, 1, name);
	if (!MsiDatabaseOpenViewW(db, L"SELECT `Value` FROM `Property` WHERE `Property` = ?", &view) &&
	    !MsiViewExecute(view, q) && MsiViewFetch(view, &rec) == ERROR_SUCCESS) {
		DWORD len = n;
		ok = !MsiRecordGetStringW(rec, 1, out, &len);
		MsiCloseHandle(rec);
	}
	if (view)
		MsiCloseHandle(view);
	MsiCloseHandle(q);
	return ok;
}

/* Each embedded cabinet (Media.Cabinet "#name") must be whole: its header's size read back.
 * A download cut short loses the end of its last stream. */
static DWORD cabinets_whole(MSIHANDLE db, wchar_t *why, size_t whylen)
{
	MSIHANDLE media = 0, rec = 0;
	DWORD rc = 0;
	if (MsiDatabaseOpenViewW(db, L"SELECT `Cabinet` FROM `Media`", &media) ||
	    MsiViewExecute(media, 0))
		goto out;   /* no Media table: nothing embedded */
	while (!rc && MsiViewFetch(media, &rec) == ERROR_SUCCESS) {
		wchar_t cab[256];
		DWORD len = 256;
		if (MsiRecordGetStringW(rec, 1, cab, &len) || cab[0] != L'#') {
			MsiCloseHandle(rec);
			continue;
		}
		MSIHANDLE sv = 0, srec = 0, q = MsiCreateRecord(1);
		MsiRecordSetStringW(q, 1, cab + 1);
		rc = ERROR_INSTALL_PACKAGE_INVALID;
		if (!MsiDatabaseOpenViewW(db, L"SELECT `Data` FROM `_Streams` WHERE `Name` = ?", &sv) &&
		    !MsiViewExecute(sv, q) && MsiViewFetch(sv, &srec) == ERROR_SUCCESS) {
			char buf[65536];
			unsigned long long total = 0, declared = 0;
			for (;;) {
				DWORD got = sizeof buf;
				if (MsiRecordReadStream(srec, 1, buf, &got) || !got)
					break;
				if (total == 0 && got >= 12 && !memcmp(buf, "MSCF", 4))
					declared = (unsigned char)buf[8] | (unsigned)(unsigned char)buf[9] << 8 |
						   (unsigned)(unsigned char)buf[10] << 16 |
						   (unsigned long long)(unsigned char)buf[11] << 24;
				total += got;
			}
			if (declared && total == declared)
				rc = 0;
			else
				_snwprintf(why, whylen, L"its embedded cabinet %ls is damaged or cut short "
					   L"(%llu of %llu bytes): the download is incomplete", cab + 1,
					   total, declared);
			MsiCloseHandle(srec);
		} else {
			_snwprintf(why, whylen, L"its embedded cabinet %ls is missing: the package is "
				   L"incomplete", cab + 1);
		}
		if (sv)
			MsiCloseHandle(sv);
		MsiCloseHandle(q);
		MsiCloseHandle(rec);
	}
out:
	if (media)
		MsiCloseHandle(media);
	return rc;
}

DWORD msi_read_package(const wchar_t *path, struct package *p, wchar_t *why, size_t whylen)
{
	memset(p, 0, sizeof *p);
	why[0] = 0;
	WIN32_FILE_ATTRIBUTE_DATA fa;
	if (!GetFileAttributesExW(path, GetFileExInfoStandard, &fa)) {
		DWORD e = GetLastError();
		_snwprintf(why, whylen, L"it cannot be found or reached (%ls)", win_text(e));
		return e;
	}
	p->size = (unsigned long long)fa.nFileSizeHigh << 32 | fa.nFileSizeLow;
	MSIHANDLE db = 0, si = 0;
	UINT rc = MsiOpenDatabaseW(path, MSIDBOPEN_READONLY, &db);
	if (rc) {
		_snwprintf(why, whylen, L"it cannot be opened as a Windows Installer package: it is "
			   L"damaged, incomplete or not a package (%ls)", win_text(rc));
		return rc;
	}
	if (!MsiGetSummaryInformationW(db, NULL, 0, &si)) {
		UINT type = 0;
		DWORD len = 32;
		wchar_t tmpl[128];
		len = 128;
		if (!MsiSummaryInfoGetPropertyW(si, 7 /* PID_TEMPLATE */, &type, NULL, NULL, tmpl,
						&len)) {
			wchar_t *semi = wcschr(tmpl, L';');
			if (semi)
				*semi = 0;
			_snwprintf(p->platform, 32, L"%ls", tmpl);
		}
		MsiCloseHandle(si);
	}
	/* Template: x64, Intel64 (Itanium) and Arm64 are 64-bit; Intel or nothing is 32-bit. */
	p->is_64 = !_wcsicmp(p->platform, L"x64") || !_wcsicmp(p->platform, L"Intel64") ||
		   !_wcsicmp(p->platform, L"Arm64") || !_wcsicmp(p->platform, L"AMD64");
	bool ok = prop(db, L"ProductCode", p->product_code, 64) &&
		  prop(db, L"ProductName", p->name, 256) &&
		  prop(db, L"ProductVersion", p->version, 64);
	prop(db, L"Manufacturer", p->manufacturer, 256);
	prop(db, L"UpgradeCode", p->upgrade_code, 64);
	if (!ok) {
		_snwprintf(why, whylen, L"it has no product code, name or version: it is not a "
			   L"product installer (or it is damaged)");
		MsiCloseHandle(db);
		return ERROR_INSTALL_PACKAGE_INVALID;
	}
	MSIHANDLE view = 0, rec = 0;
	if (!MsiDatabaseOpenViewW(db, L"SELECT `UpgradeCode`, `VersionMin`, `VersionMax`, "
				  L"`Attributes` FROM `Upgrade`", &view) && !MsiViewExecute(view, 0)) {
		while (p->nupgrades < PKG_MAX_UPGRADES && MsiViewFetch(view, &rec) == ERROR_SUCCESS) {
			int attrs = MsiRecordGetInteger(rec, 4);
			if ((unsigned)attrs == (unsigned)MSI_NULL_INTEGER)
				attrs = 0;
			if (!(attrs & 2)) { /* msidbUpgradeAttributesOnlyDetect */
				DWORD l1 = 64, l2 = 64, l3 = 64;
				int k = p->nupgrades++;
				MsiRecordGetStringW(rec, 1, p->upgrades[k].code, &l1);
				MsiRecordGetStringW(rec, 2, p->upgrades[k].min, &l2);
				MsiRecordGetStringW(rec, 3, p->upgrades[k].max, &l3);
				p->upgrades[k].attributes = attrs;
			}
			MsiCloseHandle(rec);
		}
	}
	if (view)
		MsiCloseHandle(view);
	rc = cabinets_whole(db, why, whylen);
	MsiCloseHandle(db);
	return rc;
}

int msi_version_cmp(const wchar_t *a, const wchar_t *b)
{
	for (int i = 0; i < 3; i++) {
		unsigned long x = wcstoul(a, (wchar_t **)&a, 10), y = wcstoul(b, (wchar_t **)&b, 10);
		if (x != y)
			return x < y ? -1 : 1;
		if (*a == L'.')
			a++;
		if (*b == L'.')
			b++;
	}
	return 0;
}

/* Is product code registered with upgrade code (an installed member of that family)? */
static bool related(const wchar_t *upgrade, const wchar_t *code)
{
	if (!upgrade[0] || !code[0])
		return false;
	wchar_t found[39];
	for (DWORD i = 0; MsiEnumRelatedProductsW(upgrade, 0, i, found) == ERROR_SUCCESS; i++)
		if (!_wcsicmp(found, code))
			return true;
	return false;
}

static bool in_range(const wchar_t *v, const wchar_t *min, const wchar_t *max, int attrs)
{
	if (min[0]) {
		int c = msi_version_cmp(v, min);
		if (c < 0 || (c == 0 && !(attrs & 0x100)))   /* VersionMinInclusive */
			return false;
	}
	if (max[0]) {
		int c = msi_version_cmp(v, max);
		if (c > 0 || (c == 0 && !(attrs & 0x200)))   /* VersionMaxInclusive */
			return false;
	}
	return true;
}

enum msi_strategy msi_strategy(const struct package *p, const wchar_t *code,
			       const wchar_t *version, bool allow_downgrade, wchar_t *why,
			       size_t whylen)
{
	if (!code || !code[0]) {
		_snwprintf(why, whylen, L"No connector is installed, so it will be installed afresh.");
		return MSI_FRESH;
	}
	bool same = !_wcsicmp(p->product_code, code);
	if (!same && !related(p->upgrade_code, code)) {
		_snwprintf(why, whylen, L"It is not the same product as the installed connector "
			   L"(%ls): its upgrade code %ls is not the installed one's, so Windows "
			   L"Installer would treat them as two programs.", code,
			   p->upgrade_code[0] ? p->upgrade_code : L"(none)");
		return MSI_REFUSE;
	}
	int cmp = msi_version_cmp(p->version, version);
	if (cmp < 0 && !allow_downgrade) {
		_snwprintf(why, whylen, L"It is version %ls, older than the installed %ls. koffix "
			   L"does not go back to an older connector unless you ask for it "
			   L"(allow_downgrade).", p->version, version);
		return MSI_REFUSE;
	}
	if (cmp < 0) {
		_snwprintf(why, whylen, L"It is version %ls, older than the installed %ls, as you "
			   L"asked: Windows Installer cannot downgrade in place, so the installed one "
			   L"has to be uninstalled first.", p->version, version);
		return MSI_UNINSTALL_FIRST;
	}
	if (same) {
		_snwprintf(why, whylen, L"It is the installed product itself (version %ls over %ls): "
			   L"Windows Installer reinstalls it in place from this package, in one "
			   L"transaction.", p->version, version);
		return MSI_SAME_PRODUCT;
	}
	for (int i = 0; i < p->nupgrades; i++) {
		if (!_wcsicmp(p->upgrades[i].code, p->upgrade_code) &&
		    in_range(version, p->upgrades[i].min, p->upgrades[i].max,
			     p->upgrades[i].attributes)) {
			_snwprintf(why, whylen, L"Version %ls declares that it replaces the installed "
				   L"%ls: Windows Installer upgrades in place, in one transaction, and "
				   L"keeps the old connector if the upgrade fails.", p->version, version);
			return MSI_MAJOR_UPGRADE;
		}
	}
	_snwprintf(why, whylen, L"Version %ls does not declare that it replaces the installed %ls "
		   L"(no matching row in its Upgrade table), so the installed one has to be "
		   L"uninstalled first.", p->version, version);
	return MSI_UNINSTALL_FIRST;
}

/* The ProductCode of a package, or false. */
static bool package_code(const wchar_t *package, wchar_t *code, DWORD n);

bool msi_previous_package(const wchar_t *named, const wchar_t *code, wchar_t *out, size_t n)
{
	wchar_t pc[64];
	if (!code || !code[0])
		return false;
	if (named && named[0] && package_code(named, pc, 64) && !_wcsicmp(pc, code)) {
		_snwprintf(out, n, L"%ls", named);
		return true;
	}
	/* installer.msi kept by an earlier reinstall (with its files: the person's own copy). */
	wchar_t pat[AGENT_PATH];
	_snwprintf(pat, AGENT_PATH, L"%ls\\koffix\\backups\\*", local_appdata());
	pat[AGENT_PATH - 1] = 0;
	WIN32_FIND_DATAW fd;
	HANDLE h = FindFirstFileW(pat, &fd);
	bool found = false;
	if (h == INVALID_HANDLE_VALUE)
		return false;
	do {
		if (!(fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) || fd.cFileName[0] == L'.')
			continue;
		wchar_t f[AGENT_PATH];
		_snwprintf(f, AGENT_PATH, L"%ls\\koffix\\backups\\%ls\\installer.msi",
			   local_appdata(), fd.cFileName);
		f[AGENT_PATH - 1] = 0;
		if (file_exists(f) && package_code(f, pc, 64) && !_wcsicmp(pc, code)) {
			_snwprintf(out, n, L"%ls", f);
			found = true;
		}
	} while (!found && FindNextFileW(h, &fd));
	FindClose(h);
	return found;
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

static bool flag(struct step *st, const char *key)
{
	const struct json *v = json_get(st->args, key);
	return v && v->type == JSON_BOOL && v->boolean;
}

/* Installs package with properties, logged, into the step's output. */
static int install_logged(struct step *st, const wchar_t *package, const wchar_t *props,
			  const wchar_t *log, const wchar_t *what)
{
	quiet_and_logged(st, log);
	UINT rc = MsiInstallProductW(package, props);
	wcscpy(st->backup, log);
	return msi_result(st, rc, what, log);
}

static int uninstall_logged(struct step *st, const wchar_t *code, const wchar_t *log,
			    const wchar_t *what)
{
	quiet_and_logged(st, log);
	UINT rc = MsiConfigureProductExW(code, INSTALLLEVEL_DEFAULT, INSTALLSTATE_ABSENT,
					 L"REBOOT=ReallySuppress");
	wcscpy(st->backup, log);
	return msi_result(st, rc, what, log);
}

/*
 * How the package of the plan replaces the installed product: read again at run time (the
 * preflight said the same before the run; this guards against a change since).
 */
static enum msi_strategy strategy_now(struct step *st, const wchar_t *package, const wchar_t *code,
				      wchar_t *why, size_t n)
{
	struct package p;
	if (msi_read_package(package, &p, why, n)) {
		wchar_t reason[1024];
		_snwprintf(reason, 1024, L"the installer %ls: %ls", package, why);
		reason[1023] = 0;
		_snwprintf(why, n, L"%ls", reason);
		return MSI_REFUSE;
	}
	const wchar_t *version = ctx_get(st, "product.version");
	return msi_strategy(&p, code, version ? version : L"", flag(st, "allow_downgrade"), why, n);
}

static int uninstall_run(struct step *st)
{
	const wchar_t *code = arg(st, "product");
	if (!code)
		return -1;
	if (!code[0]) {
		ev_output(st->n, L"No connector is installed: nothing to uninstall.");
		ctx_set(st, "uninstall.skipped", L"1");
		st->skipped = true;
		return 0;
	}
	if (!guid_shaped(code))
		return fail(st, AGENT_R_NOT_FOUND, ERROR_UNKNOWN_PRODUCT, L"the connector is not a "
			    L"Windows Installer product here; uninstall it in Programs and Features");
	const wchar_t *log = log_path(st);
	if (!installed(code)) {
		ev_output(st->n, L"%ls is not installed: nothing to uninstall.", code);
		ctx_set(st, "uninstall.skipped", L"1");
		st->skipped = true;
		return 0;
	}
	const wchar_t *pkg = arg(st, "unless_upgrades");
	if (pkg && pkg[0]) {
		wchar_t why[1024];
		enum msi_strategy s = strategy_now(st, pkg, code, why, 1024);
		if (s == MSI_REFUSE)
			return fail(st, AGENT_R_STEP_FAILED, ERROR_INSTALL_PACKAGE_REJECTED, L"%ls Nothing "
				    L"was changed.", why);
		if (s != MSI_UNINSTALL_FIRST) {
			ctx_set(st, "uninstall.skipped", L"1");
			st->skipped = true;
			ev_output(st->n, L"Not needed: %ls The installed connector stays until the new "
				  L"one is in place.", why);
			return 0;
		}
		/* Only with a way back: the previous version's installer, with its files. */
		wchar_t prev[AGENT_PATH];
		if (!msi_previous_package(arg(st, "previous_installer"), code, prev, AGENT_PATH))
			return fail(st, AGENT_R_STEP_FAILED, 0, L"%ls koffix has no installer of the "
				    L"installed version to put it back if the new install failed, so it "
				    L"does not uninstall it. Nothing was changed.", why);
		ctx_set(st, "uninstall.previous", prev);
		ev_output(st->n, L"%ls The installer %ls can put the installed version back.", why,
			  prev);
	}
	ctx_set(st, "uninstalled.code", code);
	return uninstall_logged(st, code, log, st_wprintf(st, L"Uninstalling %ls", code));
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
	const wchar_t *props = L"REBOOT=ReallySuppress";
	const wchar_t *old = ctx_get(st, "product.code");
	if (flag(st, "upgrade")) {
		const wchar_t *now = installed(old) ? old : L"";
		wchar_t why[1024];
		enum msi_strategy s = strategy_now(st, package, now, why, 1024);
		if (s == MSI_REFUSE)
			return fail(st, AGENT_R_STEP_FAILED, ERROR_INSTALL_PACKAGE_REJECTED, L"%ls "
				    L"Nothing was changed.", why);
		if (s == MSI_UNINSTALL_FIRST)
			return fail(st, AGENT_R_STEP_FAILED, ERROR_PRODUCT_VERSION, L"%ls It is still "
				    L"installed, so installing now would put two connectors side by "
				    L"side. Nothing was changed.", why);
		if (s == MSI_SAME_PRODUCT)
			props = L"REINSTALL=ALL REINSTALLMODE=vomus REBOOT=ReallySuppress";
		ev_output(st->n, L"%ls", why);
	}
	ctx_set(st, "installed.code", code);
	if (!ctx_get(st, "installed.before"))
		ctx_set(st, "installed.before", installed(code) ? L"yes" : L"no");
	/* The product it replaced (a major upgrade removes it): undo must know. */
	if (old && old[0] && _wcsicmp(old, code) && installed(old) && !ctx_get(st, "installed.replaced"))
		ctx_set(st, "installed.replaced", old);
	const wchar_t *log = log_path(st);
	return install_logged(st, package, props, log,
			      st_wprintf(st, L"Installing %ls (%ls)", package, code));
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
		if (ctx_get(st, "uninstall.skipped"))
			return verified(st, L"not needed: the installed connector stays until the new "
					L"one replaces it");
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
	const wchar_t *replaced = ctx_get(st, "installed.replaced");
	if (!strcmp(st->kind, "msi-install") && replaced && installed(replaced))
		return fail(st, AGENT_R_VERIFY_FAILED, 0, L"the version it should have replaced "
			    L"(%ls) is still installed beside it", replaced);
	return check_installed_dll(st, code);
}

int msi_undo(struct step *st)
{
	if (!strcmp(st->kind, "msi-repair")) {
		ev_output(st->n, L"Nothing to undo: a repair puts back the package's own files, and "
			  L"Windows Installer rolls a failed repair back itself.");
		return 0;
	}
	const wchar_t *log = st_wprintf(st, L"%ls\\step%d-undo.log", st->backups, st->n);
	const wchar_t *ilog = st_wprintf(st, L"%ls\\step%d-undo-install.log", st->backups, st->n);
	if (!strcmp(st->kind, "msi-install")) {
		const wchar_t *code = ctx_get(st, "installed.code");
		const wchar_t *before = ctx_get(st, "installed.before");
		const wchar_t *replaced = ctx_get(st, "installed.replaced");
		const wchar_t *old = ctx_get(st, "product.code");
		if (!code || !installed(code)) {
			ev_output(st->n, L"Nothing to undo: this step left nothing installed (Windows "
				  L"Installer rolled a failed install back itself).");
			return 0;
		}
		/* What was there before this step: the replaced product, or the one a previous step
		 * uninstalled. Without its installer, removing the new one would leave none. */
		const wchar_t *prev_code = replaced ? replaced :
					   old && old[0] && _wcsicmp(old, code) ? old : NULL;
		bool same = before && !wcscmp(before, L"yes");
		if (!prev_code && !same) {
			return uninstall_logged(st, code, log, st_wprintf(st, L"Uninstalling the new %ls, "
						"which was not there before", code));
		}
		if (same)
			prev_code = code;
		wchar_t prev[AGENT_PATH];
		if (!msi_previous_package(arg(st, "previous_installer"), prev_code, prev, AGENT_PATH))
			return fail(st, AGENT_R_UNDO_FAILED, 0, L"The previous connector (%ls) can only "
				    L"come back from its own installer, which is not at hand; the new "
				    L"connector stays installed, so Outlook keeps a working one.",
				    prev_code);
		int rc = uninstall_logged(st, code, log, st_wprintf(st, L"Uninstalling %ls", code));
		if (rc)
			return rc;
		return install_logged(st, prev, L"REBOOT=ReallySuppress", ilog,
				      st_wprintf(st, L"Installing the previous connector from %ls", prev));
	}
	/* msi-uninstall: install the previous version again, from a package with its files. */
	const wchar_t *code = ctx_get(st, "uninstalled.code");
	if (!code || installed(code) || ctx_get(st, "uninstall.skipped")) {
		ev_output(st->n, L"Nothing to undo: the previous connector is installed.");
		return 0;
	}
	wchar_t prev[AGENT_PATH];
	const wchar_t *kept = ctx_get(st, "uninstall.previous");
	if (kept && file_exists(kept))
		_snwprintf(prev, AGENT_PATH, L"%ls", kept);
	else if (!msi_previous_package(arg(st, "previous_installer"), code, prev, AGENT_PATH))
		return fail(st, AGENT_R_NOT_FOUND, ERROR_FILE_NOT_FOUND, L"No installer of the "
			    L"previous connector (%ls) with its files is at hand (Windows' cached "
			    L"copy has none): install it from its installer by hand.", code);
	return install_logged(st, prev, L"REBOOT=ReallySuppress", ilog,
			      st_wprintf(st, L"Installing the previous connector %ls again from %ls",
					 code, prev));
}
