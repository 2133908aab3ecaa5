/* SPDX-License-Identifier: MIT */
/*
 * MAPISVC.INF: found as MFCMAPI finds it (beside Outlook's MAPI, through the qualified component
 * registered under HKLM\Software\Clients\Mail\Microsoft Outlook, else Office's folders, else the
 * Windows system folder), and the connector's entries restored in it: its [Services] line, its
 * message-service section and its provider sections, with the full path of kofmsp.dll (MAPI
 * inserts "32" at the first period itself, so the folder must have no period).
 *
 * Evidence only. The entries come from the installed package (the IniFile table of the package
 * Windows Installer keeps, whose tables are intact even though its files are stripped, or the
 * copy of MAPISVC.INF the package put in the connector's folder), else from the last backup that
 * had them. koffix never writes entries it made up: with no source, the step stops before
 * changing anything. Each DLL name keeps its own file name (a service's providers may name
 * different DLLs); only its folder becomes the connector's. The file is replaced atomically;
 * the previous one is kept in the run's backup folder.
 */
#include "agent.h"

#include <msi.h>
#include <msiquery.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#define INI_MAX (4u << 20)

static bool try_file(const wchar_t *dir, wchar_t *out, size_t n)
{
	if (!dir[0])
		return false;
	_snwprintf(out, n, L"%ls%lsMAPISVC.INF", dir, dir[wcslen(dir) - 1] == L'\\' ? L"" : L"\\");
	out[n - 1] = 0;
	return file_exists(out);
}

/* The directory part of path, in place. */
static void dirname_w(wchar_t *path)
{
	wchar_t *slash = wcsrchr(path, L'\\');
	if (slash)
		*slash = 0;
}

static bool from_component(REGSAM view, wchar_t *out, size_t n)
{
	HKEY h;
	if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"SOFTWARE\\Clients\\Mail\\Microsoft Outlook", 0,
			  KEY_READ | view, &h))
		return false;
	wchar_t comp[64];
	DWORD len = sizeof comp;
	bool found = false;
	if (RegGetValueW(h, NULL, L"MSIComponentID", RRF_RT_REG_SZ, NULL, comp, &len) == 0) {
		/* Qualifiers: the LCIDs named by MSIApplicationLCID / MSIOfficeLCID (a key and a
		 * value to read), then the user's UI language. */
		wchar_t quals[4][32];
		int nq = 0;
		static const wchar_t *const lcid_values[] = { L"MSIApplicationLCID", L"MSIOfficeLCID" };
		for (size_t i = 0; i < 2; i++) {
			wchar_t multi[512];
			DWORD ml = sizeof multi;
			if (RegGetValueW(h, NULL, lcid_values[i], RRF_RT_REG_MULTI_SZ, NULL, multi, &ml))
				continue;
			const wchar_t *key = multi, *val = key + wcslen(key) + 1;
			DWORD lcid = 0, ll = sizeof lcid;
			wchar_t ls[32];
			DWORD lsl = sizeof ls;
			if (!RegGetValueW(HKEY_LOCAL_MACHINE, key, val, RRF_RT_REG_DWORD |
					  RRF_SUBKEY_WOW6464KEY, NULL, &lcid, &ll))
				_snwprintf(quals[nq++], 32, L"%lu", (unsigned long)lcid);
			else if (!RegGetValueW(HKEY_LOCAL_MACHINE, key, val, RRF_RT_REG_SZ, NULL, ls, &lsl))
				_snwprintf(quals[nq++], 32, L"%ls", ls);
		}
		_snwprintf(quals[nq++], 32, L"%u", (unsigned)GetUserDefaultUILanguage());
		for (int q = 0; q < nq && !found; q++) {
			wchar_t mapi[AGENT_PATH];
			DWORD ml = AGENT_PATH;
			if (MsiProvideQualifiedComponentW(comp, quals[q], INSTALLMODE_EXISTING, mapi, &ml))
				continue;
			dirname_w(mapi);
			found = try_file(mapi, out, n);
		}
	}
	RegCloseKey(h);
	return found;
}

