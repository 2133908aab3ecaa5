/* SPDX-License-Identifier: MIT */
/*
 * `koffix check-dll FILE [options]`: reads FILE, runs the DLL legitimacy check and prints the
 * verdict for people (or the JSON README.md documents, with --json). The exit status is the verdict.
 */
#include "../app/app.h"
#include "cli_checkdll.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/json.h"
#include "../common/util.h"
#include "../pe/checker.h"
#include "../pe/sig.h"
#include "cli_common.h"

#define FILE_MAX (256u << 20)   /* far above any DLL; refuses to read a disk image */
#define MAX_SIGNERS 16

const char cli_usage_check_dll[] =
	"usage: koffix check-dll FILE... [--windows-path P] [--install-dir D]\n"
	"                        [--office-bitness x86|x64] [--ca-file PEM]\n"
	"                        [--trusted-signer NAME]... [--loaded-by PROC]\n"
	"                        [--activity idle-cpu|outbound|none] [--json]\n"
	"\n"
	"Is this kofmsp.dll / KofMsp32.dll genuine? Checks its digital signature (Authenticode,\n"
	"verified here with OpenSSL), its version details, size and structure, and, when you say\n"
	"so, where it was found, which program loads it and what it was seen doing.\n"
	"\n"
	"  --windows-path P     where the file was found on Windows (for a copied file), e.g.\n"
	"                       \"C:\\Program Files (x86)\\Kerio\\Outlook Connector (Offline "
	"Edition)\\KofMsp32.dll\"\n"
	"  --install-dir D      the connector's install folder on that PC, when not the default\n"
	"  --office-bitness B   x86 or x64: Office's bitness, compared with the DLL's\n"
	"  --ca-file PEM        also trust the certificate authorities in this PEM file\n"
	"  --trusted-signer N   also accept signatures by publisher N (repeatable)\n"
	"  --loaded-by PROC     the program that loads it (name or path), e.g. OUTLOOK.EXE\n"
	"  --activity A         idle-cpu (busy while Outlook is idle), outbound (connections to\n"
	"                       hosts other than the Kerio server) or none\n"
	"  --json               print the result as JSON\n"
	"\n"
	"Several FILEs are checked one after the other in one run (a folder of copies): the text\n"
	"reports follow each other, --json prints a list, and --windows-path (one file's place)\n"
	"is refused.\n"
	"\n"
	"Exit status: 0 legitimate, 1 suspicious, 2 malicious, 3 not analysable (also when FILE\n"
	"cannot be read), 64 bad usage. With several files: 2 when any is malicious, else 3 when\n"
	"any is not analysable, else 1 when any is suspicious, else 0.\n";

static int usage(const char *fmt, const char *arg)
{
	return cli_usage_error(cli_usage_check_dll, fmt, arg);
}

void cli_pe_data_dir(char *out, size_t len)
{
	/* The DLL check's data sits in the install root, beside the templates. */
	char root[4096];
	app_find_root(root, sizeof root);
	snprintf(out, len, "%.4000s/pe/data", root);
}

static const char *level_label(const char *level)
{
	if (strcmp(level, "ok") == 0)
		return "ok";
	if (strcmp(level, "not_assessed") == 0)
		return "not checked";
	return level;
}

static void print_text(const char *file, const cJSON *rep)
{
	const char *verdict = kx_json_str(rep, "verdict");
	char upper[32];
	size_t k = 0;
	for (; verdict[k] && k + 1 < sizeof upper; k++)
		upper[k] = verdict[k] == '_' ? ' ' : (char)(verdict[k] - 32 * (verdict[k] >= 'a' &&
									 verdict[k] <= 'z'));
	upper[k] = '\0';
	printf("%s: %s\n  %s\n\n", file, upper, kx_json_str(rep, "reason"));
	const cJSON *i;
	cJSON_ArrayForEach(i, cJSON_GetObjectItemCaseSensitive(rep, "indicators"))
		printf("  %-10s %-12s %s\n", kx_json_str(i, "id"), level_label(kx_json_str(i, "level")),
		       kx_json_str(i, "reason"));
	const char *sha = kx_json_str(rep, "sha256"), *machine = kx_json_str(rep, "machine");
	printf("\n");
	if (sha)
		printf("  SHA-256    %s\n", sha);
	if (machine)
		printf("  machine    %s (%s-bit)\n", machine, strcmp(machine, "x86") ? "64" : "32");
	const cJSON *sig = cJSON_GetObjectItemCaseSensitive(rep, "signature");
	const cJSON *signer = cJSON_GetObjectItemCaseSensitive(sig, "signer");
	if (cJSON_IsObject(signer)) {
		printf("  signer     %s\n", kx_json_str(signer, "subject"));
		printf("  issuer     %s\n", kx_json_str(signer, "issuer"));
		printf("  serial     %s, valid %s to %s\n", kx_json_str(signer, "serial"),
		       kx_json_str(signer, "not_before"), kx_json_str(signer, "not_after"));
	}
	const cJSON *ts = cJSON_GetObjectItemCaseSensitive(sig, "timestamp");
	if (cJSON_IsObject(ts))
		printf("  timestamp  %s (%s%s)\n", kx_json_str(ts, "time") ? kx_json_str(ts, "time") : "no time",
		       kx_json_str(ts, "kind"), cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ts, "verified"))
		       ? ", verified" : ", not verified");
	const cJSON *ver = cJSON_GetObjectItemCaseSensitive(rep, "version_info");
	const cJSON *f;
	cJSON_ArrayForEach(f, ver)
		if (cJSON_IsString(f) && strcmp(f->string, "string_table"))
			printf("  %-24s %s\n", f->string, f->valuestring);
}

