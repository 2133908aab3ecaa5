/* SPDX-License-Identifier: MIT */
/*
 * The .cmd export: a batch script that carries out a plan on the affected PC with the same
 * backups, checks and log as the agent. `script.cmd` runs the plan, `script.cmd undo` reverses
 * it from the backups.
 *
 * Quoting. No value from a person is ever pasted into a command line. Each parameter is
 * assigned once, while delayed expansion is off, with every character cmd treats specially
 * escaped by ^ (and % doubled); afterwards the script runs with delayed expansion on and uses
 * !P_name!, whose value cmd inserts after it has parsed the line, so &, |, <, >, ^, %, quotes
 * and ! in a value stay plain text. The file is UTF-8 and switches the console to code page
 * 65001, so non-ASCII profile names survive.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/json.h"
#include "../common/platform.h"
#include "../common/util.h"
#include "ra.h"

#define CRLF "\r\n"

/* `set NAME=value` with value escaped for a line parsed with delayed expansion off. */
static void set_line(struct buf *out, const char *name, const char *value)
{
	buf_addf(out, "set %s=", name);
	for (const char *p = value; *p; p++) {
		if (strchr("^&|<>()\"", *p))
			buf_addch(out, '^');
		if (*p == '%')
			buf_addch(out, '%');
		buf_addch(out, *p);
	}
	buf_adds(out, CRLF);
}

/* Text koffix wrote itself (titles, comments) with cmd's special characters made harmless. */
static void plain(struct buf *out, const char *text)
{
	for (const char *p = text; *p; p++)
		buf_addch(out, strchr("^&|<>()\"%!", *p) ? '_' : *p);
}

/*
 * A registry key or path of the plan, where parameter values appear as !P_name! and the
 * plan's run-time placeholders ($product.key ...) as !NAME! variables the script fills.
 * Parameter values inside plan strings are replaced by their variable, so no value is pasted.
 */
static void expr(struct buf *out, const char *s, const cJSON *params)
{
	const cJSON *p;
	for (const char *c = s; *c; ) {
		bool hit = false;
		cJSON_ArrayForEach(p, params) {
			size_t n = strlen(p->valuestring);
			if (n && !strncmp(c, p->valuestring, n)) {
				buf_addf(out, "!P_%s!", p->string);
				c += n;
				hit = true;
				break;
			}
		}
		if (hit)
			continue;
		static const char *const vars[][2] = {
			{ "$product.key", "!PRODUCT_KEY!" }, { "$product.code", "!PRODUCT_CODE!" },
			{ "$product.install_dir", "!PRODUCT_DIR!" },
			{ "$product.local_package", "!PRODUCT_PACKAGE!" },
			{ "$mapisvc", "!MAPISVC!" }, { "$stamp", "!STAMP!" }, { "$run", "!RUN!" },
			{ "%LOCALAPPDATA%", "!LOCALAPPDATA!" },
		};
		for (size_t i = 0; i < sizeof vars / sizeof vars[0] && !hit; i++) {
			size_t n = strlen(vars[i][0]);
			if (!strncmp(c, vars[i][0], n)) {
				buf_adds(out, vars[i][1]);
				c += n;
				hit = true;
			}
		}
		if (hit)
			continue;
		/* Plan text of our own: still escape what delayed expansion would read. */
		if (*c == '!' || *c == '%' || *c == '"')
			buf_addch(out, '_');
		else
			buf_addch(out, *c);
		c++;
	}
}

/* reg.exe's /reg:32 or /reg:64 for a step that names a registry view. */
static const char *view_flag(const cJSON *args)
{
	const char *v = kx_json_str(args, "view");
	return v && !strcmp(v, "32") ? " /reg:32" : v && !strcmp(v, "64") ? " /reg:64" : "";
}

static void fail_if(struct buf *out, const char *why)
{
	buf_adds(out, "if errorlevel 1 (set \"WHY=");
	plain(out, why);
	buf_adds(out, "\" & goto :fail)" CRLF);
}

