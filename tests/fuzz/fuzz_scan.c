/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes what a saved scan brings in (`koffix scan --from FILE`, POST /api/wizard {"scan"}):
 * the input is JSON. Validate it; complete it as if an agent had sent it (events included) with
 * the shipped rules; write its report and the wizard's detected values. No input may crash or
 * leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/buf.h"
#include "../../scan/scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct scan_rules *rules;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!rules) {
		struct buf r;
		buf_init(&r, 1u << 20);
		rules = scan_rules_load("wizard/data/scan-rules.json", NULL, 0, NULL, 0, &r);
		buf_release(&r);
		if (!rules)
			abort();
	}
	cJSON *j = cJSON_ParseWithLength((const char *)data, size);
	if (!j)
		return 0;
	char err[256];
	(void)scan_validate(j, err, sizeof err);
	cJSON *scan = scan_complete(rules, j, cJSON_GetObjectItem(j, "check"), "fuzz");
	struct buf t;
	buf_init(&t, 1u << 22);
	scan_text(scan, &t);
	buf_release(&t);
	(void)scan_exit_code(scan);
	cJSON *det, *notes;
	scan_wizard_detected(scan, &det, &notes);
	cJSON_Delete(det);
	cJSON_Delete(notes);
	cJSON_Delete(scan);
	cJSON_Delete(j);
	return 0;
}
