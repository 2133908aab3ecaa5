/* SPDX-License-Identifier: MIT */
/*
 * The DLL legitimacy check (check.h): seven indicators, each with a level and a sentence, and
 * the verdict. The rules follow the indicator table of README.md ("Checking a DLL"); the lists they use are data (pe/data).
 */
#include "check.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "pe.h"
#include "sig.h"
#include "../common/attr.h"

#define DATA_MAX (1u << 20)
#define PATH_COMPONENTS 64

struct pe_rules {
	cJSON *signers;   /* [{name, verified, source}] */
	cJSON *loaders;   /* [{name, role}] */
	cJSON *runners;   /* [name] */
	cJSON *good;      /* [{release, file, machine, sha256, source}] */
	cJSON *docs[3];   /* the parsed files, owning the above */
};

enum ind_id { IND_SIGNATURE, IND_LOCATION, IND_SIZE, IND_FORMAT, IND_PROCESS, IND_ACTIVITY,
	      IND_BITNESS, IND__COUNT };

static const char *const ind_names[IND__COUNT] = { "signature", "location", "size", "format",
						   "process", "activity", "bitness" };

struct ind {
	enum pe_level level;
	char reason[PE_REASON_MAX];
};

static enum pe_level say(struct ind *i, enum pe_level level, const char *fmt, ...)
	KX_PRINTF(3, 4);

static enum pe_level say(struct ind *i, enum pe_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(i->reason, sizeof i->reason, fmt, ap);
	va_end(ap);
	i->level = level;
	return level;
}

const char *pe_verdict_name(enum pe_verdict v)
{
	switch (v) {
	case PE_LEGITIMATE: return "legitimate";
	case PE_VERDICT_SUSPICIOUS: return "suspicious";
	case PE_VERDICT_MALICIOUS: return "malicious";
	default: return "not_analysable";
	}
}

const char *pe_level_name(enum pe_level l)
{
	switch (l) {
	case PE_LEVEL_OK: return "ok";
	case PE_LEVEL_SUSPICIOUS: return "suspicious";
	case PE_LEVEL_MALICIOUS: return "malicious";
	default: return "not_assessed";
	}
}

/* ---- data files ---- */

static cJSON *load_list(const char *dir, const char *file, const char *key, cJSON **doc,
			char *err, size_t errlen)
{
	char path[4096], *text;
	snprintf(path, sizeof path, "%s/%s", dir, file);
	if (kx_read_file(path, DATA_MAX, &text, NULL) != 0) {
		snprintf(err, errlen, "cannot read the DLL check's data file '%s'", path);
		return NULL;
	}
	*doc = cJSON_Parse(text);
	free(text);
	cJSON *list = cJSON_GetObjectItemCaseSensitive(*doc, key);
	if (!cJSON_IsArray(list)) {
		snprintf(err, errlen, "'%s' is not a JSON object with a \"%s\" list", path, key);
		return NULL;
	}
	return list;
}

struct pe_rules *pe_rules_load(const char *dir, char *err, size_t errlen)
{
	struct pe_rules *r = xcalloc(1, sizeof *r);
	r->signers = load_list(dir, "trusted-signers.json", "signers", &r->docs[0], err, errlen);
	if (r->signers)
		r->loaders = load_list(dir, "known-loaders.json", "loaders", &r->docs[1], err,
				       errlen);
	if (r->loaders) {
		r->runners = cJSON_GetObjectItemCaseSensitive(r->docs[1], "script_runners");
		if (!cJSON_IsArray(r->runners)) {
			snprintf(err, errlen, "'%s/known-loaders.json' has no \"script_runners\" list",
				 dir);
			r->loaders = NULL;
		}
	}
	if (r->loaders)
		r->good = load_list(dir, "known-good.json", "files", &r->docs[2], err, errlen);
	if (!r->good) {
		pe_rules_free(r);
		return NULL;
	}
	return r;
}

void pe_rules_free(struct pe_rules *r)
{
	if (!r)
		return;
	for (int i = 0; i < 3; i++)
		cJSON_Delete(r->docs[i]);
	free(r);
}

static const char *str_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* ---- Windows paths ---- */

struct winpath {
	char buf[1024];
	char drive;            /* 'a'..'z', or 0 for a UNC path */
	int n;
	char *comp[PATH_COMPONENTS];
};

/* Leading environment variables as Windows sets them by default ('~' stands for any user). */
static const char *const env_vars[][2] = {
	{ "%programfiles%", "c:\\program files" },
	{ "%programw6432%", "c:\\program files" },
	{ "%programfiles(x86)%", "c:\\program files (x86)" },
	{ "%systemroot%", "c:\\windows" },
	{ "%windir%", "c:\\windows" },
	{ "%temp%", "c:\\users\\~\\appdata\\local\\temp" },
	{ "%tmp%", "c:\\users\\~\\appdata\\local\\temp" },
	{ "%appdata%", "c:\\users\\~\\appdata\\roaming" },
	{ "%localappdata%", "c:\\users\\~\\appdata\\local" },
	{ "%userprofile%", "c:\\users\\~" },
	{ "%systemdrive%", "c:" },
	{ "%homedrive%", "c:" },
};

