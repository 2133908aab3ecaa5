/* SPDX-License-Identifier: MIT */
/*
 * Just enough of <windows.h> to build the agent's portable parts (its JSON reader, agent/json.c)
 * on Linux for fuzzing: the types agent.h names and the UTF-8 conversions json.c calls. Never
 * used for the agent itself, which mingw-w64 builds against the real headers.
 */
#ifndef KOFFIX_WIN32SHIM_H
#define KOFFIX_WIN32SHIM_H

#include <stdint.h>
#include <stdlib.h>
#include <wchar.h>

typedef uint32_t DWORD;
typedef uint16_t WORD;
typedef unsigned int UINT;
typedef uint32_t REGSAM;
typedef void *HKEY;
typedef void *HANDLE;
typedef int BOOL;

#define CP_UTF8 65001u

static inline void ExitProcess(UINT code)
{
	exit((int)code);
}

/* UTF-8 to wide and back, for wchar_t of any width; invalid input is refused (0). */
static inline int MultiByteToWideChar(UINT cp, DWORD flags, const char *s, int n, wchar_t *w,
				      int wn)
{
	(void)cp;
	(void)flags;
	(void)n;
	int count = 0;
	const unsigned char *p = (const unsigned char *)s;
	for (;;) {
		unsigned c = *p, need = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 :
			     (c & 0xf8) == 0xf0 ? 3 : 9;
		if (need == 9)
			return 0;
		unsigned cp32 = need ? c & (0x3f >> need) : c;
		for (unsigned i = 1; i <= need; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp32 = cp32 << 6 | (p[i] & 0x3f);
		}
		if (w) {
			if (count >= wn)
				return 0;
			w[count] = (wchar_t)cp32;
		}
		count++;
		if (!c)
			return count;
		p += need + 1;
	}
}

static inline int WideCharToMultiByte(UINT cp, DWORD flags, const wchar_t *w, int n, char *s,
				      int sn, const char *dflt, BOOL *used)
{
	(void)cp;
	(void)flags;
	(void)n;
	(void)dflt;
	(void)used;
	int count = 0;
	for (;; w++) {
		unsigned c = (unsigned)*w;
		unsigned char b[4];
		int k = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
		if (k == 1) {
			b[0] = (unsigned char)c;
		} else {
			for (int i = k - 1; i > 0; i--, c >>= 6)
				b[i] = (unsigned char)(0x80 | (c & 0x3f));
			b[0] = (unsigned char)((0xf00 >> k) | c);
		}
		for (int i = 0; i < k; i++) {
			if (s) {
				if (count >= sn)
					return 0;
				s[count] = (char)b[i];
			}
			count++;
		}
		if (!*w)
			return count;
	}
}

#endif
