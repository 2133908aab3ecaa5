/* SPDX-License-Identifier: MIT */
/*
 * PE/COFF parsing (Microsoft's "PE Format" specification): the DOS stub's pointer to the PE
 * signature, the COFF header, the optional header (PE32 or PE32+), the data directories, the
 * section table and the resource tree. Every read is preceded by a pe_in() bounds check.
 */
#include "pe.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../common/util.h"

#define COFF_SIZE 20
#define SECTION_SIZE 40
#define RT_DIR_SIZE 16
#define RT_ENTRY_SIZE 8
#define RT_DATA_SIZE 16
#define HIGH_BIT 0x80000000u

/* Every refusal of the parser is a syntax error, with its reason in why. */
#define fail(why, whylen, ...) kx_errorf(why, whylen, KX_ESYNTAX, __VA_ARGS__)

double pe_entropy(const unsigned char *p, size_t n)
{
	if (n == 0)
		return 0.0;
	size_t count[256] = { 0 };
	for (size_t i = 0; i < n; i++)
		count[p[i]]++;
	double h = 0.0;
	for (int i = 0; i < 256; i++) {
		if (!count[i])
			continue;
		double q = (double)count[i] / (double)n;
		h -= q * log2(q);
	}
	return h;
}

const char *pe_machine_name(uint16_t machine)
{
	if (machine == PE_MACHINE_I386)
		return "x86";
	if (machine == PE_MACHINE_AMD64)
		return "x64";
	return NULL;
}

const struct pe_section *pe_section_at(const struct pe_file *pe, uint32_t rva)
{
	for (unsigned i = 0; i < pe->nsections; i++) {
		const struct pe_section *s = &pe->sections[i];
		uint64_t span = s->vsize > s->raw_size ? s->vsize : s->raw_size;
		if (rva >= s->vaddr && (uint64_t)rva - s->vaddr < span)
			return s;
	}
	return NULL;
}

int pe_rva_to_off(const struct pe_file *pe, uint32_t rva, uint32_t len, size_t *off)
{
	if ((uint64_t)rva + len <= pe->size_of_headers && pe_in(pe->len, rva, len)) {
		*off = rva;
		return 0;
	}
	for (unsigned i = 0; i < pe->nsections; i++) {
		const struct pe_section *s = &pe->sections[i];
		/* Only the bytes present in the file can be read; the rest of vsize is zero-fill. */
		if (rva < s->vaddr || (uint64_t)rva - s->vaddr + len > s->raw_size)
			continue;
		uint64_t o = (uint64_t)s->raw_off + (rva - s->vaddr);
		if (!pe_in(pe->len, o, len))
			continue;
		*off = (size_t)o;
		return 0;
	}
	return KX_ENOTFOUND;
}

/* The resource tree: offsets inside it are relative to its root, bounded by avail bytes. */
struct res_tree {
	const struct pe_file *pe;
	const unsigned char *root;
	size_t avail;
	unsigned visited;
};

static int res_open(const struct pe_file *pe, struct res_tree *t)
{
	memset(t, 0, sizeof *t);
	t->pe = pe;
	if (pe->ndirs <= PE_DIR_RESOURCE || pe->dirs[PE_DIR_RESOURCE].size == 0)
		return KX_ENOTFOUND;
	uint32_t rva = pe->dirs[PE_DIR_RESOURCE].rva;
	size_t off;
	if (pe_rva_to_off(pe, rva, RT_DIR_SIZE, &off) != 0)
		return KX_ESYNTAX;
	const struct pe_section *s = pe_section_at(pe, rva);
	size_t avail = pe->len - off;
	if (s && s->raw_size) {
		uint64_t left = (uint64_t)s->raw_size - (rva - s->vaddr);
		if (left < avail)
			avail = (size_t)left;
	}
	t->root = pe->data + off;
	t->avail = avail;
	return 0;
}

/* A directory at off: its entry count and entries; KX_ESYNTAX when it is out of bounds. */
static int res_dir(struct res_tree *t, uint32_t off, unsigned *n, const unsigned char **entries)
{
	if (!pe_in(t->avail, off, RT_DIR_SIZE))
		return KX_ESYNTAX;
	const unsigned char *d = t->root + off;
	unsigned count = (unsigned)pe_u16(d + 12) + pe_u16(d + 14);
	if (!pe_in(t->avail, (uint64_t)off + RT_DIR_SIZE, (uint64_t)count * RT_ENTRY_SIZE))
		return KX_ESYNTAX;
	t->visited += count;
	if (t->visited > PE_RES_MAX_ENTRIES)
		return KX_ETOOBIG;
	*n = count;
	*entries = d + RT_DIR_SIZE;
	return 0;
}

