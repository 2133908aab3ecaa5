/* SPDX-License-Identifier: MIT */
/*
 * Detection: what the wizard would otherwise ask (answers, with the wizard's values) and the
 * facts behind them. Read-only: registry reads, Windows Installer queries, file headers and the
 * process list.
 */
#include "agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tlhelp32.h>
#include <wchar.h>

typedef LONG(WINAPI *rtl_get_version_fn)(OSVERSIONINFOEXW *);

void json_add_str(struct sb *b, const char *key, const wchar_t *value)
{
	if (b->len)
		sb_add(b, ",");
	sb_jstr(b, key);
	sb_add(b, ":");
	sb_jwstr(b, value);
}

void json_add_raw(struct sb *b, const char *key, const char *json)
{
	if (b->len)
		sb_add(b, ",");
	sb_jstr(b, key);
	sb_add(b, ":");
	sb_add(b, json);
}

bool reg_get_sz(HKEY root, const wchar_t *key, const wchar_t *value, REGSAM view, wchar_t *out,
		DWORD n)
{
	HKEY h;
	out[0] = 0;
	if (RegOpenKeyExW(root, key, 0, KEY_READ | view, &h))
		return false;
	DWORD len = n * sizeof *out;
	LSTATUS rc = RegGetValueW(h, NULL, value, RRF_RT_REG_SZ | RRF_RT_REG_EXPAND_SZ | RRF_NOEXPAND, NULL, out, &len);
	RegCloseKey(h);
	if (rc)
		out[0] = 0;
	return rc == 0;
}

static void windows(struct sb *answers, struct sb *facts)
{
	OSVERSIONINFOEXW v = { .dwOSVersionInfoSize = sizeof v };
	rtl_get_version_fn fn = (rtl_get_version_fn)(void (*)(void))GetProcAddress(
		GetModuleHandleW(L"ntdll.dll"), "RtlGetVersion");
	if (!fn || fn(&v) != 0)
		return;
	const wchar_t *name = L"unknown";
	if (v.wProductType != VER_NT_WORKSTATION)
		name = L"server";
	else if (v.dwMajorVersion == 10 && v.dwBuildNumber >= 22000)
		name = L"11";
	else if (v.dwMajorVersion == 10)
		name = L"10";
	else if (v.dwMajorVersion == 6 && v.dwMinorVersion == 3)
		name = L"8.1";
	else if (v.dwMajorVersion == 6 && v.dwMinorVersion == 1)
		name = L"7";
	json_add_str(answers, "windows_version", name);
	struct sb w = { 0 };
	sb_addf(&w, "{\"version\":");
	sb_jwstr(&w, name);
	sb_addf(&w, ",\"major\":%lu,\"minor\":%lu,\"build\":%lu,\"workstation\":%s}",
		(unsigned long)v.dwMajorVersion, (unsigned long)v.dwMinorVersion,
		(unsigned long)v.dwBuildNumber, v.wProductType == VER_NT_WORKSTATION ? "true" : "false");
	json_add_raw(facts, "windows", w.p);
	sb_free(&w);
}

/* Office: Click-to-Run configuration first, else the MSI Bitness value. Returns the settings
 * key ("16.0", ...) into key, or "" when no Office was found. */
