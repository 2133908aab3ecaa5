/* SPDX-License-Identifier: MIT */
/*
 * The DLL check against the indicator table (README.md):
 *  - every fixture of tests/pe/build-fixtures.sh (in build/pe-fixtures, or
 *    $KOFFIX_PE_FIXTURES) with its expected verdict, signature status and indicator levels;
 *  - the location rule over many Windows paths, the process rule over many program names,
 *    activity and bitness;
 *  - the known-good list making a file legitimate outright.
 */
#include <stdlib.h>
#include <string.h>

#include "../../common/util.h"
#include "../../pe/check.h"
#include "../../pe/sig.h"
#include "t.h"

static const char *fixtures(void)
{
	const char *d = getenv("KOFFIX_PE_FIXTURES");
	return d && *d ? d : "build/pe-fixtures";
}

static const char *jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const char *level_of(const cJSON *rep, const char *id)
{
	const cJSON *i;
	cJSON_ArrayForEach(i, cJSON_GetObjectItemCaseSensitive(rep, "indicators"))
		if (strcmp(jstr(i, "id"), id) == 0)
			return jstr(i, "level");
	return NULL;
}

/* Runs the check on a fixture file; returns the verdict, *rep the report (caller frees). */
static int check_file(const struct pe_rules *rules, const struct pe_check_opts *o,
		      const char *name, cJSON **rep)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", fixtures(), name);
	char *data;
	size_t len;
	*rep = NULL;
	if (kx_read_file(path, 64u << 20, &data, &len) != 0) {
		T_CHECK(0, "fixture '%s' is missing: run tests/pe/build-fixtures.sh", path);
		return -1;
	}
	int v = pe_check(rules, data, len, o, rep);
	free(data);
	return v;
}

struct fixture_case {
	const char *file;
	const char *verdict;
	const char *sig_status;     /* NULL: no signature object (not analysable) */
	const char *levels;         /* "signature=ok size=ok format=ok ..." checked one by one */
	const char *machine;
	const char *reason_has;     /* a phrase of the verdict's reason */
};

static const struct fixture_case cases[] = {
	{ "vendor-x86.dll", "legitimate", "valid", "signature=ok size=ok format=ok", "x86",
	  "validly signed by 'Kerio Technologies s.r.o.'" },
	{ "vendor-x64.dll", "legitimate", "valid", "signature=ok size=ok format=ok", "x64",
	  "known publisher" },
	{ "unsigned.dll", "suspicious", "unsigned", "signature=suspicious size=ok format=ok", "x86",
	  "not digitally signed" },
	{ "self-signed.dll", "suspicious", "self_signed", "signature=suspicious", "x86",
	  "self-made certificate" },
	{ "unknown-company.dll", "suspicious", "untrusted_signer", "signature=suspicious", "x86",
	  "'Unknown Co', which is not a known publisher" },
	{ "wrong-usage.dll", "suspicious", "wrong_usage", "signature=suspicious", "x86",
	  "not issued for signing programs" },
	{ "expired.dll", "malicious", "expired", "signature=malicious", "x86",
	  "no timestamp proves" },
	{ "expired-timestamped.dll", "legitimate", "valid", "signature=ok", "x86",
	  "and timestamped" },
	{ "legacy-timestamped.dll", "legitimate", "valid", "signature=ok", "x86",
	  "and timestamped" },
	{ "nested.dll", "legitimate", "valid", "signature=ok", "x86", "validly signed" },
	{ "modified.dll", "malicious", "modified", "signature=malicious size=ok format=ok", "x86",
	  "changed after it was signed" },
	{ "malformed-signature.dll", "malicious", "malformed", "signature=malicious", "x86",
	  "damaged or malformed" },
	{ "appended.dll", "malicious", "malformed", "signature=malicious", "x86",
	  "added after the signature" },
	{ "truncated.dll", "not_analysable", NULL,
	  "signature=not_assessed size=not_assessed format=not_assessed", NULL, "cut short" },
	{ "not-a-pe.dll", "not_analysable", NULL, "format=not_assessed", NULL,
	  "does not start with \"MZ\"" },
	{ "exe-renamed.dll", "malicious", "valid", "signature=ok format=malicious", "x86",
	  "a program (EXE), not a DLL" },
	{ "small.dll", "suspicious", "valid", "signature=ok size=suspicious format=ok", "x86",
	  "under 100 KB" },
	{ "big-resources.dll", "suspicious", "valid", "signature=ok size=suspicious format=ok",
	  "x86", "embedded data (resources)" },
	{ "packed.dll", "suspicious", "valid", "signature=ok size=ok format=suspicious", "x86",
	  "a section named UPX1" },
};