/* A data entry at off: the resource's bytes in the file. */
static int res_data(struct res_tree *t, uint32_t off, const unsigned char **p, size_t *len)
{
	if (!pe_in(t->avail, off, RT_DATA_SIZE))
		return KX_ESYNTAX;
	const unsigned char *d = t->root + off;
	uint32_t rva = pe_u32(d), size = pe_u32(d + 4);
	size_t foff;
	if (pe_rva_to_off(t->pe, rva, size, &foff) != 0)
		return KX_ESYNTAX;
	*p = t->pe->data + foff;
	*len = size;
	return 0;
}

int pe_find_resource(const struct pe_file *pe, uint32_t type, const unsigned char **res,
		     size_t *len)
{
	struct res_tree t;
	int rc = res_open(pe, &t);
	if (rc)
		return rc;
	unsigned n;
	const unsigned char *e;
	if (res_dir(&t, 0, &n, &e))
		return KX_ESYNTAX;
	for (unsigned i = 0; i < n; i++, e += RT_ENTRY_SIZE) {
		uint32_t id = pe_u32(e), off = pe_u32(e + 4);
		if ((id & HIGH_BIT) || id != type)
			continue;
		if (!(off & HIGH_BIT))
			return KX_ESYNTAX;
		/* Level 2 (the resource's name or id) and level 3 (its language): the first of each,
		 * as the version APIs do when no language is asked for. */
		unsigned n2, n3;
		const unsigned char *e2, *e3;
		if (res_dir(&t, off & ~HIGH_BIT, &n2, &e2) || n2 == 0)
			return KX_ESYNTAX;
		uint32_t off2 = pe_u32(e2 + 4);
		if (!(off2 & HIGH_BIT) || res_dir(&t, off2 & ~HIGH_BIT, &n3, &e3) || n3 == 0)
			return KX_ESYNTAX;
		uint32_t off3 = pe_u32(e3 + 4);
		if (off3 & HIGH_BIT)
			return KX_ESYNTAX;
		return res_data(&t, off3, res, len) ? KX_ESYNTAX : 0;
	}
	return KX_ENOTFOUND;
}

/* Sums every resource's size (three levels: type, name, language). Damage ends the count. */
static void count_resources(struct pe_file *pe)
{
	struct res_tree t;
	unsigned n1, n2, n3;
	const unsigned char *e1, *e2, *e3;
	if (res_open(pe, &t) || res_dir(&t, 0, &n1, &e1))
		return;
	for (unsigned i = 0; i < n1; i++, e1 += RT_ENTRY_SIZE) {
		uint32_t o1 = pe_u32(e1 + 4);
		if (!(o1 & HIGH_BIT) || res_dir(&t, o1 & ~HIGH_BIT, &n2, &e2))
			return;
		for (unsigned j = 0; j < n2; j++, e2 += RT_ENTRY_SIZE) {
			uint32_t o2 = pe_u32(e2 + 4);
			if (!(o2 & HIGH_BIT) || res_dir(&t, o2 & ~HIGH_BIT, &n3, &e3))
				return;
			for (unsigned k = 0; k < n3; k++, e3 += RT_ENTRY_SIZE) {
				uint32_t o3 = pe_u32(e3 + 4);
				const unsigned char *p;
				size_t len;
				if ((o3 & HIGH_BIT) || res_data(&t, o3, &p, &len))
					return;
				pe->resource_bytes += len;
				pe->resource_count++;
			}
		}
	}
}

