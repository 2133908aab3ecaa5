/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes the Windows agent's JSON reader (agent/json.c), built on Linux against a tiny
 * <windows.h> stand-in (tests/fuzz/win32shim): parse the request, walk it, write each string
 * back out as JSON, free everything.
 */
#include <stdint.h>
#include <stdlib.h>

#include "../../agent/agent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const struct json *v, struct sb *out, int depth)
{
	for (; v && depth < 64; v = v->next) {
		if (v->type == JSON_STRING) {
			sb_jstr(out, v->str);
			wchar_t *w = u2w(v->str);
			if (w) {
				char *back = w2u(w);
				free(back);
				free(w);
			}
		}
		walk(v->child, out, depth + 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json *j = json_parse((const char *)data, size);
	if (!j)
		return 0;
	struct sb out = { 0 };
	walk(j, &out, 0);
	json_str(j, "command");
	json_get(j, "step");
	sb_free(&out);
	json_free(j);
	return 0;
}
