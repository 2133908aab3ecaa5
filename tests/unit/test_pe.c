/* SPDX-License-Identifier: MIT */
/*
 * The PE parser, the version resource and the Authenticode digest on files built here byte by
 * byte: a well-formed DLL first, then every way of breaking it that a hostile file could try
 * (truncation at every length, each header byte overwritten, offsets past the end, overflowing
 * sizes, resource trees that loop). Each must end in an error or a clean result, never in a
 * crash (this suite runs under ASan/UBSan and valgrind).
 */
#include <stdlib.h>
#include <string.h>

#include "../../common/util.h"
#include "../../pe/pe.h"
#include "../../pe/sig.h"
#include "t.h"

#define IMG 0x800
#define OPT 0x58
#define DIRS (OPT + 96)
#define SECT (OPT + 0xE0)
#define RSRC 0x400

static void put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
	put16(p, v & 0xffff);
	put16(p + 2, v >> 16);
}

/* Writes UTF-8 s as UTF-16LE (BMP and surrogate pairs) with a NUL; returns bytes written. */
static size_t utf16(unsigned char *p, const char *s)
{
	size_t n = 0;
	const unsigned char *u = (const unsigned char *)s;
	while (*u) {
		uint32_t c;
		if (*u < 0x80) {
			c = *u++;
		} else if ((*u & 0xE0) == 0xC0) {
			c = ((uint32_t)(u[0] & 0x1F) << 6) | (u[1] & 0x3F);
			u += 2;
		} else if ((*u & 0xF0) == 0xE0) {
			c = ((uint32_t)(u[0] & 0x0F) << 12) | ((uint32_t)(u[1] & 0x3F) << 6) |
			    (u[2] & 0x3F);
			u += 3;
		} else {
			c = ((uint32_t)(u[0] & 0x07) << 18) | ((uint32_t)(u[1] & 0x3F) << 12) |
			    ((uint32_t)(u[2] & 0x3F) << 6) | (u[3] & 0x3F);
			u += 4;
		}
		if (c >= 0x10000) {
			c -= 0x10000;
			put16(p + n, 0xD800 + (c >> 10));
			put16(p + n + 2, 0xDC00 + (c & 0x3FF));
			n += 4;
		} else {
			put16(p + n, c);
			n += 2;
		}
	}
	put16(p + n, 0);
	return n + 2;
}

static size_t pad4(size_t x)
{
	return (x + 3) & ~(size_t)3;
}

/* One version block at p: key, value (vbytes bytes, vlen in the header), children. */
static size_t block(unsigned char *p, const char *key, unsigned type, const void *val,
		    unsigned vlen, size_t vbytes, const unsigned char *kids, size_t klen)
{
	size_t n = 6;
	n += utf16(p + n, key);
	n = pad4(n);
	if (vbytes) {
		memcpy(p + n, val, vbytes);
		n += vbytes;
	}
	if (klen) {
		n = pad4(n);
		memcpy(p + n, kids, klen);
		n += klen;
	}
	put16(p, (unsigned)n);
	put16(p + 2, vlen);
	put16(p + 4, type);
	return n;
}

static size_t string_block(unsigned char *p, const char *key, const char *value)
{
	unsigned char v[512] = { 0 };
	size_t vb = utf16(v, value);
	return block(p, key, 1, v, (unsigned)(vb / 2), vb, NULL, 0);
}

