/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the front matter parser on arbitrary bytes, then the renderer on the body that a
 * successful parse points at, exactly as indexing does. Invariants are checked so that a wrong
 * answer, not only a crash, stops the fuzzer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/util.h"
#include "../../kb/article.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *src = (const char *)data;
	struct kb_meta meta;
	struct kb_rendered r;
	size_t off = 0;
	int line = 0;
	char err[160];

	int rc = kb_meta_parse(src, size, &meta, &off, &line, err, sizeof(err));
	if (rc != 0) {
		/* Every failure explains itself with a line number and leaves nothing behind. */
		if (rc != KX_ESYNTAX || strncmp(err, "line ", 5) != 0 || meta.title || meta.tags.n)
			abort();
		return 0;
	}
	if (!meta.title || !*meta.title || !kx_is_slug(meta.slug) || !meta.updated || off > size ||
	    line < 3 || meta.tags.n > 64 || meta.sources.n > 64)
		abort();
	if (kb_render(src + off, size - off, &r, err, sizeof(err)) == 0) {
		if (!r.html || !r.text)
			abort();
		kb_rendered_release(&r);
	}
	kb_meta_release(&meta);
	return 0;
}
