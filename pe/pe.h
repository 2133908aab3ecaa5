/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_PE_H
#define KOFFIX_PE_H

/*
 * A read-only parser for Windows PE files (DLLs and EXEs) held in memory, written for files
 * that may be hostile.
 *
 * Rules:
 *  - Nothing is trusted: every offset and size read from the file is checked against the
 *    buffer with overflow-safe arithmetic (sizes are widened to 64 bits before adding) before
 *    a byte behind it is read. Tables have fixed caps (PE_MAX_SECTIONS, 16 data directories,
 *    PE_RES_MAX_ENTRIES resource entries visited, 3 resource levels), so every loop ends.
 *  - A file that cannot be parsed gives KX_ESYNTAX and one sentence a person can read ("the
 *    file ends inside its section table"), never a crash: the DLL check reports it as
 *    not_analysable.
 *  - struct pe_file points into the caller's buffer (it copies nothing and allocates
 *    nothing): the buffer must outlive it. pe_parse() fills it; there is nothing to release.
 *  - The security directory (data directory 4) holds a FILE OFFSET, not an RVA: the
 *    certificate table is not mapped into memory (PE/COFF specification, "The Attribute
 *    Certificate Table").
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PE_MAX_SECTIONS 96          /* the Windows loader's limit */
#define PE_MAX_DIRS 16
#define PE_RES_MAX_ENTRIES 4096     /* resource directory entries visited at most */

#define PE_MACHINE_I386 0x014c
#define PE_MACHINE_AMD64 0x8664
#define PE_FILE_EXECUTABLE 0x0002   /* COFF characteristics */
#define PE_FILE_DLL 0x2000
#define PE_SCN_CODE 0x00000020      /* section characteristics */
#define PE_SCN_EXECUTE 0x20000000
#define PE_SCN_WRITE 0x80000000

enum pe_dir_index { PE_DIR_EXPORT = 0, PE_DIR_RESOURCE = 2, PE_DIR_SECURITY = 4 };

struct pe_section {
	char name[9];               /* as written, NUL-terminated (unprintable bytes become '?') */
	uint32_t vaddr, vsize;      /* RVA and size in memory */
	uint32_t raw_off, raw_size; /* where its bytes are in the file (raw_size may be 0) */
	uint32_t flags;             /* IMAGE_SCN_* */
	double entropy;             /* Shannon entropy of its bytes in the file, 0..8 bits/byte */
};

struct pe_dir {
	uint32_t rva, size;
};

struct pe_file {
	const unsigned char *data;
	size_t len;
	uint16_t machine;           /* PE_MACHINE_* or anything else the file says */
	uint16_t characteristics;   /* COFF header: PE_FILE_DLL, PE_FILE_EXECUTABLE, ... */
	bool pe32plus;              /* optional header magic 0x20b (64-bit) rather than 0x10b */
	uint32_t entry_rva;         /* AddressOfEntryPoint; 0 is allowed for a DLL */
	uint32_t size_of_headers;
	uint32_t checksum;
	size_t checksum_off;        /* file offset of the CheckSum field */
	size_t secdir_entry_off;    /* file offset of data directory 4, or 0 when it has none */
	uint32_t ndirs;             /* data directories present (at most PE_MAX_DIRS) */
	struct pe_dir dirs[PE_MAX_DIRS];
	uint32_t cert_off, cert_size; /* the certificate table (file offset; size 0: none) */
	size_t sections_end;        /* file offset past the last section's bytes (or the headers) */
	unsigned nsections;
	struct pe_section sections[PE_MAX_SECTIONS];
	uint64_t resource_bytes;    /* sum of the sizes of every resource (data entries) */
	unsigned resource_count;
};

/*
 * Parses the len bytes at data. Returns 0, or KX_ESYNTAX with a sentence for a person in why
 * (whylen bytes; always written on failure). Section entropies are computed here.
 */
int pe_parse(struct pe_file *pe, const void *data, size_t len, char *why, size_t whylen);

/*
 * Maps an RVA to a file offset such that len bytes from there lie inside one section's bytes
 * in the file (or inside the headers). 0 and *off, or KX_ENOTFOUND.
 */
int pe_rva_to_off(const struct pe_file *pe, uint32_t rva, uint32_t len, size_t *off);

/* The section holding rva in memory, or NULL. */
const struct pe_section *pe_section_at(const struct pe_file *pe, uint32_t rva);

/*
 * Finds the first resource of type type (RT_VERSION is 16): its bytes in the file. 0 with
 * *res and *len set, KX_ENOTFOUND when there is none, KX_ESYNTAX when the tree is damaged.
 */
int pe_find_resource(const struct pe_file *pe, uint32_t type, const unsigned char **res,
		     size_t *len);

/* Shannon entropy of n bytes, in bits per byte (0 for n == 0). */
double pe_entropy(const unsigned char *p, size_t n);

/* "x86", "x64" or NULL for other machines. */
const char *pe_machine_name(uint16_t machine);

/* Little-endian reads; the caller has checked the bounds. */
static inline uint16_t pe_u16(const unsigned char *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t pe_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

/* true when [off, off + n) lies inside a buffer of len bytes (no overflow). */
static inline bool pe_in(size_t len, uint64_t off, uint64_t n)
{
	return off <= len && n <= len - off;
}

/*
 * VS_VERSIONINFO: the fixed file info and the strings of one StringTable (the one that the
 * Translation entry names, else the first). Strings are UTF-8, cut at PE_VER_MAX - 1 bytes
 * on a character boundary; a missing string is "".
 */
#define PE_VER_MAX 256

enum pe_ver_field {
	PE_VER_COMPANY, PE_VER_DESCRIPTION, PE_VER_FILE_VERSION, PE_VER_ORIGINAL_NAME,
	PE_VER_PRODUCT_NAME, PE_VER_PRODUCT_VERSION, PE_VER_INTERNAL_NAME, PE_VER_COPYRIGHT,
	PE_VER__COUNT
};

/* The key of each field in the resource ("CompanyName", ...). */
extern const char *const pe_ver_keys[PE_VER__COUNT];

struct pe_version {
	bool has_fixed;
	uint16_t file_version[4];     /* from VS_FIXEDFILEINFO: major, minor, build, revision */
	uint16_t product_version[4];
	char table[9];                /* the StringTable used, e.g. "040904b0" */
	char str[PE_VER__COUNT][PE_VER_MAX];
};

/*
 * Parses the version resource of pe. 0, KX_ENOTFOUND (no RT_VERSION resource) or KX_ESYNTAX
 * (a damaged one); ver is zeroed first and holds what could be read either way.
 */
int pe_version_read(const struct pe_file *pe, struct pe_version *ver);

/* Parses len bytes of a VS_VERSIONINFO block (what pe_version_read finds). Same returns. */
int pe_version_parse(const unsigned char *p, size_t len, struct pe_version *ver);

#endif
