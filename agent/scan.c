/* SPDX-License-Identifier: MIT */
/*
 * The scan: everything detection reads and more, read only, each part a named source that says
 * whether it could be read. Events:
 *   {"event":"source","name":N,"available":true|false,"detail":"..."}   one per source
 *   {"event":"evtxml","log":"application"|"defender","xml":"<Event ...>"}   as Windows renders
 *   {"event":"scanned","computer":...,"user":...,"facts":{...}}   last before the result
 * koffix parses the events and applies the rules (scan/); the agent only reads. A source the
 * PC cannot give (Wine has no event log) is "available": false with the reason, never an empty
 * success.
 */
#include "agent.h"

#include <sddl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <winevt.h>
#include <wtsapi32.h>

#define EVENTS_MAX 200            /* per log, newest first */
#define EVENT_XML_MAX (64 * 1024)
#define DAYS_DEFAULT 30

/* How the facts name the hive they read: HKCU, or HKEY_USERS\SID for a scan as SYSTEM. */
static wchar_t hive_label[224] = L"HKCU";

static void source(const char *name, bool available, const wchar_t *fmt, ...)
{
	wchar_t detail[1024];
	va_list ap;
	va_start(ap, fmt);
	_vsnwprintf(detail, 1024, fmt, ap);
	va_end(ap);
	detail[1023] = 0;
	struct sb b = { 0 };
	sb_add(&b, "{\"event\":\"source\",\"name\":");
	sb_jstr(&b, name);
	sb_addf(&b, ",\"available\":%s,\"detail\":", available ? "true" : "false");
	sb_jwstr(&b, detail);
	sb_add(&b, "}");
	ev_emit(&b);
	sb_free(&b);
}

static void add_bool(struct sb *b, const char *key, bool v)
{
	json_add_raw(b, key, v ? "true" : "false");
}

static void add_num(struct sb *b, const char *key, unsigned long long v)
{
	char n[32];
	snprintf(n, sizeof n, "%llu", v);
	json_add_raw(b, key, n);
}

/* Closes an object built in inner and adds it to outer as key. */
static void add_object(struct sb *outer, const char *key, struct sb *inner)
{
	struct sb o = { 0 };
	sb_add(&o, "{");
	sb_add(&o, inner->p ? inner->p : "");
	sb_add(&o, "}");
	json_add_raw(outer, key, o.p);
	sb_free(&o);
	sb_free(inner);
}

/* ---- profiles: every profile's message services and the DLL each names ---- */

/* A profile section's string property stored as a UTF-16 (001f) or ANSI (001e) value. */
static bool prop(HKEY section, const wchar_t *tag, wchar_t *out, size_t n)
{
	wchar_t name[16];
	BYTE data[2048];
	for (int unicode = 1; unicode >= 0; unicode--) {
		_snwprintf(name, 16, L"%ls%ls", unicode ? L"001f" : L"001e", tag);
		DWORD len = sizeof data - 2, type = 0;
		if (RegQueryValueExW(section, name, NULL, &type, data, &len))
			continue;
		data[len] = data[len + 1] = 0;
		if (unicode) {
			_snwprintf(out, n, L"%ls", (const wchar_t *)data);
		} else {
			wchar_t *w = u2w((const char *)data);
			_snwprintf(out, n, L"%ls", w);
			free(w);
		}
		out[n - 1] = 0;
		return true;
	}
	return false;
}

