/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_PE_SIG_H
#define KOFFIX_PE_SIG_H

/*
 * Authenticode verification with OpenSSL's libcrypto, in process (no signtool, no
 * osslsigncode). Following Microsoft's "Windows Authenticode Portable Executable Signature
 * Format":
 *
 *  - the certificate table's first WIN_CERTIFICATE (revision 2.0, type PKCS_SIGNED_DATA) holds
 *    a PKCS#7 SignedData whose content is SpcIndirectDataContent: the image digest and the
 *    algorithm that made it;
 *  - the image digest is recomputed over the file minus the CheckSum field, the security
 *    directory entry and the certificate table (the byte-range method; when that differs,
 *    the specification's header-plus-sections-in-file-order method is tried as well);
 *  - the PKCS#7 signature is verified with the signer's key (messageDigest over the content,
 *    signature over the signed attributes); the chain is built with purpose "any" at the
 *    signing time when a timestamp vouches for it, else now; the code-signing EKU
 *    (1.3.6.1.5.5.7.3.3) is checked by hand;
 *  - timestamps: the legacy countersignature (1.2.840.113549.1.9.6) and RFC 3161
 *    (1.3.6.1.4.1.311.3.3.1) are read and verified (their digest must cover this signature);
 *    nested signatures (1.3.6.1.4.1.311.2.4.1) are verified the same way, one level deep.
 *
 * struct pe_sig holds facts only; the DLL check (check.h) turns them into a level and a reason.
 * Nothing here reads the network: no revocation lists, no OCSP (the PC may be offline).
 */

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "pe.h"

#define PE_SIG_MAX_NESTED 8

struct pe_trust;

/*
 * Where trust comes from: ca_file (a PEM bundle, may be NULL), the system store when system is
 * true, and every *.pem file of pinned_dir (may be NULL or missing). Returns NULL with a message
 * in err when ca_file cannot be read or holds no certificate. Free with pe_trust_free.
 */
struct pe_trust *pe_trust_new(const char *ca_file, bool system, const char *pinned_dir,
			      char *err, size_t errlen);
void pe_trust_free(struct pe_trust *t);

struct pe_cert_info {
	char subject[512];          /* RFC 2253 form, UTF-8 */
	char common_name[256];
	char organization[256];
	char issuer[512];
	char serial[96];            /* hex */
	char not_before[21], not_after[21];  /* YYYY-MM-DDTHH:MM:SSZ */
};

enum pe_ts_kind { PE_TS_NONE, PE_TS_LEGACY, PE_TS_RFC3161 };

struct pe_timestamp {
	enum pe_ts_kind kind;
	time_t time;
	char when[21];
	bool verified;              /* its signature verifies and it covers this signature */
	bool trusted;               /* its signer chains to a trusted root, with the time-stamping EKU */
	char signer[256];           /* the time-stamping authority's CN or O */
	char problem[160];
};

struct pe_sig {
	bool present;               /* the file has a certificate table */
	char problem[200];          /* non-empty: malformed (a sentence naming what is wrong) */
	char digest_alg[16];        /* "sha256", ... */
	bool digest_ok;             /* the recomputed image digest matches the signed one */
	bool signature_ok;          /* the PKCS#7 signature verifies with the signer's key */
	bool have_signer;
	struct pe_cert_info signer;
	bool self_signed;
	bool chain_ok;              /* chains to a trusted certificate at checked_at */
	char chain_error[160];      /* why not, in OpenSSL's words */
	bool expired;               /* signer or chain not valid at checked_at */
	bool valid_now;             /* the signer's certificate is valid at the time given as now */
	bool eku_ok;                /* the signer may sign code */
	time_t checked_at;          /* the time validity was judged at */
	bool at_signing_time;       /* checked_at comes from a verified timestamp */
	struct pe_timestamp ts;
	unsigned nnested;
	struct pe_sig *nested;      /* nnested entries, each without nested signatures */
};

/*
 * Verifies pe's Authenticode signature against trust (NULL: nothing is trusted) with now as the
 * time when no timestamp vouches for the signing time. Always fills sig; release it with
 * pe_sig_release().
 */
void pe_sig_check(const struct pe_file *pe, const struct pe_trust *trust, time_t now,
		  struct pe_sig *sig);

/*
 * The same for a certificate table on its own (len bytes of WIN_CERTIFICATE entries). With pe
 * NULL the image digest is not compared (digest_ok stays false): the fuzzing entry point.
 */
void pe_sig_check_table(const unsigned char *table, size_t len, const struct pe_file *pe,
			const struct pe_trust *trust, time_t now, struct pe_sig *sig);

void pe_sig_release(struct pe_sig *sig);

/*
 * The Authenticode digest of pe with the digest named alg ("sha1", "sha256", "sha384",
 * "sha512"); by_sections picks the specification's sections-in-file-order method instead of
 * the byte-range one. Writes the digest into out (64 bytes suffice) and its length into
 * *outlen. 0, KX_EINVAL (unknown alg) or KX_ESYNTAX.
 */
int pe_image_digest(const struct pe_file *pe, const char *alg, bool by_sections,
		    unsigned char *out, unsigned *outlen);

/* SHA-256 of len bytes as 64 lowercase hex digits and a NUL. */
void pe_sha256_hex(const void *data, size_t len, char out[65]);

/* The facts of sig as JSON (caller frees); status is what check.c concluded (may be NULL). */
cJSON *pe_sig_json(const struct pe_sig *sig, const char *status);

#endif