/*
 * Finds the connector by its DisplayName in the three Uninstall lists. Every subkey is read
 * with its own `reg query` (reg.exe's /f search is not everywhere, Wine's lacks it), and pipes
 * are followed by `if not errorlevel 1`, never `&&`, which some cmd.exe versions mishandle.
 */
static void find_product_cmd(struct buf *out)
{
	static const char *const lists[][2] = {
		{ "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall", "64" },
		{ "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall", "32" },
		{ "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall", "64" },
	};
	buf_adds(out, "set PRODUCT_KEY=" CRLF);
	for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
		buf_addf(out,
			 "if not defined PRODUCT_KEY for /f \"tokens=*\" %%%%K in ('reg query \"%s\" "
			 "/reg:%s 2^>nul') do if not defined PRODUCT_KEY (" CRLF
			 "  reg query \"%%%%K\" /v DisplayName /reg:%s 2>nul | find \"Kerio Outlook "
			 "Connector\" >nul" CRLF
			 "  if not errorlevel 1 (set \"PRODUCT_KEY=%%%%K\" & set \"PRODUCT_VIEW=%s\")" CRLF
			 ")" CRLF, lists[i][0], lists[i][1], lists[i][1], lists[i][1]);
	buf_adds(out,
		 "if not defined PRODUCT_KEY (set \"WHY=the Kerio Outlook Connector is not installed\""
		 " & goto :fail)" CRLF
		 /* %...% here: these lines stand alone, and some cmd.exe versions (Wine's) do not
		  * expand !...! inside a for's list. */
		 "for %%G in (\"%PRODUCT_KEY%\") do set \"PRODUCT_CODE=%%~nxG\"" CRLF
		 "for /f \"tokens=2,*\" %%A in ('reg query \"%PRODUCT_KEY%\" /v InstallLocation "
		 "/reg:%PRODUCT_VIEW% 2^>nul') do if /i \"%%A\"==\"REG_SZ\" set \"PRODUCT_DIR=%%B\"" CRLF
		 "call :log \"found the connector: !PRODUCT_CODE!\"" CRLF);
}

/* Installs the previous version again from the installer a person named, when one was. */
static void previous_cmd(struct buf *out, const cJSON *a, const cJSON *params)
{
	if (!kx_json_str(a, "previous_installer")) {
		buf_adds(out, "call :log \"this step cannot be undone: no previous installer was "
			 "named\"" CRLF);
		return;
	}
	buf_adds(out, "msiexec /i \"");
	expr(out, kx_json_str(a, "previous_installer"), params);
	buf_adds(out, "\" /qn /norestart /l*v \"!BACKUP!\\undo-install.log\"" CRLF);
}

