/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: kb_render on arbitrary bytes. Besides memory errors it checks what safe mode
 * promises: no live <script> and no heading without its TOC entry.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/util.h"
#include "../../kb/article.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kb_rendered r;
	char err[64];

	int rc = kb_render((const char *)data, size, &r, err, sizeof(err));
	if (rc != 0) {
		if (rc != KX_EINVAL || strncmp(err, "line ", 5) != 0 || r.html)
			abort();
		return 0;
	}
	if (!r.html || !r.text || strstr(r.html, "<script") ||
	    count(r.html, "<h2") + count(r.html, "<h3") != r.ntoc)
		abort();
	for (size_t i = 0; i < r.ntoc; i++)
		if (!kx_is_slug(r.toc[i].id) || (r.toc[i].level != 2 && r.toc[i].level != 3))
			abort();
	kb_rendered_release(&r);
	return 0;
}
