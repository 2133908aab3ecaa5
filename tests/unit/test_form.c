/* SPDX-License-Identifier: MIT */
#include <stdio.h>

#include "../../common/util.h"
#include "../../server/form.h"
#include "t.h"

static void test_urlencoded(void)
{
	static const struct {
		const char *in;
		int rc;
		const char *key, *value;
		int n;
	} cases[] = {
		{ "helpful=yes&comment=a+b%21", 0, "comment", "a b!", 2 },
		{ "helpful=yes", 0, "helpful", "yes", 1 },
		{ "a=1&&b=2", 0, "b", "2", 2 },
		{ "flag", 0, "flag", "", 1 },
		{ "k=%3Cscript%3E", 0, "k", "<script>", 1 },
		{ "k=%zz", 0, "k", "%zz", 1 },
		{ "k=a%00b", KX_EINVAL, NULL, NULL, 0 },
		{ "", 0, NULL, NULL, 0 },
		{ "=v", 0, "", "v", 1 },
		{ "a=1&a=2", 0, "a", "1", 2 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct form f;
		form_init(&f);
		int rc = form_parse_urlencoded(&f, cases[i].in, strlen(cases[i].in));
		T_CHECK(rc == cases[i].rc, "case %zu '%s': rc %d", i, cases[i].in, rc);
		if (rc == 0) {
			T_INT(f.n, cases[i].n);
			if (cases[i].key)
				T_STR(form_get(&f, cases[i].key), cases[i].value);
		}
		form_release(&f);
	}
	/* Too many fields. */
	char many[FORM_MAX_FIELDS * 8];
	many[0] = '\0';
	for (int i = 0; i <= FORM_MAX_FIELDS; i++)
		snprintf(many + strlen(many), sizeof many - strlen(many), "k%d=1&", i);
	struct form f;
	form_init(&f);
	T_INT(form_parse_urlencoded(&f, many, strlen(many)), KX_ETOOBIG);
	form_release(&f);
	/* A NUL inside the raw data is refused too. */
	form_init(&f);
	T_INT(form_parse_urlencoded(&f, "a=1\0b=2", 7), KX_EINVAL);
	form_release(&f);
}

static void test_cookies(void)
{
	struct form f;
	form_init(&f);
	T_INT(form_parse_cookies(&f, "koffix_csrf=abc; koffix_token=t%20x;other=1"), 0);
	T_STR(form_get(&f, "koffix_csrf"), "abc");
	T_STR(form_get(&f, "koffix_token"), "t%20x");
	T_STR(form_get(&f, "other"), "1");
	T_OK(form_get(&f, "none") == NULL);
	form_release(&f);
}

int main(void)
{
	test_urlencoded();
	test_cookies();
	return t_done("form");
}