bool mapisvc_locate(const char *locate, const char *view, wchar_t *out, size_t n, wchar_t *how,
		    size_t hown)
{
	REGSAM sam = view && !strcmp(view, "32") ? KEY_WOW64_32KEY : KEY_WOW64_64KEY;
	bool c2r = !locate || strcmp(locate, "msi");
	bool msi = !locate || strcmp(locate, "c2r");
	if (from_component(sam, out, n)) {
		_snwprintf(how, hown, L"beside Outlook's MAPI, found through its Windows Installer "
			   L"component");
		return true;
	}
	wchar_t dir[AGENT_PATH];
	DWORD len = sizeof dir;
	if (c2r && !RegGetValueW(HKEY_LOCAL_MACHINE, L"SOFTWARE\\Microsoft\\Office\\ClickToRun\\"
				 L"Configuration", L"InstallationPath", RRF_RT_REG_SZ |
				 RRF_SUBKEY_WOW6464KEY, NULL, dir, &len)) {
		static const wchar_t *const roots[] = { L"root\\Office16", L"root\\Office15" };
		for (size_t i = 0; i < 2; i++) {
			wchar_t d[AGENT_PATH];
			_snwprintf(d, AGENT_PATH, L"%ls\\%ls", dir, roots[i]);
			d[AGENT_PATH - 1] = 0;
			if (try_file(d, out, n)) {
				_snwprintf(how, hown, L"beside Outlook's MAPI in the Click-to-Run folder");
				return true;
			}
		}
	}
	if (msi) {
		static const wchar_t *const vers[] = { L"16.0", L"15.0", L"14.0" };
		for (size_t i = 0; i < 3; i++) {
			wchar_t key[128];
			_snwprintf(key, 128, L"SOFTWARE\\Microsoft\\Office\\%ls\\Outlook\\InstallRoot",
				   vers[i]);
			key[127] = 0;
			len = sizeof dir;
			HKEY h;
			if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, key, 0, KEY_READ | sam, &h))
				continue;
			LSTATUS rc = RegGetValueW(h, NULL, L"Path", RRF_RT_REG_SZ, NULL, dir, &len);
			RegCloseKey(h);
			if (!rc && try_file(dir, out, n)) {
				_snwprintf(how, hown, L"beside Outlook in its Windows Installer folder");
				return true;
			}
		}
	}
	UINT got = sam == KEY_WOW64_32KEY ? GetSystemWow64DirectoryW(dir, AGENT_PATH) :
		   GetSystemDirectoryW(dir, AGENT_PATH);
	if (got && got < AGENT_PATH && try_file(dir, out, n)) {
		_snwprintf(how, hown, L"in the Windows system folder");
		return true;
	}
	_snwprintf(how, hown, L"looked beside Outlook's MAPI, in Office's folders and in the "
		   L"Windows system folder");
	return false;
}

/* ---- INI text ---- */

struct line {
	const char *p;
	size_t len;    /* without the line break */
};

struct ini {
	struct line *lines;
	size_t n;
};

static void ini_split(const char *text, struct ini *ini)
{
	size_t cap = 64;
	ini->lines = xmalloc(cap * sizeof *ini->lines);
	ini->n = 0;
	const char *p = text;
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		size_t l = len;
		if (l && p[l - 1] == '\r')
			l--;
		if (ini->n == cap) {
			cap *= 2;
			struct line *nl = realloc(ini->lines, cap * sizeof *nl);
			if (!nl)
				ExitProcess(AGENT_R_INTERNAL);
			ini->lines = nl;
		}
		ini->lines[ini->n++] = (struct line){ p, l };
		p += len + (e ? 1 : 0);
	}
}

/* The section name of a "[name]" line into out, else false. */
static bool section_of(const struct line *l, char *out, size_t n)
{
	size_t s = 0;
	while (s < l->len && (l->p[s] == ' ' || l->p[s] == '\t'))
		s++;
	if (s >= l->len || l->p[s] != '[')
		return false;
	const char *close = memchr(l->p + s, ']', l->len - s);
	if (!close)
		return false;
	size_t len = (size_t)(close - (l->p + s + 1));
	if (len >= n)
		len = n - 1;
	memcpy(out, l->p + s + 1, len);
	out[len] = 0;
	return true;
}