static void profiles(struct sb *facts, const wchar_t *office_key)
{
	wchar_t key[256], dkey[256], dflt[256] = L"";
	if (!office_key[0] || !wcscmp(office_key, L"14.0")) {
		wcscpy(key, L"Software\\Microsoft\\Windows NT\\CurrentVersion\\Windows Messaging "
			    L"Subsystem\\Profiles");
		wcscpy(dkey, key);
	} else {
		_snwprintf(key, 256, L"Software\\Microsoft\\Office\\%ls\\Outlook\\Profiles", office_key);
		_snwprintf(dkey, 256, L"Software\\Microsoft\\Office\\%ls\\Outlook", office_key);
	}
	reg_get_sz(user_hive(), dkey, L"DefaultProfile", KEY_WOW64_64KEY, dflt, 256);
	HKEY h;
	LSTATUS rc = RegOpenKeyExW(user_hive(), key, 0, KEY_READ, &h);
	struct sb list = { 0 }, o = { 0 };
	int nprof = 0, nkerio = 0;
	if (rc == 0) {
		wchar_t name[256];
		for (DWORD i = 0; nprof < 64; i++) {
			DWORD nl = 256;
			if (RegEnumKeyExW(h, i, name, &nl, NULL, NULL, NULL, NULL))
				break;
			HKEY p;
			struct sb services = { 0 };
			bool kerio = false;
			if (RegOpenKeyExW(h, name, 0, KEY_READ, &p) == 0) {
				wchar_t sec[256];
				for (DWORD j = 0; j < 512; j++) {
					DWORD sl = 256;
					if (RegEnumKeyExW(p, j, sec, &sl, NULL, NULL, NULL, NULL))
						break;
					HKEY s;
					if (RegOpenKeyExW(p, sec, 0, KEY_READ, &s))
						continue;
					wchar_t dll[AGENT_PATH], disp[256] = L"";
					/* 3d0a: PR_SERVICE_DLL_NAME (a service); 300a: PR_PROVIDER_DLL_NAME. */
					bool svc = prop(s, L"3d0a", dll, AGENT_PATH);
					if (svc || prop(s, L"300a", dll, AGENT_PATH)) {
						prop(s, L"3001", disp, 256);
						bool k = wcontains(dll, L"kofmsp");
						kerio |= k;
						struct sb e = { 0 };
						json_add_str(&e, "section", sec);
						json_add_str(&e, "kind", svc ? L"service" : L"provider");
						json_add_str(&e, "name", disp);
						json_add_str(&e, "dll", dll);
						add_bool(&e, "kerio", k);
						sb_add(&services, services.len ? ",{" : "{");
						sb_add(&services, e.p);
						sb_add(&services, "}");
						sb_free(&e);
					}
					RegCloseKey(s);
				}
				RegCloseKey(p);
			}
			struct sb e = { 0 };
			json_add_str(&e, "name", name);
			add_bool(&e, "default", !wcscmp(name, dflt));
			add_bool(&e, "kerio", kerio);
			struct sb arr = { 0 };
			sb_addf(&arr, "[%s]", services.p ? services.p : "");
			json_add_raw(&e, "services", arr.p);
			sb_free(&arr);
			sb_free(&services);
			sb_add(&list, list.len ? ",{" : "{");
			sb_add(&list, e.p);
			sb_add(&list, "}");
			sb_free(&e);
			nprof++;
			nkerio += kerio;
		}
		RegCloseKey(h);
	}
	wchar_t shown[300];
	_snwprintf(shown, 300, L"%ls\\%ls", hive_label, key);
	shown[299] = 0;
	json_add_str(&o, "key", shown);
	json_add_str(&o, "default", dflt);
	struct sb arr = { 0 };
	sb_addf(&arr, "[%s]", list.p ? list.p : "");
	json_add_raw(&o, "list", arr.p);
	sb_free(&arr);
	sb_free(&list);
	add_object(facts, "profiles", &o);
	if (rc == 0)
		source("profiles", true, L"%d Outlook profile(s) in %ls, %d with the Kerio service; "
		       L"the default is \"%ls\"", nprof, shown, nkerio, dflt);
	else if (rc == ERROR_FILE_NOT_FOUND)
		source("profiles", true, L"no Outlook profile exists (%ls is absent)", shown);
	else
		source("profiles", false, L"%ls cannot be read: %ls", shown, win_text((DWORD)rc));
}

/* ---- the connector: its entries, Windows Installer, pending renames, its DLL ---- */

