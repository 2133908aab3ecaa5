/* SPDX-License-Identifier: MIT */
/*
 * Registry backups as .reg files a person can re-import with regedit (Windows Registry Editor
 * Version 5.00, UTF-16LE), and the exact undo: delete the key tree, then re-create it from the
 * file. Keys of the 32-bit view are written with their real path (SOFTWARE\WOW6432Node\...), so
 * a file imports into the right place whatever tool reads it; everything here then works in the
 * 64-bit view.
 */
#include "agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

static const struct {
	const wchar_t *shortname, *name;
	HKEY root;
} roots[] = {
	{ L"HKLM", L"HKEY_LOCAL_MACHINE", HKEY_LOCAL_MACHINE },
	{ L"HKCU", L"HKEY_CURRENT_USER", HKEY_CURRENT_USER },
	{ L"HKCR", L"HKEY_CLASSES_ROOT", HKEY_CLASSES_ROOT },
	{ L"HKU", L"HKEY_USERS", HKEY_USERS },
};

bool reg_parse(const wchar_t *text, const char *view, struct regkey *k)
{
	memset(k, 0, sizeof *k);
	const wchar_t *slash = wcschr(text, L'\\');
	size_t rootlen = slash ? (size_t)(slash - text) : wcslen(text);
	for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++) {
		if ((wcslen(roots[i].shortname) == rootlen &&
		     !_wcsnicmp(text, roots[i].shortname, rootlen)) ||
		    (wcslen(roots[i].name) == rootlen && !_wcsnicmp(text, roots[i].name, rootlen))) {
			k->root = roots[i].root;
			k->root_name = roots[i].name;
		}
	}
	if (!k->root || !slash || !slash[1] || wcslen(slash + 1) >= AGENT_PATH - 16)
		return false;
	const wchar_t *sub = slash + 1;
	k->view = KEY_WOW64_64KEY;
	/* The 32-bit view of HKLM\SOFTWARE is SOFTWARE\WOW6432Node in the 64-bit one. */
	if (view && !strcmp(view, "32") && k->root == HKEY_LOCAL_MACHINE &&
	    !_wcsnicmp(sub, L"SOFTWARE\\", 9) && _wcsnicmp(sub + 9, L"WOW6432Node", 11))
		_snwprintf(k->sub, AGENT_PATH, L"SOFTWARE\\WOW6432Node\\%ls", sub + 9);
	else
		wcscpy(k->sub, sub);
	size_t n = wcslen(k->sub);
	while (n && k->sub[n - 1] == L'\\')
		k->sub[--n] = 0;
	return n > 0;
}

bool reg_key_exists(const struct regkey *k)
{
	HKEY h;
	if (RegOpenKeyExW(k->root, k->sub, 0, KEY_READ | k->view, &h) != ERROR_SUCCESS)
		return false;
	RegCloseKey(h);
	return true;
}

/* ---- export ---- */

static void put_wstr(struct sb *b, const wchar_t *w)
{
	sb_addn(b, (const char *)w, wcslen(w) * sizeof *w);
}

static void put_quoted(struct sb *b, const wchar_t *s, size_t n)
{
	put_wstr(b, L"\"");
	for (size_t i = 0; i < n; i++) {
		if (s[i] == L'\\' || s[i] == L'"')
			put_wstr(b, L"\\");
		sb_addn(b, (const char *)&s[i], sizeof s[i]);
	}
	put_wstr(b, L"\"");
}

static void put_hex(struct sb *b, const BYTE *data, DWORD len)
{
	wchar_t two[4];
	for (DWORD i = 0; i < len; i++) {
		_snwprintf(two, 4, i + 1 < len ? L"%02x," : L"%02x", data[i]);
		two[3] = 0;
		put_wstr(b, two);
	}
}

/* A REG_SZ that regedit can write as "text": one final NUL, no other NUL, no line breaks. */
static bool plain_string(const BYTE *data, DWORD len)
{
	if (len < 2 || len % 2)
		return false;
	const wchar_t *w = (const wchar_t *)data;
	size_t n = len / 2;
	if (w[n - 1] != 0)
		return false;
	for (size_t i = 0; i + 1 < n; i++)
		if (w[i] == 0 || w[i] == L'\r' || w[i] == L'\n')
			return false;
	return true;
}

