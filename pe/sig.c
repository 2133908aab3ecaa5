/* SPDX-License-Identifier: MIT */
/*
 * Authenticode verification (see sig.h). The small DER reader below only walks
 * SpcIndirectDataContent; everything else is parsed by OpenSSL's own decoders.
 */
#include "sig.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "../common/platform.h"
#include "../common/util.h"

#define WIN_CERT_HEADER 8
#define WIN_CERT_TYPE_PKCS_SIGNED_DATA 2
#define OID_SPC_INDIRECT_DATA "1.3.6.1.4.1.311.2.1.4"
#define OID_COUNTERSIGNATURE "1.2.840.113549.1.9.6"
#define OID_RFC3161_TIMESTAMP "1.3.6.1.4.1.311.3.3.1"
#define OID_NESTED_SIGNATURE "1.3.6.1.4.1.311.2.4.1"

/* 1.3.6.1.4.1.311.2.1.15, SPC_PE_IMAGE_DATA: the content type of a PE file's digest. */
static const unsigned char oid_pe_image_data[] = { 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37,
						   0x02, 0x01, 0x0f };

struct pe_trust {
	X509_STORE *store;
};

/* ---- trust ---- */

struct pe_trust *pe_trust_new(const char *ca_file, bool system, const char *pinned_dir,
			      char *err, size_t errlen)
{
	struct pe_trust *t = xcalloc(1, sizeof *t);
	t->store = X509_STORE_new();
	if (!t->store)
		abort();
	if (system) {
		/* The system's hashed certificate folder is searched lazily, by issuer name; loading
		 * the whole bundle file (X509_STORE_set_default_paths) would parse ~140 roots on every
		 * check, four times the cost of the check itself. The bundle is the fallback. */
		const char *dir = getenv(X509_get_default_cert_dir_env());
		if (!dir || !*dir)
			dir = X509_get_default_cert_dir();
		struct stat st;
		if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode) ||
		    X509_STORE_load_path(t->store, dir) != 1)
			X509_STORE_set_default_paths(t->store);
	}
	if (ca_file && X509_STORE_load_file(t->store, ca_file) != 1) {
		snprintf(err, errlen, "cannot read CA certificates from '%s' (a PEM file is needed)",
			 ca_file);
		pe_trust_free(t);
		ERR_clear_error();
		return NULL;
	}
	DIR *d = pinned_dir ? opendir(pinned_dir) : NULL;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (e->d_name[0] == '.' || n < 5 || strcmp(e->d_name + n - 4, ".pem"))
			continue;
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", pinned_dir, e->d_name);
		/* A pinned certificate is trusted as it is, even when it is not a root. */
		X509_STORE_load_file(t->store, path);
	}
	if (d)
		closedir(d);
	ERR_clear_error();
	return t;
}

void pe_trust_free(struct pe_trust *t)
{
	if (!t)
		return;
	X509_STORE_free(t->store);
	free(t);
}

/* ---- digests ---- */

void pe_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned mdlen = 0;
	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL))
		abort();
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static const EVP_MD *digest_by_name(const char *alg)
{
	static const char *const ok[] = { "sha1", "sha256", "sha384", "sha512" };
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (strcmp(alg, ok[i]) == 0)
			return EVP_get_digestbyname(alg);
	return NULL;
}

static int hash_range(EVP_MD_CTX *ctx, const struct pe_file *pe, size_t from, size_t to)
{
	if (to < from || to > pe->len)
		return KX_ESYNTAX;
	return EVP_DigestUpdate(ctx, pe->data + from, to - from) ? 0 : KX_ESYNTAX;
}

static int cmp_raw_off(const void *a, const void *b)
{
	const struct pe_section *x = *(const struct pe_section *const *)a;
	const struct pe_section *y = *(const struct pe_section *const *)b;
	return x->raw_off < y->raw_off ? -1 : x->raw_off > y->raw_off;
}