/* key=value of a line: key and value trimmed into k and v; false for other lines. */
static bool entry_of(const struct line *l, char *k, size_t kn, char *v, size_t vn)
{
	const char *eq = memchr(l->p, '=', l->len);
	if (!eq || l->p[0] == ';' || l->p[0] == '[')
		return false;
	const char *a = l->p, *b = eq;
	while (a < b && (*a == ' ' || *a == '\t'))
		a++;
	while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
		b--;
	snprintf(k, kn, "%.*s", (int)(b - a), a);
	a = eq + 1;
	b = l->p + l->len;
	while (a < b && (*a == ' ' || *a == '\t'))
		a++;
	while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
		b--;
	snprintf(v, vn, "%.*s", (int)(b - a), a);
	return true;
}

static bool icontains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++)
		if (!_strnicmp(hay, needle, n))
			return true;
	return false;
}

static bool dll_key_is(const char *k)
{
	return !_stricmp(k, "PR_SERVICE_DLL_NAME") || !_stricmp(k, "PR_PROVIDER_DLL_NAME");
}

/* Value of key in section, or NULL (into v). */
static bool ini_get(const struct ini *ini, const char *section, const char *key, char *v, size_t vn)
{
	char cur[256] = "", k[256];
	for (size_t i = 0; i < ini->n; i++) {
		if (section_of(&ini->lines[i], cur, sizeof cur))
			continue;
		if (!_stricmp(cur, section) && entry_of(&ini->lines[i], k, sizeof k, v, vn) &&
		    !_stricmp(k, key))
			return true;
	}
	return false;
}

#define MAX_SECTIONS 16

/* The connector's entries in a file: its [Services] line and the names of its sections. */
struct koff_entries {
	char service[256];       /* the [Services] key, which is also the service section name */
	char display[256];
	char sections[MAX_SECTIONS][256];
	int nsections;           /* the service section first, then providers and extra sections */
};

static void add_list(struct koff_entries *e, const char *list)
{
	char item[256];
	const char *p = list;
	while (*p && e->nsections < MAX_SECTIONS) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		const char *a = p, *b = p + len;
		while (a < b && *a == ' ')
			a++;
		while (b > a && b[-1] == ' ')
			b--;
		snprintf(item, sizeof item, "%.*s", (int)(b - a), a);
		bool dup = !item[0];
		for (int i = 0; i < e->nsections; i++)
			dup |= !_stricmp(e->sections[i], item);
		if (!dup)
			snprintf(e->sections[e->nsections++], 256, "%s", item);
		p += len + (comma ? 1 : 0);
	}
}

static bool find_koff(const struct ini *ini, struct koff_entries *e)
{
	memset(e, 0, sizeof *e);
	char cur[256] = "", k[256], v[1024];
	for (size_t i = 0; i < ini->n; i++) {
		if (section_of(&ini->lines[i], cur, sizeof cur))
			continue;
		if (_stricmp(cur, "Services") || !entry_of(&ini->lines[i], k, sizeof k, v, sizeof v))
			continue;
		char dll[1024];
		if (ini_get(ini, k, "PR_SERVICE_DLL_NAME", dll, sizeof dll) && icontains(dll, "kofmsp")) {
			snprintf(e->service, sizeof e->service, "%s", k);
			snprintf(e->display, sizeof e->display, "%s", v);
			add_list(e, k);
			char list[1024];
			if (ini_get(ini, k, "Providers", list, sizeof list))
				add_list(e, list);
			if (ini_get(ini, k, "Sections", list, sizeof list))
				add_list(e, list);
			return true;
		}
	}
	return false;
}

static bool is_koff_section(const struct koff_entries *e, const char *name)
{
	for (int i = 0; i < e->nsections; i++)
		if (!_stricmp(e->sections[i], name))
			return true;
	return false;
}

/* The text of the INI file at path when it lists the connector (heap), else NULL. */
static char *read_with_koff(const wchar_t *path)
{
	char *t;
	if (read_all(path, INI_MAX, &t, NULL))
		return NULL;
	struct ini ini;
	struct koff_entries e;
	ini_split(t, &ini);
	bool has = find_koff(&ini, &e);
	free(ini.lines);
	if (!has) {
		free(t);
		return NULL;
	}
	return t;
}