static void expect_levels(const cJSON *rep, const char *file, const char *levels)
{
	char buf[256];
	snprintf(buf, sizeof buf, "%s", levels);
	char *save = NULL;
	for (char *tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(tok, '=');
		*eq = '\0';
		const char *got = level_of(rep, tok);
		T_CHECK(got && strcmp(got, eq + 1) == 0, "%s: indicator %s is %s, want %s", file, tok,
			got ? got : "(missing)", eq + 1);
	}
}

static void test_fixtures(const struct pe_rules *rules, const struct pe_trust *trust)
{
	struct pe_check_opts o = { .trust = trust };
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct fixture_case *c = &cases[i];
		cJSON *rep;
		int v = check_file(rules, &o, c->file, &rep);
		if (!rep)
			continue;
		T_CHECK(strcmp(jstr(rep, "verdict"), c->verdict) == 0, "%s: verdict %s, want %s (%s)",
			c->file, jstr(rep, "verdict"), c->verdict, jstr(rep, "reason"));
		T_STR(pe_verdict_name(v), c->verdict);
		const cJSON *sig = cJSON_GetObjectItemCaseSensitive(rep, "signature");
		if (c->sig_status)
			T_CHECK(jstr(sig, "status") && strcmp(jstr(sig, "status"), c->sig_status) == 0,
				"%s: signature %s, want %s", c->file,
				jstr(sig, "status") ? jstr(sig, "status") : "null", c->sig_status);
		else
			T_OK(cJSON_IsNull(sig));
		expect_levels(rep, c->file, c->levels);
		if (c->machine)
			T_STR(jstr(rep, "machine"), c->machine);
		else
			T_OK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(rep, "machine")));
		T_CONTAINS(jstr(rep, "reason"), c->reason_has);
		/* The JSON of check-dll --json: these keys are always there. */
		static const char *const keys[] = { "verdict", "reason", "indicators", "machine",
						     "signature", "version_info", "sha256" };
		for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
			T_CHECK(cJSON_GetObjectItemCaseSensitive(rep, keys[k]) != NULL,
				"%s: key %s missing", c->file, keys[k]);
		T_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(rep, "indicators")), 7);
		cJSON_Delete(rep);
	}
}

