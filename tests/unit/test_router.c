/* SPDX-License-Identifier: MIT */
#include "../../server/router.h"
#include "t.h"

static const struct route_pattern table[] = {
	{ "GET", "/" },
	{ "GET", "/kb/{slug}" },
	{ "POST", "/kb/{slug}/feedback" },
	{ "GET", "/static/{name}" },
	{ "POST", "/api/wizard/{id}/answer" },
	{ "GET", "/api/wizard/{id}" },
};

static const struct {
	const char *method, *path;
	enum router_result want;
	int index;
	const char *param, *value;
	const char *allow;
} cases[] = {
	{ "GET", "/", ROUTER_FOUND, 0, NULL, NULL, "" },
	{ "HEAD", "/", ROUTER_FOUND, 0, NULL, NULL, "" },
	{ "GET", "/kb/what-is-kofmsp-dll", ROUTER_FOUND, 1, "slug", "what-is-kofmsp-dll", "" },
	{ "POST", "/kb/x/feedback", ROUTER_FOUND, 2, "slug", "x", "" },
	{ "GET", "/api/wizard/abc", ROUTER_FOUND, 5, "id", "abc", "" },
	{ "POST", "/api/wizard/abc/answer", ROUTER_FOUND, 4, "id", "abc", "" },
	{ "POST", "/kb/x", ROUTER_BAD_METHOD, -1, NULL, NULL, "GET" },
	{ "DELETE", "/", ROUTER_BAD_METHOD, -1, NULL, NULL, "GET" },
	{ "GET", "/kb/x/feedback", ROUTER_BAD_METHOD, -1, NULL, NULL, "POST" },
	{ "GET", "/nope", ROUTER_NOT_FOUND, -1, NULL, NULL, "" },
	{ "GET", "/kb", ROUTER_NOT_FOUND, -1, NULL, NULL, "" },
	{ "GET", "/kb/", ROUTER_NOT_FOUND, -1, NULL, NULL, "" },
	{ "GET", "/kb//x", ROUTER_NOT_FOUND, -1, NULL, NULL, "" },
	{ "GET", "/static/../etc/passwd", ROUTER_NOT_FOUND, -1, NULL, NULL, "" },
	{ "GET", "/static/..", ROUTER_NOT_FOUND, -1, NULL, NULL, "" },
	{ "GET", "/static/.", ROUTER_NOT_FOUND, -1, NULL, NULL, "" },
	{ "GET", "/kb/../static/x", ROUTER_NOT_FOUND, -1, NULL, NULL, "" },
	{ "GET", "", ROUTER_NOT_FOUND, -1, NULL, NULL, "" },
	{ "GET", "kb/x", ROUTER_NOT_FOUND, -1, NULL, NULL, "" },
	{ "GET", "/kb/x/", ROUTER_NOT_FOUND, -1, NULL, NULL, "" },
};

int main(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t idx = 99;
		struct route_params p;
		char allow[64];
		enum router_result got = router_match(table, sizeof table / sizeof table[0],
						      sizeof table[0], cases[i].method,
						      cases[i].path, &idx, &p, allow, sizeof allow);
		T_CHECK(got == cases[i].want, "case %zu %s %s: got %d", i, cases[i].method,
			cases[i].path, (int)got);
		if (got == ROUTER_FOUND && cases[i].want == ROUTER_FOUND) {
			T_INT(idx, cases[i].index);
			if (cases[i].param)
				T_STR(router_param(&p, cases[i].param), cases[i].value);
			T_OK(router_param(&p, "missing") == NULL);
		}
		if (cases[i].want == ROUTER_BAD_METHOD)
			T_STR(allow, cases[i].allow);
	}
	/* A capture longer than the value buffer never matches. */
	char long_path[600] = "/kb/";
	memset(long_path + 4, 'a', 500);
	long_path[504] = '\0';
	size_t idx;
	struct route_params p;
	char allow[64];
	T_INT(router_match(table, 6, sizeof table[0], "GET", long_path, &idx, &p, allow,
			   sizeof allow), ROUTER_NOT_FOUND);
	return t_done("router");
}
