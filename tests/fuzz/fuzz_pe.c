/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes the PE parser with everything that reads the file after it: the resource walk, the
 * version resource, the Authenticode image digest (both methods) and the certificate table.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/util.h"
#include "../../pe/pe.h"
#include "../../pe/sig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes, so that any read past the end is caught. */
	unsigned char *copy = xmalloc(size ? size : 1);
	memcpy(copy, data, size);
	struct pe_file *pe = xmalloc(sizeof *pe);
	char why[200];
	if (pe_parse(pe, copy, size, why, sizeof why) == 0) {
		struct pe_version v;
		pe_version_read(pe, &v);
		unsigned char d[64];
		unsigned dl;
		pe_image_digest(pe, "sha256", false, d, &dl);
		pe_image_digest(pe, "sha1", true, d, &dl);
		const unsigned char *res;
		size_t rlen;
		pe_find_resource(pe, 24, &res, &rlen);
		for (unsigned i = 0; i < pe->nsections; i++)
			pe_section_at(pe, pe->sections[i].vaddr);
		struct pe_sig sig;
		pe_sig_check(pe, NULL, 0, &sig);
		pe_sig_release(&sig);
	}
	/* The version parser on its own, on the raw bytes. */
	struct pe_version v;
	pe_version_parse(copy, size, &v);
	free(pe);
	free(copy);
	return 0;
}