bool mapisvc_lists_connector(const wchar_t *path)
{
	char *t = read_with_koff(path);
	free(t);
	return t != NULL;
}

/* The newest MAPISVC.INF of an earlier run's backups that lists the connector (heap), or NULL. */
static char *last_backup(wchar_t *from, size_t n)
{
	wchar_t pat[AGENT_PATH];
	_snwprintf(pat, AGENT_PATH, L"%ls\\koffix\\backups\\*", local_appdata());
	pat[AGENT_PATH - 1] = 0;
	WIN32_FIND_DATAW fd;
	HANDLE h = FindFirstFileW(pat, &fd);
	if (h == INVALID_HANDLE_VALUE)
		return NULL;
	FILETIME best = { 0, 0 };
	char *text = NULL;
	do {
		if (!(fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) || fd.cFileName[0] == L'.')
			continue;
		wchar_t f[AGENT_PATH];
		_snwprintf(f, AGENT_PATH, L"%ls\\koffix\\backups\\%ls\\MAPISVC.INF", local_appdata(),
			   fd.cFileName);
		f[AGENT_PATH - 1] = 0;
		WIN32_FILE_ATTRIBUTE_DATA fa;
		if (!GetFileAttributesExW(f, GetFileExInfoStandard, &fa) ||
		    CompareFileTime(&fa.ftLastWriteTime, &best) <= 0)
			continue;
		char *t = read_with_koff(f);
		if (!t)
			continue;
		free(text);
		text = t;
		best = fa.ftLastWriteTime;
		_snwprintf(from, n, L"%ls", f);
	} while (FindNextFileW(h, &fd));
	FindClose(h);
	return text;
}

/* A file name of the IniFile table ("SHORT~1.INF|long.inf" or plain) is MAPISVC.INF. */
static bool is_mapisvc_name(const wchar_t *name)
{
	const wchar_t *bar = wcschr(name, L'|');
	return !_wcsicmp(bar ? bar + 1 : name, L"mapisvc.inf") || !_wcsicmp(name, L"mapisvc.inf") ||
	       (bar && !_wcsnicmp(name, L"mapisvc.inf", (size_t)(bar - name)));
}

/*
 * The connector's MAPISVC.INF lines from the IniFile table of its installed package (heap INI
 * text), or NULL. A value that still holds a Windows Installer property ("[INSTALLDIR]...") is
 * only taken in a DLL name, whose folder is replaced anyway; elsewhere it makes the table
 * unusable as evidence.
 */
static char *from_ini_table(const wchar_t *package)
{
	MSIHANDLE db = 0, view = 0, rec = 0;
	if (!package || !package[0] || MsiOpenDatabaseW(package, MSIDBOPEN_READONLY, &db))
		return NULL;
	struct sb out = { 0 };
	bool ok = true;
	char last[256] = "";
	if (!MsiDatabaseOpenViewW(db, L"SELECT `FileName`, `Section`, `Key`, `Value` FROM `IniFile`",
				  &view) && !MsiViewExecute(view, 0)) {
		while (MsiViewFetch(view, &rec) == ERROR_SUCCESS) {
			wchar_t file[256], sec[256], key[256], val[1024];
			DWORD l1 = 256, l2 = 256, l3 = 256, l4 = 1024;
			if (MsiRecordGetStringW(rec, 1, file, &l1) || !is_mapisvc_name(file) ||
			    MsiRecordGetStringW(rec, 2, sec, &l2) || MsiRecordGetStringW(rec, 3, key, &l3) ||
			    MsiRecordGetStringW(rec, 4, val, &l4)) {
				MsiCloseHandle(rec);
				continue;
			}
			char *us = w2u(sec), *uk = w2u(key), *uv = w2u(val);
			bool dll = dll_key_is(uk);
			if (!dll && strchr(uv, '['))
				ok = false;
			if (strcmp(last, us)) {
				sb_addf(&out, "%s[%s]\r\n", out.len ? "\r\n" : "", us);
				snprintf(last, sizeof last, "%s", us);
			}
			/* A DLL name keeps its file name; the merge gives it the connector's folder. */
			const char *v = uv;
			if (dll) {
				const char *cut = strrchr(uv, '\\');
				const char *br = strrchr(uv, ']');
				if (br && (!cut || br > cut))
					cut = br;
				v = cut ? cut + 1 : uv;
			}
			sb_addf(&out, "%s=%s\r\n", uk, v);
			free(us);
			free(uk);
			free(uv);
			MsiCloseHandle(rec);
		}
	}
	if (view)
		MsiCloseHandle(view);
	MsiCloseHandle(db);
	if (!ok || !out.p) {
		sb_free(&out);
		return NULL;
	}
	struct ini ini;
	struct koff_entries e;
	ini_split(out.p, &ini);
	bool has = find_koff(&ini, &e);
	free(ini.lines);
	if (!has) {
		sb_free(&out);
		return NULL;
	}
	return out.p;
}