/* A VS_VERSIONINFO with two string tables; Translation names the second (German). */
static size_t version_resource(unsigned char *p)
{
	/* Zeroed: the padding between blocks must be defined bytes. */
	static unsigned char t1[1024], t2[1024], sfi[2048], var[64], vfi[128], kids[4096];
	size_t n1 = 0, n2 = 0;
	static unsigned char strs[1024];
	memset(t1, 0, sizeof t1), memset(t2, 0, sizeof t2), memset(sfi, 0, sizeof sfi);
	memset(var, 0, sizeof var), memset(vfi, 0, sizeof vfi), memset(kids, 0, sizeof kids);
	memset(strs, 0, sizeof strs);
	size_t s = 0;
	s = pad4(s + string_block(strs + s, "CompanyName", "English Co"));
	n1 = block(t1, "040904b0", 0, NULL, 0, 0, strs, s);
	s = 0;
	s = pad4(s + string_block(strs + s, "CompanyName", "Kerio Technologies s.r.o. \xc3\xa9"
				  "\xf0\x9f\x98\x80"));
	s = pad4(s + string_block(strs + s, "OriginalFilename", "KofMsp32.dll"));
	s = pad4(s + string_block(strs + s, "ProductVersion", "10.0.7"));
	s = pad4(s + string_block(strs + s, "FileDescription", "line\x01one"));
	n2 = block(t2, "040704b0", 0, NULL, 0, 0, strs, s);
	size_t k = 0;
	memcpy(kids, t1, n1);
	k = pad4(n1);
	memcpy(kids + k, t2, n2);
	k += n2;
	size_t nsfi = block(sfi, "StringFileInfo", 1, NULL, 0, 0, kids, k);
	unsigned char tr[4];
	put16(tr, 0x407);
	put16(tr + 2, 1200);
	size_t nvar = block(var, "Translation", 0, tr, 4, 4, NULL, 0);
	size_t nvfi = block(vfi, "VarFileInfo", 1, NULL, 0, 0, var, nvar);
	unsigned char fixed[52] = { 0 };
	put32(fixed, 0xFEEF04BD);
	put32(fixed + 8, (10u << 16) | 0);
	put32(fixed + 12, (7u << 16) | 8000);
	put32(fixed + 16, (10u << 16) | 0);
	put32(fixed + 20, (7u << 16) | 0);
	memcpy(kids, sfi, nsfi);
	k = pad4(nsfi);
	memcpy(kids + k, vfi, nvfi);
	k += nvfi;
	return block(p, "VS_VERSION_INFO", 0, fixed, 52, 52, kids, k);
}

/* A 32-bit DLL: headers (0x200), .text at 0x200 (RVA 0x1000), .rsrc at 0x400 (RVA 0x2000,
 * 0x400 bytes). */
static void build(unsigned char *b)
{
	memset(b, 0, IMG);
	b[0] = 'M';
	b[1] = 'Z';
	put32(b + 0x3c, 0x40);
	memcpy(b + 0x40, "PE\0\0", 4);
	put16(b + 0x44, 0x14c);
	put16(b + 0x46, 2);
	put16(b + 0x54, 0xE0);
	put16(b + 0x56, 0x2102);
	put16(b + OPT, 0x10b);
	put32(b + OPT + 16, 0x1010);       /* entry point inside .text */
	put32(b + OPT + 32, 0x1000);
	put32(b + OPT + 36, 0x200);
	put32(b + OPT + 56, 0x3000);
	put32(b + OPT + 60, 0x200);        /* SizeOfHeaders */
	put32(b + OPT + 64, 0x12345678);   /* CheckSum */
	put32(b + OPT + 92, 16);
	put32(b + DIRS + 8 * 2, 0x2000);   /* resources */
	put32(b + DIRS + 8 * 2 + 4, 0x400);
	unsigned char *s = b + SECT;
	memcpy(s, ".text", 5);
	put32(s + 8, 0x200);
	put32(s + 12, 0x1000);
	put32(s + 16, 0x200);
	put32(s + 20, 0x200);
	put32(s + 36, 0x60000020);
	s += 40;
	memcpy(s, ".rsrc", 5);
	put32(s + 8, 0x400);
	put32(s + 12, 0x2000);
	put32(s + 16, 0x400);
	put32(s + 20, RSRC);
	put32(s + 36, 0x40000040);
	for (int i = 0; i < 0x200; i++)
		b[0x200 + i] = (unsigned char)(i * 7);
	/* The resource tree: type 16 -> id 1 -> language 0x409 -> data. */
	unsigned char *r = b + RSRC;
	put16(r + 14, 1);
	put32(r + 16, 16);
	put32(r + 20, 0x80000000u | 0x18);
	put16(r + 0x18 + 14, 1);
	put32(r + 0x18 + 16, 1);
	put32(r + 0x18 + 20, 0x80000000u | 0x30);
	put16(r + 0x30 + 14, 1);
	put32(r + 0x30 + 16, 0x409);
	put32(r + 0x30 + 20, 0x48);
	size_t vlen = version_resource(r + 0x58);
	put32(r + 0x48, 0x2058);
	put32(r + 0x4c, (uint32_t)vlen);
}