/* Details of single fixtures: version info, signer, timestamp, nested signature. */
static void test_details(const struct pe_rules *rules, const struct pe_trust *trust)
{
	struct pe_check_opts o = { .trust = trust };
	cJSON *rep;
	check_file(rules, &o, "vendor-x86.dll", &rep);
	if (rep) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(rep, "version_info");
		T_STR(jstr(v, "CompanyName"), "Kerio Technologies s.r.o.");
		T_STR(jstr(v, "OriginalFilename"), "KofMsp32.dll");
		T_STR(jstr(v, "ProductName"), "Kerio Outlook Connector (Offline Edition)");
		T_STR(jstr(v, "ProductVersion"), "10.0.7");
		T_STR(jstr(v, "FileVersion"), "10.0.7.8000");
		T_STR(jstr(v, "file_version_number"), "10.0.7.8000");
		T_STR(jstr(v, "string_table"), "040904b0");
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(rep, "signature");
		const cJSON *signer = cJSON_GetObjectItemCaseSensitive(s, "signer");
		T_STR(jstr(signer, "organization"), "Kerio Technologies s.r.o.");
		T_CONTAINS(jstr(signer, "issuer"), "koffix Test Root CA");
		T_STR(jstr(signer, "not_after"), "2045-01-01T00:00:00Z");
		T_STR(jstr(s, "digest_algorithm"), "sha256");
		T_OK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(s, "timestamp")));
		T_INT(strlen(jstr(rep, "sha256")), 64);
		cJSON_Delete(rep);
	}
	check_file(rules, &o, "expired-timestamped.dll", &rep);
	if (rep) {
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(rep, "signature");
		const cJSON *ts = cJSON_GetObjectItemCaseSensitive(s, "timestamp");
		T_STR(jstr(ts, "kind"), "rfc3161");
		T_STR(jstr(ts, "time"), "2020-06-01T00:00:00Z");
		T_OK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ts, "verified")));
		T_OK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ts, "trusted")));
		T_STR(jstr(s, "validity_checked_at"), "2020-06-01T00:00:00Z");
		cJSON_Delete(rep);
	}
	check_file(rules, &o, "legacy-timestamped.dll", &rep);
	if (rep) {
		const cJSON *ts = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(rep, "signature"), "timestamp");
		T_STR(jstr(ts, "kind"), "legacy");
		T_OK(jstr(ts, "time") && strlen(jstr(ts, "time")) == 20);
		T_OK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ts, "verified")));
		T_OK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ts, "trusted")));
		T_STR(jstr(ts, "authority"), "koffix Test Timestamping");
		cJSON_Delete(rep);
	}
	check_file(rules, &o, "nested.dll", &rep);
	if (rep) {
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(rep, "signature");
		T_STR(jstr(s, "digest_algorithm"), "sha1");
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(s, "nested");
		T_INT(cJSON_GetArraySize(n), 1);
		const cJSON *n0 = cJSON_GetArrayItem(n, 0);
		T_STR(jstr(n0, "digest_algorithm"), "sha256");
		T_OK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(n0, "digest_ok")));
		T_OK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(n0, "signature_ok")));
		cJSON_Delete(rep);
	}
	/* Without the test CA the vendor's chain does not build: suspicious, never malicious. */
	struct pe_check_opts bare = { .trust = NULL };
	check_file(rules, &bare, "vendor-x86.dll", &rep);
	if (rep) {
		T_STR(jstr(rep, "verdict"), "suspicious");
		T_STR(jstr(cJSON_GetObjectItemCaseSensitive(rep, "signature"), "status"),
		      "untrusted_root");
		T_CONTAINS(jstr(rep, "reason"), "publisher cannot be verified here");
		cJSON_Delete(rep);
	}
	/* --trusted-signer makes an unknown signer acceptable for one check. */
	const char *extra[] = { "Unknown Co" };
	struct pe_check_opts more = { .trust = trust, .signers = extra, .nsigners = 1 };
	check_file(rules, &more, "unknown-company.dll", &rep);
	if (rep) {
		T_STR(jstr(rep, "verdict"), "legitimate");
		cJSON_Delete(rep);
	}
	/* Context turns a genuine file suspicious or malicious, and says why. */
	struct pe_check_opts ctx = { .trust = trust, .office_bitness = "x64",
				     .windows_path = "C:\\Program Files (x86)\\Kerio\\Outlook "
						     "Connector (Offline Edition)\\KofMsp32.dll",
				     .loaded_by = "OUTLOOK.EXE", .activity = "none" };
	check_file(rules, &ctx, "vendor-x86.dll", &rep);
	if (rep) {
		T_STR(jstr(rep, "verdict"), "suspicious");
		T_STR(level_of(rep, "bitness"), "suspicious");
		T_STR(level_of(rep, "location"), "ok");
		T_STR(level_of(rep, "process"), "ok");
		T_STR(level_of(rep, "activity"), "ok");
		T_CONTAINS(jstr(rep, "reason"), "not a sign of malware");
		cJSON_Delete(rep);
	}
	ctx.office_bitness = "x86";
	ctx.loaded_by = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe";
	check_file(rules, &ctx, "vendor-x86.dll", &rep);
	if (rep) {
		T_STR(jstr(rep, "verdict"), "malicious");
		T_STR(level_of(rep, "bitness"), "ok");
		T_STR(level_of(rep, "process"), "malicious");
		cJSON_Delete(rep);
	}
	ctx.loaded_by = NULL;
	ctx.activity = "outbound";
	check_file(rules, &ctx, "vendor-x86.dll", &rep);
	if (rep) {
		T_STR(jstr(rep, "verdict"), "malicious");
		T_STR(level_of(rep, "activity"), "malicious");
		T_STR(level_of(rep, "process"), "not_assessed");
		cJSON_Delete(rep);
	}
	ctx.activity = "idle-cpu";
	check_file(rules, &ctx, "vendor-x86.dll", &rep);
	if (rep) {
		T_STR(jstr(rep, "verdict"), "suspicious");
		T_STR(level_of(rep, "activity"), "suspicious");
		cJSON_Delete(rep);
	}
	/* A file that cannot be read still reports the context it was given. */
	struct pe_check_opts gone = { .loaded_by = "mshta.exe" };
	pe_check_unreadable(rules, "'x.dll' cannot be read (No such file or directory)", &gone,
			    &rep);
	T_STR(jstr(rep, "verdict"), "not_analysable");
	T_STR(level_of(rep, "process"), "malicious");
	T_CONTAINS(jstr(rep, "reason"), "cannot be read");
	cJSON_Delete(rep);
}