char *mapisvc_evidence(const wchar_t *install_dir, const wchar_t *local_package, wchar_t *from,
		       size_t n, bool installed_only)
{
	char *t = from_ini_table(local_package);
	if (t) {
		_snwprintf(from, n, L"the connector's installed package (%ls, IniFile table)",
			   local_package);
		return t;
	}
	if (install_dir && install_dir[0]) {
		wchar_t path[AGENT_PATH];
		_snwprintf(path, AGENT_PATH, L"%ls\\mapisvc.inf", install_dir);
		path[AGENT_PATH - 1] = 0;
		t = read_with_koff(path);
		if (t) {
			_snwprintf(from, n, L"%ls (installed with the connector)", path);
			return t;
		}
	}
	if (installed_only)
		return NULL;
	return last_backup(from, n);
}



/* The merged text: target without any old connector entries, plus the source's, each DLL name
 * put into the folder dir with its own file name kept. */
static void merge(const struct ini *target, const struct ini *src, const struct koff_entries *e,
		  const char *dir, struct sb *out)
{
	char cur[256] = "", k[256], v[1024];
	bool in_koff = false, services_seen = false, added = false;
	/* Target lines: drop the connector's [Services] line and sections; add the new line at
	 * the end of [Services] (before its trailing blank lines). */
	for (size_t i = 0; i < target->n; i++) {
		const struct line *l = &target->lines[i];
		if (section_of(l, cur, sizeof cur)) {
			if (services_seen && !added) {
				sb_addf(out, "%s=%s\r\n\r\n", e->service, e->display);
				added = true;
			}
			in_koff = is_koff_section(e, cur);
			services_seen |= !_stricmp(cur, "Services");
			if (in_koff)
				continue;
		} else if (in_koff) {
			continue;
		} else if (!_stricmp(cur, "Services") && entry_of(l, k, sizeof k, v, sizeof v) &&
			   !_stricmp(k, e->service)) {
			continue;
		}
		if (!_stricmp(cur, "Services") && !added && l->len == 0) {
			/* A blank line inside [Services]: look ahead; the entry goes before the
			 * blank lines that end the section. */
			size_t j = i;
			while (j < target->n && target->lines[j].len == 0)
				j++;
			char next[256];
			if (j == target->n || section_of(&target->lines[j], next, sizeof next)) {
				sb_addf(out, "%s=%s\r\n", e->service, e->display);
				added = true;
			}
		}
		sb_addn(out, l->p, l->len);
		sb_add(out, "\r\n");
	}
	if (!services_seen) {
		/* No [Services] at all: a section of its own at the top. */
		struct sb head = { 0 };
		sb_addf(&head, "[Services]\r\n%s=%s\r\n\r\n", e->service, e->display);
		sb_addn(&head, out->p ? out->p : "", out->len);
		sb_free(out);
		*out = head;
	} else if (!added) {
		sb_addf(out, "%s=%s\r\n", e->service, e->display);
	}
	/* The connector's sections from the source, DLL names replaced by the full path. */
	for (int s = 0; s < e->nsections; s++) {
		bool copying = false;
		for (size_t i = 0; i < src->n; i++) {
			const struct line *l = &src->lines[i];
			if (section_of(l, cur, sizeof cur)) {
				copying = !_stricmp(cur, e->sections[s]);
				if (copying) {
					if (out->len >= 4 && memcmp(out->p + out->len - 4, "\r\n\r\n", 4))
						sb_add(out, "\r\n");
					sb_addf(out, "[%s]\r\n", cur);
				}
				continue;
			}
			if (!copying || l->len == 0)
				continue;
			if (entry_of(l, k, sizeof k, v, sizeof v) && dll_key_is(k)) {
				const char *base = strrchr(v, '\\');
				sb_addf(out, "%s=%s\\%s\r\n", k, dir, base ? base + 1 : v);
				continue;
			}
			sb_addn(out, l->p, l->len);
			sb_add(out, "\r\n");
		}
	}
}