static void connector(struct sb *facts, struct product *first, int *found)
{
	struct product p[4];
	int n = find_products(L"Kerio Outlook Connector", p, 4);
	*found = n;
	if (n)
		*first = p[0];
	struct sb o = { 0 }, list = { 0 };
	for (int i = 0; i < n; i++) {
		struct sb e = { 0 };
		json_add_str(&e, "name", p[i].name);
		json_add_str(&e, "version", p[i].version);
		json_add_str(&e, "code", p[i].code);
		json_add_str(&e, "key", p[i].key);
		json_add_str(&e, "view", p[i].view);
		json_add_str(&e, "install_dir", p[i].install_dir);
		json_add_str(&e, "local_package", p[i].local_package);
		sb_add(&list, list.len ? ",{" : "{");
		sb_add(&list, e.p);
		sb_add(&list, "}");
		sb_free(&e);
	}
	struct sb arr = { 0 };
	sb_addf(&arr, "[%s]", list.p ? list.p : "");
	json_add_raw(&o, "entries", arr.p);
	sb_free(&arr);
	sb_free(&list);
	HKEY h;
	bool busy = RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\"
				  L"Installer\\InProgress", 0, KEY_READ | KEY_WOW64_64KEY, &h) == 0;
	if (busy)
		RegCloseKey(h);
	add_bool(&o, "installer_in_progress", busy);
	wchar_t first_pending[AGENT_PATH];
	int others;
	int pending = pending_connector_ops(n ? p[0].install_dir : L"", first_pending, AGENT_PATH,
					    &others);
	struct sb pl = { 0 };
	sb_add(&pl, "[");
	if (pending)
		sb_jwstr(&pl, first_pending);
	sb_add(&pl, "]");
	json_add_raw(&o, "pending_connector_files", pl.p);
	sb_free(&pl);
	add_num(&o, "pending_other", (unsigned long long)others);
	add_object(facts, "connector", &o);
	source("connector", true, L"%d entr%ls named Kerio Outlook Connector in the lists of "
	       L"installed programs; Windows Installer %ls; %d pending file operation(s) name the "
	       L"connector", n, n == 1 ? L"y" : L"ies", busy ? L"is busy (InProgress)" : L"is idle",
	       pending);
}

static void dll(struct sb *facts, const struct product *p, int found)
{
	struct sb o = { 0 };
	if (!found || !p->dll[0]) {
		json_add_str(&o, "path", L"");
		add_bool(&o, "present", false);
		add_object(facts, "dll", &o);
		source("dll", true, L"no connector is installed, so there is no DLL to look at");
		return;
	}
	WIN32_FILE_ATTRIBUTE_DATA fa;
	bool present = GetFileAttributesExW(p->dll, GetFileExInfoStandard, &fa) != 0;
	json_add_str(&o, "path", p->dll);
	add_bool(&o, "present", present);
	if (present) {
		wchar_t ver[64] = L"", hex[65] = L"";
		file_version(p->dll, ver, 64);
		sha256_file(p->dll, hex);
		json_add_str(&o, "machine", machine_name(pe_machine(p->dll)));
		json_add_str(&o, "file_version", ver);
		json_add_str(&o, "sha256", hex);
		add_num(&o, "size", (unsigned long long)fa.nFileSizeHigh << 32 | fa.nFileSizeLow);
	}
	add_object(facts, "dll", &o);
	source("dll", true, present ? L"%ls is there" : L"%ls is not there", p->dll);
}

/* ---- event logs ---- */

typedef EVT_HANDLE(WINAPI *evt_query_fn)(EVT_HANDLE, LPCWSTR, LPCWSTR, DWORD);
typedef BOOL(WINAPI *evt_next_fn)(EVT_HANDLE, DWORD, EVT_HANDLE *, DWORD, DWORD, PDWORD);
typedef BOOL(WINAPI *evt_render_fn)(EVT_HANDLE, EVT_HANDLE, DWORD, DWORD, PVOID, PDWORD, PDWORD);
typedef BOOL(WINAPI *evt_close_fn)(EVT_HANDLE);

/* Does the event mention anything the scan reads? (A cheap filter; koffix decides.) */
static bool relevant(const wchar_t *xml)
{
	static const wchar_t *const words[] = { L"kofmsp", L"KoffBackend", L"OUTLOOK.EXE",
						L"Kerio" };
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (wcontains(xml, words[i]))
			return true;
	return false;
}

