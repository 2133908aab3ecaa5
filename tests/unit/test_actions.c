/* SPDX-License-Identifier: MIT */
/*
 * Repair actions: every action's plan across Office versions, bitness, Click-to-Run/MSI and
 * parameters (table-driven); parameter validation; the .cmd export's quoting; the runner with
 * the scripted backend (failure, failed verification, hang, undo) and the journal.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../common/buf.h"
#include "../../common/util.h"
#include "../../repair-actions/ra.h"
#include "../../common/policy.h"
#include "../../common/json.h"
#include "t.h"

static struct ra_catalogue *cat;

static cJSON *plan_of(const char *id, const char *params_json)
{
	cJSON *params = cJSON_Parse(params_json), *clean, *warn;
	char err[256];
	int rc = ra_validate(cat, id, params, &clean, &warn, err, sizeof err);
	T_CHECK(rc == 0, "%s %s: %s", id, params_json, err);
	cJSON *plan = rc ? NULL : ra_plan(cat, id, clean);
	cJSON_Delete(params);
	cJSON_Delete(clean);
	cJSON_Delete(warn);
	return plan;
}

/* The plan as one line per step: "kind key" for comparison. */
static char *summary(const cJSON *plan)
{
	struct buf b;
	buf_init(&b, BUF_NOMAX);
	const cJSON *s;
	cJSON_ArrayForEach(s, plan) {
		const cJSON *a = cJSON_GetObjectItem(s, "args");
		const cJSON *key = cJSON_GetObjectItem(a, "key");
		buf_addf(&b, "%s%s%s%s%s;", cJSON_GetObjectItem(s, "kind")->valuestring,
			 cJSON_IsString(key) ? " " : "", cJSON_IsString(key) ? key->valuestring : "",
			 cJSON_IsTrue(cJSON_GetObjectItem(s, "admin")) ? " [admin]" : "",
			 !cJSON_IsTrue(cJSON_GetObjectItem(s, "changes")) ? "" :
			 !strcmp(cJSON_GetObjectItem(s, "undo")->valuestring, "exact") ? " [undo]" :
			 !strcmp(cJSON_GetObjectItem(s, "undo")->valuestring, "partial") ?
			 " [partial undo]" : " [no undo]");
	}
	return buf_take(&b, NULL);
}