/* "section|key|file\n" for each DLL name of the connector's sections in the source: what the
 * verification expects to read back, with the folder in front. */
static void expected_dlls(const struct ini *src, const struct koff_entries *e, struct sb *out)
{
	char cur[256] = "", k[256], v[1024];
	for (size_t i = 0; i < src->n; i++) {
		if (section_of(&src->lines[i], cur, sizeof cur))
			continue;
		if (!is_koff_section(e, cur) || !entry_of(&src->lines[i], k, sizeof k, v, sizeof v) ||
		    !dll_key_is(k))
			continue;
		const char *base = strrchr(v, '\\');
		sb_addf(out, "%s|%s|%s\n", cur, k, base ? base + 1 : v);
	}
}

int mapisvc_merge_run(struct step *st)
{
	const wchar_t *file = arg(st, "file"), *wdir = arg(st, "dll_dir");
	if (!file || !wdir)
		return -1;
	if (!wdir[0])
		return fail(st, AGENT_R_NOT_FOUND, 0, L"the connector's folder is not known (its "
			    L"entry in the list of installed programs names none): reinstall it");
	/* MAPI turns "dir\kofmsp.dll" into "dir\kofmsp32.dll" at the FIRST period. */
	wchar_t dir[AGENT_PATH];
	_snwprintf(dir, AGENT_PATH, L"%ls", wdir);
	dir[AGENT_PATH - 1] = 0;
	for (size_t len = wcslen(dir); len > 3 && dir[len - 1] == L'\\'; )
		dir[--len] = 0;
	if (wcschr(dir, L'.')) {
		wchar_t shortdir[AGENT_PATH];
		if (GetShortPathNameW(dir, shortdir, AGENT_PATH) && !wcschr(shortdir, L'.'))
			wcscpy(dir, shortdir);
		else
			return fail(st, AGENT_R_STEP_FAILED, 0, L"the connector's folder %ls has a period "
				    L"in its name, which MAPI cannot load a provider from: reinstall "
				    L"the connector into a folder without one", dir);
	}
	char *text;
	DWORD rc = read_all(file, INI_MAX, &text, NULL);
	if (rc)
		return fail(st, result_of(rc), rc, L"%ls cannot be read", file);
	wchar_t from[AGENT_PATH];
	char *src = mapisvc_evidence(ctx_get(st, "product.install_dir"),
				     ctx_get(st, "product.local_package"), from, AGENT_PATH, false);
	if (!src) {
		free(text);
		return fail(st, AGENT_R_NOT_FOUND, 0, L"No trustworthy copy of the connector's "
			    L"MAPISVC.INF entries exists on this PC (neither its installed package nor "
			    L"an earlier backup has them), and koffix never writes entries it made up. "
			    L"Nothing was changed: reinstall the connector instead (reinstall-koff).");
	}
	struct ini target, source;
	struct koff_entries e;
	ini_split(text, &target);
	ini_split(src, &source);
	find_koff(&source, &e);
	char adir[AGENT_PATH * 3];
	if (!WideCharToMultiByte(CP_ACP, 0, dir, -1, adir, sizeof adir, NULL, NULL))
		adir[0] = 0;
	struct sb out = { 0 }, expect = { 0 };
	merge(&target, &source, &e, adir, &out);
	expected_dlls(&source, &e, &expect);
	int ret = 0;
	if (out.len == strlen(text) && !memcmp(out.p, text, out.len)) {
		ev_output(st->n, L"%ls already lists the connector with its DLLs in %ls: unchanged.",
			  file, dir);
		st->skipped = true;
	} else {
		const wchar_t *prev = st_wprintf(st, L"%ls\\MAPISVC.INF.before-step%d", st->backups,
						 st->n);
		if (!file_exists(prev) && !CopyFileW(file, prev, TRUE))
			ret = fail(st, result_of(GetLastError()), GetLastError(), L"%ls could not be "
				   L"kept as %ls", file, prev);
		if (ret == 0) {
			ctx_set(st, "mapisvc.previous", prev);
			wcscpy(st->backup, prev);
			rc = write_atomic(file, out.p, out.len);
			if (rc)
				ret = fail(st, result_of(rc), rc, L"%ls could not be replaced", file);
		}
		if (ret == 0)
			ev_output(st->n, L"Restored the connector's entries ([Services] %hs and %d "
				  L"sections) in %ls, each DLL in %ls with its own file name, taken from "
				  L"%ls. The previous file is %ls.", e.service, e.nsections, file, dir,
				  from, prev);
	}
	if (ret == 0) {
		ctx_set(st, "mapisvc.dir", dir);
		wchar_t *w = u2w(expect.p ? expect.p : "");
		ctx_set(st, "mapisvc.expect", w);
		free(w);
		wchar_t *svc = u2w(e.service);
		ctx_set(st, "mapisvc.service", svc);
		free(svc);
	}
	sb_free(&out);
	sb_free(&expect);
	free(target.lines);
	free(source.lines);
	free(text);
	free(src);
	return ret;
}

