/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the template engine: the input is compiled as template "main" beside a fixed
 * partial, linked, and rendered against a fixed context into a bounded buffer. Every step may
 * fail; nothing may crash, leak or read out of bounds.
 */
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "../../common/buf.h"
#include "../../templates/tpl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char partial_src[] =
	"<p>{{title}}</p>\n{{#items}}\n  <li>{{name}} {{{html}}}</li>\n{{/items}}\n"
	"{{^items}}none{{/items}}{{! a comment }}";

static const char ctx_json[] =
	"{\"title\":\"T & <b>\",\"html\":\"<em>raw</em>\",\"n\":42,\"f\":2.5,\"yes\":true,"
	"\"no\":false,\"nil\":null,\"empty\":[],\"s\":\"str\",\"obj\":{\"a\":{\"b\":\"deep\"}},"
	"\"items\":[{\"name\":\"x\",\"tags\":[\"t1\",\"t2\"]},{\"name\":\"y'\",\"n\":0}]}";

/*
 * Nested sections over a two-element array double the work at every level without necessarily
 * producing output, so a few dozen of them would keep one input running for years: inputs with
 * many section tags are skipped (every section tag holds a '#' or a '^').
 */
static int too_many_sections(const uint8_t *data, size_t size)
{
	size_t n = 0;
	for (size_t i = 0; i < size; i++)
		n += data[i] == '#' || data[i] == '^';
	return n > 12;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	if (too_many_sections(data, size))
		return 0;
	cJSON *ctx = cJSON_Parse(ctx_json);
	struct tpl_set *set = tpl_set_new();
	struct buf out;
	buf_init(&out, 1u << 16);
	tpl_set_add(set, "part", partial_src, sizeof(partial_src) - 1, err, sizeof(err));
	if (tpl_set_add(set, "main", (const char *)data, size, err, sizeof(err)) == 0 &&
	    tpl_set_link(set, err, sizeof(err)) == 0) {
		tpl_render(set, "main", ctx, &out, err, sizeof(err));
		/* the same compiled set serves further renders */
		buf_reset(&out);
		tpl_render(set, "part", ctx, &out, err, sizeof(err));
	}
	buf_release(&out);
	tpl_set_free(set);
	cJSON_Delete(ctx);
	return 0;
}