/*
 * Parses a Windows path: lower case (Windows paths are case-insensitive), '/' read as '\',
 * default environment variables expanded, "\\?\" dropped, "." and ".." resolved. false when it
 * is not a full path (drive letter or UNC) or names an unknown variable.
 */
static bool winpath_parse(const char *in, struct winpath *w)
{
	memset(w, 0, sizeof *w);
	char tmp[1024];
	size_t n = 0;
	while (*in == ' ' || *in == '"' || *in == '\t')
		in++;
	for (; *in && n + 1 < sizeof tmp; in++)
		tmp[n++] = *in == '/' ? '\\' : (char)tolower((unsigned char)*in);
	while (n && (tmp[n - 1] == ' ' || tmp[n - 1] == '"' || tmp[n - 1] == '\t'))
		n--;
	tmp[n] = '\0';
	if (*in)
		return false; /* longer than any path worth judging */
	const char *p = tmp;
	if (*p == '%') {
		size_t k;
		for (k = 0; k < sizeof env_vars / sizeof env_vars[0]; k++) {
			size_t l = strlen(env_vars[k][0]);
			if (strncmp(p, env_vars[k][0], l) == 0) {
				snprintf(w->buf, sizeof w->buf, "%s%s", env_vars[k][1], p + l);
				break;
			}
		}
		if (k == sizeof env_vars / sizeof env_vars[0])
			return false;
	} else {
		if (kx_str_starts(p, "\\\\?\\unc\\"))
			p += 6, snprintf(w->buf, sizeof w->buf, "\\%s", p);
		else if (kx_str_starts(p, "\\\\?\\") || kx_str_starts(p, "\\??\\"))
			snprintf(w->buf, sizeof w->buf, "%s", p + 4);
		else
			snprintf(w->buf, sizeof w->buf, "%s", p);
	}
	if (strchr(w->buf, '%'))
		return false;
	char *s = w->buf;
	if (s[0] >= 'a' && s[0] <= 'z' && s[1] == ':' && (s[2] == '\\' || s[2] == '\0')) {
		w->drive = s[0];
		s += 2;
	} else if (!(s[0] == '\\' && s[1] == '\\' && s[2] && s[2] != '\\')) {
		return false;
	}
	char *save = NULL;
	for (char *tok = strtok_r(s, "\\", &save); tok; tok = strtok_r(NULL, "\\", &save)) {
		if (strcmp(tok, ".") == 0)
			continue;
		if (strcmp(tok, "..") == 0) {
			if (w->n > (w->drive ? 0 : 2))
				w->n--;
			continue;
		}
		if (w->n == PATH_COMPONENTS)
			return false;
		w->comp[w->n++] = tok;
	}
	if (!w->drive && w->n < 2)
		return false; /* \\server\share at least */
	return true;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

/*
 * One path component against a long folder name, both lower case. An 8.3 short name
 * ("progra~1") matches a long name whose first letters, without spaces and dots, are the
 * short name's (how Windows makes short names), so paths copied from old tools still match.
 */
static bool comp_eq(const char *c, const char *name)
{
	if (strcmp(c, name) == 0)
		return true;
	const char *tilde = strchr(c, '~');
	if (!tilde || tilde == c || tilde - c > 6 || !tilde[1])
		return false;
	for (const char *d = tilde + 1; *d; d++)
		if (*d < '0' || *d > '9')
			return false;
	size_t want = (size_t)(tilde - c), got = 0;
	for (const char *q = name; *q && got < want; q++) {
		if (*q == ' ' || *q == '.')
			continue;
		if (*q != c[got])
			return false;
		got++;
	}
	return got == want;
}

static bool under(const struct winpath *dir, int ndir, const struct winpath *base)
{
	if (dir->drive != base->drive || ndir < base->n)
		return false;
	for (int i = 0; i < base->n; i++)
		if (!comp_eq(dir->comp[i], base->comp[i]) && !comp_eq(base->comp[i], dir->comp[i]))
			return false;
	return true;
}

enum pe_level pe_location_level(const char *windows_path, const char *install_dir,
				char *reason, size_t len)
{
	struct ind ind;
	enum pe_level l;
	struct winpath w, base;
	if (!windows_path || !*windows_path) {
		l = say(&ind, PE_LEVEL_NOT_ASSESSED, "Where the file was found on Windows was not "
			"given, so its location was not checked.");
		goto out;
	}
	if (!winpath_parse(windows_path, &w)) {
		l = say(&ind, PE_LEVEL_NOT_ASSESSED, "'%.200s' is not a full Windows path (such as "
			"C:\\Program Files\\...), so the location was not checked.", windows_path);
		goto out;
	}
	/* The folder: the path itself, or its parent when it names the DLL file. */
	int nd = w.n;
	if (nd && ends_with(w.comp[nd - 1], ".dll"))
		nd--;
	/* Reasons quote the path as the person gave it (matching works on a lower-case copy). */
	char folder[208];
	const char *given = windows_path;
	while (*given == ' ' || *given == '"')
		given++;
	size_t glen = strlen(given);
	while (glen && (given[glen - 1] == ' ' || given[glen - 1] == '"'))
		glen--;
	snprintf(folder, sizeof folder, "%.*s%s", (int)(glen > 200 ? 200 : glen), given,
		 glen > 200 ? "..." : "");
	static const char *const installs[] = {
		"c:\\program files\\kerio\\outlook connector (offline edition)",
		"c:\\program files (x86)\\kerio\\outlook connector (offline edition)",
	};
	for (size_t i = 0; i < sizeof installs / sizeof installs[0]; i++) {
		winpath_parse(installs[i], &base);
		if (under(&w, nd, &base)) {
			l = say(&ind, PE_LEVEL_OK, "It was found in the connector's install folder, "
				"where its installer puts it.");
			goto out;
		}
	}
	if (install_dir && *install_dir && winpath_parse(install_dir, &base) && base.n &&
	    under(&w, nd, &base)) {
		l = say(&ind, PE_LEVEL_OK, "It was found in the folder where the connector is "
			"installed on this PC.");
		goto out;
	}
	for (int i = 0; i < nd; i++) {
		const char *c = w.comp[i];
		if (comp_eq(c, "temp") || comp_eq(c, "tmp")) {
			l = say(&ind, PE_LEVEL_SUSPICIOUS, "It was found in a temporary folder (%s). "
				"The connector never runs from there, though installers and downloads "
				"pass through it.", folder);
			goto out;
		}
		if (comp_eq(c, "downloads")) {
			l = say(&ind, PE_LEVEL_SUSPICIOUS, "It was found in a Downloads folder (%s): "
				"that is where DLLs from download sites end up, and the connector never "
				"runs from there.", folder);
			goto out;
		}
		if (comp_eq(c, "appdata") && i + 1 < nd && comp_eq(w.comp[i + 1], "roaming")) {
			l = say(&ind, PE_LEVEL_SUSPICIOUS, "It was found under AppData\\Roaming (%s), "
				"where the connector keeps no program files but malware often hides.",
				folder);
			goto out;
		}
	}
	if (w.drive && nd >= 2 && comp_eq(w.comp[0], "windows") &&
	    (comp_eq(w.comp[1], "system32") || comp_eq(w.comp[1], "syswow64") ||
	     comp_eq(w.comp[1], "sysnative"))) {
		l = say(&ind, PE_LEVEL_SUSPICIOUS, "It was found in the Windows system folder (%s). "
			"The connector does not install there; a copy there usually follows advice "
			"from a \"DLL download\" site.", folder);
		goto out;
	}
	l = say(&ind, PE_LEVEL_MALICIOUS, "It was found in %s, outside the connector's install "
		"folders (Program Files\\Kerio\\Outlook Connector (Offline Edition)). A MAPI "
		"provider in such a place is a typical sign of malware.", folder);
out:
	snprintf(reason, len, "%s", ind.reason);
	return l;
}

/* ---- processes ---- */

/* The program's file name, lower case, with ".exe" added when it has no extension. */
static void exe_name(const char *proc, char *out, size_t len)
{
	const char *b = proc;
	for (const char *p = proc; *p; p++)
		if (*p == '\\' || *p == '/')
			b = p + 1;
	while (*b == ' ' || *b == '"')
		b++;
	size_t n = 0;
	for (; *b && n + 5 < len; b++)
		out[n++] = (char)tolower((unsigned char)*b);
	while (n && (out[n - 1] == ' ' || out[n - 1] == '"'))
		n--;
	out[n] = '\0';
	if (n && !strchr(out, '.'))
		snprintf(out + n, len - n, ".exe");
}

static bool name_in(const cJSON *list, const char *key, const char *name, const cJSON **hit)
{
	const cJSON *e;
	cJSON_ArrayForEach(e, list) {
		const char *v = key ? str_of(e, key) : (cJSON_IsString(e) ? e->valuestring : NULL);
		if (v && strcasecmp(v, name) == 0) {
			if (hit)
				*hit = e;
			return true;
		}
	}
	return false;
}

enum pe_level pe_process_level(const struct pe_rules *rules, const char *proc, char *reason,
			       size_t len)
{
	struct ind ind;
	char name[256];
	if (proc)
		exe_name(proc, name, sizeof name);
	const cJSON *hit = NULL;
	enum pe_level l;
	if (!proc || !name[0])
		l = say(&ind, PE_LEVEL_NOT_ASSESSED, "Which program loads the file was not given, "
			"so this was not checked.");
	else if (name_in(rules->runners, NULL, name, NULL))
		l = say(&ind, PE_LEVEL_MALICIOUS, "It is loaded by %s, a script runner. The "
			"connector is only loaded by Outlook and its helpers; malware uses script "
			"runners to load DLLs.", name);
	else if (name_in(rules->loaders, "name", name, &hit))
		l = say(&ind, PE_LEVEL_OK, "It is loaded by %s (%s), a program that normally "
			"loads the connector.", name, str_of(hit, "role") ? str_of(hit, "role") :
			"known loader");
	else
		l = say(&ind, PE_LEVEL_SUSPICIOUS, "It is loaded by %s, which is not a program "
			"known to load the connector.", name);
	snprintf(reason, len, "%s", ind.reason);
	return l;
}

/* ---- the signature indicator ---- */

static bool signer_trusted(const struct pe_rules *r, const struct pe_check_opts *o,
			   const struct pe_sig *s)
{
	const char *names[2] = { s->signer.organization, s->signer.common_name };
	for (int k = 0; k < 2; k++) {
		if (!names[k][0])
			continue;
		if (name_in(r->signers, "name", names[k], NULL))
			return true;
		for (size_t i = 0; i < o->nsigners; i++)
			if (o->signers[i] && strcasecmp(o->signers[i], names[k]) == 0)
				return true;
	}
	return false;
}

static const char *signer_name(const struct pe_sig *s)
{
	return s->signer.organization[0] ? s->signer.organization :
	       s->signer.common_name[0] ? s->signer.common_name : "an unnamed signer";
}

static enum pe_level sig_level(const struct pe_rules *r, const struct pe_check_opts *o,
			       const struct pe_sig *s, const char **status, struct ind *i)
{
	if (!s->present) {
		*status = "unsigned";
		return say(i, PE_LEVEL_SUSPICIOUS, "The file is not digitally signed, so nothing "
			   "ties it to Kerio; genuine connector files are signed by their publisher.");
	}
	if (s->problem[0]) {
		*status = "malformed";
		return say(i, PE_LEVEL_MALICIOUS, "Its digital signature is damaged or malformed "
			   "(%s). A genuine file's signature is intact.", s->problem);
	}
	if (!s->digest_ok) {
		*status = "modified";
		return say(i, PE_LEVEL_MALICIOUS, "The file was changed after it was signed: its "
			   "contents no longer match its digital signature.");
	}
	if (!s->signature_ok) {
		*status = "bad_signature";
		return say(i, PE_LEVEL_MALICIOUS, "Its digital signature does not verify with the "
			   "signer's own certificate: it was forged or damaged.");
	}
	if (s->expired) {
		*status = "expired";
		if (s->at_signing_time)
			return say(i, PE_LEVEL_MALICIOUS, "The certificate of '%s' was not valid "
				   "when the file was signed (%s; valid %s to %s).", signer_name(s),
				   s->ts.when, s->signer.not_before, s->signer.not_after);
		return say(i, PE_LEVEL_MALICIOUS, "The certificate of '%s' is not valid now "
			   "(valid %s to %s) and no timestamp proves the file was signed while it "
			   "was; Windows rejects such a signature.", signer_name(s),
			   s->signer.not_before, s->signer.not_after);
	}
	if (s->self_signed && !s->chain_ok) {
		*status = "self_signed";
		return say(i, PE_LEVEL_SUSPICIOUS, "It is signed with a self-made certificate "
			   "(\"%s\") that anyone can create, so the signature proves nothing about "
			   "who made it.", signer_name(s));
	}
	if (!s->chain_ok) {
		*status = "untrusted_root";
		return say(i, PE_LEVEL_SUSPICIOUS, "It is signed by '%s', but the publisher cannot "
			   "be verified here: the certificate does not lead to an authority this "
			   "computer trusts. (A genuine Kerio signature can look like this on Linux, "
			   "which trusts web authorities only.)", signer_name(s));
	}
	if (!s->eku_ok) {
		*status = "wrong_usage";
		return say(i, PE_LEVEL_SUSPICIOUS, "It is signed by '%s' with a certificate that "
			   "was not issued for signing programs.", signer_name(s));
	}
	if (s->at_signing_time && !s->ts.trusted && !s->valid_now) {
		*status = "timestamp_untrusted";
		return say(i, PE_LEVEL_SUSPICIOUS, "It is signed by '%s' with a certificate that "
			   "has since expired, and the timestamp that dates the signature cannot be "
			   "verified here.", signer_name(s));
	}
	if (!signer_trusted(r, o, s)) {
		*status = "untrusted_signer";
		return say(i, PE_LEVEL_SUSPICIOUS, "It is validly signed, but by '%s', which is not "
			   "a known publisher of the Kerio connector.", signer_name(s));
	}
	*status = "valid";
	return say(i, PE_LEVEL_OK, "It is validly signed by '%s', a known publisher of the "
		   "connector%s.", signer_name(s), s->at_signing_time ? ", and timestamped" : "");
}

/* The best of the primary and the nested signatures decides (Windows accepts either). */
static enum pe_level signature_indicator(const struct pe_rules *r, const struct pe_check_opts *o,
					 const struct pe_sig *s, const char **status, struct ind *out)
{
	enum pe_level best = sig_level(r, o, s, status, out);
	for (unsigned k = 0; k < s->nnested && best != PE_LEVEL_OK; k++) {
		struct ind ni;
		const char *nst;
		enum pe_level l = sig_level(r, o, &s->nested[k], &nst, &ni);
		if (l < best) {
			best = l;
			*status = nst;
			snprintf(out->reason, sizeof out->reason, "Its nested signature: %.370s", ni.reason);
			out->level = l;
		}
	}
	return best;
}

/* ---- the other indicators ---- */

static void human_size(uint64_t n, char *out, size_t len)
{
	if (n >= 1024u * 1024u)
		snprintf(out, len, "%.1f MB", (double)n / (1024.0 * 1024.0));
	else if (n >= 1024u)
		snprintf(out, len, "%.1f KB", (double)n / 1024.0);
	else
		snprintf(out, len, "%llu bytes", (unsigned long long)n);
}

static void size_indicator(const struct pe_file *pe, struct ind *i)
{
	char sz[32];
	human_size(pe->len, sz, sizeof sz);
	if (pe->len < PE_SMALL_BYTES)
		say(i, PE_LEVEL_SUSPICIOUS, "It is only %s, smaller than a connector DLL is "
		    "expected to be (under 100 KB).", sz);
	else if (pe->len > PE_LARGE_BYTES)
		say(i, PE_LEVEL_SUSPICIOUS, "It is %s, larger than a connector DLL is expected to be "
		    "(over 5 MB)%s.", sz, pe->resource_bytes * 2 > pe->len ?
		    "; most of it is embedded data (resources) rather than code" : "");
	else
		say(i, PE_LEVEL_OK, "Its size (%s) is in the expected range.", sz);
}

static bool is_code(const struct pe_section *s)
{
	return (s->flags & (PE_SCN_EXECUTE | PE_SCN_CODE)) != 0;
}

/* Section names that packers and protectors leave behind. */
static const char *const packer_names[] = {
	"upx0", "upx1", "upx2", "upx!", ".upx0", ".upx1", "aspack", ".aspack", ".adata",
	".mpress1", ".mpress2", ".petite", ".nsp0", ".nsp1", ".nsp2", "pec2", "pec2to",
	"pecompac", ".themida", ".winlice", ".vmp0", ".vmp1", ".vmp2", ".enigma1", ".enigma2",
	"fsg!", ".packed", ".perplex", ".yp", "kkrunchy", ".mackt", "mew",
};

static void format_indicator(const struct pe_file *pe, struct ind *i)
{
	if (!(pe->characteristics & PE_FILE_DLL)) {
		say(i, PE_LEVEL_MALICIOUS, "This file is a program (EXE), not a DLL, although it is "
		    "named like one. Outlook never loads a program as a MAPI provider.");
		return;
	}
	char signs[300] = "";
	size_t k = 0;
	for (unsigned s = 0; s < pe->nsections && k < sizeof signs; s++) {
		const struct pe_section *sec = &pe->sections[s];
		char lower[9];
		for (int c = 0; c < 9; c++)
			lower[c] = (char)tolower((unsigned char)sec->name[c]);
		for (size_t p = 0; p < sizeof packer_names / sizeof packer_names[0]; p++) {
			if (strcmp(lower, packer_names[p]) == 0) {
				k += (size_t)snprintf(signs + k, sizeof signs - k,
						      "%sa section named %s", k ? "; " : "",
						      sec->name);
				break;
			}
		}
		if (k < sizeof signs && is_code(sec) && sec->raw_size >= 512 &&
		    sec->entropy > PE_PACKED_ENTROPY)
			k += (size_t)snprintf(signs + k, sizeof signs - k, "%scode section %s looks "
					      "compressed or encrypted (entropy %.2f of 8)",
					      k ? "; " : "", sec->name, sec->entropy);
	}
	const struct pe_section *ep = pe_section_at(pe, pe->entry_rva);
	if (k < sizeof signs && pe->entry_rva && (!ep || !is_code(ep)))
		snprintf(signs + k, sizeof signs - k, "%sits starting point lies outside its code",
			 k ? "; " : "");
	if (signs[0]) {
		say(i, PE_LEVEL_SUSPICIOUS, "It shows signs of a packer, a tool that hides a "
		    "program's real code (%s). Genuine connector files are not packed.", signs);
		return;
	}
	const char *m = pe_machine_name(pe->machine);
	if (!m) {
		say(i, PE_LEVEL_SUSPICIOUS, "It is built for a processor (type 0x%04x) that the "
		    "connector is not made for.", pe->machine);
		return;
	}
	say(i, PE_LEVEL_OK, "It is an ordinary %s DLL with no sign of packing.",
	    strcmp(m, "x86") == 0 ? "32-bit" : "64-bit");
}

static void bitness_indicator(const struct pe_file *pe, const char *office, struct ind *i)
{
	const char *m = pe_machine_name(pe->machine);
	if (!office || !*office) {
		say(i, PE_LEVEL_NOT_ASSESSED, "Office's bitness was not given, so it was not "
		    "compared with the DLL's.");
		return;
	}
	if (!m) {
		say(i, PE_LEVEL_NOT_ASSESSED, "The DLL is built for an unknown processor, so it "
		    "cannot be compared with Office's bitness.");
		return;
	}
	int dll = strcmp(m, "x86") == 0 ? 32 : 64, off = strcmp(office, "x86") == 0 ? 32 : 64;
	if (dll == off)
		say(i, PE_LEVEL_OK, "It is a %d-bit DLL, matching your %d-bit Office.", dll, off);
	else
		say(i, PE_LEVEL_SUSPICIOUS, "It is a %d-bit DLL but Office is %d-bit, so Outlook "
		    "cannot load it. This is a setup problem (the connector edition does not match "
		    "Office), not a sign of malware.", dll, off);
}

static void activity_indicator(const char *activity, struct ind *i)
{
	if (!activity || !*activity)
		say(i, PE_LEVEL_NOT_ASSESSED, "No observation of its activity was given, so this "
		    "was not assessed.");
	else if (strcmp(activity, "idle-cpu") == 0)
		say(i, PE_LEVEL_SUSPICIOUS, "It keeps the processor busy while Outlook is idle; "
		    "the connector should be quiet then.");
	else if (strcmp(activity, "outbound") == 0)
		say(i, PE_LEVEL_MALICIOUS, "It keeps connections open to computers other than your "
		    "Kerio server, which the connector never does: a typical sign of malware.");
	else
		say(i, PE_LEVEL_OK, "No unusual activity was seen.");
}

/* ---- the report ---- */

static const cJSON *known_good(const struct pe_rules *r, const char *sha)
{
	const cJSON *e;
	cJSON_ArrayForEach(e, r->good) {
		const char *h = str_of(e, "sha256");
		if (h && strcasecmp(h, sha) == 0)
			return e;
	}
	return NULL;
}

static cJSON *version_json(const struct pe_version *v, bool have)
{
	if (!have)
		return cJSON_CreateNull();
	cJSON *o = cJSON_CreateObject();
	for (int f = 0; f < PE_VER__COUNT; f++) {
		if (v->str[f][0])
			cJSON_AddStringToObject(o, pe_ver_keys[f], v->str[f]);
		else
			cJSON_AddNullToObject(o, pe_ver_keys[f]);
	}
	if (v->has_fixed) {
		char b[64];
		snprintf(b, sizeof b, "%u.%u.%u.%u", v->file_version[0], v->file_version[1],
			 v->file_version[2], v->file_version[3]);
		cJSON_AddStringToObject(o, "file_version_number", b);
		snprintf(b, sizeof b, "%u.%u.%u.%u", v->product_version[0], v->product_version[1],
			 v->product_version[2], v->product_version[3]);
		cJSON_AddStringToObject(o, "product_version_number", b);
	}
	if (v->table[0])
		cJSON_AddStringToObject(o, "string_table", v->table);
	return o;
}

static cJSON *pe_json(const struct pe_file *pe)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "dll", (pe->characteristics & PE_FILE_DLL) != 0);
	cJSON_AddBoolToObject(o, "pe32plus", pe->pe32plus);
	char b[32];
	snprintf(b, sizeof b, "0x%04x", pe->machine);
	cJSON_AddStringToObject(o, "machine_type", b);
	snprintf(b, sizeof b, "0x%08x", (unsigned)pe->entry_rva);
	cJSON_AddStringToObject(o, "entry_point", b);
	const struct pe_section *ep = pe_section_at(pe, pe->entry_rva);
	if (ep && pe->entry_rva)
		cJSON_AddStringToObject(o, "entry_section", ep->name);
	else
		cJSON_AddNullToObject(o, "entry_section");
	cJSON_AddNumberToObject(o, "resources_bytes", (double)pe->resource_bytes);
	cJSON *secs = cJSON_AddArrayToObject(o, "sections");
	for (unsigned i = 0; i < pe->nsections; i++) {
		const struct pe_section *s = &pe->sections[i];
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "name", s->name);
		cJSON_AddNumberToObject(j, "raw_size", s->raw_size);
		cJSON_AddNumberToObject(j, "virtual_size", s->vsize);
		cJSON_AddBoolToObject(j, "executable", is_code(s));
		cJSON_AddNumberToObject(j, "entropy", (double)(long)(s->entropy * 1000) / 1000.0);
		cJSON_AddItemToArray(secs, j);
	}
	return o;
}

