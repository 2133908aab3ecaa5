/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_POLICY_H
#define KOFFIX_POLICY_H

/*
 * What an administrator decides for koffix on a PC, through Group Policy (deploy/koffix.admx)
 * or Intune: values under HKLM\Software\Policies\koffix, all REG_SZ:
 *   ConnectorInstaller  the connector's installer (an .msi on a share) for reinstall-koff
 *   ServerVersion       the Kerio Connect server's version, for readiness and the fleet
 *   AllowedRepairs      the repairs that may run, comma-separated ids; absent = every repair
 *   TicketDestination   where support tickets go (an e-mail address or a help-desk address)
 * Read once at start-up. Only Windows has the registry: elsewhere the policy is "not
 * available" (said so, never taken as "nothing set").
 */

#include <cjson/cJSON.h>
#include <stdbool.h>

#define POLICY_KEY "HKLM\\Software\\Policies\\koffix"

struct kx_policy {
	bool available;          /* the policy's place could be read */
	char why[200];           /* when not: why not */
	char installer[1024];    /* "" = not set */
	char server[64];
	char allowed[1024];
	bool allowed_set;        /* AllowedRepairs is there: only what it lists may run. Present
				  * but empty, too long or unreadable, it allows nothing (the
				  * administrator meant a limit; koffix does not guess a wider one) */
	char tickets[512];
};

/* Reads the policy of this PC (the registry on Windows). Always fills p. */
void kx_policy_read(struct kx_policy *p);

/* The policy from JSON {"ConnectorInstaller", ...}: what kx_policy_read does on Windows, for
 * tests. A value that is null was there but could not be read (too long, another type). */
void kx_policy_from_json(struct kx_policy *p, const cJSON *values);

/* Whether action may run: true when AllowedRepairs is not there, else when it lists action
 * (ids compared exactly, spaces around commas ignored). */
bool kx_policy_allows(const struct kx_policy *p, const char *action);

/* {"available", "why", "key", "values": [{"name", "value", "set", "meaning"}]} (caller frees). */
cJSON *kx_policy_json(const struct kx_policy *p);

#endif