int mapisvc_merge_verify(struct step *st)
{
	const wchar_t *file = arg(st, "file");
	const wchar_t *svc = ctx_get(st, "mapisvc.service"), *dir = ctx_get(st, "mapisvc.dir");
	const wchar_t *expect = ctx_get(st, "mapisvc.expect");
	if (!file || !svc || !dir || !expect)
		return fail(st, AGENT_R_VERIFY_FAILED, 0, L"the run recorded no merge");
	wchar_t v[AGENT_PATH];
	if (!GetPrivateProfileStringW(L"Services", svc, L"", v, AGENT_PATH, file))
		return fail(st, AGENT_R_VERIFY_FAILED, 0, L"%ls has no [Services] line %ls", file, svc);
	/* Each DLL name read back by another API than the one that wrote the file. */
	int n = 0;
	for (const wchar_t *p = expect; *p; ) {
		const wchar_t *nl = wcschr(p, L'\n');
		size_t len = nl ? (size_t)(nl - p) : wcslen(p);
		wchar_t line[1024];
		_snwprintf(line, 1024, L"%.*ls", (int)len, p);
		line[1023] = 0;
		p += len + (nl ? 1 : 0);
		wchar_t *k = wcschr(line, L'|'), *f = k ? wcschr(k + 1, L'|') : NULL;
		if (!f)
			continue;
		*k++ = 0;
		*f++ = 0;
		const wchar_t *want = st_wprintf(st, L"%ls\\%ls", dir, f);
		GetPrivateProfileStringW(line, k, L"", v, AGENT_PATH, file);
		if (_wcsicmp(v, want))
			return fail(st, AGENT_R_VERIFY_FAILED, 0, L"[%ls] %ls reads \"%ls\", not \"%ls\"",
				    line, k, v, want);
		n++;
	}
	return verified(st, L"%ls lists service %ls; its %d DLL names are in %ls, each with its own "
			L"file name", file, svc, n, dir);
}

int mapisvc_merge_undo(struct step *st)
{
	const wchar_t *file = arg(st, "file"), *prev = ctx_get(st, "mapisvc.previous");
	if (!file || !prev || !file_exists(prev)) {
		ev_output(st->n, L"Nothing to undo: MAPISVC.INF was not changed.");
		return 0;
	}
	char *text;
	size_t len;
	DWORD rc = read_all(prev, INI_MAX, &text, &len);
	if (rc == 0)
		rc = write_atomic(file, text, len);
	free(text);
	if (rc)
		return fail(st, result_of(rc), rc, L"%ls could not be put back from %ls", file, prev);
	wcscpy(st->backup, prev);
	ev_output(st->n, L"Put the previous MAPISVC.INF back (from %ls).", prev);
	return 0;
}