static void read_log(HMODULE api, const char *name, const wchar_t *channel, const wchar_t *ids,
		     const char *log, int days)
{
	evt_query_fn query = (evt_query_fn)(void (*)(void))GetProcAddress(api, "EvtQuery");
	evt_next_fn next = (evt_next_fn)(void (*)(void))GetProcAddress(api, "EvtNext");
	evt_render_fn render = (evt_render_fn)(void (*)(void))GetProcAddress(api, "EvtRender");
	evt_close_fn close = (evt_close_fn)(void (*)(void))GetProcAddress(api, "EvtClose");
	if (!query || !next || !render || !close) {
		source(name, false, L"this Windows has no event log API (wevtapi.dll lacks it)");
		return;
	}
	wchar_t xpath[1024];
	_snwprintf(xpath, 1024, L"*[System[(%ls) and TimeCreated[timediff(@SystemTime) <= %llu]]]",
		   ids, (unsigned long long)days * 86400000ull);
	xpath[1023] = 0;
	EVT_HANDLE q = query(NULL, channel, xpath, EvtQueryChannelPath | EvtQueryReverseDirection);
	if (!q) {
		DWORD e = GetLastError();
		/* Wine's event log API answers nothing (and says no error). */
		bool wine = GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "wine_get_version") != NULL;
		if (e == ERROR_EVT_CHANNEL_NOT_FOUND)
			source(name, false, L"the log %ls does not exist on this PC", channel);
		else if (wine)
			source(name, false, L"the log %ls cannot be read here: Wine has no event log",
			       channel);
		else
			source(name, false, L"the log %ls cannot be read here: %ls", channel,
			       e ? win_text(e) : L"Windows gave no reason");
		return;
	}
	wchar_t *xml = xmalloc(EVENT_XML_MAX * sizeof *xml);
	int seen = 0, sent = 0;
	EVT_HANDLE batch[16];
	DWORD got = 0;
	while (sent < EVENTS_MAX && next(q, 16, batch, 5000, 0, &got)) {
		for (DWORD i = 0; i < got; i++) {
			DWORD used = 0, props = 0;
			if (render(NULL, batch[i], EvtRenderEventXml, EVENT_XML_MAX * sizeof *xml, xml,
				   &used, &props) && relevant(xml) && sent < EVENTS_MAX) {
				struct sb b = { 0 };
				sb_add(&b, "{\"event\":\"evtxml\",\"log\":");
				sb_jstr(&b, log);
				sb_add(&b, ",\"xml\":");
				sb_jwstr(&b, xml);
				sb_add(&b, "}");
				ev_emit(&b);
				sb_free(&b);
				sent++;
			}
			seen++;
			close(batch[i]);
		}
	}
	free(xml);
	close(q);
	source(name, true, L"%d event(s) of the last %d days read from %ls, %d of them naming the "
	       L"connector or Outlook", seen, days, channel, sent);
}

static void event_logs(int days)
{
	HMODULE api = LoadLibraryW(L"wevtapi.dll");
	if (!api) {
		source("eventlog.application", false, L"the event log API (wevtapi.dll) is not there");
		source("eventlog.defender", false, L"the event log API (wevtapi.dll) is not there");
		return;
	}
	read_log(api, "eventlog.application", L"Application",
		 L"EventID=1000 or EventID=1001 or EventID=1033 or EventID=1034 or EventID=1035 or "
		 L"EventID=11707 or EventID=11708 or EventID=11724 or EventID=11725", "application",
		 days);
	read_log(api, "eventlog.defender", L"Microsoft-Windows-Windows Defender/Operational",
		 L"EventID=1116 or EventID=1117 or EventID=1006 or EventID=1007", "defender", days);
	FreeLibrary(api);
}

/* ---- the new Outlook ---- */

typedef LONG(WINAPI *packages_fn)(PCWSTR, UINT32 *, PWSTR *, UINT32 *, WCHAR *);

/* sid: the person's, for a scan as SYSTEM (the package API answers for the calling user,
 * SYSTEM, so only the person's own package list counts); NULL otherwise. */