int cli_cmd_check_dll(const struct cli *c)
{
	int argc = c->argc;
	char **argv = c->argv;
	const char *wpath = NULL, *idir = NULL, *bitness = NULL, *ca = NULL;
	const char **files = NULL;
	int nfiles = 0;
	const char *loaded = NULL, *activity = NULL, *signers[MAX_SIGNERS];
	size_t nsigners = 0;
	for (int i = 1; i < argc; i++) {
		const char *signer = NULL;
		int t = cli_take_value(argv, argc, &i, "--windows-path", &wpath);
		if (!t)
			t = cli_take_value(argv, argc, &i, "--install-dir", &idir);
		if (!t)
			t = cli_take_value(argv, argc, &i, "--office-bitness", &bitness);
		if (!t)
			t = cli_take_value(argv, argc, &i, "--ca-file", &ca);
		if (!t)
			t = cli_take_value(argv, argc, &i, "--loaded-by", &loaded);
		if (!t)
			t = cli_take_value(argv, argc, &i, "--activity", &activity);
		if (!t)
			t = cli_take_value(argv, argc, &i, "--trusted-signer", &signer);
		if (t < 0) {
			free(files);
			return usage("option '%s' needs a value", argv[i]);
		}
		if (signer) {
			if (nsigners == MAX_SIGNERS) {
				free(files);
				return usage("at most 16 --trusted-signer options, not more (%s)",
					     signer);
			}
			signers[nsigners++] = signer;
		}
		if (t)
			continue;
		if (argv[i][0] == '-' && argv[i][1]) {
			free(files);
			return usage("unexpected argument '%s'", argv[i]);
		}
		files = xrealloc(files, (size_t)(nfiles + 1) * sizeof *files);
		files[nfiles++] = argv[i];
	}
	if (!nfiles)
		return usage("%s", "check-dll needs the FILE to check");
	if (nfiles > 1 && wpath) {
		free(files);
		return usage("%s", "--windows-path names one file's place: give one FILE with it");
	}
	const char *bad = NULL, *what = NULL;
	if (bitness && strcmp(bitness, "x86") && strcmp(bitness, "x64"))
		bad = "--office-bitness is x86 or x64, not '%s'", what = bitness;
	else if (activity && strcmp(activity, "idle-cpu") && strcmp(activity, "outbound") &&
		 strcmp(activity, "none"))
		bad = "--activity is idle-cpu, outbound or none, not '%s'", what = activity;
	if (bad) {
		free(files);
		return usage(bad, what);
	}

	char dir[4096], err[512];
	cli_pe_data_dir(dir, sizeof dir);
	struct pe_checker *checker = pe_checker_open(dir, ca, err, sizeof err);
	if (!checker) {
		free(files);
		if (ca)
			return usage("%s", err);
		fprintf(stderr, "koffix: %s\n", err);
		return PE_NOT_ANALYSABLE;
	}
	cJSON *list = c->json && nfiles > 1 ? cJSON_CreateArray() : NULL;
	enum pe_verdict worst = PE_LEGITIMATE;
	for (int f = 0; f < nfiles; f++) {
		const char *file = files[f];
		const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
		struct pe_check_opts o = { .file_name = base, .windows_path = wpath,
					   .install_dir = idir, .office_bitness = bitness,
					   .loaded_by = loaded, .activity = activity,
					   .signers = signers, .nsigners = nsigners };
		char *data = NULL;
		size_t len = 0;
		cJSON *rep = NULL;
		enum pe_verdict v;
		int rc = kx_read_file(file, FILE_MAX, &data, &len);
		if (rc) {
			char why[600];
			snprintf(why, sizeof why, "'%s' cannot be read (%s)", file,
				 rc == KX_ETOOBIG ? "it is far larger than any DLL" : strerror(errno));
			v = pe_checker_unreadable(checker, why, &o, &rep);
		} else {
			v = pe_checker_check(checker, data, len, &o, &rep);
		}
		free(data);
		/* The worst verdict: malicious, then not analysable, then suspicious. */
		if (v == PE_VERDICT_MALICIOUS || (worst != PE_VERDICT_MALICIOUS &&
		    (v == PE_NOT_ANALYSABLE || (worst != PE_NOT_ANALYSABLE && v > worst))))
			worst = v;
		if (list) {
			cJSON_AddStringToObject(rep, "file", file);
			cJSON_AddItemToArray(list, rep);
			continue;
		}
		if (c->json) {
			char *s = cJSON_Print(rep);
			puts(s);
			cJSON_free(s);
		} else {
			if (f)
				putchar('\n');
			print_text(file, rep);
		}
		cJSON_Delete(rep);
	}
	if (list) {
		char *s = cJSON_Print(list);
		puts(s);
		cJSON_free(s);
		cJSON_Delete(list);
	}
	free(files);
	pe_checker_free(checker);
	return (int)worst;
}
