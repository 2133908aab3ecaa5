/* SPDX-License-Identifier: MIT */
/*
 * VS_VERSIONINFO (the "Details" tab of a file's properties on Windows). The resource is a tree
 * of blocks, each: WORD length, WORD value length, WORD type (0 binary, 1 text), a UTF-16LE
 * key ending in NUL, padding to 32 bits, the value, padding, then child blocks. The root's
 * value is VS_FIXEDFILEINFO; its children are StringFileInfo (StringTables of Strings, one
 * table per language and code page) and VarFileInfo (the Translation list).
 *
 * Offsets are relative to the resource's start, which Windows aligns to 32 bits, so padding is
 * computed from there. A child must lie inside its parent; three levels are read, no more.
 */
#include <stdio.h>
#include <string.h>

#include "../common/util.h"
#include "pe.h"

#define FIXED_SIGNATURE 0xFEEF04BDu
#define FIXED_SIZE 52
#define RT_VERSION 16
#define MAX_CHILDREN 512

const char *const pe_ver_keys[PE_VER__COUNT] = {
	[PE_VER_COMPANY] = "CompanyName",
	[PE_VER_DESCRIPTION] = "FileDescription",
	[PE_VER_FILE_VERSION] = "FileVersion",
	[PE_VER_ORIGINAL_NAME] = "OriginalFilename",
	[PE_VER_PRODUCT_NAME] = "ProductName",
	[PE_VER_PRODUCT_VERSION] = "ProductVersion",
	[PE_VER_INTERNAL_NAME] = "InternalName",
	[PE_VER_COPYRIGHT] = "LegalCopyright",
};

struct blk {
	size_t start, end;       /* the block: [start, end) */
	unsigned vlen, type;
	size_t key, keychars;    /* the key's first UTF-16 unit and its length in units */
	size_t value;            /* where the value starts */
	size_t children;         /* where the first child starts (<= end) */
};

static size_t align4(size_t x)
{
	return (x + 3) & ~(size_t)3;
}

/* Reads the block at off inside [0, limit). 0, or -1 when it does not fit. */
static int blk_read(const unsigned char *p, size_t limit, size_t off, struct blk *b)
{
	if (!pe_in(limit, off, 6))
		return -1;
	unsigned wlen = pe_u16(p + off);
	if (wlen < 6 || !pe_in(limit, off, wlen))
		return -1;
	b->start = off;
	b->end = off + wlen;
	b->vlen = pe_u16(p + off + 2);
	b->type = pe_u16(p + off + 4);
	b->key = off + 6;
	size_t k = b->key;
	while (k + 2 <= b->end && pe_u16(p + k))
		k += 2;
	if (k + 2 > b->end)
		return -1;
	b->keychars = (k - b->key) / 2;
	b->value = align4(k + 2);
	if (b->value > b->end)
		b->value = b->end;
	size_t vbytes = b->type == 1 ? (size_t)b->vlen * 2 : b->vlen;
	size_t after = b->end - b->value < vbytes ? b->end : align4(b->value + vbytes);
	b->children = after > b->end ? b->end : after;
	return 0;
}