static void put_value(struct sb *b, const wchar_t *name, DWORD type, const BYTE *data, DWORD len)
{
	if (*name)
		put_quoted(b, name, wcslen(name));
	else
		put_wstr(b, L"@");
	put_wstr(b, L"=");
	if (type == REG_SZ && plain_string(data, len)) {
		put_quoted(b, (const wchar_t *)data, len / 2 - 1);
	} else if (type == REG_DWORD && len == 4) {
		wchar_t d[24];
		DWORD v;
		memcpy(&v, data, 4);
		_snwprintf(d, 24, L"dword:%08lx", (unsigned long)v);
		d[23] = 0;
		put_wstr(b, d);
	} else {
		if (type == REG_BINARY) {
			put_wstr(b, L"hex:");
		} else {
			wchar_t t[16];
			_snwprintf(t, 16, L"hex(%lx):", (unsigned long)type);
			t[15] = 0;
			put_wstr(b, t);
		}
		put_hex(b, data, len);
	}
	put_wstr(b, L"\r\n");
}

static DWORD export_tree(struct sb *b, HKEY h, const wchar_t *path, const wchar_t *only)
{
	put_wstr(b, L"[");
	put_wstr(b, path);
	put_wstr(b, L"]\r\n");
	DWORD nvalues = 0, maxname = 0, maxdata = 0, nsub = 0, maxsub = 0;
	DWORD rc = RegQueryInfoKeyW(h, NULL, NULL, NULL, &nsub, &maxsub, NULL, &nvalues, &maxname,
				    &maxdata, NULL, NULL);
	if (rc)
		return rc;
	wchar_t *name = xmalloc((maxname + 2) * sizeof *name);
	BYTE *data = xmalloc(maxdata + 2);
	for (DWORD i = 0; i < nvalues; i++) {
		DWORD nlen = maxname + 1, dlen = maxdata, type = 0;
		if (RegEnumValueW(h, i, name, &nlen, NULL, &type, data, &dlen) != ERROR_SUCCESS)
			continue;
		if (only && _wcsicmp(only, name))
			continue;
		put_value(b, name, type, data, dlen);
	}
	free(name);
	free(data);
	put_wstr(b, L"\r\n");
	if (only)
		return 0;
	wchar_t *sub = xmalloc((maxsub + 2) * sizeof *sub);
	for (DWORD i = 0; i < nsub && rc == 0; i++) {
		DWORD slen = maxsub + 1;
		if (RegEnumKeyExW(h, i, sub, &slen, NULL, NULL, NULL, NULL) != ERROR_SUCCESS)
			continue;
		HKEY child;
		if (RegOpenKeyExW(h, sub, 0, KEY_READ | KEY_WOW64_64KEY, &child) != ERROR_SUCCESS)
			continue;
		size_t plen = wcslen(path) + wcslen(sub) + 2;
		wchar_t *cpath = xmalloc(plen * sizeof *cpath);
		_snwprintf(cpath, plen, L"%ls\\%ls", path, sub);
		cpath[plen - 1] = 0;
		rc = export_tree(b, child, cpath, NULL);
		free(cpath);
		RegCloseKey(child);
	}
	free(sub);
	return rc;
}

DWORD reg_export(const struct regkey *k, const wchar_t *value, const wchar_t *file, bool *existed)
{
	struct sb b = { 0 };
	sb_addn(&b, "\xff\xfe", 2);
	put_wstr(&b, L"Windows Registry Editor Version 5.00\r\n\r\n");
	HKEY h;
	DWORD rc = RegOpenKeyExW(k->root, k->sub, 0, KEY_READ | k->view, &h);
	*existed = rc == ERROR_SUCCESS;
	wchar_t path[AGENT_PATH + 32];
	_snwprintf(path, AGENT_PATH + 32, L"%ls\\%ls", k->root_name, k->sub);
	path[AGENT_PATH + 31] = 0;
	if (rc == ERROR_SUCCESS) {
		rc = export_tree(&b, h, path, value);
		RegCloseKey(h);
	} else if (rc == ERROR_FILE_NOT_FOUND) {
		/* Nothing to save: the file says so, and importing it changes nothing. */
		put_wstr(&b, L"; koffix: this key did not exist when it was saved: ");
		put_wstr(&b, path);
		put_wstr(&b, L"\r\n");
		rc = 0;
	}
	if (rc == 0)
		rc = write_atomic(file, b.p, b.len);
	sb_free(&b);
	return rc;
}