static void step_cmd(struct buf *out, const cJSON *s, const cJSON *params, bool undo)
{
	const char *kind = kx_json_str(s, "kind");
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(s, "args");
	int n = (int)cJSON_GetObjectItemCaseSensitive(s, "n")->valuedouble;
	buf_addf(out, "set STEP=%d" CRLF "rem ", n);
	plain(out, kx_json_str(s, "title"));
	buf_adds(out, CRLF);
	if (!undo && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "changes"))) {
		/* The step's declared undo, as on the review page and in the plan JSON. */
		buf_addf(out, "rem undo (%s): ", kx_json_str(s, "undo"));
		plain(out, kx_json_str(s, "undo_note"));
		buf_adds(out, CRLF);
	}
	if (!undo)
		buf_addf(out, "call :log \"step %d: %s\"" CRLF, n, kind);
	if (!strcmp(kind, RA_KIND_PROCESS_CHECK)) {
		if (undo)
			return;
		const cJSON *p;
		cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(a, "processes")) {
			buf_addf(out, "tasklist /fi \"imagename eq %s\" 2>nul | find /i \"%s\" >nul" CRLF
				 "if not errorlevel 1 (set \"WHY=%s is running: close it first\" & "
				 "goto :fail)" CRLF, p->valuestring, p->valuestring, p->valuestring);
		}
	} else if (!strcmp(kind, RA_KIND_FIND_PRODUCT)) {
		find_product_cmd(out);
	} else if (!strcmp(kind, RA_KIND_REG_EXPORT)) {
		if (undo)
			return;
		/* The connector's own entry lives in the registry view it was found in. */
		const char *view = !strcmp(kx_json_str(a, "key"), "$product.key") ? " /reg:!PRODUCT_VIEW!"
									 : view_flag(a);
		buf_adds(out, "reg query \"");
		expr(out, kx_json_str(a, "key"), params);
		buf_addf(out, "\"%s >nul 2>&1" CRLF "if not errorlevel 1 reg export \"", view);
		expr(out, kx_json_str(a, "key"), params);
		buf_addf(out, "\" \"!BACKUP!\\%s\" /y%s >>\"!LOG!\" 2>&1" CRLF, kx_json_str(a, "file"), view);
	} else if (!strcmp(kind, RA_KIND_REG_CREATE)) {
		buf_adds(out, undo ? "reg delete \"" : "reg add \"");
		expr(out, kx_json_str(a, "key"), params);
		buf_addf(out, "\" /f%s >>\"!LOG!\" 2>&1" CRLF, view_flag(a));
		if (!undo) {
			fail_if(out, "the new profile could not be created");
			buf_adds(out, "reg query \"");
			expr(out, kx_json_str(a, "key"), params);
			buf_adds(out, "\" >nul 2>&1" CRLF);
			fail_if(out, "the new profile is not there");
		}
	} else if (!strcmp(kind, RA_KIND_REG_SET)) {
		const char *saved = kx_json_str(a, "saved_in");
		if (undo) {
			/* The value was saved by the export step named in saved_in: delete it, then
			 * import; the highest key the run created (marker file) goes as a whole. */
			buf_addf(out, "if exist \"!BACKUP!\\step%d-created.txt\" (" CRLF
				 "  set /p CREATED=<\"!BACKUP!\\step%d-created.txt\"" CRLF
				 "  reg delete \"!CREATED!\" /f >>\"!LOG!\" 2>&1" CRLF ") else (" CRLF
				 "  reg delete \"", n, n);
			expr(out, kx_json_str(a, "key"), params);
			buf_addf(out, "\" /v %s /f >>\"!LOG!\" 2>&1" CRLF ")" CRLF, kx_json_str(a, "value"));
			if (saved)
				buf_addf(out, "if exist \"!BACKUP!\\%s\" reg import \"!BACKUP!\\%s\" "
					 ">>\"!LOG!\" 2>&1" CRLF, saved, saved);
			return;
		}
		/* The highest missing key on the way down is what this step creates: its undo
		 * deletes that one, so nothing the step made stays behind. */
		buf_adds(out, "set \"CREATED=\"" CRLF);
		const char *key = kx_json_str(a, "key");
		for (const char *sl = strchr(key, '\\'); ; sl = strchr(sl + 1, '\\')) {
			size_t len = sl ? (size_t)(sl - key) : strlen(key);
			if (sl && sl == strchr(key, '\\'))
				continue;   /* the hive itself is always there */
			char *prefix = xstrndup(key, len);
			buf_adds(out, "if not defined CREATED (" CRLF "  reg query \"");
			expr(out, prefix, params);
			buf_adds(out, "\" >nul 2>&1" CRLF "  if errorlevel 1 set \"CREATED=");
			expr(out, prefix, params);
			buf_adds(out, "\"" CRLF ")" CRLF);
			free(prefix);
			if (!sl)
				break;
		}
		/* The redirection first: Wine's cmd.exe drops one after a parenthesised echo. */
		buf_addf(out, "if defined CREATED >\"!BACKUP!\\step%d-created.txt\" echo !CREATED!" CRLF,
			 n);
		buf_adds(out, "reg add \"");
		expr(out, kx_json_str(a, "key"), params);
		buf_addf(out, "\" /v %s /t %s /d \"", kx_json_str(a, "value"), kx_json_str(a, "type"));
		expr(out, kx_json_str(a, "data"), params);
		buf_addf(out, "\" /f%s >>\"!LOG!\" 2>&1" CRLF, view_flag(a));
		fail_if(out, "the setting could not be written");
	} else if (!strcmp(kind, RA_KIND_FILE_BACKUP) && !kx_json_str(a, "locate") &&
		   kx_json_str(a, "path") && strcmp(kx_json_str(a, "path"), "$product.local_package")) {
		/* A copy of a file a person named (the installer): kept with the backups. */
		if (undo)
			return;
		buf_adds(out, "copy /y \"");
		expr(out, kx_json_str(a, "path"), params);
		buf_addf(out, "\" \"!BACKUP!\\%s\" >>\"!LOG!\" 2>&1" CRLF, kx_json_str(a, "name"));
		fail_if(out, "the installer could not be copied (is the path right and reachable?)");
	} else if (!strcmp(kind, RA_KIND_FILE_BACKUP)) {
		if (undo && !strcmp(kx_json_str(a, "name"), "MAPISVC.INF")) {
			/* The undo of the merge needs to know where the file is. */
			buf_adds(out, "set MAPISVC=" CRLF
				 "for %%F in (\"%ProgramFiles%\\Microsoft Office\\root\\Office16\\MAPISVC.INF\""
				 " \"%ProgramFiles(x86)%\\Microsoft Office\\root\\Office16\\MAPISVC.INF\""
				 " \"%SystemRoot%\\System32\\MAPISVC.INF\" \"%SystemRoot%\\SysWOW64\\MAPISVC.INF\")"
				 " do if not defined MAPISVC if exist %%F set \"MAPISVC=%%~F\"" CRLF);
			return;
		}
		if (undo)
			return;
		if (!strcmp(kx_json_str(a, "name"), "MAPISVC.INF")) {
			buf_adds(out, "set MAPISVC=" CRLF
				 "for %%F in (\"%ProgramFiles%\\Microsoft Office\\root\\Office16\\MAPISVC.INF\""
				 " \"%ProgramFiles(x86)%\\Microsoft Office\\root\\Office16\\MAPISVC.INF\""
				 " \"%SystemRoot%\\System32\\MAPISVC.INF\" \"%SystemRoot%\\SysWOW64\\MAPISVC.INF\")"
				 " do if not defined MAPISVC if exist %%F set \"MAPISVC=%%~F\"" CRLF
				 "if not defined MAPISVC (set \"WHY=MAPISVC.INF was not found\" & goto :fail)" CRLF
				 "copy /y \"!MAPISVC!\" \"!BACKUP!\\MAPISVC.INF\" >>\"!LOG!\" 2>&1" CRLF);
			fail_if(out, "MAPISVC.INF could not be saved");
			return;
		}
		if (!strcmp(kx_json_str(a, "path"), "$product.local_package")) {
			/* Windows keeps the installed version's package under a name only Windows
			 * Installer knows; a script cannot always find it. Then undo needs the old
			 * installer from the server, and the log says so. */
			buf_adds(out, "if defined PRODUCT_PACKAGE (copy /y \"!PRODUCT_PACKAGE!\" "
				 "\"!BACKUP!\\previous-connector.msi\" >>\"!LOG!\" 2>&1) else call :log "
				 "\"the installed version's package was not found: to undo, install the "
				 "previous connector from its installer\"" CRLF);
			return;
		}
		buf_adds(out, "copy /y \"");
		expr(out, kx_json_str(a, "path"), params);
		buf_addf(out, "\" \"!BACKUP!\\%s\" >>\"!LOG!\" 2>&1" CRLF, kx_json_str(a, "name"));
		fail_if(out, "the backup copy failed");
	} else if (!strcmp(kind, RA_KIND_FILE_RENAME)) {
		buf_adds(out, "set \"FROM=");
		expr(out, kx_json_str(a, "path"), params);
		buf_adds(out, "\"" CRLF);
		if (undo) {
			buf_adds(out, "if exist \"!FROM!\" move \"!FROM!\" \"!FROM!.koffix-undo-!STAMP!\" "
				 ">>\"!LOG!\" 2>&1" CRLF
				 "if exist \"!FROM!.koffix-!STAMP!\" move \"!FROM!.koffix-!STAMP!\" "
				 "\"!FROM!\" >>\"!LOG!\" 2>&1" CRLF);
			return;
		}
		buf_adds(out, "if not exist \"!FROM!\" (set \"WHY=the cache folder does not exist\" & "
			 "goto :fail)" CRLF
			 "move \"!FROM!\" \"!FROM!.koffix-!STAMP!\" >>\"!LOG!\" 2>&1" CRLF);
		fail_if(out, "the cache folder could not be renamed (is a program using it?)");
	} else if (!strcmp(kind, RA_KIND_INI_MERGE)) {
		if (undo) {
			buf_adds(out, "if defined MAPISVC copy /y \"!BACKUP!\\MAPISVC.INF\" \"!MAPISVC!\" "
				 ">>\"!LOG!\" 2>&1" CRLF);
			return;
		}
		/* Rewriting an INI file's sections is beyond what cmd does safely: the script
		 * checks, and the MSI repair that follows restores the entries. */
		buf_adds(out, "find /i \"kofmsp\" \"!MAPISVC!\" >nul 2>&1" CRLF
			 "if errorlevel 1 call :log \"MAPISVC.INF lacks the connector's entries: the "
			 "repair of the next step restores them\"" CRLF);
	} else if (!strcmp(kind, RA_KIND_MSI_UNINSTALL) && kx_json_str(a, "unless_upgrades")) {
		/* The script never uninstalls first: the install below upgrades in place, or
		 * stops with the connector untouched and says what to do. */
		if (undo) {
			previous_cmd(out, a, params);
			return;
		}
		buf_adds(out, "call :log \"the script never uninstalls the connector first: the next "
			 "step installs over it, or stops\"" CRLF);
	} else if (!strcmp(kind, RA_KIND_MSI_UNINSTALL) || !strcmp(kind, RA_KIND_MSI_REPAIR)) {
		if (undo && !strcmp(kind, RA_KIND_MSI_UNINSTALL)) {
			previous_cmd(out, a, params);
			return;
		}
		if (undo)
			return;
		buf_addf(out, "msiexec %s !PRODUCT_CODE! /qn /norestart /l*v \"!BACKUP!\\%s\"" CRLF
			 "set RC=!errorlevel!" CRLF
			 "if \"!RC!\"==\"3010\" call :log \"done; Windows asks for a restart\"" CRLF
			 "if not \"!RC!\"==\"0\" if not \"!RC!\"==\"3010\" (set \"WHY=Windows Installer "
			 "answered !RC! (see the log)\" & goto :fail)" CRLF,
			 !strcmp(kind, RA_KIND_MSI_REPAIR) ? "/fomus" : "/x",
			 kx_json_str(a, "log") ? kx_json_str(a, "log") : "repair.log");
	} else if (!strcmp(kind, RA_KIND_MSI_INSTALL)) {
		if (undo) {
			/* Only with the previous version's installer: remove the new one, then put
			 * the previous one back. Without it, this step cannot be undone. */
			if (!kx_json_str(a, "previous_installer")) {
				buf_addf(out, "call :log \"step %d cannot be undone: no previous installer "
					 "was named\"" CRLF, n);
				return;
			}
			find_product_cmd(out);
			buf_adds(out, "msiexec /x !PRODUCT_CODE! /qn /norestart /l*v "
				 "\"!BACKUP!\\undo-uninstall.log\"" CRLF);
			previous_cmd(out, a, params);
			return;
		}
		/* An upgrade in place: a major upgrade by the package's own rules; the same product
		 * (1638: another version of it is installed) as a minor upgrade from this package.
		 * Either is one Windows Installer transaction; nothing is uninstalled first. */
		buf_adds(out, "msiexec /i \"");
		expr(out, kx_json_str(a, "package"), params);
		buf_addf(out, "\" /qn /norestart /l*v \"!BACKUP!\\%s\"" CRLF
			 "set RC=!errorlevel!" CRLF "if \"!RC!\"==\"1638\" (" CRLF "  msiexec /i \"",
			 kx_json_str(a, "log"));
		expr(out, kx_json_str(a, "package"), params);
		buf_addf(out, "\" REINSTALL=ALL REINSTALLMODE=vomus /qn /norestart /l*v "
			 "\"!BACKUP!\\minor-%s\"" CRLF "  set RC=!errorlevel!" CRLF ")" CRLF
			 "if not \"!RC!\"==\"0\" if not \"!RC!\"==\"3010\" (set \"WHY=Windows Installer "
			 "answered !RC! and rolled back: the connector you had is unchanged. If it "
			 "cannot be upgraded in place, uninstall it in Programs and Features, then run "
			 "the installer (see the log)\" & goto :fail)" CRLF, kx_json_str(a, "log"));
	} else if (!strcmp(kind, RA_KIND_OPEN_CPL)) {
		if (!undo)
			buf_addf(out, "start \"\" control %s" CRLF, kx_json_str(a, "applet"));
	} else if (!strcmp(kind, RA_KIND_CHECK_DLL)) {
		if (undo)
			return;
		buf_adds(out, "set \"DLL=");
		expr(out, kx_json_str(a, "path"), params);
		buf_adds(out, "\"" CRLF "if not exist \"!DLL!\" (set \"WHY=the DLL is missing\" & "
			 "goto :fail)" CRLF
			 "certutil -hashfile \"!DLL!\" SHA256 >>\"!LOG!\" 2>&1" CRLF
			 "call :log \"copy the DLL to a technician's PC and run: koffix check-dll FILE\"" CRLF);
	} else if (!strcmp(kind, RA_KIND_COLLECT)) {
		if (undo) {
			buf_adds(out, "rmdir /s /q \"!BACKUP!\\diagnostics\" >nul 2>&1" CRLF);
			return;
		}
		buf_adds(out, "mkdir \"!BACKUP!\\diagnostics\" >nul 2>&1" CRLF
			 "ver >\"!BACKUP!\\diagnostics\\windows.txt\"" CRLF
			 "reg query \"HKLM\\SOFTWARE\\Microsoft\\Office\\ClickToRun\\Configuration\" "
			 ">\"!BACKUP!\\diagnostics\\office.txt\" 2>&1" CRLF
			 "reg query \"");
		expr(out, kx_json_str(a, "profiles_key"), params);
		buf_adds(out, "\" >\"!BACKUP!\\diagnostics\\profiles.txt\" 2>&1" CRLF
			 "wevtutil qe Application /c:200 /rd:true /f:text /q:\"*[System[Provider"
			 "[@Name='Outlook']]]\" >\"!BACKUP!\\diagnostics\\eventlog.txt\" 2>&1" CRLF);
	}
}