/* The verdict over assessed indicators, and its reason: the worst indicator's. */
static enum pe_verdict decide(const struct ind *ind, char *reason, size_t len)
{
	enum pe_level worst = PE_LEVEL_OK;
	for (int i = 0; i < IND__COUNT; i++)
		if (ind[i].level != PE_LEVEL_NOT_ASSESSED && ind[i].level > worst)
			worst = ind[i].level;
	if (worst == PE_LEVEL_OK) {
		snprintf(reason, len, "Every check that could be made found nothing wrong: %s",
			 ind[IND_SIGNATURE].reason);
		return PE_LEGITIMATE;
	}
	int first = -1, more = 0;
	for (int i = 0; i < IND__COUNT; i++) {
		if (ind[i].level != worst)
			continue;
		if (first < 0)
			first = i;
		else
			more++;
	}
	if (more)
		snprintf(reason, len, "%s (%d more %s.)", ind[first].reason, more,
			 more == 1 ? "sign points the same way" : "signs point the same way");
	else
		snprintf(reason, len, "%s", ind[first].reason);
	return worst == PE_LEVEL_MALICIOUS ? PE_VERDICT_MALICIOUS : PE_VERDICT_SUSPICIOUS;
}

static void context_indicators(const struct pe_rules *r, const struct pe_check_opts *o,
			       struct ind *ind)
{
	ind[IND_LOCATION].level = pe_location_level(o->windows_path, o->install_dir,
						    ind[IND_LOCATION].reason,
						    sizeof ind[IND_LOCATION].reason);
	ind[IND_PROCESS].level = pe_process_level(r, o->loaded_by, ind[IND_PROCESS].reason,
						  sizeof ind[IND_PROCESS].reason);
	activity_indicator(o->activity, &ind[IND_ACTIVITY]);
}