static void new_outlook(struct sb *facts, const wchar_t *office_key, const wchar_t *sid)
{
	static const wchar_t family[] = L"Microsoft.OutlookForWindows_8wekyb3d8bbwe";
	bool api_ok = false, installed = false;
	packages_fn packages = sid ? NULL : (packages_fn)(void (*)(void))GetProcAddress(
		GetModuleHandleW(L"kernel32.dll"), "GetPackagesByPackageFamily");
	if (packages) {
		UINT32 count = 0, len = 0;
		LONG rc = packages(family, &count, NULL, &len, NULL);
		api_ok = rc == ERROR_SUCCESS || rc == ERROR_INSUFFICIENT_BUFFER;
		installed = api_ok && count > 0;
	}
	/* The package repository of this user, as Windows records installed apps. */
	HKEY h;
	static const wchar_t repo[] = L"Local Settings\\Software\\Microsoft\\Windows\\"
				      L"CurrentVersion\\AppModel\\Repository\\Packages";
	wchar_t key[320];
	_snwprintf(key, 320, L"Software\\Classes\\%ls", repo);
	key[319] = 0;
	bool reg_ok = RegOpenKeyExW(user_hive(), key, 0, KEY_READ, &h) == 0;
	if (!reg_ok && sid) {
		/* The person's classes hive itself, should its link under Software be missing. */
		_snwprintf(key, 320, L"%ls_Classes\\%ls", sid, repo);
		key[319] = 0;
		reg_ok = RegOpenKeyExW(HKEY_USERS, key, 0, KEY_READ, &h) == 0;
	}
	if (reg_ok) {
		wchar_t name[512];
		for (DWORD i = 0; !installed; i++) {
			DWORD nl = 512;
			if (RegEnumKeyExW(h, i, name, &nl, NULL, NULL, NULL, NULL))
				break;
			installed = !_wcsnicmp(name, L"Microsoft.OutlookForWindows_", 28);
		}
		RegCloseKey(h);
	}
	DWORD use_new = 0, len = sizeof use_new;
	wchar_t pref[128];
	_snwprintf(pref, 128, L"Software\\Microsoft\\Office\\%ls\\Outlook\\Preferences",
		   office_key[0] ? office_key : L"16.0");
	pref[127] = 0;
	bool in_use = RegGetValueW(user_hive(), pref, L"UseNewOutlook", RRF_RT_REG_DWORD, NULL,
				   &use_new, &len) == 0 && use_new == 1;
	struct sb o = { 0 };
	add_bool(&o, "app_installed", installed);
	add_bool(&o, "in_use", in_use);
	add_object(facts, "new_outlook", &o);
	if (api_ok || reg_ok)
		source("new_outlook", true, L"the new Outlook app is %ls for this user%ls",
		       installed ? L"installed" : L"not installed",
		       in_use ? L", and classic Outlook's switch says it is in use" : L"");
	else
		source("new_outlook", false, L"neither the package API nor this user's package list "
		       L"can be read here");
}

/* ---- whose settings ---- */

/*
 * A scan run as LocalSystem (Intune runs scripts as SYSTEM by default; a computer start-up
 * script too) would read SYSTEM's own HKEY_CURRENT_USER: no Outlook profile, no new Outlook,
 * a cache under the system profile. It reads the signed-in user's instead: the console
 * session's user, else the first active session's (Remote Desktop), else a disconnected
 * one's, through that session's token (WTSQueryUserToken, which only LocalSystem may call;
 * on a host with several people signed in that is one of them); that user's hive under
 * HKEY_USERS, loaded while they are signed in; their local application data from the profile
 * list. With no one signed in, the per-user sources say so and read nothing.
 * KOFFIX_TEST_SCAN_USER_SID names the user instead of a session, and only under Wine: the
 * tests use it there, Wine having no LocalSystem to run as; the scan only reads.
 */
struct who {
	bool system;          /* run as LocalSystem (or the test variable) */
	bool found;           /* a signed-in user whose hive is loaded and readable */
	bool remote;          /* that user's session is not the console's */
	bool roaming;         /* the profile list names a central (roaming) profile */
	HKEY root;
	wchar_t user[256], sid[192], appdata[AGENT_PATH], why[512];
};

static bool local_system(void)
{
	HANDLE tok;
	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok))
		return false;
	union { TOKEN_USER tu; BYTE b[256]; } u;
	DWORD n = 0;
	bool is = GetTokenInformation(tok, TokenUser, &u, sizeof u, &n) &&
		  IsWellKnownSid(u.tu.User.Sid, WinLocalSystemSid);
	CloseHandle(tok);
	return is;
}

/* The account name of sid into w->user, or "" when it cannot be looked up. */
static void account_name(PSID sid, struct who *w)
{
	wchar_t dom[256];
	DWORD nl = 256, dl = 256;
	SID_NAME_USE use;
	if (!LookupAccountSidW(NULL, sid, w->user, &nl, dom, &dl, &use))
		w->user[0] = 0;
}

/* The user of a session's token: SID string and account name. */
static bool session_user(DWORD session, struct who *w)
{
	HANDLE tok;
	if (!WTSQueryUserToken(session, &tok))
		return false;
	union { TOKEN_USER tu; BYTE b[256]; } u;
	DWORD n = 0;
	bool ok = GetTokenInformation(tok, TokenUser, &u, sizeof u, &n);
	wchar_t *str = NULL;
	if (ok && ConvertSidToStringSidW(u.tu.User.Sid, &str)) {
		_snwprintf(w->sid, 192, L"%ls", str);
		w->sid[191] = 0;
		LocalFree(str);
		account_name(u.tu.User.Sid, w);
	} else {
		ok = false;
	}
	CloseHandle(tok);
	return ok;
}