/*
 * The script's own preflight of an installer parameter: it must be there and be a Windows
 * Installer package (.msi); a program (.exe) is never run by the script. Nothing has changed
 * when it stops here.
 */
static void installer_check_cmd(struct buf *out, const cJSON *params)
{
	if (!kx_json_str(params, "installer") || (kx_json_str(params, "method") && !strcmp(kx_json_str(params, "method"),
									 "manual")))
		return;
	buf_adds(out, "set STEP=0" CRLF "rem preflight: the installer" CRLF
		 "if not exist \"!P_installer!\" (set \"WHY=the installer is not there or cannot be "
		 "reached\" & goto :fail)" CRLF
		 /* %x:~-4% on a line of its own: Wine's cmd.exe takes no substring of !x! and
		  * expands no !...! in a for list; only the last four characters are expanded. */
		 "set \"EXT=!P_installer!\"" CRLF "set \"EXT=%EXT:~-4%\"" CRLF
		 "if /i not \"!EXT!\"==\".msi\" (set \"WHY=the installer is not a Windows Installer "
		 "package (.msi): run a program (.exe) installer yourself\" & goto :fail)" CRLF);
}

void ra_plan_cmd(const struct ra_catalogue *c, const char *id, const cJSON *params,
		 const cJSON *plan, const char *run, struct buf *out)
{
	char stamp[21];
	time_t now = time(NULL);
	struct tm tm;
	plat_gmtime(now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	const cJSON *a = ra_action(c, id);
	buf_adds(out, "@echo off" CRLF "rem koffix repair script: ");
	plain(out, kx_json_str(a, "title") ? kx_json_str(a, "title") : id);
	buf_adds(out, CRLF "rem Run it on the affected PC, signed in as the person whose Outlook "
		 "fails." CRLF "rem   script.cmd        carries out the repair" CRLF
		 "rem   script.cmd undo   reverses it from the backups" CRLF
		 "setlocal DisableDelayedExpansion" CRLF "chcp 65001 >nul" CRLF);
	set_line(out, "RUN", run);
	set_line(out, "STAMP", stamp);
	const cJSON *p;
	cJSON_ArrayForEach(p, params) {
		char name[80];
		snprintf(name, sizeof name, "P_%s", p->string);
		set_line(out, name, p->valuestring);
	}
	buf_adds(out, "set \"BACKUP=%LOCALAPPDATA%\\koffix\\backups\\%RUN%\"" CRLF
		 "setlocal EnableDelayedExpansion" CRLF
		 "if not exist \"!BACKUP!\" mkdir \"!BACKUP!\"" CRLF
		 "set \"LOG=!BACKUP!\\koffix.log\"" CRLF
		 "if /i \"%~1\"==\"undo\" goto :undo" CRLF
		 "call :log \"start ");
	plain(out, id);
	buf_adds(out, "\"" CRLF);
	const cJSON *s;
	installer_check_cmd(out, params);
	cJSON_ArrayForEach(s, plan)
		step_cmd(out, s, params, false);
	buf_adds(out, "call :log \"finished: every step succeeded\"" CRLF
		 "echo Done. Backups and log: !BACKUP!" CRLF "exit /b 0" CRLF CRLF ":undo" CRLF
		 "call :log \"undo\"" CRLF);
	/* Undo: the steps in reverse order. */
	for (int i = cJSON_GetArraySize(plan) - 1; i >= 0; i--) {
		s = cJSON_GetArrayItem(plan, i);
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "changes")) ||
		    !strcmp(kx_json_str(s, "kind"), RA_KIND_FIND_PRODUCT) ||
		    !strcmp(kx_json_str(s, "kind"), RA_KIND_FILE_BACKUP))
			step_cmd(out, s, params, true);
	}
	buf_adds(out, "call :log \"undo finished\"" CRLF "exit /b 0" CRLF CRLF
		 ":fail" CRLF "call :log \"FAILED at step !STEP!: !WHY!\"" CRLF
		 "echo Step !STEP! failed: !WHY!" CRLF
		 "echo Nothing after it was changed. Backups and log: !BACKUP!" CRLF
		 "echo To reverse what was done: %~nx0 undo" CRLF "exit /b 1" CRLF CRLF
		 ":log" CRLF ">>\"!LOG!\" echo [%DATE% %TIME%] %~1" CRLF "echo %~1" CRLF
		 "exit /b 0" CRLF);
}