static void office(struct sb *answers, struct sb *facts, wchar_t *key)
{
	static const wchar_t c2r[] = L"SOFTWARE\\Microsoft\\Office\\ClickToRun\\Configuration";
	wchar_t platform[16], version[64], ids[512], path[AGENT_PATH];
	const wchar_t *install = NULL, *bitness = NULL, *year = NULL;
	key[0] = 0;
	struct sb o = { 0 };
	if (reg_get_sz(HKEY_LOCAL_MACHINE, c2r, L"Platform", KEY_WOW64_64KEY, platform, 16)) {
		install = L"c2r";
		reg_get_sz(HKEY_LOCAL_MACHINE, c2r, L"VersionToReport", KEY_WOW64_64KEY, version, 64);
		reg_get_sz(HKEY_LOCAL_MACHINE, c2r, L"ProductReleaseIds", KEY_WOW64_64KEY, ids, 512);
		reg_get_sz(HKEY_LOCAL_MACHINE, c2r, L"InstallationPath", KEY_WOW64_64KEY, path, AGENT_PATH);
		bitness = !_wcsicmp(platform, L"x64") ? L"x64" : !_wcsicmp(platform, L"x86") ? L"x86"
			  : NULL;
		/* Every Click-to-Run Office since 2016 reports 16.0; the product id tells which. */
		year = wcsstr(ids, L"O365") || wcsstr(ids, L"M365") ? L"365" :
		       wcsstr(ids, L"2024") ? L"2024" : wcsstr(ids, L"2021") ? L"2021" :
		       wcsstr(ids, L"2019") ? L"2019" : !wcsncmp(version, L"16.", 3) ? L"2016" :
		       !wcsncmp(version, L"15.", 3) ? L"2013" : NULL;
		wcscpy(key, !wcsncmp(version, L"15.", 3) ? L"15.0" : L"16.0");
		json_add_str(&o, "version_to_report", version);
		json_add_str(&o, "product_release_ids", ids);
		json_add_str(&o, "installation_path", path);
	} else {
		static const struct {
			const wchar_t *key, *year;
		} vers[] = { { L"16.0", L"2016" }, { L"15.0", L"2013" }, { L"14.0", L"2010" } };
		static const REGSAM views[] = { KEY_WOW64_64KEY, KEY_WOW64_32KEY };
		for (size_t i = 0; i < 3 && !install; i++) {
			for (size_t v = 0; v < 2 && !install; v++) {
				wchar_t k[128], bits[16];
				_snwprintf(k, 128, L"SOFTWARE\\Microsoft\\Office\\%ls\\Outlook", vers[i].key);
				k[127] = 0;
				if (!reg_get_sz(HKEY_LOCAL_MACHINE, k, L"Bitness", views[v], bits, 16))
					continue;
				install = L"msi";
				bitness = !_wcsicmp(bits, L"x64") ? L"x64" : L"x86";
				year = vers[i].year;
				wcscpy(key, vers[i].key);
			}
		}
	}
	if (install) {
		json_add_str(&o, "install", install);
		json_add_str(&o, "bitness", bitness ? bitness : L"unknown");
		json_add_str(&o, "settings_key", key);
		if (bitness)
			json_add_str(answers, "office_bitness", bitness);
		if (year)
			json_add_str(answers, "office_version", year);
		/* The new Outlook is switched on per user (an [I] fact: check on a real PC); a scan
		 * as SYSTEM with no one signed in has no user to ask. */
		DWORD use_new = 0, len = sizeof use_new;
		wchar_t pref[128];
		_snwprintf(pref, 128, L"Software\\Microsoft\\Office\\%ls\\Outlook\\Preferences", key);
		pref[127] = 0;
		bool is_new = RegGetValueW(user_hive(), pref, L"UseNewOutlook", RRF_RT_REG_DWORD,
					   NULL, &use_new, &len) == 0 && use_new == 1;
		if (scan_person()) {
			json_add_str(answers, "outlook_kind", is_new ? L"new" : L"classic");
			json_add_str(&o, "outlook_kind", is_new ? L"new" : L"classic");
		}
	} else {
		json_add_str(&o, "install", L"none");
	}
	struct sb w = { 0 };
	sb_add(&w, "{");
	sb_add(&w, o.p ? o.p : "");
	sb_add(&w, "}");
	json_add_raw(facts, "office", w.p);
	sb_free(&w);
	sb_free(&o);
}

/* Does a profile section hold a value naming kofmsp (PR_SERVICE_DLL_NAME, PR_PROVIDER_DLL_NAME,
 * stored as 001f3d0a / 001e3d0a / 001f300a / 001e300a)? */