static cJSON *report_new(enum pe_verdict v, const char *reason, const struct ind *ind,
			 const struct pe_check_opts *o)
{
	cJSON *rep = cJSON_CreateObject();
	cJSON_AddStringToObject(rep, "verdict", pe_verdict_name(v));
	cJSON_AddStringToObject(rep, "reason", reason);
	cJSON *list = cJSON_AddArrayToObject(rep, "indicators");
	for (int i = 0; i < IND__COUNT; i++) {
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "id", ind_names[i]);
		cJSON_AddStringToObject(j, "level", pe_level_name(ind[i].level));
		cJSON_AddStringToObject(j, "reason", ind[i].reason);
		cJSON_AddItemToArray(list, j);
	}
	if (o->file_name)
		cJSON_AddStringToObject(rep, "file_name", o->file_name);
	else
		cJSON_AddNullToObject(rep, "file_name");
	if (o->windows_path)
		cJSON_AddStringToObject(rep, "windows_path", o->windows_path);
	else
		cJSON_AddNullToObject(rep, "windows_path");
	return rep;
}

static enum pe_verdict not_analysable(const struct pe_rules *r, const char *why,
				      const struct pe_check_opts *o, const char *sha,
				      size_t size, cJSON **report)
{
	struct ind ind[IND__COUNT];
	memset(ind, 0, sizeof ind);
	const int file_ind[] = { IND_SIGNATURE, IND_SIZE, IND_FORMAT, IND_BITNESS };
	for (size_t k = 0; k < sizeof file_ind / sizeof file_ind[0]; k++)
		say(&ind[file_ind[k]], PE_LEVEL_NOT_ASSESSED, "The file could not be analysed.");
	context_indicators(r, o, ind);
	char reason[PE_REASON_MAX + 64];
	snprintf(reason, sizeof reason, "The file could not be analysed: %s.", why);
	cJSON *rep = report_new(PE_NOT_ANALYSABLE, reason, ind, o);
	cJSON_AddNullToObject(rep, "machine");
	cJSON_AddNullToObject(rep, "signature");
	cJSON_AddNullToObject(rep, "version_info");
	if (sha)
		cJSON_AddStringToObject(rep, "sha256", sha);
	else
		cJSON_AddNullToObject(rep, "sha256");
	if (sha)
		cJSON_AddNumberToObject(rep, "size", (double)size);
	else
		cJSON_AddNullToObject(rep, "size");
	cJSON_AddNullToObject(rep, "pe");
	cJSON_AddNullToObject(rep, "known_good");
	*report = rep;
	return PE_NOT_ANALYSABLE;
}