static void test_plans(void)
{
	static const struct {
		const char *id, *params;
		const char *contains[4];
	} cases[] = {
		{ "rebuild-profile", "{\"office_version\":\"2010\"}",
		  { "registry-export HKCU\\Software\\Microsoft\\Windows NT\\CurrentVersion\\Windows "
		    "Messaging Subsystem\\Profiles;",
		    "registry-create-key HKCU\\Software\\Microsoft\\Windows NT\\CurrentVersion\\Windows "
		    "Messaging Subsystem\\Profiles\\Outlook (koffix) [undo];",
		    "registry-set HKCU\\Software\\Microsoft\\Exchange\\Client\\Options [undo];",
		    "open-control-panel;" } },
		/* The new profile never becomes the default: Outlook asks which one to open. */
		{ "rebuild-profile", "{\"office_version\":\"2013\",\"profile\":\"Kerio\"}",
		  { "registry-export HKCU\\Software\\Microsoft\\Office\\15.0\\Outlook\\Profiles;",
		    "registry-export HKCU\\Software\\Microsoft\\Exchange\\Client\\Options;",
		    "registry-create-key HKCU\\Software\\Microsoft\\Office\\15.0\\Outlook\\Profiles\\Kerio",
		    "registry-set HKCU\\Software\\Microsoft\\Exchange\\Client\\Options [undo];" } },
		{ "rebuild-profile", "{\"office_version\":\"2016\"}",
		  { "HKCU\\Software\\Microsoft\\Office\\16.0\\Outlook\\Profiles;", NULL } },
		{ "rebuild-profile", "{\"office_version\":\"365\"}",
		  { "HKCU\\Software\\Microsoft\\Office\\16.0\\Outlook\\Profiles;", NULL } },
		{ "rebuild-profile", "{\"office_version\":\"2024\",\"profile\":\"a&b\"}",
		  { "Profiles\\a&b [undo];", NULL } },
		/* Honest undo: an uninstall or an upgrade cannot be taken back without the previous
		 * version's installer; with it, only partly. */
		{ "reinstall-koff", "{\"installer\":\"C:\\\\Downloads\\\\koff.msi\"}",
		  { "process-check;find-product;registry-export $product.key;file-backup;"
		    "msi-uninstall [admin] [no undo];msi-install [admin] [no undo];", NULL } },
		{ "reinstall-koff", "{\"installer\":\"C:\\\\k.msi\",\"previous_installer\":\"C:\\\\o.msi\"}",
		  { "msi-uninstall [admin] [partial undo];msi-install [admin] [partial undo];", NULL } },
		{ "reinstall-koff", "{\"installer\":\"\\\\\\\\srv\\\\share\\\\koff.msi\",\"method\":\"manual\"}",
		  { "process-check;open-control-panel;", NULL } },
		{ "reregister-mapi", "{\"office_install\":\"c2r\",\"office_bitness\":\"x86\"}",
		  { "process-check;find-product;file-backup;mapisvc-merge [admin] [undo];"
		    "msi-repair [admin] [no undo];",
		    NULL } },
		{ "reregister-mapi", "{\"office_install\":\"msi\",\"office_bitness\":\"x64\"}",
		  { "mapisvc-merge [admin] [undo];", NULL } },
		{ "reset-koff-cache", "{\"profile\":\"Outlook\"}",
		  { "process-check;file-rename [undo];", NULL } },
		{ "check-dll", "{}", { "find-product;check-dll;", NULL } },
		{ "check-dll", "{\"dll_path\":\"C:\\\\x\\\\KofMsp32.dll\"}", { "check-dll;", NULL } },
		{ "collect-diagnostics", "{}", { "collect [undo];", NULL } },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cJSON *plan = plan_of(cases[i].id, cases[i].params);
		char *s = summary(plan);
		for (int k = 0; k < 4 && cases[i].contains[k]; k++)
			T_CHECK(strstr(s, cases[i].contains[k]), "case %zu (%s %s):\n  %s\n  lacks %s", i,
				cases[i].id, cases[i].params, s, cases[i].contains[k]);
		/* Every step: plain-words title, scope, verification, a declared undo with its
		 * words; numbered in order. */
		const cJSON *st;
		int n = 0;
		cJSON_ArrayForEach(st, plan) {
			T_INT(cJSON_GetObjectItem(st, "n")->valueint, ++n);
			T_OK(strlen(cJSON_GetObjectItem(st, "title")->valuestring) > 20);
			T_OK(*cJSON_GetObjectItem(st, "verify")->valuestring);
			const char *undo = cJSON_GetObjectItem(st, "undo")->valuestring;
			T_OK(!strcmp(undo, "exact") || !strcmp(undo, "partial") || !strcmp(undo, "none"));
			T_OK(strlen(cJSON_GetObjectItem(st, "undo_note")->valuestring) > 20);
			T_OK(cJSON_IsBool(cJSON_GetObjectItem(st, "changes")));
			const char *scope = cJSON_GetObjectItem(st, "scope")->valuestring;
			T_OK(!strcmp(scope, "user") || !strcmp(scope, "machine"));
			/* A per-user step never needs admin rights (never elevated as someone else). */
			if (!strcmp(scope, "user"))
				T_OK(!cJSON_IsTrue(cJSON_GetObjectItem(st, "admin")));
		}
		free(s);
		cJSON_Delete(plan);
	}
	/* 32-bit Office: the MAPISVC lookup reads the 32-bit registry view (Wow6432Node). */
	cJSON *plan = plan_of("reregister-mapi", "{\"office_bitness\":\"x86\"}");
	T_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(plan, 2), "args"), "view")
	      ->valuestring, "32");
	cJSON_Delete(plan);
	/* The product is found by name in all three Uninstall views, no GUID in any plan. */
	plan = plan_of("reinstall-koff", "{\"installer\":\"C:\\\\k.msi\",\"office_bitness\":\"x64\"}");
	const cJSON *views = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(plan, 1),
								     "args"), "uninstall_keys");
	T_INT(cJSON_GetArraySize(views), 3);
	char *text = cJSON_PrintUnformatted(plan);
	T_OK(strchr(text, '{') && !strstr(text, "{9") && !strstr(text, "-4"));
	T_CONTAINS(text, "\"expect_machine\":\"x64\"");
	free(text);
	cJSON_Delete(plan);
}