struct loc_case {
	const char *path, *install_dir, *level;
};

static const struct loc_case loc_cases[] = {
	{ "C:\\Program Files (x86)\\Kerio\\Outlook Connector (Offline Edition)\\KofMsp32.dll", NULL,
	  "ok" },
	{ "c:\\program files\\kerio\\outlook connector (offline edition)\\kofmsp.dll", NULL, "ok" },
	{ "C:/Program Files/Kerio/Outlook Connector (Offline Edition)/", NULL, "ok" },
	{ "%ProgramFiles(x86)%\\Kerio\\Outlook Connector (Offline Edition)\\KofMsp32.dll", NULL,
	  "ok" },
	{ "%ProgramFiles%\\Kerio\\Outlook Connector (Offline Edition)", NULL, "ok" },
	{ "C:\\PROGRA~2\\Kerio\\OUTLOO~1\\KofMsp32.dll", NULL, "ok" },
	{ "\\\\?\\C:\\Program Files\\Kerio\\Outlook Connector (Offline Edition)\\KofMsp32.dll", NULL,
	  "ok" },
	{ "\"C:\\Program Files (x86)\\Kerio\\Outlook Connector (Offline Edition)\\KofMsp32.dll\"",
	  NULL, "ok" },
	{ "D:\\Apps\\Kerio\\KOFF\\KofMsp32.dll", "D:\\Apps\\Kerio\\KOFF", "ok" },
	{ "D:\\Apps\\Kerio\\KOFF\\KofMsp32.dll", NULL, "malicious" },
	/* ".." must not climb out of the install folder unnoticed. */
	{ "C:\\Program Files\\Kerio\\Outlook Connector (Offline Edition)\\..\\..\\..\\Users\\Public"
	  "\\KofMsp32.dll", NULL, "malicious" },
	{ "C:\\Program Files\\Kerio\\KofMsp32.dll", NULL, "malicious" },
	{ "C:\\Program Files\\Kerio\\Outlook Connector\\KofMsp32.dll", NULL, "malicious" },
	{ "C:\\Users\\anna\\AppData\\Local\\Temp\\KofMsp32.dll", NULL, "suspicious" },
	{ "%TEMP%\\kofmsp.dll", NULL, "suspicious" },
	{ "C:\\Windows\\Temp\\x\\kofmsp.dll", NULL, "suspicious" },
	{ "C:\\Users\\anna\\Downloads\\kofmsp.dll", NULL, "suspicious" },
	{ "C:\\Users\\anna\\AppData\\Roaming\\Kerio\\kofmsp.dll", NULL, "suspicious" },
	{ "%APPDATA%\\Microsoft\\kofmsp.dll", NULL, "suspicious" },
	{ "C:\\Windows\\System32\\kofmsp.dll", NULL, "suspicious" },
	{ "C:\\WINDOWS\\SysWOW64\\KofMsp32.dll", NULL, "suspicious" },
	{ "%SystemRoot%\\SysWOW64\\KofMsp32.dll", NULL, "suspicious" },
	{ "C:\\Users\\anna\\AppData\\Local\\Kerio\\Outlook Connector\\KofMsp32.dll", NULL,
	  "malicious" },
	{ "C:\\ProgramData\\kofmsp.dll", NULL, "malicious" },
	{ "\\\\fileserver\\share\\kofmsp.dll", NULL, "malicious" },
	{ "C:\\Program Files (x86)\\Kerio Fake\\Outlook Connector (Offline Edition)\\kofmsp.dll",
	  NULL, "malicious" },
	{ "kofmsp.dll", NULL, "not_assessed" },
	{ "Program Files\\Kerio", NULL, "not_assessed" },
	{ "%FOO%\\kofmsp.dll", NULL, "not_assessed" },
	{ "", NULL, "not_assessed" },
	{ NULL, NULL, "not_assessed" },
};