/* ---- import ---- */

/* The file's text as UTF-16 (UTF-16LE with BOM, else UTF-8/ANSI). Caller frees. */
static wchar_t *reg_text(const char *raw, size_t len)
{
	if (len >= 2 && (unsigned char)raw[0] == 0xff && (unsigned char)raw[1] == 0xfe) {
		size_t n = (len - 2) / 2;
		wchar_t *w = xmalloc((n + 1) * sizeof *w);
		memcpy(w, raw + 2, n * sizeof *w);
		w[n] = 0;
		return w;
	}
	if (len >= 3 && !memcmp(raw, "\xef\xbb\xbf", 3))
		raw += 3;
	return u2w(raw);
}

static int hexval(wchar_t c)
{
	if (c >= L'0' && c <= L'9')
		return c - L'0';
	c |= 0x20;
	return c >= L'a' && c <= L'f' ? c - L'a' + 10 : -1;
}

/* Comma-separated hex bytes into data; the count, or -1 when malformed. */
static long parse_hex(const wchar_t *s, BYTE **data)
{
	size_t cap = wcslen(s) / 2 + 2;
	*data = xmalloc(cap);
	long n = 0;
	while (*s) {
		while (*s == L' ' || *s == L',')
			s++;
		if (!*s)
			break;
		int hi = hexval(s[0]), lo = hexval(s[1]);
		if (hi < 0 || lo < 0)
			return -1;
		(*data)[n++] = (BYTE)(hi << 4 | lo);
		s += 2;
	}
	return n;
}

/* A quoted string at s (the opening quote) unescaped into out; returns the char after it. */
static const wchar_t *unquote(const wchar_t *s, wchar_t *out)
{
	s++;
	while (*s && *s != L'"') {
		if (*s == L'\\' && s[1])
			s++;
		*out++ = *s++;
	}
	*out = 0;
	return *s == L'"' ? s + 1 : NULL;
}

static DWORD import_value(HKEY h, const wchar_t *line)
{
	size_t len = wcslen(line);
	wchar_t *name = xmalloc((len + 1) * sizeof *name);
	const wchar_t *p;
	DWORD rc = ERROR_INVALID_DATA;
	BYTE *data = NULL;
	if (line[0] == L'@') {
		name[0] = 0;
		p = line + 1;
	} else {
		p = unquote(line, name);
	}
	if (!p || *p != L'=')
		goto out;
	p++;
	if (!wcscmp(p, L"-")) {
		rc = RegDeleteValueW(h, name);
		if (rc == ERROR_FILE_NOT_FOUND)
			rc = 0;
	} else if (*p == L'"') {
		wchar_t *v = xmalloc((len + 1) * sizeof *v);
		if (unquote(p, v))
			rc = RegSetValueExW(h, name, 0, REG_SZ, (const BYTE *)v,
					    (DWORD)((wcslen(v) + 1) * sizeof *v));
		free(v);
	} else if (!wcsncmp(p, L"dword:", 6)) {
		DWORD v = (DWORD)wcstoul(p + 6, NULL, 16);
		rc = RegSetValueExW(h, name, 0, REG_DWORD, (const BYTE *)&v, sizeof v);
	} else if (!wcsncmp(p, L"hex", 3)) {
		DWORD type = REG_BINARY;
		p += 3;
		if (*p == L'(') {
			type = (DWORD)wcstoul(p + 1, NULL, 16);
			p = wcschr(p, L')');
			if (!p)
				goto out;
			p++;
		}
		if (*p != L':')
			goto out;
		long n = parse_hex(p + 1, &data);
		if (n >= 0)
			rc = RegSetValueExW(h, name, 0, type, data, (DWORD)n);
	}
out:
	free(data);
	free(name);
	return rc;
}