static void find_user(struct who *w)
{
	DWORD n = 256;
	if (!GetUserNameW(w->user, &n))
		w->user[0] = 0;
	/* The test variable counts only under Wine (ntdll exports wine_get_version there). */
	wchar_t forced[192];
	DWORD fl = GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "wine_get_version") ?
		   GetEnvironmentVariableW(L"KOFFIX_TEST_SCAN_USER_SID", forced, 192) : 0;
	w->system = (fl > 0 && fl < 192) || local_system();
	if (!w->system)
		return;
	if (fl > 0 && fl < 192) {
		_snwprintf(w->sid, 192, L"%ls", forced);
		PSID sid;
		if (ConvertStringSidToSidW(forced, &sid)) {
			account_name(sid, w);
			LocalFree(sid);
		}
	} else {
		DWORD console = WTSGetActiveConsoleSessionId();
		bool got = console != 0xFFFFFFFF && session_user(console, w);
		WTS_SESSION_INFOW *list = NULL;
		DWORD count = 0;
		/* Else the first active session (Remote Desktop), else a disconnected one whose
		 * user is still signed in (their hive stays loaded). */
		if (!got && WTSEnumerateSessionsW(WTS_CURRENT_SERVER_HANDLE, 0, 1, &list, &count)) {
			static const WTS_CONNECTSTATE_CLASS states[] = { WTSActive, WTSDisconnected };
			for (size_t k = 0; k < 2 && !got; k++)
				for (DWORD i = 0; i < count && !got; i++)
					if (list[i].State == states[k] && list[i].SessionId != console &&
					    session_user(list[i].SessionId, w))
						got = w->remote = true;
			WTSFreeMemory(list);
		}
		if (!got) {
			_snwprintf(w->why, 512, L"no one is signed in to this PC");
			return;
		}
	}
	LSTATUS rc = RegOpenKeyExW(HKEY_USERS, w->sid, 0, KEY_READ, &w->root);
	if (rc) {
		_snwprintf(w->why, 512, L"the settings of %ls (HKEY_USERS\\%ls) cannot be read: %ls",
			   w->user[0] ? w->user : w->sid, w->sid, win_text((DWORD)rc));
		w->why[511] = 0;
		return;
	}
	wchar_t key[320], raw[AGENT_PATH] = L"", central[AGENT_PATH] = L"";
	_snwprintf(key, 320, L"SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\ProfileList\\%ls",
		   w->sid);
	key[319] = 0;
	if (reg_get_sz(HKEY_LOCAL_MACHINE, key, L"ProfileImagePath", KEY_WOW64_64KEY, raw, AGENT_PATH)) {
		wchar_t dir[AGENT_PATH];
		DWORD e = ExpandEnvironmentStringsW(raw, dir, AGENT_PATH);
		if (e > 0 && e <= AGENT_PATH) {
			_snwprintf(w->appdata, AGENT_PATH, L"%ls\\AppData\\Local", dir);
			w->appdata[AGENT_PATH - 1] = 0;
		}
	}
	w->roaming = reg_get_sz(HKEY_LOCAL_MACHINE, key, L"CentralProfile", KEY_WOW64_64KEY,
				central, AGENT_PATH) && central[0];
	if (!w->user[0]) {   /* the profile folder's name, for want of the account's */
		const wchar_t *slash = wcsrchr(raw, L'\\');
		_snwprintf(w->user, 256, L"%ls", slash ? slash + 1 : w->sid);
		w->user[255] = 0;
	}
	w->found = true;
}

/* ---- disk, session ---- */

static unsigned long long tree_bytes(const wchar_t *dir, int depth)
{
	wchar_t pat[AGENT_PATH + 4];
	_snwprintf(pat, AGENT_PATH + 4, L"%ls\\*", dir);
	pat[AGENT_PATH + 3] = 0;
	WIN32_FIND_DATAW fd;
	HANDLE h = FindFirstFileW(pat, &fd);
	unsigned long long total = 0;
	if (h == INVALID_HANDLE_VALUE)
		return 0;
	do {
		if (!wcscmp(fd.cFileName, L".") || !wcscmp(fd.cFileName, L".."))
			continue;
		if (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) {
			if (depth < 8 && !(fd.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT)) {
				wchar_t sub[AGENT_PATH + 4];
				_snwprintf(sub, AGENT_PATH + 4, L"%ls\\%ls", dir, fd.cFileName);
				sub[AGENT_PATH + 3] = 0;
				total += tree_bytes(sub, depth + 1);
			}
		} else {
			total += (unsigned long long)fd.nFileSizeHigh << 32 | fd.nFileSizeLow;
		}
	} while (FindNextFileW(h, &fd));
	FindClose(h);
	return total;
}