enum pe_verdict pe_check_unreadable(const struct pe_rules *rules, const char *why,
				    const struct pe_check_opts *o, cJSON **report)
{
	return not_analysable(rules, why, o, NULL, 0, report);
}

enum pe_verdict pe_check(const struct pe_rules *rules, const void *data, size_t len,
			 const struct pe_check_opts *o, cJSON **report)
{
	char sha[65], why[200];
	pe_sha256_hex(data, len, sha);
	struct pe_file *pe = xmalloc(sizeof *pe);
	if (pe_parse(pe, data, len, why, sizeof why) != 0) {
		free(pe);
		return not_analysable(rules, why, o, sha, len, report);
	}
	time_t now = o->now ? o->now : time(NULL);
	struct ind ind[IND__COUNT];
	memset(ind, 0, sizeof ind);
	struct pe_sig sig;
	pe_sig_check(pe, o->trust, now, &sig);
	const char *status = NULL;
	signature_indicator(rules, o, &sig, &status, &ind[IND_SIGNATURE]);
	size_indicator(pe, &ind[IND_SIZE]);
	format_indicator(pe, &ind[IND_FORMAT]);
	bitness_indicator(pe, o->office_bitness, &ind[IND_BITNESS]);
	context_indicators(rules, o, ind);
	struct pe_version ver;
	int vrc = pe_version_read(pe, &ver);

	char reason[PE_REASON_MAX + 64];
	enum pe_verdict v = decide(ind, reason, sizeof reason);
	const cJSON *good = known_good(rules, sha);
	if (good) {
		v = PE_LEGITIMATE;
		snprintf(reason, sizeof reason, "This exact file (its SHA-256 fingerprint) is %s of "
			 "connector release %s as Kerio shipped it.",
			 str_of(good, "file") ? str_of(good, "file") : "a file",
			 str_of(good, "release") ? str_of(good, "release") : "(unnamed)");
	}
	cJSON *rep = report_new(v, reason, ind, o);
	const char *m = pe_machine_name(pe->machine);
	if (m)
		cJSON_AddStringToObject(rep, "machine", m);
	else
		cJSON_AddNullToObject(rep, "machine");
	cJSON_AddItemToObject(rep, "signature", pe_sig_json(&sig, status));
	cJSON_AddItemToObject(rep, "version_info", version_json(&ver, vrc == 0));
	cJSON_AddStringToObject(rep, "sha256", sha);
	cJSON_AddNumberToObject(rep, "size", (double)len);
	cJSON_AddItemToObject(rep, "pe", pe_json(pe));
	if (good)
		cJSON_AddItemToObject(rep, "known_good", cJSON_Duplicate(good, 1));
	else
		cJSON_AddNullToObject(rep, "known_good");
	pe_sig_release(&sig);
	free(pe);
	*report = rep;
	return v;
}

