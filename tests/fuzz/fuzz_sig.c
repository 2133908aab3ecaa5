/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes the signature path: the input is a PKCS#7 blob (DER), framed as the first
 * WIN_CERTIFICATE of a certificate table, then parsed and verified as Authenticode
 * (SpcIndirectDataContent, signer, timestamps, nested signatures) against an empty trust store.
 * Inputs starting with "WINC" are taken as a whole certificate table instead.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/util.h"
#include "../../pe/sig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pe_trust *trust;
	if (!trust) {
		char err[128];
		trust = pe_trust_new(NULL, false, NULL, err, sizeof err);
	}
	struct pe_sig sig;
	if (size >= 4 && memcmp(data, "WINC", 4) == 0) {
		unsigned char *t = xmalloc(size - 4 ? size - 4 : 1);
		memcpy(t, data + 4, size - 4);
		pe_sig_check_table(t, size - 4, NULL, trust, 1700000000, &sig);
		pe_sig_release(&sig);
		free(t);
		return 0;
	}
	if (size > (1u << 24))
		return 0;
	unsigned char *t = xmalloc(size + 8);
	uint32_t len = (uint32_t)size + 8;
	t[0] = (unsigned char)len;
	t[1] = (unsigned char)(len >> 8);
	t[2] = (unsigned char)(len >> 16);
	t[3] = (unsigned char)(len >> 24);
	t[4] = 0x00;
	t[5] = 0x02;
	t[6] = 0x02;
	t[7] = 0x00;
	memcpy(t + 8, data, size);
	pe_sig_check_table(t, size + 8, NULL, trust, 1700000000, &sig);
	pe_sig_release(&sig);
	free(t);
	return 0;
}