static bool section_names_kofmsp(HKEY section)
{
	static const wchar_t *const names[] = { L"001f3d0a", L"001e3d0a", L"001f300a", L"001e300a" };
	for (size_t i = 0; i < 4; i++) {
		BYTE data[1024];
		DWORD len = sizeof data - 2, type = 0;
		if (RegQueryValueExW(section, names[i], NULL, &type, data, &len))
			continue;
		data[len] = data[len + 1] = 0;
		bool hit;
		if (names[i][3] == L'f') {
			hit = wcontains((const wchar_t *)data, L"kofmsp");
		} else {
			wchar_t *w = u2w((const char *)data);
			hit = wcontains(w, L"kofmsp");
			free(w);
		}
		if (hit)
			return true;
	}
	return false;
}

static void profiles(struct sb *facts, const wchar_t *office_key)
{
	wchar_t key[256], dkey[256], dflt[256] = L"";
	if (!wcscmp(office_key, L"14.0") || !office_key[0]) {
		wcscpy(key, L"Software\\Microsoft\\Windows NT\\CurrentVersion\\Windows Messaging "
			    L"Subsystem\\Profiles");
		wcscpy(dkey, key);
	} else {
		_snwprintf(key, 256, L"Software\\Microsoft\\Office\\%ls\\Outlook\\Profiles", office_key);
		_snwprintf(dkey, 256, L"Software\\Microsoft\\Office\\%ls\\Outlook", office_key);
	}
	reg_get_sz(user_hive(), dkey, L"DefaultProfile", KEY_WOW64_64KEY, dflt, 256);
	struct sb list = { 0 }, kerio = { 0 };
	HKEY h;
	if (RegOpenKeyExW(user_hive(), key, 0, KEY_READ, &h) == 0) {
		wchar_t name[256];
		for (DWORD i = 0; ; i++) {
			DWORD nl = 256;
			if (RegEnumKeyExW(h, i, name, &nl, NULL, NULL, NULL, NULL))
				break;
			HKEY p;
			struct sb sections = { 0 };
			if (RegOpenKeyExW(h, name, 0, KEY_READ, &p) == 0) {
				wchar_t sec[256];
				for (DWORD j = 0; ; j++) {
					DWORD sl = 256;
					if (RegEnumKeyExW(p, j, sec, &sl, NULL, NULL, NULL, NULL))
						break;
					HKEY s;
					if (RegOpenKeyExW(p, sec, 0, KEY_READ, &s))
						continue;
					if (section_names_kofmsp(s)) {
						sb_add(&sections, sections.len ? "," : "");
						sb_jwstr(&sections, sec);
					}
					RegCloseKey(s);
				}
				RegCloseKey(p);
			}
			sb_add(&list, list.len ? "," : "");
			sb_add(&list, "{\"name\":");
			sb_jwstr(&list, name);
			sb_addf(&list, ",\"default\":%s,\"kerio\":%s,\"kerio_sections\":[%s]}",
				!wcscmp(name, dflt) ? "true" : "false", sections.len ? "true" : "false",
				sections.p ? sections.p : "");
			if (sections.len) {
				sb_add(&kerio, kerio.len ? "," : "");
				sb_jwstr(&kerio, name);
			}
			sb_free(&sections);
		}
		RegCloseKey(h);
	}
	struct sb o = { 0 };
	wchar_t shown[300];
	_snwprintf(shown, 300, L"HKCU\\%ls", key);
	shown[299] = 0;
	sb_add(&o, "{\"key\":");
	sb_jwstr(&o, shown);
	sb_add(&o, ",\"default\":");
	sb_jwstr(&o, dflt);
	sb_addf(&o, ",\"list\":[%s],\"kerio\":[%s]}", list.p ? list.p : "", kerio.p ? kerio.p : "");
	json_add_raw(facts, "profiles", o.p);
	sb_free(&o);
	sb_free(&list);
	sb_free(&kerio);
}