enum pe_verdict pe_check_installer(const struct pe_rules *rules, const void *data, size_t len,
				   const struct pe_check_opts *o, char *out, size_t outlen)
{
	char why[200];
	struct pe_file *pe = xmalloc(sizeof *pe);
	if (pe_parse(pe, data, len, why, sizeof why) != 0) {
		free(pe);
		snprintf(out, outlen, "koffix could not analyse it as a program: %s.", why);
		return PE_NOT_ANALYSABLE;
	}
	struct pe_sig sig;
	pe_sig_check(pe, o->trust, o->now ? o->now : time(NULL), &sig);
	const char *status = NULL;
	struct ind ind;
	memset(&ind, 0, sizeof ind);
	enum pe_level l = signature_indicator(rules, o, &sig, &status, &ind);
	struct pe_version ver;
	bool have = pe_version_read(pe, &ver) == 0;
	snprintf(out, outlen, "Its version resource names \"%.100s\" %.40s by \"%.100s\". %s",
		 have && ver.str[PE_VER_PRODUCT_NAME][0] ? ver.str[PE_VER_PRODUCT_NAME] : "no product",
		 have && ver.str[PE_VER_FILE_VERSION][0] ? ver.str[PE_VER_FILE_VERSION] : "",
		 have && ver.str[PE_VER_COMPANY][0] ? ver.str[PE_VER_COMPANY] : "no company",
		 ind.reason);
	pe_sig_release(&sig);
	free(pe);
	return l == PE_LEVEL_OK ? PE_LEGITIMATE : l == PE_LEVEL_MALICIOUS ?
	       PE_VERDICT_MALICIOUS : PE_VERDICT_SUSPICIOUS;
}