static void disk(struct sb *facts, long long min_free_mb)
{
	if (!user_local_appdata()[0]) {
		source("disk", false, L"the person's profile folder is not in Windows' profile list, "
		       L"so their connector cache cannot be found");
		return;
	}
	wchar_t cache[AGENT_PATH];
	_snwprintf(cache, AGENT_PATH, L"%ls\\Kerio\\Outlook Connector", user_local_appdata());
	cache[AGENT_PATH - 1] = 0;
	const wchar_t *where = dir_exists(cache) ? cache : user_local_appdata();
	ULARGE_INTEGER avail;
	struct sb o = { 0 };
	json_add_str(&o, "path", where);
	if (!GetDiskFreeSpaceExW(where, &avail, NULL, NULL)) {
		add_object(facts, "disk", &o);
		source("disk", false, L"the free space of %ls cannot be read: %ls", where,
		       win_text(GetLastError()));
		return;
	}
	unsigned long long bytes = dir_exists(cache) ? tree_bytes(cache, 0) : 0;
	/* The connector's database upgrade builds the new database beside the old one: about
	 * twice its size must be free. A given floor replaces that rule. */
	unsigned long long floor = min_free_mb >= 0 ? (unsigned long long)min_free_mb << 20 :
				   bytes * 2 > (512ull << 20) ? bytes * 2 : 512ull << 20;
	add_num(&o, "free_bytes", avail.QuadPart);
	add_num(&o, "cache_bytes", bytes);
	add_num(&o, "cache_mb", bytes >> 20);
	add_num(&o, "threshold_bytes", floor);
	add_object(facts, "disk", &o);
	source("disk", true, L"%llu MB free on the drive of %ls; the connector's cache holds %llu MB",
	       (unsigned long long)(avail.QuadPart >> 20), where, bytes >> 20);
}

typedef BOOL(WINAPI *profile_type_fn)(DWORD *);

static void session(struct sb *facts, const struct who *w)
{
	bool remote = GetSystemMetrics(SM_REMOTESESSION) != 0;
	/* RemoteFX sessions can report themselves local: compare with the console's session. */
	DWORD glass = 0, len = sizeof glass, mine = 0;
	if (!remote && RegGetValueW(HKEY_LOCAL_MACHINE, L"SYSTEM\\CurrentControlSet\\Control\\"
				    L"Terminal Server", L"GlassSessionId", RRF_RT_REG_DWORD, NULL,
				    &glass, &len) == 0 &&
	    ProcessIdToSessionId(GetCurrentProcessId(), &mine))
		remote = mine != glass;
	bool roaming = false, known = false;
	HMODULE userenv = LoadLibraryW(L"userenv.dll");
	profile_type_fn type = userenv ? (profile_type_fn)(void (*)(void))GetProcAddress(
		userenv, "GetProfileType") : NULL;
	DWORD flags = 0;
	if (type && type(&flags)) {
		known = true;
		roaming = (flags & 2) != 0;   /* PT_ROAMING */
	}
	if (userenv)
		FreeLibrary(userenv);
	DWORD fsl = 0;
	len = sizeof fsl;
	bool fslogix = RegGetValueW(HKEY_LOCAL_MACHINE, L"SOFTWARE\\FSLogix\\Profiles", L"Enabled",
				    RRF_RT_REG_DWORD | RRF_SUBKEY_WOW6464KEY, NULL, &fsl, &len) == 0 &&
		       fsl == 1;
	if (w->system) {
		/* SYSTEM's own session and profile say nothing about the person's. */
		remote = w->remote;
		roaming = w->roaming;
		known = w->found;
	}
	struct sb o = { 0 };
	if (!w->system || w->found) {
		add_bool(&o, "remote", remote);
		add_bool(&o, "roaming", roaming);
	}
	add_bool(&o, "fslogix", fslogix);
	add_object(facts, "session", &o);
	if (w->system && !w->found) {
		source("session", false, L"koffix ran as SYSTEM and %ls, so there is no person's "
		       L"session or profile to describe%ls", w->why,
		       fslogix ? L"; FSLogix profile containers are enabled" : L"");
		return;
	}
	source("session", true, L"%ls session; %ls profile%ls", remote ? L"a Remote Desktop" :
	       L"a local", !known ? L"the profile type is unknown:" : roaming ? L"a roaming" :
	       L"a local", fslogix ? L"; FSLogix profile containers are enabled" : L"");
}