int pe_parse(struct pe_file *pe, const void *data, size_t len, char *why, size_t whylen)
{
	memset(pe, 0, sizeof *pe);
	pe->data = data;
	pe->len = len;
	const unsigned char *p = data;
	if (len < 64)
		return fail(why, whylen, "the file is only %zu bytes long, too short for a Windows "
			    "program file", len);
	if (p[0] != 'M' || p[1] != 'Z')
		return fail(why, whylen, "the file does not start with \"MZ\", so it is not a Windows "
			    "program file (DLL or EXE)");
	uint32_t lfanew = pe_u32(p + 0x3c);
	if (!pe_in(len, lfanew, 4 + COFF_SIZE))
		return fail(why, whylen, "the file is cut short or damaged: its header points to "
			    "byte %u, past its end", (unsigned)lfanew);
	if (memcmp(p + lfanew, "PE\0\0", 4) != 0)
		return fail(why, whylen, "the file has no \"PE\" signature where its header points: "
			    "it is an old DOS program or a damaged file, not a Windows DLL");
	const unsigned char *coff = p + lfanew + 4;
	pe->machine = pe_u16(coff);
	unsigned nsect = pe_u16(coff + 2);
	unsigned optsize = pe_u16(coff + 16);
	pe->characteristics = pe_u16(coff + 18);
	if (nsect > PE_MAX_SECTIONS)
		return fail(why, whylen, "the file declares %u sections; Windows refuses files with "
			    "more than %d", nsect, PE_MAX_SECTIONS);
	uint64_t opt = (uint64_t)lfanew + 4 + COFF_SIZE;
	if (optsize < 2 || !pe_in(len, opt, optsize))
		return fail(why, whylen, "the file is cut short inside its optional header");
	const unsigned char *o = p + opt;
	unsigned magic = pe_u16(o), dirstart, nrva_at;
	if (magic == 0x10b) {
		dirstart = 96;
		nrva_at = 92;
	} else if (magic == 0x20b) {
		pe->pe32plus = true;
		dirstart = 112;
		nrva_at = 108;
	} else {
		return fail(why, whylen, "the optional header has the unknown type 0x%x (neither "
			    "32-bit nor 64-bit)", magic);
	}
	if (optsize < dirstart)
		return fail(why, whylen, "the optional header is %u bytes long, too short for its "
			    "type", optsize);
	pe->entry_rva = pe_u32(o + 16);
	pe->size_of_headers = pe_u32(o + 60);
	pe->checksum = pe_u32(o + 64);
	pe->checksum_off = (size_t)opt + 64;
	uint32_t nrva = pe_u32(o + nrva_at);
	uint32_t fit = (optsize - dirstart) / 8;
	pe->ndirs = nrva < fit ? nrva : fit;
	if (pe->ndirs > PE_MAX_DIRS)
		pe->ndirs = PE_MAX_DIRS;
	for (uint32_t i = 0; i < pe->ndirs; i++) {
		pe->dirs[i].rva = pe_u32(o + dirstart + 8 * i);
		pe->dirs[i].size = pe_u32(o + dirstart + 8 * i + 4);
	}
	if (pe->ndirs > PE_DIR_SECURITY) {
		pe->secdir_entry_off = (size_t)opt + dirstart + 8 * PE_DIR_SECURITY;
		pe->cert_off = pe->dirs[PE_DIR_SECURITY].rva;
		pe->cert_size = pe->dirs[PE_DIR_SECURITY].size;
	}

	uint64_t sect = opt + optsize;
	if (!pe_in(len, sect, (uint64_t)nsect * SECTION_SIZE))
		return fail(why, whylen, "the file is cut short inside its section table");
	if (pe->size_of_headers > len)
		return fail(why, whylen, "the file is cut short: its headers should take %u bytes "
			    "but the file has %zu", (unsigned)pe->size_of_headers, len);
	pe->sections_end = (size_t)(sect + (uint64_t)nsect * SECTION_SIZE);
	if (pe->size_of_headers > pe->sections_end)
		pe->sections_end = pe->size_of_headers;
	for (unsigned i = 0; i < nsect; i++) {
		const unsigned char *s = p + sect + (uint64_t)i * SECTION_SIZE;
		struct pe_section *sec = &pe->sections[i];
		for (int k = 0; k < 8; k++)
			sec->name[k] = (s[k] == 0 || (s[k] >= 0x20 && s[k] < 0x7f)) ? (char)s[k] : '?';
		sec->name[8] = '\0';
		sec->vsize = pe_u32(s + 8);
		sec->vaddr = pe_u32(s + 12);
		sec->raw_size = pe_u32(s + 16);
		sec->raw_off = pe_u32(s + 20);
		sec->flags = pe_u32(s + 36);
		if (sec->raw_size == 0)
			continue;
		if (!pe_in(len, sec->raw_off, sec->raw_size))
			return fail(why, whylen, "the file is cut short: section '%s' should end at byte "
				    "%llu but the file has only %zu bytes", sec->name,
				    (unsigned long long)sec->raw_off + sec->raw_size, len);
		sec->entropy = pe_entropy(p + sec->raw_off, sec->raw_size);
		if ((size_t)sec->raw_off + sec->raw_size > pe->sections_end)
			pe->sections_end = (size_t)sec->raw_off + sec->raw_size;
	}
	pe->nsections = nsect;
	if (pe->cert_size && !pe_in(len, pe->cert_off, pe->cert_size))
		return fail(why, whylen, "the file is cut short: its signature should end at byte "
			    "%llu but the file has only %zu bytes",
			    (unsigned long long)pe->cert_off + pe->cert_size, len);
	count_resources(pe);
	return 0;
}