static void test_location(void)
{
	for (size_t i = 0; i < sizeof loc_cases / sizeof loc_cases[0]; i++) {
		const struct loc_case *c = &loc_cases[i];
		char reason[PE_REASON_MAX];
		enum pe_level l = pe_location_level(c->path, c->install_dir, reason, sizeof reason);
		T_CHECK(strcmp(pe_level_name(l), c->level) == 0, "location '%s': %s, want %s (%s)",
			c->path ? c->path : "(null)", pe_level_name(l), c->level, reason);
		T_OK(reason[0] != '\0');
	}
}

struct proc_case {
	const char *proc, *level;
};

static const struct proc_case proc_cases[] = {
	{ "OUTLOOK.EXE", "ok" },
	{ "outlook.exe", "ok" },
	{ "outlook", "ok" },
	{ "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE", "ok" },
	{ "KoffBackend.exe", "ok" },
	{ "C:\\Program Files (x86)\\Kerio\\Outlook Connector (Offline Edition)\\KoffBackend.exe",
	  "ok" },
	{ "rundll32.exe", "ok" },
	{ "SearchProtocolHost.exe", "ok" },
	{ "UcMapi.exe", "ok" },
	{ "powershell.exe", "malicious" },
	{ "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\PowerShell.exe", "malicious" },
	{ "pwsh", "malicious" },
	{ "wscript.exe", "malicious" },
	{ "CSCRIPT.EXE", "malicious" },
	{ "mshta.exe", "malicious" },
	{ "explorer.exe", "suspicious" },
	{ "svchost.exe", "suspicious" },
	{ "outlook.exe.bak", "suspicious" },
	{ "notepad.exe", "suspicious" },
	{ "", "not_assessed" },
	{ NULL, "not_assessed" },
};

static void test_process(const struct pe_rules *rules)
{
	for (size_t i = 0; i < sizeof proc_cases / sizeof proc_cases[0]; i++) {
		const struct proc_case *c = &proc_cases[i];
		char reason[PE_REASON_MAX];
		enum pe_level l = pe_process_level(rules, c->proc, reason, sizeof reason);
		T_CHECK(strcmp(pe_level_name(l), c->level) == 0, "process '%s': %s, want %s (%s)",
			c->proc ? c->proc : "(null)", pe_level_name(l), c->level, reason);
	}
}