int scan(const struct json *options)
{
	int days = DAYS_DEFAULT;
	long long min_free_mb = -1;
	const struct json *d = json_get(options, "days"), *m = json_get(options, "min_free_mb");
	if (d && d->type == JSON_NUMBER && d->num >= 1 && d->num <= 365)
		days = (int)d->num;
	if (m && m->type == JSON_NUMBER && m->num >= 0 && m->num < 1e12)
		min_free_mb = (long long)m->num;
	struct sb answers = { 0 }, facts = { 0 }, scratch = { 0 };
	struct who w = { 0 };
	find_user(&w);
	if (w.found) {
		set_scan_user(w.root, w.appdata, true);
		_snwprintf(hive_label, 224, L"HKEY_USERS\\%ls", w.sid);
		hive_label[223] = 0;
	} else if (w.system) {
		set_scan_user(NULL, NULL, false);
	}
	/* Everything detection reads first (Windows, Office, MAPISVC.INF, processes...); the
	 * connector's answers too, its facts being read in more detail below. */
	detect_parts(&answers, &facts, DETECT_BASICS);
	detect_parts(&answers, &scratch, DETECT_CONNECTOR);
	sb_free(&scratch);
	source("windows", true, L"read through RtlGetVersion");
	const wchar_t *key = office_settings_key();
	source("office", true, key[0] ? L"Office found (settings under %ls)" :
	       L"no Office installation found (neither Click-to-Run nor MSI)", key);
	wchar_t ini[AGENT_PATH], how[512];
	if (mapisvc_locate("auto", NULL, ini, AGENT_PATH, how, 512))
		source("mapisvc", true, L"%ls (%ls)", ini, how);
	else
		source("mapisvc", true, L"no MAPISVC.INF found (%ls)", how);
	source("processes", true, L"the running programs listed");
	if (w.system && w.found)
		source("user", true, L"koffix ran as SYSTEM and read the settings of %ls, signed "
		       L"in %ls (HKEY_USERS\\%ls)", w.user, w.remote ? L"through Remote Desktop" :
		       L"at this PC", w.sid);
	else if (w.system)
		source("user", false, L"koffix ran as SYSTEM and %ls: the sources that belong to a "
		       L"person (profiles, new_outlook, disk, session) were not read", w.why);
	bool person = !w.system || w.found;
	if (person)
		profiles(&facts, key);
	else
		source("profiles", false, L"not read: koffix ran as SYSTEM and %ls", w.why);
	struct product first = { 0 };
	int found = 0;
	connector(&facts, &first, &found);
	dll(&facts, &first, found);
	event_logs(days);
	if (person) {
		new_outlook(&facts, key, w.found ? w.sid : NULL);
		disk(&facts, min_free_mb);
	} else {
		source("new_outlook", false, L"not read: koffix ran as SYSTEM and %ls", w.why);
		source("disk", false, L"not read: the connector's cache belongs to a person, and "
		       L"koffix ran as SYSTEM and %ls", w.why);
	}
	session(&facts, &w);
	/* Not publicly documented: said, not guessed. */
	source("connector_logs", false, L"where the connector writes its own logs is not "
	       L"documented publicly, so koffix does not look for them");
	wchar_t computer[256] = L"";
	DWORD cl = 256;
	if (!GetComputerNameExW(ComputerNameDnsHostname, computer, &cl))
		computer[0] = 0;
	/* The person whose settings were read; SYSTEM when no one's could be. */
	const wchar_t *user = w.system && !w.found ? L"SYSTEM" : w.user;
	struct sb b = { 0 };
	sb_add(&b, "{\"event\":\"scanned\",\"computer\":");
	sb_jwstr(&b, computer);
	sb_add(&b, ",\"user\":");
	sb_jwstr(&b, user);
	sb_add(&b, ",\"facts\":{");
	sb_add(&b, facts.p ? facts.p : "");
	sb_add(&b, ",\"answers\":{");
	sb_add(&b, answers.p ? answers.p : "");
	sb_add(&b, "}}}");
	ev_emit(&b);
	sb_free(&b);
	sb_free(&answers);
	sb_free(&facts);
	set_scan_user(NULL, NULL, true);
	wcscpy(hive_label, L"HKCU");
	if (w.root)
		RegCloseKey(w.root);
	return AGENT_R_OK;
}
