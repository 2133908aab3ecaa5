/* SPDX-License-Identifier: MIT */
/* The administrator's policy for koffix (policy.h); the registry is read by the platform. */
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "platform.h"
#include "policy.h"

static const struct {
	const char *name;
	size_t off, len;
	const char *meaning;
} fields[] = {
	{ "ConnectorInstaller", offsetof(struct kx_policy, installer), sizeof ((struct kx_policy *)0)->installer,
	  "The connector's installer that the reinstall repair uses unless another is chosen." },
	{ "ServerVersion", offsetof(struct kx_policy, server), sizeof ((struct kx_policy *)0)->server,
	  "The Kerio Connect server's version: readiness and the fleet check connectors against it." },
	{ "AllowedRepairs", offsetof(struct kx_policy, allowed), sizeof ((struct kx_policy *)0)->allowed,
	  "The repairs koffix may run on this PC; any other is refused before it starts." },
	{ "TicketDestination", offsetof(struct kx_policy, tickets), sizeof ((struct kx_policy *)0)->tickets,
	  "Where support tickets go." },
};

void kx_policy_from_json(struct kx_policy *p, const cJSON *values)
{
	memset(p, 0, sizeof *p);
	p->available = true;
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		const cJSON *item = cJSON_GetObjectItemCaseSensitive(values, fields[i].name);
		const char *v = cJSON_IsString(item) ? item->valuestring : NULL;
		bool too_long = v && strlen(v) >= fields[i].len;
		if (v && !too_long)
			snprintf((char *)p + fields[i].off, fields[i].len, "%s", v);
		if (!strcmp(fields[i].name, "AllowedRepairs") && item) {
			/* A limit that cannot be read whole allows nothing, rather than everything. */
			p->allowed_set = true;
			if (!v || too_long) {
				p->allowed[0] = '\0';
				snprintf(p->why, sizeof p->why, "AllowedRepairs could not be read whole "
					 "(too long, or not text): no repair may run");
			}
		}
	}
}

void kx_policy_read(struct kx_policy *p)
{
	memset(p, 0, sizeof *p);
	cJSON *values = NULL;
	char why[200] = "";
	if (plat_policy_values(POLICY_KEY, &values, why, sizeof why) != 0) {
		snprintf(p->why, sizeof p->why, "%s", why);
		return;
	}
	kx_policy_from_json(p, values);
	cJSON_Delete(values);
}

bool kx_policy_allows(const struct kx_policy *p, const char *action)
{
	if (!p || !p->allowed_set)
		return true;
	size_t n = strlen(action);
	for (const char *s = p->allowed; *s; ) {
		while (*s == ' ' || *s == ',' || *s == ';')
			s++;
		size_t l = strcspn(s, ",;");
		size_t t = l;
		while (t && s[t - 1] == ' ')
			t--;
		if (t == n && !strncmp(s, action, n))
			return true;
		s += l;
	}
	return false;
}

cJSON *kx_policy_json(const struct kx_policy *p)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddBoolToObject(j, "available", p->available);
	cJSON_AddStringToObject(j, "why", p->why);
	cJSON_AddStringToObject(j, "key", POLICY_KEY);
	cJSON *vals = cJSON_AddArrayToObject(j, "values");
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		const char *v = (const char *)p + fields[i].off;
		bool allowed = !strcmp(fields[i].name, "AllowedRepairs");
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", fields[i].name);
		cJSON_AddStringToObject(o, "value", allowed && p->allowed_set && !*v ?
					"(no repair may run)" : v);
		cJSON_AddBoolToObject(o, "set", *v != '\0' || (allowed && p->allowed_set));
		cJSON_AddStringToObject(o, "meaning", fields[i].meaning);
		cJSON_AddItemToArray(vals, o);
	}
	return j;
}