static void test_validation(void)
{
	static const struct { const char *id, *params; int rc; const char *msg; } cases[] = {
		{ "nope", "{}", KX_ENOTFOUND, "there is no repair action 'nope'" },
		{ "reinstall-koff", "{}", KX_EINVAL, "parameter 'installer' is required" },
		{ "reinstall-koff", "{\"installer\":\"koff.msi\"}", KX_EINVAL,
		  "parameter 'installer' must be a full path" },
		{ "reinstall-koff", "{\"installer\":\"C:\\\\a\\\"b.msi\"}", KX_EINVAL,
		  "parameter 'installer' contains a character Windows does not allow" },
		{ "rebuild-profile", "{\"office_version\":\"2007\"}", KX_EINVAL,
		  "parameter 'office_version' cannot be '2007'" },
		{ "rebuild-profile", "{\"office_version\":\"2016\",\"profile\":\"a\\\\b\"}", KX_EINVAL,
		  "parameter 'profile' contains a backslash" },
		{ "rebuild-profile", "{\"office_version\":\"2016\",\"profile\":\"a\\nb\"}", KX_EINVAL,
		  "parameter 'profile' contains a control character" },
		{ "rebuild-profile", "{\"office_version\":\"2016\",\"profile\":\"\"}", KX_EINVAL,
		  "parameter 'profile' is empty" },
		{ "rebuild-profile", "{\"office_version\":2016}", KX_EINVAL,
		  "parameter 'office_version' must be a string" },
		{ "reset-koff-cache", "{\"profile\":\"x\",\"colour\":\"red\"}", 0, NULL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cJSON *params = cJSON_Parse(cases[i].params), *clean, *warn;
		char err[256] = "";
		int rc = ra_validate(cat, cases[i].id, params, &clean, &warn, err, sizeof err);
		T_CHECK(rc == cases[i].rc, "case %zu: rc %d (%s)", i, rc, err);
		if (cases[i].msg)
			T_CONTAINS(err, cases[i].msg);
		if (rc == 0) {
			/* Unknown parameters are ignored with a warning. */
			T_OK(!cJSON_GetObjectItem(clean, "colour"));
			T_CONTAINS(cJSON_GetArrayItem(warn, 0)->valuestring, "'colour' is not used");
		}
		cJSON_Delete(clean);
		cJSON_Delete(warn);
		cJSON_Delete(params);
	}
	char long_name[400];
	memset(long_name, 'a', sizeof long_name - 1);
	long_name[sizeof long_name - 1] = '\0';
	cJSON *p = cJSON_CreateObject(), *clean, *warn;
	cJSON_AddStringToObject(p, "profile", long_name);
	char err[256];
	T_INT(ra_validate(cat, "reset-koff-cache", p, &clean, &warn, err, sizeof err), KX_EINVAL);
	cJSON_Delete(p);
}

static void test_cmd_quoting(void)
{
	static const char *const hostile[] = { "My Profile", "a&b", "50%off", "x^y", "Hi!",
					       "say \"hi\"", "Pröfil Ü", "a|b<c>d", "(x)" };
	for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
		cJSON *params = cJSON_CreateObject();
		cJSON_AddStringToObject(params, "office_version", "2016");
		cJSON_AddStringToObject(params, "profile", hostile[i]);
		cJSON *plan = ra_plan(cat, "rebuild-profile", params);
		struct buf out;
		buf_init(&out, BUF_NOMAX);
		ra_plan_cmd(cat, "rebuild-profile", params, plan, "run1", &out);
		const char *s = buf_cstr(&out);
		/* The value appears once, in its escaped assignment, and nowhere else. */
		char *found = strstr(s, "set P_profile=");
		T_CHECK(found != NULL, "no assignment for '%s'", hostile[i]);
		int count = 0;
		for (const char *q = s; (q = strstr(q, hostile[i])); q++)
			count++;
		bool plain_value = !strpbrk(hostile[i], "&%^\"|<>()");
		T_CHECK(count == (plain_value ? 1 : 0), "'%s' appears %d times", hostile[i], count);
		T_OK(strstr(s, "!P_profile!") != NULL);
		T_OK(strstr(s, "setlocal DisableDelayedExpansion") < found);
		T_OK(strstr(s, "setlocal EnableDelayedExpansion") > found);
		/* CRLF everywhere. */
		bool crlf = true;
		for (const char *q = s; *q; q++)
			if (*q == '\n' && (q == s || q[-1] != '\r'))
				crlf = false;
		T_OK(crlf);
		buf_release(&out);
		cJSON_Delete(plan);
		cJSON_Delete(params);
	}
	/* The escaped assignment of a hostile value, exactly. */
	cJSON *params = cJSON_Parse("{\"profile\":\"a&b %x% \\\"q\\\" ^!\"}");
	cJSON *plan = ra_plan(cat, "reset-koff-cache", params);
	struct buf out;
	buf_init(&out, BUF_NOMAX);
	ra_plan_cmd(cat, "reset-koff-cache", params, plan, "run2", &out);
	T_CONTAINS(buf_cstr(&out), "set P_profile=a^&b %%x%% ^\"q^\" ^^!\r\n");
	T_CONTAINS(buf_cstr(&out), "!LOCALAPPDATA!\\Kerio\\Outlook Connector\\!P_profile!");
	T_CONTAINS(buf_cstr(&out), ":undo\r\n");
	buf_release(&out);
	cJSON_Delete(plan);
	cJSON_Delete(params);
}