static void test_good(void)
{
	unsigned char b[IMG];
	build(b);
	struct pe_file pe;
	char why[200];
	T_INT(pe_parse(&pe, b, IMG, why, sizeof why), 0);
	T_INT(pe.machine, PE_MACHINE_I386);
	T_STR(pe_machine_name(pe.machine), "x86");
	T_OK(pe.characteristics & PE_FILE_DLL);
	T_OK(!pe.pe32plus);
	T_INT(pe.nsections, 2);
	T_STR(pe.sections[0].name, ".text");
	T_INT(pe.checksum, 0x12345678);
	T_INT(pe.checksum_off, OPT + 64);
	T_INT(pe.secdir_entry_off, DIRS + 32);
	T_INT(pe.cert_size, 0);
	T_INT(pe.sections_end, IMG);
	T_INT(pe.resource_count, 1);
	T_OK(pe_section_at(&pe, 0x1010) == &pe.sections[0]);
	T_OK(pe_section_at(&pe, 0x5000) == NULL);
	size_t off = 0;
	T_INT(pe_rva_to_off(&pe, 0x2010, 16, &off), 0);
	T_INT(off, RSRC + 0x10);
	T_INT(pe_rva_to_off(&pe, 0x40, 4, &off), 0);   /* inside the headers */
	T_INT(off, 0x40);
	T_INT(pe_rva_to_off(&pe, 0x23f0, 0x20, &off), KX_ENOTFOUND); /* runs past .rsrc */
	T_INT(pe_rva_to_off(&pe, 0xFFFFFFF0u, 0x20, &off), KX_ENOTFOUND);

	struct pe_version v;
	T_INT(pe_version_read(&pe, &v), 0);
	T_STR(v.table, "040704b0");  /* the table Translation names, not the first */
	T_STR(v.str[PE_VER_COMPANY], "Kerio Technologies s.r.o. \xc3\xa9\xf0\x9f\x98\x80");
	T_STR(v.str[PE_VER_ORIGINAL_NAME], "KofMsp32.dll");
	T_STR(v.str[PE_VER_PRODUCT_VERSION], "10.0.7");
	T_STR(v.str[PE_VER_DESCRIPTION], "line one");  /* a control character is blanked */
	T_STR(v.str[PE_VER_PRODUCT_NAME], "");
	T_OK(v.has_fixed);
	T_INT(v.file_version[0], 10);
	T_INT(v.file_version[2], 7);
	T_INT(v.file_version[3], 8000);

	/* The byte-range digest skips exactly the checksum and the security directory entry. */
	unsigned char d1[64], d2[64];
	unsigned l1 = 0, l2 = 0;
	T_INT(pe_image_digest(&pe, "sha256", false, d1, &l1), 0);
	T_INT(pe_image_digest(&pe, "sha256", true, d2, &l2), 0);
	T_INT(l1, 32);
	T_OK(l1 == l2 && memcmp(d1, d2, l1) == 0);
	unsigned char copy[IMG];
	size_t n = 0;
	for (size_t i = 0; i < IMG; i++)
		if (!(i >= pe.checksum_off && i < pe.checksum_off + 4) &&
		    !(i >= pe.secdir_entry_off && i < pe.secdir_entry_off + 8))
			copy[n++] = b[i];
	char hex[65], want[65];
	pe_sha256_hex(copy, n, want);
	for (unsigned i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d1[i]);
	T_STR(hex, want);
	T_INT(pe_image_digest(&pe, "md5", false, d1, &l1), KX_EINVAL);
	/* Changing the checksum does not change the digest; changing code does. */
	put32(b + OPT + 64, 0);
	T_INT(pe_image_digest(&pe, "sha256", false, d2, &l2), 0);
	T_OK(memcmp(d1, d2, 32) == 0);
	unsigned char before[64];
	memcpy(before, d2, 32);
	b[0x300] ^= 1;
	T_INT(pe_image_digest(&pe, "sha256", false, d2, &l2), 0);
	T_OK(memcmp(before, d2, 32) != 0);

	/* No signature: present is false. */
	struct pe_sig sig;
	pe_sig_check(&pe, NULL, 0, &sig);
	T_OK(!sig.present);
	pe_sig_release(&sig);

	/* A 64-bit optional header with a machine that is neither x86 nor x64. */
	build(b);
	put16(b + OPT, 0x20b);
	put16(b + 0x44, 0xAA64);
	T_INT(pe_parse(&pe, b, IMG, why, sizeof why), 0);
	T_OK(pe.pe32plus);
	T_OK(pe_machine_name(pe.machine) == NULL);
}

struct bad_case {
	unsigned at;
	uint32_t value;
	int width;
	const char *why;
};

static const struct bad_case bad[] = {
	{ 0, 'Z', 1, "does not start with \"MZ\"" },
	{ 0x3c, 0xFFFFFFF0u, 4, "past its end" },
	{ 0x3c, IMG - 10, 4, "past its end" },
	{ 0x40, 'X', 1, "no \"PE\" signature" },
	{ 0x46, 200, 2, "declares 200 sections" },
	{ 0x54, 0, 2, "optional header" },
	{ 0x54, 0xFFFF, 2, "cut short inside its optional header" },
	{ 0x54, 40, 2, "too short for its type" },
	{ OPT, 0x107, 2, "unknown type 0x107" },
	{ OPT + 60, 0x10000, 4, "headers should take" },
	{ SECT + 20, 0xFFFFFF00u, 4, "section '.text' should end" },
	{ SECT + 16, 0xFFFFFFFFu, 4, "section '.text' should end" },
	{ SECT + 40 + 20, IMG - 0x100, 4, "section '.rsrc' should end" },
	{ 0x46, 12, 2, "section table" },
};

