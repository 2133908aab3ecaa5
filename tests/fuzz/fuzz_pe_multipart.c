/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes the multipart/form-data parser of the DLL upload. The input's first line is the
 * Content-Type header, the rest the body.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/util.h"
#include "../../server/multipart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t hlen = nl ? (size_t)(nl - data) : size;
	char *ctype = xstrndup((const char *)data, hlen);
	size_t blen = nl ? size - hlen - 1 : 0;
	char *body = xmalloc(blen ? blen : 1);
	if (blen)
		memcpy(body, nl + 1, blen);
	struct multipart *m = xmalloc(sizeof *m);
	char why[200];
	if (multipart_parse(m, ctype, body, blen, why, sizeof why) == 0) {
		char out[64];
		for (int i = 0; i < m->n; i++)
			multipart_text(&m->parts[i], out, sizeof out);
		multipart_get(m, "file");
	}
	char tok[65];
	multipart_field(ctype, body, blen, "csrf_token", tok, sizeof tok);
	free(m);
	free(body);
	free(ctype);
	return 0;
}