/* The consent text is built from the declared undo only. */
static void test_consent(void)
{
	static const struct { const char *id, *params, *has[3]; } cases[] = {
		{ "rebuild-profile", "{\"office_version\":\"2016\"}",
		  { "Every change this repair makes can be undone exactly", NULL } },
		{ "reinstall-koff", "{\"installer\":\"C:\\\\k.msi\"}",
		  { "Step 5 cannot be undone", "Step 6 cannot be undone", NULL } },
		{ "reinstall-koff", "{\"installer\":\"C:\\\\k.msi\",\"previous_installer\":\"C:\\\\o.msi\"}",
		  { "Step 5 can only be partly undone", "Step 6 can only be partly undone", NULL } },
		{ "reregister-mapi", "{}", { "Step 5 cannot be undone: Windows Installer has no undo", NULL } },
		{ "reset-koff-cache", "{\"profile\":\"x\"}",
		  { "Every change this repair makes can be undone exactly", NULL } },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cJSON *plan = plan_of(cases[i].id, cases[i].params);
		struct buf b;
		buf_init(&b, BUF_NOMAX);
		ra_consent_text(plan, &b);
		for (int k = 0; k < 3 && cases[i].has[k]; k++)
			T_CONTAINS(buf_cstr(&b), cases[i].has[k]);
		/* Never a promise the plan does not make. */
		if (strstr(cases[i].has[0], "Every change"))
			T_OK(!strstr(buf_cstr(&b), "cannot"));
		else
			T_OK(!strstr(buf_cstr(&b), "Every change"));
		buf_release(&b);
		cJSON_Delete(plan);
	}
}

/* Every action has its checks; the repairs that change the connector check its installer,
 * the programs, rights and pending installs. */
