/* SPDX-License-Identifier: MIT */
/* Files, hashes, PE headers and version resources for the agent. */
#include "agent.h"

#include <bcrypt.h>
#include <shlobj.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

const wchar_t *local_appdata(void)
{
	static wchar_t dir[AGENT_PATH];
	if (dir[0])
		return dir;
	DWORD n = GetEnvironmentVariableW(L"LOCALAPPDATA", dir, AGENT_PATH);
	if (n == 0 || n >= AGENT_PATH) {
		/* The known folder, for a process started without the usual environment. */
		if (SHGetFolderPathW(NULL, CSIDL_LOCAL_APPDATA, NULL, SHGFP_TYPE_CURRENT, dir) != S_OK)
			dir[0] = 0;
	}
	return dir;
}

static HKEY user_root;
static bool no_person;
static wchar_t user_appdata[AGENT_PATH];

void set_scan_user(HKEY root, const wchar_t *appdata, bool person)
{
	user_root = root;
	no_person = !person;
	_snwprintf(user_appdata, AGENT_PATH, L"%ls", appdata ? appdata : L"");
	user_appdata[AGENT_PATH - 1] = 0;
}

HKEY user_hive(void)
{
	return user_root ? user_root : HKEY_CURRENT_USER;
}

bool scan_person(void)
{
	return !no_person;
}

const wchar_t *user_local_appdata(void)
{
	return user_root ? user_appdata : local_appdata();
}

bool file_exists(const wchar_t *path)
{
	DWORD a = GetFileAttributesW(path);
	return a != INVALID_FILE_ATTRIBUTES && !(a & FILE_ATTRIBUTE_DIRECTORY);
}

bool dir_exists(const wchar_t *path)
{
	DWORD a = GetFileAttributesW(path);
	return a != INVALID_FILE_ATTRIBUTES && (a & FILE_ATTRIBUTE_DIRECTORY);
}

DWORD mkdir_p(const wchar_t *dir)
{
	wchar_t tmp[AGENT_PATH];
	if (wcslen(dir) >= AGENT_PATH)
		return ERROR_FILENAME_EXCED_RANGE;
	wcscpy(tmp, dir);
	for (wchar_t *p = tmp + 3; *p; p++) {
		if (*p != L'\\')
			continue;
		*p = 0;
		if (!CreateDirectoryW(tmp, NULL) && GetLastError() != ERROR_ALREADY_EXISTS)
			return GetLastError();
		*p = L'\\';
	}
	if (!CreateDirectoryW(tmp, NULL) && GetLastError() != ERROR_ALREADY_EXISTS)
		return GetLastError();
	return 0;
}

DWORD read_all(const wchar_t *path, size_t max, char **out, size_t *len)
{
	*out = NULL;
	HANDLE h = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
			       OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
	if (h == INVALID_HANDLE_VALUE)
		return GetLastError();
	LARGE_INTEGER size;
	DWORD rc = 0;
	if (!GetFileSizeEx(h, &size)) {
		rc = GetLastError();
		goto out;
	}
	if ((unsigned long long)size.QuadPart > max) {
		rc = ERROR_FILE_TOO_LARGE;
		goto out;
	}
	char *buf = xmalloc((size_t)size.QuadPart + 2);
	DWORD got = 0;
	if (!ReadFile(h, buf, (DWORD)size.QuadPart, &got, NULL)) {
		rc = GetLastError();
		free(buf);
		goto out;
	}
	buf[got] = buf[got + 1] = 0;
	*out = buf;
	if (len)
		*len = got;
out:
	CloseHandle(h);
	return rc;
}

DWORD write_atomic(const wchar_t *path, const void *data, size_t len)
{
	wchar_t tmp[AGENT_PATH + 16];
	_snwprintf(tmp, AGENT_PATH + 16, L"%ls.koffix-tmp", path);
	tmp[AGENT_PATH + 15] = 0;
	HANDLE h = CreateFileW(tmp, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL,
			       NULL);
	if (h == INVALID_HANDLE_VALUE)
		return GetLastError();
	DWORD put = 0, rc = 0;
	if (!WriteFile(h, data, (DWORD)len, &put, NULL) || put != len || !FlushFileBuffers(h))
		rc = GetLastError() ? GetLastError() : ERROR_WRITE_FAULT;
	CloseHandle(h);
	if (rc == 0 && !MoveFileExW(tmp, path, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH))
		rc = GetLastError();
	if (rc)
		DeleteFileW(tmp);
	return rc;
}

