/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes the wizard: the input is a flow in JSON. Parse it, check it, and when the checker
 * accepts it, walk it: answer every question with its first option (or a version), go back
 * now and then, and render each step. No input may crash, loop or leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/buf.h"
#include "../../wizard/wiz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	struct wiz_flow *f = wiz_flow_parse("fuzz.json", (const char *)data, size, NULL, err,
					    sizeof err);
	if (!f)
		return 0;
	struct buf report;
	buf_init(&report, 1u << 20);
	int problems = wiz_flow_check(f, NULL, &report);
	buf_release(&report);
	cJSON *presets = cJSON_Parse("{\"q\": \"a\"}");
	cJSON *session = NULL;
	if (wiz_session_new(f, NULL, presets, &session, err, sizeof err) == 0) {
		for (int step = 0; step < 64; step++) {
			cJSON *v = wiz_view(f, session, "fuzz");
			const cJSON *node = cJSON_GetObjectItem(v, "node");
			const cJSON *opt = cJSON_GetArrayItem(cJSON_GetObjectItem(v, "options"), 0);
			const cJSON *val = cJSON_GetObjectItem(opt, "value");
			char n[256] = "", a[256] = "1.2.3";
			if (cJSON_IsString(node))
				strncpy(n, node->valuestring, sizeof n - 1);
			if (cJSON_IsString(val))
				strncpy(a, val->valuestring, sizeof a - 1);
			cJSON_Delete(v);
			if (!*n)
				break;
			if (step % 7 == 3)
				wiz_back(f, session, NULL, err, sizeof err);
			else if (wiz_answer(f, session, n, a, 1, err, sizeof err) != 0)
				wiz_answer(f, session, n, "", 1, err, sizeof err);
		}
		free(wiz_text(f, session, "{{q}} and {{ unterminated"));
	}
	(void)problems;
	cJSON_Delete(session);
	cJSON_Delete(presets);
	wiz_flow_free(f);
	return 0;
}