static void test_checks(void)
{
	static const struct { const char *id, *params, *ids; } cases[] = {
		{ "reinstall-koff", "{\"installer\":\"C:\\\\k.msi\"}",
		  "programs-closed installer admin no-pending-install disk-space " },
		{ "reinstall-koff", "{\"installer\":\"C:\\\\k.exe\",\"method\":\"manual\"}",
		  "programs-closed installer " },
		{ "rebuild-profile", "{\"office_version\":\"2016\"}", "programs-closed profile-name " },
		{ "reregister-mapi", "{}", "programs-closed admin no-pending-install product mapisvc " },
		{ "reset-koff-cache", "{\"profile\":\"x\"}", "programs-closed cache-folder " },
		{ "check-dll", "{\"dll_path\":\"C:\\\\x\\\\KofMsp32.dll\"}", "dll-file " },
		{ "collect-diagnostics", "{}", "" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cJSON *params = cJSON_Parse(cases[i].params);
		cJSON *checks = ra_checks(cat, cases[i].id, params);
		struct buf ids;
		buf_init(&ids, BUF_NOMAX);
		const cJSON *c;
		cJSON_ArrayForEach(c, checks) {
			buf_addf(&ids, "%s ", cJSON_GetObjectItem(c, "id")->valuestring);
			T_OK(strlen(cJSON_GetObjectItem(c, "title")->valuestring) > 10);
			T_OK(cJSON_IsObject(cJSON_GetObjectItem(c, "args")));
		}
		T_STR(buf_cstr(&ids), cases[i].ids);
		buf_release(&ids);
		cJSON_Delete(checks);
		cJSON_Delete(params);
	}
	/* The preview backend looks at nothing, and says so: a warning, never ok. */
	struct ra_backend *b = ra_backend_plan();
	cJSON *params = cJSON_Parse("{\"installer\":\"C:\\\\k.msi\"}");
	cJSON *checks = ra_checks(cat, "reinstall-koff", params), *res = cJSON_CreateArray();
	T_INT(b->preflight(b, checks, res), 0);
	T_INT(cJSON_GetArraySize(res), cJSON_GetArraySize(checks));
	const cJSON *r;
	cJSON_ArrayForEach(r, res) {
		T_STR(cJSON_GetObjectItem(r, "state")->valuestring, "warning");
		T_CONTAINS(cJSON_GetObjectItem(r, "reason")->valuestring, "Not checked");
	}
	T_OK(!ra_preflight_blocked(res));
	cJSON_Delete(res);
	b->free(b);
	b = ra_backend_script("block:installer");
	res = cJSON_CreateArray();
	b->preflight(b, checks, res);
	T_OK(ra_preflight_blocked(res));
	cJSON_Delete(res);
	cJSON_Delete(checks);
	cJSON_Delete(params);
	b->free(b);
}

static struct ra_journal *jr;

static const char *make_run(struct ra_backend *b, const char *id, const char *params, char *run)
{
	cJSON *p = cJSON_Parse(params);
	cJSON *plan = ra_plan(cat, id, p);
	T_INT(ra_journal_create(jr, id, p, "sess", b, plan, NULL, run), 0);
	cJSON_Delete(plan);
	cJSON_Delete(p);
	return run;
}

/* The observer's calls, "n state|" each; the titles checked non-empty. */
static void note_step(void *ctx, const char *run, int n, const char *title, const char *state)
{
	struct buf *seen = ctx;
	T_INT((int)strlen(run), 32);
	T_OK(*title != '\0');
	buf_addf(seen, "%d %s|", n, state);
}

/* Choice values in people's words; a catalogue whose value_labels name no value of the choice,
 * or are not strings, is refused at load. */
static void test_value_labels(void)
{
	T_STR(ra_param_value_label(cat, "office_bitness", "x64"), "64-bit (x64)");
	T_STR(ra_param_value_label(cat, "office_version", "365"), "Microsoft 365");
	T_STR(ra_param_value_label(cat, "office_bitness", "arm64"), "arm64");
	T_STR(ra_param_value_label(cat, "profile", "Outlook"), "Outlook");
	T_STR(ra_param_value_label(cat, "no_such_param", "x"), "x");
	static const char *const bad[] = {
		"{\"x\": {\"type\": \"choice\", \"values\": [\"a\"], \"value_labels\": {\"b\": \"B\"}}}",
		"{\"x\": {\"type\": \"choice\", \"values\": [\"a\"], \"value_labels\": {\"a\": 1}}}",
		"{\"x\": {\"type\": \"choice\", \"values\": [\"a\"], \"value_labels\": {\"a\": \"\"}}}",
		"{\"x\": {\"type\": \"choice\", \"values\": [\"a\"], \"value_labels\": [\"A\"]}}",
	};
	char dir[200], path[256], err[256];
	T_INT(t_tmpdir(dir, sizeof dir, "test-ra-labels"), 0);
	snprintf(path, sizeof path, "%s/catalogue.json", dir);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		FILE *f = fopen(path, "w");
		T_OK(f != NULL);
		if (!f)
			return;
		fprintf(f, "{\"params\": %s, \"actions\": []}", bad[i]);
		fclose(f);
		struct ra_catalogue *c = ra_catalogue_load(path, err, sizeof err);
		T_CHECK(c == NULL && strstr(err, "value_labels"), "case %zu: %s", i, err);
		ra_catalogue_free(c);
	}
}

