/* SPDX-License-Identifier: MIT */
/* Fuzzes the urlencoded-form, cookie and router parsers with the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/util.h"
#include "../../server/form.h"
#include "../../server/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct form f;
	form_init(&f);
	form_parse_urlencoded(&f, (const char *)data, size);
	form_get(&f, "csrf_token");
	form_release(&f);

	char *s = xstrndup((const char *)data, size);
	form_init(&f);
	form_parse_cookies(&f, s);
	form_release(&f);

	static const struct route_pattern table[] = {
		{ "GET", "/" }, { "GET", "/kb/{slug}" }, { "POST", "/kb/{slug}/feedback" },
		{ "GET", "/static/{name}" },
	};
	size_t idx;
	struct route_params p;
	char allow[64];
	router_match(table, 4, sizeof table[0], "GET", s, &idx, &p, allow, sizeof allow);
	kx_url_decode(s, true);
	free(s);
	return 0;
}
