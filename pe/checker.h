/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_PE_CHECKER_H
#define KOFFIX_PE_CHECKER_H

/*
 * The DLL check as koffix sets it up, in one place and with one policy for every caller (the
 * check-dll command, the upload route, the repair step, the scan and the installer check):
 *
 *   - the rules of the data folder (pe/data: trusted signers, known loaders, known-good
 *     hashes);
 *   - trust in the system's certificate store, the vendors' pinned certificates
 *     (pe/data/pinned) and a site's own authorities: ca_file (check-dll --ca-file), else the
 *     environment's KOFFIX_CA_FILE. A CA file that cannot be read is an error, never silently
 *     left out.
 *
 * Loaded once and read-only afterwards: threads may share a checker.
 */

#include <cjson/cJSON.h>
#include <stddef.h>

#include "check.h"

struct pe_checker;

/* NULL with a sentence in err when the rules or the CA file cannot be read. */
struct pe_checker *pe_checker_open(const char *data_dir, const char *ca_file, char *err,
				   size_t errlen);
void pe_checker_free(struct pe_checker *c);

/* pe_check, pe_check_installer and pe_check_unreadable with the checker's rules and trust
 * (o->trust is set from the checker; o may say everything else). */
enum pe_verdict pe_checker_check(const struct pe_checker *c, const void *data, size_t len,
				 struct pe_check_opts *o, cJSON **report);
enum pe_verdict pe_checker_installer(const struct pe_checker *c, const void *data, size_t len,
				     struct pe_check_opts *o, char *out, size_t outlen);
enum pe_verdict pe_checker_unreadable(const struct pe_checker *c, const char *why,
				      struct pe_check_opts *o, cJSON **report);

#endif