static void test_runner(void)
{
	char dir[200], db[256];
	T_INT(t_tmpdir(dir, sizeof dir, "test-ra"), 0);
	snprintf(db, sizeof db, "%s/journal.db", dir);
	char err[256];
	jr = ra_journal_open(db, err, sizeof err);
	T_OK(jr != NULL);
	char run[33];

	/* Dry run: every step planned, the run succeeds. */
	struct ra_backend *b = ra_backend_plan();
	make_run(b, "rebuild-profile", "{\"office_version\":\"2016\"}", run);
	T_INT(ra_run(jr, b, run, 5), 0);
	cJSON *r = ra_journal_get(jr, run);
	T_STR(cJSON_GetObjectItem(r, "state")->valuestring, "succeeded");
	T_OK(cJSON_IsTrue(cJSON_GetObjectItem(r, "dry_run")));
	const cJSON *s;
	cJSON_ArrayForEach(s, cJSON_GetObjectItem(r, "steps"))
		T_STR(cJSON_GetObjectItem(s, "state")->valuestring, "planned");
	cJSON_Delete(r);
	b->free(b);

	/* A failing step: the run stops there, the steps before are undone in reverse. */
	static const struct { const char *script, *log, *why; } cases[] = {
		/* Only steps that change something have an undo (4: new profile, 5: default). */
		{ "fail:5", "run 1\nverify 1\nrun 2\nverify 2\nrun 3\nverify 3\nrun 4\nverify 4\n"
			    "run 5\nundo 5\nundo 4\n",
		  "step 5 failed: scripted failure at step 5; the steps before it were undone" },
		{ "fail:4", "run 1\nverify 1\nrun 2\nverify 2\nrun 3\nverify 3\nrun 4\nundo 4\n",
		  "step 4 failed: scripted failure at step 4; the steps before it were undone" },
		{ "verify:2", "run 1\nverify 1\nrun 2\nverify 2\n",
		  "step 2 failed: verification failed; the steps before it were undone" },
		{ "hang:3", "run 1\nverify 1\nrun 2\nverify 2\nrun 3\n",
		  "step 3 failed: step 3 did not finish within 1 s; the steps before it were undone" },
		{ "ok", "run 1\nverify 1\nrun 2\nverify 2\nrun 3\nverify 3\nrun 4\nverify 4\nrun 5\n"
			"verify 5\nrun 6\nverify 6\n", "" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		b = ra_backend_script(cases[i].script);
		make_run(b, "rebuild-profile", "{\"office_version\":\"2016\"}", run);
		int rc = ra_run(jr, b, run, 1);
		T_CHECK((rc == 0) == !strcmp(cases[i].script, "ok"), "%s: rc %d", cases[i].script, rc);
		T_STR(ra_backend_script_log(b), cases[i].log);
		r = ra_journal_get(jr, run);
		T_STR(cJSON_GetObjectItem(r, "error")->valuestring, cases[i].why);
		T_STR(cJSON_GetObjectItem(r, "state")->valuestring, strcmp(cases[i].script, "ok") ?
		      "failed" : "succeeded");
		/* The failed step says so; the steps after it never ran. */
		int at = 0;
		sscanf(cases[i].script, "%*[a-z]:%d", &at);
		const cJSON *fs = cJSON_GetArrayItem(cJSON_GetObjectItem(r, "steps"), at ? at - 1 : 0);
		if (at)
			T_STR(cJSON_GetObjectItem(fs, "state")->valuestring,
			      strcmp(cases[i].script, "verify:2") && strcmp(cases[i].script, "hang:3")
			      ? "undone" : "failed");
		const cJSON *last = cJSON_GetArrayItem(cJSON_GetObjectItem(r, "steps"), 5);
		if (at)
			T_STR(cJSON_GetObjectItem(last, "state")->valuestring, "pending");
		cJSON_Delete(r);
		b->free(b);
	}
	/* The observer hears every state the journal records, in order, undos included. */
	struct buf seen;
	buf_init(&seen, BUF_NOMAX);
	ra_journal_observe(jr, note_step, &seen);
	b = ra_backend_script("fail:5");
	make_run(b, "rebuild-profile", "{\"office_version\":\"2016\"}", run);
	T_INT(ra_run(jr, b, run, 1) != 0, 1);
	T_STR(buf_cstr(&seen), "1 started|1 succeeded|2 started|2 succeeded|3 started|3 succeeded|"
	      "4 started|4 succeeded|5 started|5 failed|5 undoing|5 undone|4 undoing|4 undone|");
	ra_journal_observe(jr, NULL, NULL);
	buf_release(&seen);
	b->free(b);

	/* Undo of a succeeded run: the undos of every step, last first; a second undo is 409. */
	b = ra_backend_script("ok");
	make_run(b, "rebuild-profile", "{\"office_version\":\"2016\"}", run);
	T_INT(ra_run(jr, b, run, 1), 0);
	T_INT(ra_undo(jr, b, run, 1), 0);
	T_CONTAINS(ra_backend_script_log(b), "verify 6\nundo 5\nundo 4\n");
	r = ra_journal_get(jr, run);
	T_STR(cJSON_GetObjectItem(r, "state")->valuestring, "undone");
	cJSON_ArrayForEach(s, cJSON_GetObjectItem(r, "steps")) {
		int n = cJSON_GetObjectItem(s, "n")->valueint;
		T_STR(cJSON_GetObjectItem(s, "state")->valuestring, n == 4 || n == 5 ? "undone"
		      : "succeeded");
	}
	cJSON_Delete(r);
	T_INT(ra_undo(jr, b, run, 1), KX_ECONFLICT);
	b->free(b);

	/* A step whose declared undo is "none" is not attempted but said: the run is undone
	 * "as far as it can be" and names the step. */
	b = ra_backend_script("ok");
	make_run(b, "reregister-mapi", "{}", run);
	T_INT(ra_run(jr, b, run, 1), 0);
	T_INT(ra_undo(jr, b, run, 1), 0);
	T_CONTAINS(ra_backend_script_log(b), "verify 5\nundo 4\n");
	T_OK(!strstr(ra_backend_script_log(b), "undo 5"));
	r = ra_journal_get(jr, run);
	T_STR(cJSON_GetObjectItem(r, "state")->valuestring, "undone");
	T_OK(cJSON_IsFalse(cJSON_GetObjectItem(r, "undo_complete")));
	T_CONTAINS(cJSON_GetObjectItem(r, "error")->valuestring, "step(s) 5, which cannot be undone");
	const cJSON *s6 = cJSON_GetArrayItem(cJSON_GetObjectItem(r, "steps"), 4);
	T_STR(cJSON_GetObjectItem(s6, "state")->valuestring, "not-undone");
	T_CONTAINS(cJSON_GetObjectItem(s6, "output")->valuestring, "Windows Installer has no undo");
	cJSON_Delete(r);
	b->free(b);

	/* A preview has nothing to undo. */
	b = ra_backend_plan();
	make_run(b, "reset-koff-cache", "{\"profile\":\"x\"}", run);
	T_INT(ra_run(jr, b, run, 1), 0);
	T_INT(ra_undo(jr, b, run, 1), KX_ECONFLICT);
	b->free(b);

	/* One active run: the journal refuses a second while the first is queued, whoever asks. */
	b = ra_backend_script("ok");
	make_run(b, "reset-koff-cache", "{\"profile\":\"x\"}", run);
	{
		cJSON *p = cJSON_Parse("{\"profile\":\"y\"}");
		cJSON *plan = ra_plan(cat, "reset-koff-cache", p);
		char other[33];
		T_INT(ra_journal_create(jr, "reset-koff-cache", p, NULL, b, plan, NULL, other),
		      KX_ECONFLICT);
		T_STR(other, run);
		T_INT(ra_journal_claim_undo(jr, run), KX_ECONFLICT);
		T_INT(ra_run(jr, b, run, 1), 0);
		T_INT(ra_journal_create(jr, "reset-koff-cache", p, NULL, b, plan, NULL, other), 0);
		T_INT(ra_run(jr, b, other, 1), 0);
		cJSON_Delete(plan);
		cJSON_Delete(p);
	}
	b->free(b);

	/* The runner refuses a blocked preflight with nothing recorded, and starts an ok one. */
	{
		b = ra_backend_script("block:cache-folder");
		struct ra_runner *rn = ra_runner_new(cat, jr, b, 1);
		cJSON *before = ra_journal_runs(jr, "refused");
		cJSON *p = cJSON_Parse("{\"profile\":\"x\"}");
		struct ra_start st;
		T_INT(ra_start(rn, "reset-koff-cache", p, "refused", false, &st), KX_EBLOCKED);
		T_CONTAINS(st.err, "changed nothing");
		T_CONTAINS(st.err, "scripted: this check is blocked");
		T_STR(st.run, "");
		ra_start_release(&st);
		cJSON *after = ra_journal_runs(jr, "refused");
		T_INT(cJSON_GetArraySize(after), cJSON_GetArraySize(before));
		cJSON_Delete(before);
		cJSON_Delete(after);
		T_INT(ra_start(rn, "no-such-action", p, NULL, false, &st), KX_ENOTFOUND);
		ra_start_release(&st);
		ra_runner_free(rn);
		b->free(b);
		b = ra_backend_script("warn:cache-folder");
		rn = ra_runner_new(cat, jr, b, 1);
		T_INT(ra_start(rn, "reset-koff-cache", p, "allowed", false, &st), 0);
		T_INT((int)strlen(st.run), 32);
		cJSON *run_o = ra_journal_get(jr, st.run);
		/* The run keeps the checks it was started on. */
		T_INT(cJSON_GetArraySize(cJSON_GetObjectItem(run_o, "preflight")), 2);
		T_STR(cJSON_GetObjectItem(run_o, "state")->valuestring, "succeeded");
		cJSON_Delete(run_o);
		ra_start_release(&st);
		ra_runner_free(rn);
		cJSON_Delete(p);
		b->free(b);
	}

	/* The administrator's policy: a repair it does not list is refused with nothing recorded,
	 * whoever starts it; a listed one runs; the policy's installer fills an empty one. */
	{
		b = ra_backend_script("ok");
		struct ra_runner *rn = ra_runner_new(cat, jr, b, 1);
		struct kx_policy pol;
		cJSON *v = cJSON_Parse("{\"AllowedRepairs\": \"check-dll , reset-koff-cache\","
				       " \"ConnectorInstaller\": \"C:\\\\share\\\\koff.msi\"}");
		kx_policy_from_json(&pol, v);
		cJSON_Delete(v);
		ra_runner_policy(rn, &pol);
		T_OK(kx_policy_allows(&pol, "check-dll") && kx_policy_allows(&pol, "reset-koff-cache"));
		T_OK(!kx_policy_allows(&pol, "reset-koff") && !kx_policy_allows(&pol, "rebuild-profile"));
		cJSON *before = ra_journal_runs(jr, "policy");
		cJSON *p = cJSON_Parse("{\"profile\":\"x\"}");
		struct ra_start st;
		cJSON *rp = cJSON_Parse("{\"profile\":\"x\",\"office_version\":\"365\"}");
		T_INT(ra_start(rn, "rebuild-profile", rp, "policy", false, &st), KX_EBLOCKED);
		cJSON_Delete(rp);
		T_CONTAINS(st.err, "policy does not allow this repair");
		ra_start_release(&st);
		T_INT(ra_review(rn, "reinstall-koff", NULL, &st), 0);
		T_STR(kx_json_str(st.params, "installer"), "C:\\share\\koff.msi");
		const cJSON *last = cJSON_GetArrayItem(st.preflight, cJSON_GetArraySize(st.preflight) - 1);
		T_STR(kx_json_str(last, "id"), "policy");
		T_STR(kx_json_str(last, "state"), "blocked");
		T_OK(*kx_json_str_or(last, "title", ""));
		ra_start_release(&st);
		cJSON *after = ra_journal_runs(jr, "policy");
		T_INT(cJSON_GetArraySize(after), cJSON_GetArraySize(before));
		T_INT(ra_start(rn, "reset-koff-cache", p, "policy", false, &st), 0);
		ra_start_release(&st);
		cJSON_Delete(before);
		cJSON_Delete(after);
		cJSON_Delete(p);
		ra_runner_free(rn);
		b->free(b);
		struct kx_policy none;
		kx_policy_from_json(&none, NULL);
		T_OK(kx_policy_allows(&none, "rebuild-profile"));
		/* A limit that is there but empty, unreadable or too long allows nothing. */
		char big[2100];
		memset(big, 'a', sizeof big - 1);
		big[sizeof big - 1] = '\0';
		const char *limits[] = { "{\"AllowedRepairs\": \"\"}", "{\"AllowedRepairs\": null}",
					 "{\"AllowedRepairs\": 7}" };
		for (size_t k = 0; k < 4; k++) {
			cJSON *lv = k < 3 ? cJSON_Parse(limits[k]) : cJSON_CreateObject();
			if (k == 3)
				cJSON_AddStringToObject(lv, "AllowedRepairs", big);
			struct kx_policy lp;
			kx_policy_from_json(&lp, lv);
			T_CHECK(lp.allowed_set && !kx_policy_allows(&lp, "check-dll"), "limit %zu", k);
			cJSON_Delete(lv);
		}
		kx_policy_read(&none);
#ifdef _WIN32
		T_OK(none.available);
#else
		T_OK(!none.available && strstr(none.why, "not Windows"));
#endif
	}

	/* An interrupted run (a process that died mid-run) is found and can be rolled back. */
	b = ra_backend_script("ok");
	make_run(b, "reset-koff-cache", "{\"profile\":\"x\"}", run);
	char active[33];
	T_OK(ra_journal_active(jr, active));
	T_INT(ra_journal_recover(jr), 1);
	T_OK(!ra_journal_active(jr, active));
	r = ra_journal_get(jr, run);
	T_STR(cJSON_GetObjectItem(r, "state")->valuestring, "interrupted");
	cJSON_Delete(r);
	T_INT(ra_undo(jr, b, run, 1), 0);
	b->free(b);
	cJSON *runs = ra_journal_runs(jr, "sess");
	T_OK(cJSON_GetArraySize(runs) >= 7);
	cJSON_Delete(runs);
	ra_journal_close(jr);
	t_rm_rf(dir);
}

int main(void)
{
	char err[256];
	cat = ra_catalogue_load("repair-actions/catalogue.json", err, sizeof err);
	T_CHECK(cat != NULL, "%s", err);
	if (!cat)
		return t_done("actions");
	test_plans();
	test_validation();
	test_cmd_quoting();
	test_consent();
	test_value_labels();
	test_checks();
	test_runner();
	cJSON *list = ra_catalogue_list(cat);
	T_INT(cJSON_GetArraySize(list), 6);
	cJSON_Delete(list);
	ra_catalogue_free(cat);
	return t_done("actions");
}