int pe_image_digest(const struct pe_file *pe, const char *alg, bool by_sections,
		    unsigned char *out, unsigned *outlen)
{
	const EVP_MD *md = digest_by_name(alg);
	if (!md)
		return KX_EINVAL;
	size_t ck = pe->checksum_off, sd = pe->secdir_entry_off;
	/* Without a security directory entry there is nothing to skip but the checksum. */
	if (!sd)
		sd = ck + 4;
	if (ck + 4 > sd || sd + 8 > pe->len)
		return KX_ESYNTAX;
	size_t cert = pe->cert_size ? pe->cert_off : pe->len;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int rc = EVP_DigestInit_ex(ctx, md, NULL) ? 0 : KX_ESYNTAX;
	if (rc == 0)
		rc = hash_range(ctx, pe, 0, ck);
	if (rc == 0)
		rc = hash_range(ctx, pe, ck + 4, sd);
	if (rc == 0 && !by_sections) {
		/* Everything after the directory entry up to the certificate table. */
		size_t from = pe->secdir_entry_off ? sd + 8 : sd;
		rc = hash_range(ctx, pe, from, cert);
	} else if (rc == 0) {
		size_t from = pe->secdir_entry_off ? sd + 8 : sd;
		rc = hash_range(ctx, pe, from, pe->size_of_headers);
		const struct pe_section *order[PE_MAX_SECTIONS];
		unsigned n = 0;
		for (unsigned i = 0; i < pe->nsections; i++)
			if (pe->sections[i].raw_size)
				order[n++] = &pe->sections[i];
		qsort(order, n, sizeof order[0], cmp_raw_off);
		uint64_t hashed = pe->size_of_headers;
		for (unsigned i = 0; rc == 0 && i < n; i++) {
			rc = hash_range(ctx, pe, order[i]->raw_off,
					(size_t)order[i]->raw_off + order[i]->raw_size);
			hashed += order[i]->raw_size;
		}
		/* Extra data: what the file holds beyond the bytes hashed and the table. */
		uint64_t tail = (uint64_t)pe->len - (pe->cert_size ? pe->cert_size : 0);
		if (rc == 0 && tail > hashed)
			rc = hash_range(ctx, pe, (size_t)hashed, (size_t)tail);
	}
	if (rc == 0 && !EVP_DigestFinal_ex(ctx, out, outlen))
		rc = KX_ESYNTAX;
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* ---- a minimal DER reader for SpcIndirectDataContent ---- */

struct der {
	unsigned tag;
	const unsigned char *val;
	size_t len;
};

/* Reads one TLV at *p (definite lengths only, as DER requires) and moves *p past it. */
static int der_next(const unsigned char **p, const unsigned char *end, struct der *d)
{
	const unsigned char *q = *p;
	if (end - q < 2)
		return -1;
	d->tag = q[0];
	if ((d->tag & 0x1f) == 0x1f)
		return -1;
	size_t len = q[1], hdr = 2;
	if (len & 0x80) {
		size_t n = len & 0x7f;
		if (n == 0 || n > 4 || (size_t)(end - q) < 2 + n)
			return -1;
		len = 0;
		for (size_t i = 0; i < n; i++)
			len = (len << 8) | q[2 + i];
		hdr += n;
	}
	if (len > (size_t)(end - q) - hdr)
		return -1;
	d->val = q + hdr;
	d->len = len;
	*p = d->val + len;
	return 0;
}

/* The value of a TLV whose full encoding is [p, p + n): its content octets. */
static int der_content(const unsigned char *p, size_t n, const unsigned char **val, size_t *len)
{
	struct der d;
	const unsigned char *q = p;
	if (der_next(&q, p + n, &d) || d.tag != 0x30)
		return -1;
	*val = d.val;
	*len = d.len;
	return 0;
}

/*
 * SpcIndirectDataContent ::= SEQUENCE { data SEQUENCE { type OID, value ANY OPTIONAL },
 * messageDigest DigestInfo ::= SEQUENCE { AlgorithmIdentifier, OCTET STRING } }.
 * Gives the digest's algorithm name and its bytes.
 */
static int parse_indirect(const unsigned char *val, size_t len, char *alg, size_t alglen,
			  const unsigned char **digest, size_t *dlen, char *why, size_t whylen)
{
	const unsigned char *p = val, *end = val + len;
	struct der data, di, oid, algid, aoid, dig;
	if (der_next(&p, end, &data) || data.tag != 0x30 || der_next(&p, end, &di) ||
	    di.tag != 0x30) {
		snprintf(why, whylen, "the signed content is not an Authenticode digest");
		return -1;
	}
	const unsigned char *q = data.val;
	if (der_next(&q, data.val + data.len, &oid) || oid.tag != 0x06 ||
	    oid.len != sizeof oid_pe_image_data ||
	    memcmp(oid.val, oid_pe_image_data, oid.len) != 0) {
		snprintf(why, whylen, "the signature is not one made for a Windows program file");
		return -1;
	}
	q = di.val;
	const unsigned char *dend = di.val + di.len;
	if (der_next(&q, dend, &algid) || algid.tag != 0x30 || der_next(&q, dend, &dig) ||
	    dig.tag != 0x04) {
		snprintf(why, whylen, "the signed digest is malformed");
		return -1;
	}
	const unsigned char *a = algid.val;
	if (der_next(&a, algid.val + algid.len, &aoid) || aoid.tag != 0x06) {
		snprintf(why, whylen, "the signed digest names no algorithm");
		return -1;
	}
	/* Re-encode the OID's TLV for OpenSSL's name lookup. */
	const unsigned char *tlv = aoid.val - 2;
	if (aoid.len > 127) {
		snprintf(why, whylen, "the signed digest's algorithm is malformed");
		return -1;
	}
	ASN1_OBJECT *obj = d2i_ASN1_OBJECT(NULL, &tlv, (long)aoid.len + 2);
	int nid = obj ? OBJ_obj2nid(obj) : NID_undef;
	ASN1_OBJECT_free(obj);
	const char *name = nid == NID_sha1 ? "sha1" : nid == NID_sha256 ? "sha256" :
			   nid == NID_sha384 ? "sha384" : nid == NID_sha512 ? "sha512" : NULL;
	if (!name) {
		snprintf(why, whylen, "the signed digest uses an algorithm Windows does not accept "
			 "(%s)", nid == NID_md5 ? "MD5" : "unknown");
		return -1;
	}
	const EVP_MD *md = EVP_get_digestbyname(name);
	if (!md || dig.len != (size_t)EVP_MD_get_size(md)) {
		snprintf(why, whylen, "the signed digest has the wrong length for %s", name);
		return -1;
	}
	snprintf(alg, alglen, "%s", name);
	*digest = dig.val;
	*dlen = dig.len;
	return 0;
}

/* ---- certificates ---- */

static void clean_utf8(char *s)
{
	for (unsigned char *p = (unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = ' ';
}

static void name_field(const X509_NAME *name, int nid, char *out, size_t len)
{
	out[0] = '\0';
	int i = X509_NAME_get_index_by_NID(name, nid, -1);
	if (i < 0)
		return;
	unsigned char *utf8 = NULL;
	int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
	if (n >= 0) {
		snprintf(out, len, "%.*s", n, (const char *)utf8);
		clean_utf8(out);
	}
	OPENSSL_free(utf8);
}

static void name_line(const X509_NAME *name, char *out, size_t len)
{
	out[0] = '\0';
	BIO *b = BIO_new(BIO_s_mem());
	if (!b)
		abort();
	X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
	char *data;
	long n = BIO_get_mem_data(b, &data);
	if (n > 0)
		snprintf(out, len, "%.*s", (int)(n < INT_MAX ? n : INT_MAX), data);
	clean_utf8(out);
	BIO_free(b);
}

static void asn1_time_text(const ASN1_TIME *t, char out[21], time_t *as_time)
{
	struct tm tm;
	out[0] = '\0';
	if (!t || !ASN1_TIME_to_tm(t, &tm))
		return;
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (as_time)
		*as_time = plat_timegm(&tm);
}

static void cert_info(X509 *x, struct pe_cert_info *ci)
{
	memset(ci, 0, sizeof *ci);
	name_line(X509_get_subject_name(x), ci->subject, sizeof ci->subject);
	name_line(X509_get_issuer_name(x), ci->issuer, sizeof ci->issuer);
	name_field(X509_get_subject_name(x), NID_commonName, ci->common_name,
		   sizeof ci->common_name);
	name_field(X509_get_subject_name(x), NID_organizationName, ci->organization,
		   sizeof ci->organization);
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	if (hex)
		snprintf(ci->serial, sizeof ci->serial, "%s", hex);
	OPENSSL_free(hex);
	BN_free(bn);
	asn1_time_text(X509_get0_notBefore(x), ci->not_before, NULL);
	asn1_time_text(X509_get0_notAfter(x), ci->not_after, NULL);
}

/* Certificate validity at t: false when t is outside notBefore..notAfter. */
static bool valid_at(X509 *x, time_t t)
{
	return X509_cmp_time(X509_get0_notBefore(x), &t) <= 0 &&
	       X509_cmp_time(X509_get0_notAfter(x), &t) >= 0;
}

static bool has_eku(X509 *x, uint32_t want)
{
	return (X509_get_extension_flags(x) & EXFLAG_XKUSAGE) &&
	       (X509_get_extended_key_usage(x) & want);
}

struct chain_result {
	bool ok, expired;
	int err;
};

/* Collects every problem instead of stopping at the first, so that each can be classified. */
static int chain_cb(int ok, X509_STORE_CTX *ctx)
{
	struct chain_result *r = X509_STORE_CTX_get_app_data(ctx);
	if (ok || !r)
		return ok;
	int e = X509_STORE_CTX_get_error(ctx);
	if (e == X509_V_ERR_CERT_HAS_EXPIRED || e == X509_V_ERR_CERT_NOT_YET_VALID)
		r->expired = true;
	else if (!r->err)
		r->err = e;
	return 1;
}

/* Builds a chain from x through untrusted to trust, at time at, for any purpose. */
static void verify_chain(const struct pe_trust *trust, X509 *x, STACK_OF(X509) *untrusted,
			 time_t at, struct chain_result *r, char *why, size_t whylen)
{
	memset(r, 0, sizeof *r);
	if (!trust) {
		snprintf(why, whylen, "no trusted certificates were given");
		return;
	}
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	if (!ctx || !X509_STORE_CTX_init(ctx, trust->store, x, untrusted))
		abort();
	X509_STORE_CTX_set_app_data(ctx, r);
	X509_VERIFY_PARAM *vp = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_time(vp, at);
	X509_VERIFY_PARAM_set_purpose(vp, X509_PURPOSE_ANY);
	X509_VERIFY_PARAM_set_flags(vp, X509_V_FLAG_PARTIAL_CHAIN);
	X509_STORE_CTX_set_verify_cb(ctx, chain_cb);
	int rc = X509_verify_cert(ctx);
	r->ok = rc == 1 && !r->err && !r->expired;
	if (r->err)
		snprintf(why, whylen, "%s", X509_verify_cert_error_string(r->err));
	else if (rc != 1)
		snprintf(why, whylen, "%s", X509_verify_cert_error_string(
			X509_STORE_CTX_get_error(ctx)));
	else if (r->expired)
		snprintf(why, whylen, "a certificate in the chain was not valid at that time");
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
}

/*
 * true when every digest algorithm a SignedData names is known. OpenSSL 3.0's PKCS7_verify
 * leaks a BIO when one is not, so such signatures are refused before it runs (found by
 * fuzz_sig).
 */
static bool digests_known(PKCS7 *p7)
{
	STACK_OF(X509_ALGOR) *mds = p7->d.sign ? p7->d.sign->md_algs : NULL;
	for (int i = 0; i < sk_X509_ALGOR_num(mds); i++)
		if (!EVP_get_digestbyobj(sk_X509_ALGOR_value(mds, i)->algorithm))
			return false;
	return true;
}

/* ---- timestamps ---- */

static const char *attr_oid(X509_ATTRIBUTE *a, char *buf, size_t len)
{
	buf[0] = '\0';
	OBJ_obj2txt(buf, (int)len, X509_ATTRIBUTE_get0_object(a), 1);
	return buf;
}

/* true when md(data) equals want. */
static bool digest_equals(const EVP_MD *md, const unsigned char *data, size_t len,
			  const unsigned char *want, size_t wantlen)
{
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned hl = 0;
	if (!md || !EVP_Digest(data, len, h, &hl, md, NULL))
		return false;
	return hl == wantlen && CRYPTO_memcmp(h, want, hl) == 0;
}

static void ts_signer(X509 *x, struct pe_timestamp *ts)
{
	struct pe_cert_info ci;
	cert_info(x, &ci);
	snprintf(ts->signer, sizeof ts->signer, "%s", ci.common_name[0] ? ci.common_name :
		 ci.organization);
}

/* An RFC 3161 token: a SignedData over TSTInfo whose imprint is the hash of our signature. */
static void ts_rfc3161(const ASN1_TYPE *v, const ASN1_OCTET_STRING *sigval,
		       const struct pe_trust *trust, struct pe_timestamp *ts)
{
	ts->kind = PE_TS_RFC3161;
	if (!v || v->type != V_ASN1_SEQUENCE) {
		snprintf(ts->problem, sizeof ts->problem, "the timestamp is malformed");
		return;
	}
	const unsigned char *q = v->value.sequence->data;
	PKCS7 *p7 = d2i_PKCS7(NULL, &q, v->value.sequence->length);
	TS_TST_INFO *tst = p7 && PKCS7_type_is_signed(p7) ? PKCS7_to_TS_TST_INFO(p7) : NULL;
	STACK_OF(X509) *signers = NULL;
	if (!tst) {
		snprintf(ts->problem, sizeof ts->problem, "the timestamp is malformed");
		goto out;
	}
	asn1_time_text(TS_TST_INFO_get_time(tst), ts->when, &ts->time);
	TS_MSG_IMPRINT *mi = TS_TST_INFO_get_msg_imprint(tst);
	X509_ALGOR *alg = TS_MSG_IMPRINT_get_algo(mi);
	ASN1_OCTET_STRING *msg = TS_MSG_IMPRINT_get_msg(mi);
	const EVP_MD *md = alg ? EVP_get_digestbyobj(alg->algorithm) : NULL;
	if (!msg || !digest_equals(md, sigval->data, (size_t)sigval->length, msg->data,
				   (size_t)msg->length)) {
		snprintf(ts->problem, sizeof ts->problem, "the timestamp was made for another "
			 "signature");
		goto out;
	}
	if (!digests_known(p7) || PKCS7_verify(p7, NULL, NULL, NULL, NULL, PKCS7_NOVERIFY) != 1) {
		snprintf(ts->problem, sizeof ts->problem, "the timestamp's own signature does not "
			 "verify");
		goto out;
	}
	ts->verified = true;
	signers = PKCS7_get0_signers(p7, NULL, 0);
	X509 *tsa = signers && sk_X509_num(signers) == 1 ? sk_X509_value(signers, 0) : NULL;
	if (tsa) {
		ts_signer(tsa, ts);
		struct chain_result cr;
		char why[160];
		verify_chain(trust, tsa, p7->d.sign->cert, ts->time, &cr, why, sizeof why);
		ts->trusted = cr.ok && has_eku(tsa, XKU_TIMESTAMP);
	}
out:
	sk_X509_free(signers);
	TS_TST_INFO_free(tst);
	PKCS7_free(p7);
	ERR_clear_error();
}

/* A legacy countersignature: a SignerInfo signing the hash of our signature and a time. */
static void ts_legacy(const ASN1_TYPE *v, const ASN1_OCTET_STRING *sigval, PKCS7 *outer,
		      const struct pe_trust *trust, struct pe_timestamp *ts)
{
	ts->kind = PE_TS_LEGACY;
	PKCS7_SIGNER_INFO *cs = NULL;
	unsigned char *abuf = NULL;
	EVP_MD_CTX *mctx = NULL;
	if (v && v->type == V_ASN1_SEQUENCE) {
		const unsigned char *q = v->value.sequence->data;
		cs = d2i_PKCS7_SIGNER_INFO(NULL, &q, v->value.sequence->length);
	}
	if (!cs || !cs->auth_attr || !cs->issuer_and_serial || !cs->enc_digest) {
		snprintf(ts->problem, sizeof ts->problem, "the countersignature is malformed");
		goto out;
	}
	ASN1_TYPE *st = PKCS7_get_signed_attribute(cs, NID_pkcs9_signingTime);
	if (st && (st->type == V_ASN1_UTCTIME || st->type == V_ASN1_GENERALIZEDTIME))
		asn1_time_text(st->value.utctime, ts->when, &ts->time);
	ASN1_TYPE *dg = PKCS7_get_signed_attribute(cs, NID_pkcs9_messageDigest);
	const EVP_MD *md = EVP_get_digestbyobj(cs->digest_alg->algorithm);
	if (!ts->when[0] || !dg || dg->type != V_ASN1_OCTET_STRING ||
	    !digest_equals(md, sigval->data, (size_t)sigval->length, dg->value.octet_string->data,
			   (size_t)dg->value.octet_string->length)) {
		snprintf(ts->problem, sizeof ts->problem, "the countersignature has no time or was "
			 "made for another signature");
		goto out;
	}
	X509 *tsa = X509_find_by_issuer_and_serial(outer->d.sign->cert,
						   cs->issuer_and_serial->issuer,
						   cs->issuer_and_serial->serial);
	if (!tsa) {
		snprintf(ts->problem, sizeof ts->problem, "the countersigner's certificate is "
			 "missing");
		goto out;
	}
	ts_signer(tsa, ts);
	int alen = ASN1_item_i2d((ASN1_VALUE *)cs->auth_attr, &abuf,
				 ASN1_ITEM_rptr(PKCS7_ATTR_VERIFY));
	mctx = EVP_MD_CTX_new();
	if (alen <= 0 || !mctx ||
	    EVP_DigestVerifyInit(mctx, NULL, md, NULL, X509_get0_pubkey(tsa)) != 1 ||
	    EVP_DigestVerify(mctx, cs->enc_digest->data, (size_t)cs->enc_digest->length, abuf,
			     (size_t)alen) != 1) {
		snprintf(ts->problem, sizeof ts->problem, "the countersignature does not verify");
		goto out;
	}
	ts->verified = true;
	struct chain_result cr;
	char why[160];
	verify_chain(trust, tsa, outer->d.sign->cert, ts->time, &cr, why, sizeof why);
	ts->trusted = cr.ok && has_eku(tsa, XKU_TIMESTAMP);
out:
	EVP_MD_CTX_free(mctx);
	OPENSSL_free(abuf);
	PKCS7_SIGNER_INFO_free(cs);
	ERR_clear_error();
}

/* ---- one signature ---- */

static void check_p7(PKCS7 *p7, const struct pe_file *pe, const struct pe_trust *trust,
		     time_t now, int depth, struct pe_sig *sig);

static void read_unauth(PKCS7 *p7, PKCS7_SIGNER_INFO *si, const struct pe_file *pe,
			const struct pe_trust *trust, time_t now, int depth, struct pe_sig *sig)
{
	STACK_OF(X509_ATTRIBUTE) *ua = si->unauth_attr;
	for (int i = 0; i < sk_X509_ATTRIBUTE_num(ua); i++) {
		X509_ATTRIBUTE *a = sk_X509_ATTRIBUTE_value(ua, i);
		char oid[64];
		attr_oid(a, oid, sizeof oid);
		if (strcmp(oid, OID_RFC3161_TIMESTAMP) == 0 && sig->ts.kind != PE_TS_RFC3161) {
			memset(&sig->ts, 0, sizeof sig->ts);
			ts_rfc3161(X509_ATTRIBUTE_get0_type(a, 0), si->enc_digest, trust, &sig->ts);
		} else if (strcmp(oid, OID_COUNTERSIGNATURE) == 0 && sig->ts.kind == PE_TS_NONE) {
			ts_legacy(X509_ATTRIBUTE_get0_type(a, 0), si->enc_digest, p7, trust,
				  &sig->ts);
		} else if (strcmp(oid, OID_NESTED_SIGNATURE) == 0 && depth == 0) {
			for (int k = 0; k < X509_ATTRIBUTE_count(a); k++) {
				ASN1_TYPE *t = X509_ATTRIBUTE_get0_type(a, k);
				if (sig->nnested == PE_SIG_MAX_NESTED)
					break;
				if (!sig->nested)
					sig->nested = xcalloc(PE_SIG_MAX_NESTED, sizeof *sig->nested);
				struct pe_sig *n = &sig->nested[sig->nnested++];
				n->present = true;
				const unsigned char *q = t && t->type == V_ASN1_SEQUENCE ?
					t->value.sequence->data : NULL;
				PKCS7 *np = q ? d2i_PKCS7(NULL, &q, t->value.sequence->length) : NULL;
				if (!np)
					snprintf(n->problem, sizeof n->problem, "the nested signature "
						 "is not valid PKCS#7 data");
				else
					check_p7(np, pe, trust, now, depth + 1, n);
				PKCS7_free(np);
			}
		}
	}
}

static void check_p7(PKCS7 *p7, const struct pe_file *pe, const struct pe_trust *trust,
		     time_t now, int depth, struct pe_sig *sig)
{
	STACK_OF(X509) *signers = NULL;
	BIO *in = NULL;
	sig->checked_at = now;
	char oid[64] = "";
	if (!PKCS7_type_is_signed(p7) || !p7->d.sign || !p7->d.sign->contents) {
		snprintf(sig->problem, sizeof sig->problem, "the signature is not PKCS#7 SignedData");
		goto out;
	}
	PKCS7 *inner = p7->d.sign->contents;
	if (inner->type)
		OBJ_obj2txt(oid, sizeof oid, inner->type, 1);
	if (strcmp(oid, OID_SPC_INDIRECT_DATA) || !inner->d.other ||
	    inner->d.other->type != V_ASN1_SEQUENCE) {
		snprintf(sig->problem, sizeof sig->problem, "the signature holds no Authenticode "
			 "digest");
		goto out;
	}
	if (sk_PKCS7_SIGNER_INFO_num(PKCS7_get_signer_info(p7)) != 1) {
		snprintf(sig->problem, sizeof sig->problem, "an Authenticode signature has exactly "
			 "one signer; this one has %d", sk_PKCS7_SIGNER_INFO_num(
				 PKCS7_get_signer_info(p7)));
		goto out;
	}
	const ASN1_STRING *seq = inner->d.other->value.sequence;
	const unsigned char *cval, *digest;
	size_t clen, dlen;
	if (der_content(seq->data, (size_t)seq->length, &cval, &clen) ||
	    parse_indirect(cval, clen, sig->digest_alg, sizeof sig->digest_alg, &digest, &dlen,
			   sig->problem, sizeof sig->problem)) {
		if (!sig->problem[0])
			snprintf(sig->problem, sizeof sig->problem, "the signed digest is malformed");
		goto out;
	}
	if (pe) {
		unsigned char img[EVP_MAX_MD_SIZE];
		unsigned ilen = 0;
		for (int method = 0; method < 2 && !sig->digest_ok; method++)
			if (pe_image_digest(pe, sig->digest_alg, method == 1, img, &ilen) == 0 &&
			    ilen == dlen && CRYPTO_memcmp(img, digest, dlen) == 0)
				sig->digest_ok = true;
	}
	if (!digests_known(p7)) {
		snprintf(sig->problem, sizeof sig->problem, "the signature names a digest algorithm "
			 "that does not exist");
		goto out;
	}
	/* The signature over the content (the SEQUENCE's value, as Authenticode signs it). */
	in = BIO_new_mem_buf(cval, (int)clen);
	if (!in)
		abort();
	sig->signature_ok = PKCS7_verify(p7, NULL, NULL, in, NULL,
					 PKCS7_NOVERIFY | PKCS7_BINARY) == 1;
	ERR_clear_error();
	signers = PKCS7_get0_signers(p7, NULL, 0);
	X509 *x = signers && sk_X509_num(signers) == 1 ? sk_X509_value(signers, 0) : NULL;
	ERR_clear_error();
	if (!x) {
		snprintf(sig->problem, sizeof sig->problem, "the signer's certificate is missing "
			 "from the signature");
		goto out;
	}
	sig->have_signer = true;
	cert_info(x, &sig->signer);
	sig->self_signed = X509_self_signed(x, 1) == 1;
	sig->eku_ok = has_eku(x, XKU_CODE_SIGN);
	PKCS7_SIGNER_INFO *si = sk_PKCS7_SIGNER_INFO_value(PKCS7_get_signer_info(p7), 0);
	read_unauth(p7, si, pe, trust, now, depth, sig);
	if (sig->ts.verified && sig->ts.when[0]) {
		sig->checked_at = sig->ts.time;
		sig->at_signing_time = true;
	}
	sig->expired = !valid_at(x, sig->checked_at);
	sig->valid_now = valid_at(x, now);
	struct chain_result cr;
	verify_chain(trust, x, p7->d.sign->cert, sig->checked_at, &cr, sig->chain_error,
		     sizeof sig->chain_error);
	sig->chain_ok = cr.ok;
	/* An expired issuer invalidates the signature as much as an expired leaf. */
	if (cr.expired)
		sig->expired = true;
out:
	sk_X509_free(signers);
	BIO_free(in);
	ERR_clear_error();
}

/* ---- the certificate table ---- */

void pe_sig_check_table(const unsigned char *table, size_t len, const struct pe_file *pe,
			const struct pe_trust *trust, time_t now, struct pe_sig *sig)
{
	memset(sig, 0, sizeof *sig);
	sig->present = true;
	sig->checked_at = now;
	if (len < WIN_CERT_HEADER) {
		snprintf(sig->problem, sizeof sig->problem, "the signature area is too small to hold "
			 "a signature");
		return;
	}
	uint32_t dwlen = pe_u32(table);
	unsigned rev = pe_u16(table + 4), type = pe_u16(table + 6);
	if (dwlen < WIN_CERT_HEADER || dwlen > len) {
		snprintf(sig->problem, sizeof sig->problem, "the signature's length field (%u) does "
			 "not fit its area (%zu bytes)", (unsigned)dwlen, len);
		return;
	}
	if (type != WIN_CERT_TYPE_PKCS_SIGNED_DATA || (rev != 0x0200 && rev != 0x0100)) {
		snprintf(sig->problem, sizeof sig->problem, "the signature area holds no Authenticode "
			 "signature (type %u, revision 0x%04x)", type, rev);
		return;
	}
	const unsigned char *der = table + WIN_CERT_HEADER, *q = der;
	size_t n = dwlen - WIN_CERT_HEADER;
	PKCS7 *p7 = d2i_PKCS7(NULL, &q, (long)n);
	ERR_clear_error();
	if (!p7) {
		snprintf(sig->problem, sizeof sig->problem, "the signature is not valid PKCS#7 data");
		return;
	}
	/* Zero padding may follow the PKCS#7 blob; anything else is data hidden in the signature. */
	for (const unsigned char *z = q; z < der + n; z++) {
		if (*z) {
			snprintf(sig->problem, sizeof sig->problem, "extra data is hidden after the "
				 "signature inside its area");
			PKCS7_free(p7);
			return;
		}
	}
	check_p7(p7, pe, trust, now, 0, sig);
	PKCS7_free(p7);
}

void pe_sig_check(const struct pe_file *pe, const struct pe_trust *trust, time_t now,
		  struct pe_sig *sig)
{
	memset(sig, 0, sizeof *sig);
	sig->checked_at = now;
	if (pe->cert_size == 0)
		return;
	if (pe->cert_off < pe->sections_end) {
		sig->present = true;
		snprintf(sig->problem, sizeof sig->problem, "the signature area overlaps the program "
			 "itself");
		return;
	}
	if ((uint64_t)pe->cert_off + pe->cert_size != pe->len) {
		sig->present = true;
		snprintf(sig->problem, sizeof sig->problem, "%llu bytes were added after the "
			 "signature, where no signature covers them",
			 (unsigned long long)(pe->len - pe->cert_off - pe->cert_size));
		return;
	}
	pe_sig_check_table(pe->data + pe->cert_off, pe->cert_size, pe, trust, now, sig);
}

void pe_sig_release(struct pe_sig *sig)
{
	free(sig->nested);
	sig->nested = NULL;
	sig->nnested = 0;
}

/* ---- JSON ---- */

static void add_str_or_null(cJSON *o, const char *key, const char *s)
{
	if (s && *s)
		cJSON_AddStringToObject(o, key, s);
	else
		cJSON_AddNullToObject(o, key);
}

static cJSON *one_json(const struct pe_sig *s, const char *status)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "present", s->present);
	add_str_or_null(o, "status", status);
	add_str_or_null(o, "problem", s->problem);
	add_str_or_null(o, "digest_algorithm", s->digest_alg);
	cJSON_AddBoolToObject(o, "digest_ok", s->digest_ok);
	cJSON_AddBoolToObject(o, "signature_ok", s->signature_ok);
	if (s->have_signer) {
		cJSON *c = cJSON_AddObjectToObject(o, "signer");
		cJSON_AddStringToObject(c, "subject", s->signer.subject);
		add_str_or_null(c, "common_name", s->signer.common_name);
		add_str_or_null(c, "organization", s->signer.organization);
		cJSON_AddStringToObject(c, "issuer", s->signer.issuer);
		cJSON_AddStringToObject(c, "serial", s->signer.serial);
		cJSON_AddStringToObject(c, "not_before", s->signer.not_before);
		cJSON_AddStringToObject(c, "not_after", s->signer.not_after);
	} else {
		cJSON_AddNullToObject(o, "signer");
	}
	cJSON_AddBoolToObject(o, "self_signed", s->self_signed);
	cJSON_AddBoolToObject(o, "chain_trusted", s->chain_ok);
	add_str_or_null(o, "chain_error", s->chain_ok ? NULL : s->chain_error);
	cJSON_AddBoolToObject(o, "code_signing_usage", s->eku_ok);
	cJSON_AddBoolToObject(o, "expired", s->expired);
	char when[21] = "";
	struct tm tm;
	if (plat_gmtime(s->checked_at, &tm))
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	cJSON_AddStringToObject(o, "validity_checked_at", when);
	cJSON_AddBoolToObject(o, "checked_at_signing_time", s->at_signing_time);
	if (s->ts.kind != PE_TS_NONE) {
		cJSON *t = cJSON_AddObjectToObject(o, "timestamp");
		cJSON_AddStringToObject(t, "kind", s->ts.kind == PE_TS_RFC3161 ? "rfc3161" :
					"legacy");
		add_str_or_null(t, "time", s->ts.when);
		cJSON_AddBoolToObject(t, "verified", s->ts.verified);
		cJSON_AddBoolToObject(t, "trusted", s->ts.trusted);
		add_str_or_null(t, "authority", s->ts.signer);
		add_str_or_null(t, "problem", s->ts.problem);
	} else {
		cJSON_AddNullToObject(o, "timestamp");
	}
	return o;
}

cJSON *pe_sig_json(const struct pe_sig *sig, const char *status)
{
	cJSON *o = one_json(sig, status);
	cJSON *n = cJSON_AddArrayToObject(o, "nested");
	for (unsigned i = 0; i < sig->nnested; i++)
		cJSON_AddItemToArray(n, one_json(&sig->nested[i], NULL));
	return o;
}
