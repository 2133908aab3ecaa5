/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes the scan's rules file (wizard/data/scan-rules.json, read at start-up and by `koffix
 * flow check`): parse and validate it; when it is accepted, apply it to the facts of a scan
 * (tests/fixtures/scans/connector-removed.json) and to no facts at all. No input may crash or
 * leak; a refused file must say why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/buf.h"
#include "../../common/util.h"
#include "../../scan/scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static cJSON *facts;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!facts) {
		char *text;
		size_t len;
		if (kx_read_file("tests/fixtures/scans/connector-removed.json", 1u << 22, &text, &len))
			abort();
		cJSON *scan = cJSON_ParseWithLength(text, len);
		free(text);
		facts = cJSON_DetachItemFromObject(scan, "facts");
		cJSON_Delete(scan);
		if (!facts)
			abort();
	}
	static const char *const articles[] = { "a", "rebuild-outlook-profile" };
	static const char *const actions[] = { "rebuild-profile", "check-dll" };
	struct buf report;
	buf_init(&report, 1u << 20);
	struct scan_rules *r = scan_rules_parse("fuzz", (const char *)data, size, articles, 2,
						actions, 2, &report);
	if (!r && !report.len)
		abort();
	if (r) {
		cJSON *f = scan_findings(r, facts);
		cJSON_Delete(f);
		cJSON *none = cJSON_CreateObject();
		f = scan_findings(r, none);
		cJSON_Delete(f);
		cJSON_Delete(none);
		(void)scan_rules_count(r);
		scan_rules_free(r);
	}
	buf_release(&report);
	return 0;
}