DWORD reg_import(const wchar_t *file, REGSAM view)
{
	char *raw;
	size_t len;
	DWORD rc = read_all(file, 64u << 20, &raw, &len);
	if (rc)
		return rc;
	wchar_t *text = reg_text(raw, len);
	free(raw);
	/* Logical lines: a line ending in a backslash goes on with the next one. */
	size_t n = wcslen(text);
	wchar_t *line = xmalloc((n + 1) * sizeof *line);
	HKEY cur = NULL;
	const wchar_t *p = text;
	bool header = true;
	while (*p && rc == 0) {
		size_t ln = 0;
		wchar_t first = *p;
		for (;;) {
			const wchar_t *eol = p;
			while (*eol && *eol != L'\n')
				eol++;
			const wchar_t *end = eol;
			if (end > p && end[-1] == L'\r')
				end--;
			bool more = end > p && end[-1] == L'\\' && first != L'[';
			size_t take = (size_t)(end - p) - (more ? 1 : 0);
			memcpy(line + ln, p, take * sizeof *line);
			ln += take;
			line[ln] = 0;
			p = *eol ? eol + 1 : eol;
			if (!more || !*p)
				break;
			while (*p == L' ' || *p == L'\t')
				p++;
		}
		const wchar_t *l = line;
		while (*l == L' ' || *l == L'\t')
			l++;
		if (!*l || *l == L';')
			continue;
		if (header) {
			header = false;
			if (!wcsncmp(l, L"Windows Registry Editor", 23) || !wcsncmp(l, L"REGEDIT4", 8))
				continue;
			rc = ERROR_INVALID_DATA;
			break;
		}
		if (*l == L'[') {
			if (cur)
				RegCloseKey(cur);
			cur = NULL;
			wchar_t *close = wcsrchr(line, L']');
			if (!close) {
				rc = ERROR_INVALID_DATA;
				break;
			}
			*close = 0;
			bool del = l[1] == L'-';
			struct regkey k;
			if (!reg_parse(l + (del ? 2 : 1), NULL, &k)) {
				rc = ERROR_INVALID_DATA;
				break;
			}
			k.view = view;
			if (del)
				rc = reg_delete_tree(&k);
			else
				rc = RegCreateKeyExW(k.root, k.sub, 0, NULL, 0, KEY_ALL_ACCESS | view,
						     NULL, &cur, NULL);
			continue;
		}
		if (!cur)
			continue; /* the values of a deleted key */
		rc = import_value(cur, l);
	}
	if (cur)
		RegCloseKey(cur);
	free(line);
	free(text);
	return rc;
}

DWORD reg_delete_tree(const struct regkey *k)
{
	wchar_t parent[AGENT_PATH];
	wcscpy(parent, k->sub);
	wchar_t *leaf = wcsrchr(parent, L'\\');
	HKEY h;
	DWORD rc;
	if (leaf) {
		*leaf++ = 0;
		rc = RegOpenKeyExW(k->root, parent, 0, KEY_ALL_ACCESS | k->view, &h);
	} else {
		leaf = parent;
		rc = RegOpenKeyExW(k->root, NULL, 0, KEY_ALL_ACCESS | k->view, &h);
	}
	if (rc == ERROR_FILE_NOT_FOUND)
		return 0;
	if (rc)
		return rc;
	HKEY victim;
	rc = RegOpenKeyExW(h, leaf, 0, KEY_ALL_ACCESS | k->view, &victim);
	if (rc == 0) {
		rc = RegDeleteTreeW(victim, NULL);
		RegCloseKey(victim);
		if (rc == 0)
			rc = RegDeleteKeyExW(h, leaf, k->view, 0);
	}
	RegCloseKey(h);
	return rc == ERROR_FILE_NOT_FOUND ? 0 : rc;
}