static void connector(struct sb *answers, struct sb *facts, const wchar_t *office_bits)
{
	struct product p[4];
	int n = find_products(L"Kerio Outlook Connector", p, 4);
	struct sb o = { 0 };
	sb_addf(&o, "{\"found\":%d", n);
	const wchar_t *dll = NULL;
	if (n >= 1) {
		struct product *c = &p[0];
		sb_add(&o, ",\"name\":");
		sb_jwstr(&o, c->name);
		sb_add(&o, ",\"version\":");
		sb_jwstr(&o, c->version);
		sb_add(&o, ",\"product_code\":");
		sb_jwstr(&o, c->code);
		sb_add(&o, ",\"uninstall_key\":");
		sb_jwstr(&o, c->key);
		sb_add(&o, ",\"view\":");
		sb_jwstr(&o, c->view);
		sb_add(&o, ",\"install_dir\":");
		sb_jwstr(&o, c->install_dir);
		sb_add(&o, ",\"local_package\":");
		sb_jwstr(&o, c->local_package);
		sb_addf(&o, ",\"windows_installer\":%s", c->code[0] ? "true" : "false");
		if (c->version[0])
			json_add_str(answers, "koff_version", c->version);
		dll = c->dll[0] ? c->dll : NULL;
	}
	sb_add(&o, "}");
	json_add_raw(facts, "connector", o.p);
	sb_free(&o);
	struct sb d = { 0 };
	if (dll) {
		bool present = file_exists(dll);
		WORD m = present ? pe_machine(dll) : 0;
		wchar_t ver[64] = L"";
		if (present)
			file_version(dll, ver, 64);
		sb_add(&d, "{\"path\":");
		sb_jwstr(&d, dll);
		sb_addf(&d, ",\"present\":%s,\"machine\":", present ? "true" : "false");
		sb_jwstr(&d, machine_name(m));
		sb_add(&d, ",\"file_version\":");
		sb_jwstr(&d, ver);
		sb_add(&d, "}");
		json_add_str(answers, "dll_present", present ? L"yes" : L"no");
		if (m == 0x14c || m == 0x8664)
			json_add_str(answers, "koff_bitness", machine_name(m));
		else if (wcontains(dll, L"(x86)"))
			json_add_str(answers, "koff_bitness", L"x86");
		(void)office_bits;
	} else {
		sb_add(&d, "{\"path\":\"\",\"present\":false}");
	}
	json_add_raw(facts, "dll", d.p);
	sb_free(&d);
}

static void mapisvc(struct sb *answers, struct sb *facts)
{
	wchar_t path[AGENT_PATH], how[512];
	struct sb o = { 0 };
	if (mapisvc_locate("auto", NULL, path, AGENT_PATH, how, 512)) {
		wchar_t v[512];
		bool lists = false;
		wchar_t services[4096];
		DWORD n = GetPrivateProfileSectionW(L"Services", services, 4096, path);
		for (const wchar_t *e = services; n && *e; e += wcslen(e) + 1) {
			wchar_t k[256];
			const wchar_t *eq = wcschr(e, L'=');
			if (!eq || eq - e >= 256)
				continue;
			_snwprintf(k, 256, L"%.*ls", (int)(eq - e), e);
			k[255] = 0;
			GetPrivateProfileStringW(k, L"PR_SERVICE_DLL_NAME", L"", v, 512, path);
			if (wcontains(v, L"kofmsp")) {
				lists = true;
				break;
			}
		}
		sb_add(&o, "{\"path\":");
		sb_jwstr(&o, path);
		sb_add(&o, ",\"found\":");
		sb_jwstr(&o, how);
		sb_addf(&o, ",\"lists_connector\":%s}", lists ? "true" : "false");
		/* Evidence for the wizard: which registration repair comes first. */
		json_add_str(answers, "mapisvc_entries", lists ? L"present" : L"missing");
	} else {
		sb_add(&o, "{\"path\":\"\",\"found\":");
		sb_jwstr(&o, how);
		sb_add(&o, ",\"lists_connector\":false}");
	}
	json_add_raw(facts, "mapisvc", o.p);
	sb_free(&o);
}