static bool key_is(const unsigned char *p, const struct blk *b, const char *ascii)
{
	size_t n = strlen(ascii);
	if (b->keychars != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (pe_u16(p + b->key + 2 * i) != (unsigned char)ascii[i])
			return false;
	return true;
}

/* Appends code point c as UTF-8 when it fits in out (cap bytes with the NUL). */
static bool put_utf8(char *out, size_t cap, size_t *n, uint32_t c)
{
	unsigned char b[4];
	size_t k;
	if (c < 0x80) {
		b[0] = (unsigned char)c;
		k = 1;
	} else if (c < 0x800) {
		b[0] = (unsigned char)(0xC0 | (c >> 6));
		b[1] = (unsigned char)(0x80 | (c & 0x3F));
		k = 2;
	} else if (c < 0x10000) {
		b[0] = (unsigned char)(0xE0 | (c >> 12));
		b[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
		b[2] = (unsigned char)(0x80 | (c & 0x3F));
		k = 3;
	} else {
		b[0] = (unsigned char)(0xF0 | (c >> 18));
		b[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
		b[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
		b[3] = (unsigned char)(0x80 | (c & 0x3F));
		k = 4;
	}
	if (*n + k >= cap)
		return false;
	memcpy(out + *n, b, k);
	*n += k;
	return true;
}

/* UTF-16LE from [from, end) up to a NUL into UTF-8; lone surrogates become U+FFFD. */
static void utf16_to_utf8(const unsigned char *p, size_t from, size_t end, char *out, size_t cap)
{
	size_t n = 0;
	for (size_t i = from; i + 2 <= end;) {
		uint32_t c = pe_u16(p + i);
		i += 2;
		if (c == 0)
			break;
		if (c >= 0xD800 && c <= 0xDBFF) {
			uint32_t lo = i + 2 <= end ? pe_u16(p + i) : 0;
			if (lo >= 0xDC00 && lo <= 0xDFFF) {
				c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
				i += 2;
			} else {
				c = 0xFFFD;
			}
		} else if (c >= 0xDC00 && c <= 0xDFFF) {
			c = 0xFFFD;
		} else if (c < 0x20 && c != '\t') {
			c = ' '; /* control characters have no place in a one-line detail */
		}
		if (!put_utf8(out, cap, &n, c))
			break;
	}
	out[n] = '\0';
}

static void read_table(const unsigned char *p, const struct blk *table, struct pe_version *ver)
{
	size_t off = table->children;
	struct blk s;
	for (int i = 0; i < MAX_CHILDREN && off < table->end; i++) {
		if (blk_read(p, table->end, off, &s))
			return;
		for (int f = 0; f < PE_VER__COUNT; f++)
			if (key_is(p, &s, pe_ver_keys[f]) && !ver->str[f][0])
				utf16_to_utf8(p, s.value, s.end, ver->str[f], PE_VER_MAX);
		off = align4(s.end);
	}
}

/* The key of a StringTable as 8 ASCII characters, or "" when it is not that shape. */
static void table_key(const unsigned char *p, const struct blk *b, char out[9])
{
	out[0] = '\0';
	if (b->keychars != 8)
		return;
	char key[9];
	for (int i = 0; i < 8; i++) {
		unsigned c = pe_u16(p + b->key + 2 * i);
		if (c < 0x20 || c > 0x7e)
			return; /* out stays "" */
		key[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	key[8] = '\0';
	memcpy(out, key, sizeof key);
}

int pe_version_parse(const unsigned char *p, size_t len, struct pe_version *ver)
{
	memset(ver, 0, sizeof *ver);
	struct blk root;
	if (blk_read(p, len, 0, &root) || !key_is(p, &root, "VS_VERSION_INFO"))
		return KX_ESYNTAX;
	if (root.vlen >= FIXED_SIZE && pe_in(root.end, root.value, FIXED_SIZE) &&
	    pe_u32(p + root.value) == FIXED_SIGNATURE) {
		const unsigned char *f = p + root.value;
		uint32_t fms = pe_u32(f + 8), fls = pe_u32(f + 12);
		uint32_t pms = pe_u32(f + 16), pls = pe_u32(f + 20);
		ver->has_fixed = true;
		ver->file_version[0] = (uint16_t)(fms >> 16);
		ver->file_version[1] = (uint16_t)fms;
		ver->file_version[2] = (uint16_t)(fls >> 16);
		ver->file_version[3] = (uint16_t)fls;
		ver->product_version[0] = (uint16_t)(pms >> 16);
		ver->product_version[1] = (uint16_t)pms;
		ver->product_version[2] = (uint16_t)(pls >> 16);
		ver->product_version[3] = (uint16_t)pls;
	}
	/* First the Translation entry, which names the StringTable that Windows shows. */
	char want[9] = "";
	size_t off = root.children;
	struct blk c, v;
	for (int i = 0; i < MAX_CHILDREN && off < root.end; i++) {
		if (blk_read(p, root.end, off, &c))
			return KX_ESYNTAX;
		if (key_is(p, &c, "VarFileInfo")) {
			size_t o2 = c.children;
			for (int j = 0; j < MAX_CHILDREN && o2 < c.end; j++) {
				if (blk_read(p, c.end, o2, &v))
					break;
				if (key_is(p, &v, "Translation") && pe_in(v.end, v.value, 4)) {
					snprintf(want, sizeof want, "%04x%04x", pe_u16(p + v.value),
						 pe_u16(p + v.value + 2));
					break;
				}
				o2 = align4(v.end);
			}
		}
		off = align4(c.end);
	}
	struct blk chosen = { 0 };
	bool have = false, exact = false;
	off = root.children;
	for (int i = 0; i < MAX_CHILDREN && off < root.end && !have; i++) {
		if (blk_read(p, root.end, off, &c))
			return KX_ESYNTAX;
		if (key_is(p, &c, "StringFileInfo")) {
			size_t o2 = c.children;
			for (int j = 0; j < MAX_CHILDREN && o2 < c.end && !exact; j++) {
				if (blk_read(p, c.end, o2, &v))
					break;
				char key[9];
				table_key(p, &v, key);
				/* The first table, unless a later one is the one Translation names. */
				exact = want[0] && strcmp(key, want) == 0;
				if (!have || exact) {
					chosen = v;
					have = true;
					memcpy(ver->table, key, sizeof key);
				}
				o2 = align4(v.end);
			}
		}
		off = align4(c.end);
	}
	if (have)
		read_table(p, &chosen, ver);
	return 0;
}

int pe_version_read(const struct pe_file *pe, struct pe_version *ver)
{
	memset(ver, 0, sizeof *ver);
	const unsigned char *res;
	size_t len;
	int rc = pe_find_resource(pe, RT_VERSION, &res, &len);
	if (rc)
		return rc;
	return pe_version_parse(res, len, ver);
}