static void test_bad_headers(void)
{
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		unsigned char b[IMG];
		build(b);
		if (bad[i].width == 1)
			b[bad[i].at] = (unsigned char)bad[i].value;
		else if (bad[i].width == 2)
			put16(b + bad[i].at, bad[i].value);
		else
			put32(b + bad[i].at, bad[i].value);
		/* "section table": 12 sections' table overruns a file cut right after two. */
		size_t len = strcmp(bad[i].why, "section table") == 0 ? SECT + 80 : IMG;
		if (strcmp(bad[i].why, "section table") == 0)
			put32(b + OPT + 60, 0);
		struct pe_file pe;
		char why[200] = "";
		T_CHECK(pe_parse(&pe, b, len, why, sizeof why) == KX_ESYNTAX, "case %zu accepted", i);
		T_CONTAINS(why, bad[i].why);
	}
	/* A count of data directories far beyond the header is clamped, not trusted. */
	unsigned char b[IMG];
	build(b);
	put32(b + OPT + 92, 0xFFFFFFFFu);
	struct pe_file pe;
	char why[200];
	T_INT(pe_parse(&pe, b, IMG, why, sizeof why), 0);
	T_INT(pe.ndirs, 16);
	/* The security directory is a file offset; one past the end means a cut-short file. */
	build(b);
	put32(b + DIRS + 32, 0x700);
	put32(b + DIRS + 36, 0x200);
	T_INT(pe_parse(&pe, b, IMG, why, sizeof why), KX_ESYNTAX);
	T_CONTAINS(why, "signature should end at byte 2304");
	put32(b + DIRS + 32, 0xFFFFFFF8u);
	put32(b + DIRS + 36, 0x10);
	T_INT(pe_parse(&pe, b, IMG, why, sizeof why), KX_ESYNTAX);
	T_INT(pe_parse(&pe, b, 10, why, sizeof why), KX_ESYNTAX);
	T_CONTAINS(why, "only 10 bytes");
	T_INT(pe_parse(&pe, b, 0, NULL, 0), KX_ESYNTAX);
}

static void test_resources(void)
{
	unsigned char b[IMG];
	struct pe_file pe;
	struct pe_version v;
	char why[200];
	/* The type directory's first entry points back at the root: no endless walk. */
	build(b);
	put32(b + RSRC + 20, 0x80000000u);
	T_INT(pe_parse(&pe, b, IMG, why, sizeof why), 0);
	T_OK(pe_version_read(&pe, &v) != 0);
	/* The language level points to a directory instead of data. */
	build(b);
	put32(b + RSRC + 0x30 + 20, 0x80000000u | 0x30);
	T_INT(pe_parse(&pe, b, IMG, why, sizeof why), 0);
	T_INT(pe_version_read(&pe, &v), KX_ESYNTAX);
	/* 65535 entries claimed: more than the section holds. */
	build(b);
	put16(b + RSRC + 14, 0xFFFF);
	T_INT(pe_parse(&pe, b, IMG, why, sizeof why), 0);
	T_INT(pe_version_read(&pe, &v), KX_ESYNTAX);
	/* The data entry's RVA is outside every section. */
	build(b);
	put32(b + RSRC + 0x48, 0x9000);
	T_INT(pe_parse(&pe, b, IMG, why, sizeof why), 0);
	T_INT(pe_version_read(&pe, &v), KX_ESYNTAX);
	/* Its size runs past the section. */
	build(b);
	put32(b + RSRC + 0x4c, 0xFFFFFFF0u);
	T_INT(pe_parse(&pe, b, IMG, why, sizeof why), 0);
	T_INT(pe_version_read(&pe, &v), KX_ESYNTAX);
	/* No resource directory at all. */
	build(b);
	put32(b + DIRS + 8 * 2 + 4, 0);
	T_INT(pe_parse(&pe, b, IMG, why, sizeof why), 0);
	T_INT(pe_version_read(&pe, &v), KX_ENOTFOUND);
	/* A version block whose length is larger than the resource. */
	build(b);
	put16(b + RSRC + 0x58, 0xFFFF);
	T_INT(pe_parse(&pe, b, IMG, why, sizeof why), 0);
	T_INT(pe_version_read(&pe, &v), KX_ESYNTAX);
	/* A string block with a key that never ends: the table yields nothing, no overrun. */
	unsigned char ver[64] = { 0 };
	put16(ver, 40);
	for (int i = 6; i < 40; i += 2)
		put16(ver + i, 'A');
	T_INT(pe_version_parse(ver, sizeof ver, &v), KX_ESYNTAX);
	T_INT(pe_version_parse(ver, 3, &v), KX_ESYNTAX);
}