static void processes(struct sb *facts)
{
	static const wchar_t *const watched[] = {
		L"OUTLOOK.EXE", L"KoffBackend.exe", L"UcMapi.exe", L"lync.exe", L"communicator.exe",
		L"MFCMAPI.exe", L"SCANPST.EXE", L"fixmapi.exe",
	};
	struct sb o = { 0 };
	HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
	if (snap != INVALID_HANDLE_VALUE) {
		PROCESSENTRY32W pe = { .dwSize = sizeof pe };
		for (BOOL ok = Process32FirstW(snap, &pe); ok; ok = Process32NextW(snap, &pe)) {
			for (size_t i = 0; i < sizeof watched / sizeof *watched; i++) {
				if (_wcsicmp(pe.szExeFile, watched[i]))
					continue;
				sb_add(&o, o.len ? "," : "");
				sb_add(&o, "{\"name\":");
				sb_jwstr(&o, pe.szExeFile);
				sb_addf(&o, ",\"pid\":%lu}", (unsigned long)pe.th32ProcessID);
			}
		}
		CloseHandle(snap);
	}
	struct sb w = { 0 };
	sb_addf(&w, "{\"running\":[%s],\"watched\":[", o.p ? o.p : "");
	for (size_t i = 0; i < sizeof watched / sizeof *watched; i++) {
		sb_add(&w, i ? "," : "");
		sb_jwstr(&w, watched[i]);
	}
	sb_add(&w, "]}");
	json_add_raw(facts, "processes", w.p);
	sb_free(&w);
	sb_free(&o);
}

/*
 * Whether this process (and so koffix, which started it with its own token) runs elevated:
 * steps that need administrator rights fail without it. null when Windows does not say.
 */
static void elevation(struct sb *facts)
{
	HANDLE tok;
	TOKEN_ELEVATION e = { 0 };
	DWORD n = 0;
	bool known = OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok);
	if (known) {
		known = GetTokenInformation(tok, TokenElevation, &e, sizeof e, &n);
		CloseHandle(tok);
	}
	json_add_raw(facts, "elevated", !known ? "null" : e.TokenIsElevated ? "true" : "false");
}

const wchar_t *office_bitness_now(void)
{
	static const wchar_t c2r[] = L"SOFTWARE\\Microsoft\\Office\\ClickToRun\\Configuration";
	wchar_t bits[16];
	if (reg_get_sz(HKEY_LOCAL_MACHINE, c2r, L"Platform", KEY_WOW64_64KEY, bits, 16))
		return !_wcsicmp(bits, L"x64") ? L"x64" : !_wcsicmp(bits, L"x86") ? L"x86" : NULL;
	static const wchar_t *const vers[] = { L"16.0", L"15.0", L"14.0" };
	static const REGSAM views[] = { KEY_WOW64_64KEY, KEY_WOW64_32KEY };
	for (size_t i = 0; i < 3; i++) {
		for (size_t v = 0; v < 2; v++) {
			wchar_t k[128];
			_snwprintf(k, 128, L"SOFTWARE\\Microsoft\\Office\\%ls\\Outlook", vers[i]);
			k[127] = 0;
			if (reg_get_sz(HKEY_LOCAL_MACHINE, k, L"Bitness", views[v], bits, 16))
				return !_wcsicmp(bits, L"x64") ? L"x64" : L"x86";
		}
	}
	return NULL;
}

const wchar_t *office_settings_key(void)
{
	static wchar_t key[16];
	struct sb a = { 0 }, f = { 0 };
	office(&a, &f, key);
	sb_free(&a);
	sb_free(&f);
	return key;
}

void detect_parts(struct sb *answers, struct sb *facts, unsigned parts)
{
	wchar_t key[16];
	struct sb a = { 0 }, f = { 0 };
	if (parts & DETECT_BASICS) {
		windows(answers, facts);
		office(answers, facts, key);
	} else {
		office(&a, &f, key);
	}
	if (parts & DETECT_PROFILES)
		profiles(facts, key);
	if (parts & DETECT_CONNECTOR)
		connector(answers, facts, NULL);
	if (parts & DETECT_BASICS) {
		mapisvc(answers, facts);
		processes(facts);
		elevation(facts);
	}
	sb_free(&a);
	sb_free(&f);
}

void detect(struct sb *answers, struct sb *facts)
{
	detect_parts(answers, facts, DETECT_BASICS | DETECT_PROFILES | DETECT_CONNECTOR);
}