/* A fingerprint on the known-good list wins over every other indicator. */
static void test_known_good(const struct pe_trust *trust)
{
	char dir[200];
	T_OK(t_tmpdir(dir, sizeof dir, "pe-rules") == 0);
	char path[256], *data = NULL;
	size_t len = 0;
	snprintf(path, sizeof path, "%s/unsigned.dll", fixtures());
	if (kx_read_file(path, 1u << 20, &data, &len) != 0) {
		T_CHECK(0, "fixture '%s' is missing", path);
		t_rm_rf(dir);
		return;
	}
	char sha[65];
	pe_sha256_hex(data, len, sha);
	const char *files[] = { "trusted-signers.json", "known-loaders.json" };
	for (size_t i = 0; i < 2; i++) {
		char from[256], to[256], *text;
		size_t n;
		snprintf(from, sizeof from, "pe/data/%s", files[i]);
		snprintf(to, sizeof to, "%s/%s", dir, files[i]);
		T_OK(kx_read_file(from, 1u << 20, &text, &n) == 0 && kx_write_file_atomic(to, text, n) == 0);
		free(text);
	}
	char good[512];
	int n = snprintf(good, sizeof good, "{\"files\": [{\"release\": \"test 1.0\", \"file\": "
			 "\"KofMsp32.dll\", \"machine\": \"x86\", \"sha256\": \"%s\"}]}", sha);
	snprintf(path, sizeof path, "%s/known-good.json", dir);
	T_OK(kx_write_file_atomic(path, good, (size_t)n) == 0);
	char err[256];
	struct pe_rules *rules = pe_rules_load(dir, err, sizeof err);
	T_CHECK(rules != NULL, "%s", err);
	struct pe_check_opts o = { .trust = trust };
	cJSON *rep = NULL;
	if (rules && pe_check(rules, data, len, &o, &rep) == PE_LEGITIMATE) {
		T_CONTAINS(jstr(rep, "reason"), "connector release test 1.0");
		T_STR(level_of(rep, "signature"), "suspicious"); /* still reported */
	} else {
		T_CHECK(0, "a known-good fingerprint did not make the file legitimate");
	}
	cJSON_Delete(rep);
	pe_rules_free(rules);
	free(data);
	t_rm_rf(dir);
	/* A missing data folder is an error with the file named, not a crash. */
	T_OK(pe_rules_load("/nonexistent-koffix", err, sizeof err) == NULL);
	T_CONTAINS(err, "trusted-signers.json");
}

/* The installer-program check: the signature decides, the DLL rules do not apply (an EXE,
 * "exe-renamed.dll", is no sign of malware here). */
static void test_installer(const struct pe_rules *rules, const struct pe_trust *trust)
{
	static const struct { const char *file; enum pe_verdict v; const char *has; } exes[] = {
		{ "vendor-x64.dll", PE_LEGITIMATE, "validly signed" },
		{ "exe-renamed.dll", PE_LEGITIMATE, "validly signed" },
		{ "unsigned.dll", PE_VERDICT_SUSPICIOUS, "not digitally signed" },
		{ "unknown-company.dll", PE_VERDICT_SUSPICIOUS, "not a known publisher" },
		{ "modified.dll", PE_VERDICT_MALICIOUS, "changed after it was signed" },
		{ "not-a-pe.dll", PE_NOT_ANALYSABLE, "could not analyse it" },
	};
	struct pe_check_opts o = { .trust = trust };
	for (size_t i = 0; i < sizeof exes / sizeof exes[0]; i++) {
		char path[1024], out[1200];
		snprintf(path, sizeof path, "%s/%s", fixtures(), exes[i].file);
		char *data;
		size_t len;
		if (kx_read_file(path, 64u << 20, &data, &len) != 0) {
			T_CHECK(0, "fixture '%s' is missing", path);
			continue;
		}
		enum pe_verdict v = pe_check_installer(rules, data, len, &o, out, sizeof out);
		T_CHECK(v == exes[i].v, "%s: %s", exes[i].file, out);
		T_CONTAINS(out, exes[i].has);
		free(data);
	}
}

int main(void)
{
	char err[256];
	struct pe_rules *rules = pe_rules_load("pe/data", err, sizeof err);
	T_CHECK(rules != NULL, "%s", err);
	if (!rules)
		return t_done("pe-check");
	char ca[1024];
	snprintf(ca, sizeof ca, "%s/ca.pem", fixtures());
	struct pe_trust *trust = pe_trust_new(ca, false, NULL, err, sizeof err);
	T_CHECK(trust != NULL, "%s (run tests/pe/build-fixtures.sh)", err);
	test_fixtures(rules, trust);
	test_details(rules, trust);
	test_location();
	test_process(rules);
	test_known_good(trust);
	test_installer(rules, trust);
	T_OK(pe_trust_new("/nonexistent.pem", false, NULL, err, sizeof err) == NULL);
	pe_trust_free(trust);
	pe_rules_free(rules);
	return t_done("pe-check");
}