/* Every prefix and every single-byte change of the headers: an answer, never a crash. */
static void test_hostile(void)
{
	unsigned char good[IMG];
	build(good);
	int crashes_would_show_under_asan = 0, parsed = 0, refused = 0;
	for (size_t len = 0; len < IMG; len++) {
		unsigned char *copy = xmalloc(len ? len : 1);
		memcpy(copy, good, len);
		struct pe_file pe;
		char why[200];
		if (pe_parse(&pe, copy, len, why, sizeof why) == 0) {
			struct pe_version v;
			pe_version_read(&pe, &v);
			parsed++;
		} else {
			refused++;
		}
		free(copy);
	}
	/* The file is only whole at full length; every shorter prefix cuts a section short. */
	T_INT(parsed, 0);
	T_INT(refused, IMG);
	static const unsigned char values[] = { 0x00, 0xFF, 0x80, 0x7F, 0x01 };
	for (size_t at = 0; at < 0x600; at++) {
		for (size_t k = 0; k < sizeof values; k++) {
			unsigned char b[IMG];
			memcpy(b, good, IMG);
			b[at] = values[k];
			struct pe_file pe;
			char why[200];
			if (pe_parse(&pe, b, IMG, why, sizeof why) != 0)
				continue;
			struct pe_version v;
			pe_version_read(&pe, &v);
			unsigned char d[64];
			unsigned dl;
			pe_image_digest(&pe, "sha256", true, d, &dl);
			crashes_would_show_under_asan++;
		}
	}
	T_OK(crashes_would_show_under_asan > 0);
}

static void test_entropy(void)
{
	unsigned char z[256], all[256];
	memset(z, 0, sizeof z);
	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	T_OK(pe_entropy(z, sizeof z) == 0.0);
	T_OK(pe_entropy(all, sizeof all) > 7.999 && pe_entropy(all, sizeof all) < 8.001);
	T_OK(pe_entropy(all, 0) == 0.0);
	T_OK(pe_entropy(all, 2) > 0.999 && pe_entropy(all, 2) < 1.001);
}

/* The certificate table's framing, before any PKCS#7 is read. */
static void test_cert_table(void)
{
	struct pe_sig s;
	unsigned char t[64] = { 0 };
	pe_sig_check_table(t, 4, NULL, NULL, 0, &s);
	T_CONTAINS(s.problem, "too small");
	pe_sig_release(&s);
	put32(t, 0x1000);
	pe_sig_check_table(t, sizeof t, NULL, NULL, 0, &s);
	T_CONTAINS(s.problem, "length field");
	pe_sig_release(&s);
	put32(t, 64);
	put16(t + 4, 0x0200);
	put16(t + 6, 1);
	pe_sig_check_table(t, sizeof t, NULL, NULL, 0, &s);
	T_CONTAINS(s.problem, "type 1");
	pe_sig_release(&s);
	put16(t + 6, 2);
	pe_sig_check_table(t, sizeof t, NULL, NULL, 0, &s);
	T_CONTAINS(s.problem, "not valid PKCS#7");
	T_OK(s.present);
	pe_sig_release(&s);

	/* A certificate table inside the sections, or followed by extra bytes, is malformed. */
	unsigned char b[IMG + 64];
	build(b);
	memcpy(b + IMG, t, 64);
	put32(b + DIRS + 32, 0x500);
	put32(b + DIRS + 36, 64);
	struct pe_file pe;
	char why[200];
	T_INT(pe_parse(&pe, b, IMG + 64, why, sizeof why), 0);
	pe_sig_check(&pe, NULL, 0, &s);
	T_CONTAINS(s.problem, "overlaps the program");
	pe_sig_release(&s);
	put32(b + DIRS + 32, IMG);
	put32(b + DIRS + 36, 32);
	T_INT(pe_parse(&pe, b, IMG + 64, why, sizeof why), 0);
	pe_sig_check(&pe, NULL, 0, &s);
	T_CONTAINS(s.problem, "32 bytes were added after the signature");
	pe_sig_release(&s);
}

int main(void)
{
	test_good();
	test_bad_headers();
	test_resources();
	test_hostile();
	test_entropy();
	test_cert_table();
	return t_done("pe");
}