DWORD sha256_file(const wchar_t *path, wchar_t hex[65])
{
	hex[0] = 0;
	HANDLE h = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING,
			       FILE_ATTRIBUTE_NORMAL, NULL);
	if (h == INVALID_HANDLE_VALUE)
		return GetLastError();
	BCRYPT_ALG_HANDLE alg = NULL;
	BCRYPT_HASH_HANDLE hash = NULL;
	DWORD rc = 0;
	if (BCryptOpenAlgorithmProvider(&alg, BCRYPT_SHA256_ALGORITHM, NULL, 0) != 0 ||
	    BCryptCreateHash(alg, &hash, NULL, 0, NULL, 0, 0) != 0) {
		rc = ERROR_NOT_SUPPORTED;
		goto out;
	}
	static unsigned char buf[65536];
	DWORD got;
	while (ReadFile(h, buf, sizeof buf, &got, NULL) && got)
		BCryptHashData(hash, buf, got, 0);
	unsigned char digest[32];
	if (BCryptFinishHash(hash, digest, sizeof digest, 0) != 0) {
		rc = ERROR_NOT_SUPPORTED;
		goto out;
	}
	for (int i = 0; i < 32; i++)
		_snwprintf(hex + 2 * i, 3, L"%02x", digest[i]);
	hex[64] = 0;
out:
	if (hash)
		BCryptDestroyHash(hash);
	if (alg)
		BCryptCloseAlgorithmProvider(alg, 0);
	CloseHandle(h);
	return rc;
}

WORD pe_machine(const wchar_t *path)
{
	HANDLE h = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING,
			       FILE_ATTRIBUTE_NORMAL, NULL);
	if (h == INVALID_HANDLE_VALUE)
		return 0;
	unsigned char head[4096];
	DWORD got = 0;
	WORD machine = 0;
	if (ReadFile(h, head, sizeof head, &got, NULL) && got >= 64 && head[0] == 'M' &&
	    head[1] == 'Z') {
		DWORD pe = (DWORD)head[60] | (DWORD)head[61] << 8 | (DWORD)head[62] << 16 |
			   (DWORD)head[63] << 24;
		if (pe + 6 <= got && !memcmp(head + pe, "PE\0\0", 4))
			machine = (WORD)(head[pe + 4] | head[pe + 5] << 8);
	}
	CloseHandle(h);
	return machine;
}

const wchar_t *machine_name(WORD m)
{
	return m == 0x14c ? L"x86" : m == 0x8664 ? L"x64" : m == 0xaa64 ? L"arm64" :
	       m ? L"other" : L"none";
}

bool file_version(const wchar_t *path, wchar_t *out, size_t n)
{
	out[0] = 0;
	DWORD ignored = 0, size = GetFileVersionInfoSizeW(path, &ignored);
	if (!size)
		return false;
	void *data = xmalloc(size);
	bool ok = false;
	if (GetFileVersionInfoW(path, 0, size, data)) {
		VS_FIXEDFILEINFO *fixed = NULL;
		UINT len = 0;
		if (VerQueryValueW(data, L"\\", (void **)&fixed, &len) && fixed && len) {
			_snwprintf(out, n, L"%u.%u.%u.%u", HIWORD(fixed->dwFileVersionMS),
				   LOWORD(fixed->dwFileVersionMS), HIWORD(fixed->dwFileVersionLS),
				   LOWORD(fixed->dwFileVersionLS));
			out[n - 1] = 0;
			ok = true;
		}
	}
	free(data);
	return ok;
}

bool version_string(const wchar_t *path, const wchar_t *name, wchar_t *out, size_t n)
{
	out[0] = 0;
	DWORD ignored = 0, size = GetFileVersionInfoSizeW(path, &ignored);
	if (!size)
		return false;
	void *data = xmalloc(size);
	bool ok = false;
	struct {
		WORD lang, cp;
	} *tr = NULL;
	UINT len = 0;
	if (GetFileVersionInfoW(path, 0, size, data) &&
	    VerQueryValueW(data, L"\\VarFileInfo\\Translation", (void **)&tr, &len) && tr &&
	    len >= 4) {
		wchar_t q[128];
		_snwprintf(q, 128, L"\\StringFileInfo\\%04x%04x\\%ls", tr->lang, tr->cp, name);
		q[127] = 0;
		wchar_t *v = NULL;
		UINT vl = 0;
		if (VerQueryValueW(data, q, (void **)&v, &vl) && v && vl) {
			_snwprintf(out, n, L"%ls", v);
			out[n - 1] = 0;
			ok = true;
		}
	}
	free(data);
	return ok;
}

void utc_stamp(wchar_t out[20])
{
	SYSTEMTIME t;
	GetSystemTime(&t);
	_snwprintf(out, 20, L"%04u%02u%02uT%02u%02u%02uZ", t.wYear, t.wMonth, t.wDay, t.wHour,
		   t.wMinute, t.wSecond);
	out[19] = 0;
}

bool wcontains(const wchar_t *hay, const wchar_t *needle)
{
	size_t n = wcslen(needle);
	for (; *hay; hay++) {
		size_t i = 0;
		while (i < n && hay[i] && towlower(hay[i]) == towlower(needle[i]))
			i++;
		if (i == n)
			return true;
	}
	return n == 0;
}
