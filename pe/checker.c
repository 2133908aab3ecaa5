/* SPDX-License-Identifier: MIT */
/* The DLL check's one set-up: rules and trust (checker.h). */
#include "checker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "sig.h"

struct pe_checker {
	struct pe_rules *rules;
	struct pe_trust *trust;
};

struct pe_checker *pe_checker_open(const char *data_dir, const char *ca_file, char *err,
				   size_t errlen)
{
	if (!ca_file || !*ca_file)
		ca_file = getenv("KOFFIX_CA_FILE");
	if (ca_file && !*ca_file)
		ca_file = NULL;
	struct pe_checker *c = xcalloc(1, sizeof *c);
	c->rules = pe_rules_load(data_dir, err, errlen);
	if (!c->rules) {
		free(c);
		return NULL;
	}
	size_t len = strlen(data_dir) + 16;
	char *pinned = xmalloc(len);
	snprintf(pinned, len, "%s/pinned", data_dir);
	char why[400];
	c->trust = pe_trust_new(ca_file, true, pinned, why, sizeof why);
	free(pinned);
	if (!c->trust) {
		snprintf(err, errlen, "%s%s", ca_file ? "the certificate authorities file: " : "",
			 why);
		pe_rules_free(c->rules);
		free(c);
		return NULL;
	}
	return c;
}

void pe_checker_free(struct pe_checker *c)
{
	if (!c)
		return;
	pe_trust_free(c->trust);
	pe_rules_free(c->rules);
	free(c);
}

enum pe_verdict pe_checker_check(const struct pe_checker *c, const void *data, size_t len,
				 struct pe_check_opts *o, cJSON **report)
{
	o->trust = c->trust;
	return pe_check(c->rules, data, len, o, report);
}

enum pe_verdict pe_checker_installer(const struct pe_checker *c, const void *data, size_t len,
				     struct pe_check_opts *o, char *out, size_t outlen)
{
	o->trust = c->trust;
	return pe_check_installer(c->rules, data, len, o, out, outlen);
}

enum pe_verdict pe_checker_unreadable(const struct pe_checker *c, const char *why,
				      struct pe_check_opts *o, cJSON **report)
{
	o->trust = c->trust;
	return pe_check_unreadable(c->rules, why, o, report);
}
