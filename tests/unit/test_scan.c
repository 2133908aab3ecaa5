/* SPDX-License-Identifier: MIT */
/*
 * The scan: Windows event XML parsed and classified (golden file tests/golden/events.txt, in
 * cmark's spec format: the event as Windows renders it, a "." line, what the scan keeps); the
 * rules file validated with clear errors; findings from facts; the wizard's detected values
 * from a scan; a saved scan's validation; the exit code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/buf.h"
#include "../../common/util.h"
#include "../../scan/scan.h"
#include "t.h"

static char *trimmed(const char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		n--;
	return xstrndup(s, n);
}

static void test_events_golden(void)
{
	static const char golden[] = "tests/golden/events.txt";
	char *text;
	T_CHECK(kx_read_file(golden, 1u << 22, &text, NULL) == 0, "cannot read %s", golden);
	if (!text)
		return;
	static const char fence[] = "````````````````````````````````";
	int num = 0, parsed = 0, kept = 0;
	struct scan_event *ev = xmalloc(sizeof *ev);
	for (char *p = strstr(text, fence); p; ) {
		char *start = strchr(p, '\n');
		if (!start || strncmp(p + 32, " example", 8))
			break;
		char *end = strstr(start, fence);
		if (!end)
			break;
		*end = '\0';
		char *dot = strstr(start, "\n.\n");
		num++;
		T_CHECK(dot != NULL, "%s: example %d has no '.' line", golden, num);
		if (dot) {
			*dot = '\0';
			const char *xml = start + 1;
			char *want = trimmed(dot + 3);
			struct buf got;
			buf_init(&got, BUF_NOMAX);
			char err[300];
			if (scan_evt_parse(xml, strlen(xml), ev, err, sizeof err) == 0) {
				struct scan_evt_fact f;
				kept += scan_evt_classify(ev, "Kerio Outlook Connector", &f) !=
					SCAN_EVT_IGNORED;
				scan_evt_describe(&f, &got);
				parsed++;
			} else {
				buf_addf(&got, "error: %s", err);
			}
			T_CHECK(!strcmp(buf_cstr(&got), want), "%s: example %d\n  want: %s\n  got:  %s",
				golden, num, want, buf_cstr(&got));
			buf_release(&got);
			free(want);
		}
		p = strstr(end + 32, fence);
		while (p && strncmp(p + 32, " example", 8))
			p = strstr(p + 32, fence);
	}
	free(ev);
	free(text);
	/* The floor: at least twelve events in Windows' format, kept and ignored ones. */
	T_CHECK(parsed >= 12 && kept >= 9 && parsed - kept >= 3, "%d parsed, %d kept", parsed,
		kept);
}

static void test_evt_get(void)
{
	static const char xml[] =
		"<Event><System><Provider Name='MsiInstaller'/><EventID>1033</EventID></System>"
		"<EventData><Data>(NULL)</Data><Data></Data><Data Name='X'>x&#x41;&#66;&lt;</Data>"
		"<![CDATA[ignored]]><!-- a comment --></EventData></Event>";
	struct scan_event *ev = xmalloc(sizeof *ev);
	char err[200];
	T_INT(scan_evt_parse(xml, strlen(xml), ev, err, sizeof err), 0);
	T_OK(scan_evt_get(ev, NULL, 0) == NULL);      /* "(NULL)" is no value */
	T_OK(scan_evt_get(ev, NULL, 1) == NULL);      /* "" neither */
	T_STR(scan_evt_get(ev, "X", -1), "xAB<");
	T_OK(scan_evt_get(ev, NULL, 2) == NULL);      /* a named item is not positional */
	T_OK(scan_evt_get(ev, NULL, 9) == NULL);
	T_INT(ev->level, -1);
	/* Bounds: an event larger than the cap is refused; so is a reference to NUL. */
	char *big = xmalloc(SCAN_EVT_XML_MAX + 2);
	memset(big, ' ', SCAN_EVT_XML_MAX + 1);
	big[SCAN_EVT_XML_MAX + 1] = '\0';
	T_INT(scan_evt_parse(big, SCAN_EVT_XML_MAX + 1, ev, err, sizeof err), KX_ETOOBIG);
	free(big);
	static const char nul[] = "<Event><System><Provider Name='a&#0;'/></System></Event>";
	T_INT(scan_evt_parse(nul, strlen(nul), ev, err, sizeof err), KX_ESYNTAX);
	static const char deep[] = "<Event><a><b><c><d><e><f><g><h><i><j><k><l><m><n><o><p><q>";
	T_INT(scan_evt_parse(deep, strlen(deep), ev, err, sizeof err), KX_ESYNTAX);
	T_CONTAINS(err, "nested too deeply");
	free(ev);
}

static const char good_rules[] =
	"{\"rules\":[{\"id\":\"gone\",\"severity\":\"problem\",\"title\":\"Gone {{c.n}}\","
	"\"when\":{\"all\":[{\"false\":\"c.installed\"},{\"gt\":[\"p.n\",0]}]},"
	"\"evidence\":[{\"source\":\"c\",\"detail\":\"none; profiles {{p.names}}\"},"
	"{\"when\":{\"true\":\"c.installed\"},\"source\":\"x\",\"detail\":\"never\"}],"
	"\"articles\":[\"a1\"],\"actions\":[{\"id\":\"fix\",\"params\":{\"v\":\"{{c.v}}\","
	"\"w\":\"{{c.missing}}\"}}]},"
	"{\"id\":\"note\",\"severity\":\"info\",\"title\":\"Note\",\"when\":{\"ge\":[\"p.n\",\"p.m\"]},"
	"\"evidence\":[{\"source\":\"p\",\"detail\":\"{{p.n}} of {{p.m}}\"}]}]}";

static void test_rules(void)
{
	static const char *const arts[] = { "a1" }, *const acts[] = { "fix" };
	struct buf r;
	buf_init(&r, BUF_NOMAX);
	struct scan_rules *rules = scan_rules_parse("t", good_rules, strlen(good_rules), arts, 1,
						    acts, 1, &r);
	T_CHECK(rules != NULL, "%s", buf_cstr(&r));
	cJSON *facts = cJSON_Parse("{\"c\":{\"installed\":false,\"v\":\"1.2\"},\"p\":{\"n\":2,"
				   "\"m\":2,\"names\":[\"Outlook\",\"B\\u00fcro\"]}}");
	cJSON *f = scan_findings(rules, facts);
	char *s = cJSON_PrintUnformatted(f);
	/* Problems first; texts filled in; an evidence item whose condition fails is left out; a
	 * parameter whose fact is unknown is dropped, never invented. */
	T_STR(s, "[{\"id\":\"gone\",\"severity\":\"problem\",\"title\":\"Gone (unknown)\","
		 "\"evidence\":[{\"source\":\"c\",\"detail\":\"none; profiles Outlook, B\xc3\xbcro\"}],"
		 "\"articles\":[\"a1\"],\"actions\":[{\"id\":\"fix\",\"params\":{\"v\":\"1.2\"}}]},"
		 "{\"id\":\"note\",\"severity\":\"info\",\"title\":\"Note\",\"evidence\":[{\"source\":"
		 "\"p\",\"detail\":\"2 of 2\"}],\"articles\":[],\"actions\":[]}]");
	free(s);
	cJSON_Delete(f);
	cJSON_Delete(facts);
	/* A missing fact makes every comparison false. */
	facts = cJSON_Parse("{\"c\":{\"installed\":true}}");
	f = scan_findings(rules, facts);
	T_INT(cJSON_GetArraySize(f), 0);
	cJSON_Delete(f);
	cJSON_Delete(facts);
	scan_rules_free(rules);

	static const struct { const char *from, *to, *want; } bad[] = {
		{ "\"id\":\"gone\"", "\"id\":\"Gone!\"", "id is lower-case letters" },
		{ "\"id\":\"note\"", "\"id\":\"gone\"", "rule 'gone': the id is used twice" },
		{ "\"severity\":\"info\"", "\"severity\":\"fatal\"", "severity is problem, warning or info" },
		{ "{\"false\":\"c.installed\"}", "{\"maybe\":\"c.installed\"}", "unknown condition 'maybe'" },
		{ "{\"false\":\"c.installed\"}", "{\"false\":\"C..x\"}", "'false' takes a fact path" },
		{ "{\"gt\":[\"p.n\",0]}", "{\"gt\":[\"p.n\",\"zero!\"]}", "'gt' compares with a number or a fact path" },
		{ "\"articles\":[\"a1\"]", "\"articles\":[\"nope\"]", "rule 'gone': article 'nope' does not exist in the KB" },
		{ "{\"id\":\"fix\"", "{\"id\":\"nuke\"", "rule 'gone': action 'nuke' is not in the repair catalogue" },
		{ "[{\"source\":\"p\",\"detail\":\"{{p.n}} of {{p.m}}\"}]", "[]", "rule 'note': a finding needs its evidence" },
		{ "\"title\":\"Note\",", "", "rule 'note': a rule needs a title" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *at = strstr(good_rules, bad[i].from);
		T_CHECK(at != NULL, "case %zu: '%s' not in the good rules", i, bad[i].from);
		if (!at)
			continue;
		struct buf t;
		buf_init(&t, BUF_NOMAX);
		buf_add(&t, good_rules, (size_t)(at - good_rules));
		buf_adds(&t, bad[i].to);
		buf_adds(&t, at + strlen(bad[i].from));
		buf_reset(&r);
		rules = scan_rules_parse("t", buf_cstr(&t), t.len, arts, 1, acts, 1, &r);
		T_CHECK(!rules && strstr(buf_cstr(&r), bad[i].want), "case %zu: %s", i, buf_cstr(&r));
		scan_rules_free(rules);
		buf_release(&t);
	}
	buf_reset(&r);
	T_OK(scan_rules_parse("t", "[1]", 3, NULL, 0, NULL, 0, &r) == NULL);
	T_CONTAINS(buf_cstr(&r), "not a rules file");
	buf_release(&r);
}

/* The shipped rules over raw scans as the agent reports them. */
static void test_complete(void)
{
	struct buf r;
	buf_init(&r, BUF_NOMAX);
	struct scan_rules *rules = scan_rules_load("wizard/data/scan-rules.json", NULL, 0, NULL, 0, &r);
	T_CHECK(rules != NULL, "%s", buf_cstr(&r));
	buf_release(&r);
	if (!rules)
		return;
	static const char removed[] =
		"{\"computer\":\"WS-1\",\"user\":\"jdoe\",\"sources\":[{\"name\":\"profiles\","
		"\"available\":true},{\"name\":\"eventlog.application\",\"available\":false,"
		"\"detail\":\"not here\"}],\"facts\":{\"answers\":{\"office_version\":\"365\","
		"\"office_bitness\":\"x64\",\"dll_present\":\"no\"},"
		"\"connector\":{\"entries\":[]},\"profiles\":{\"list\":[{\"name\":\"Outlook\","
		"\"default\":true,\"services\":[{\"section\":\"9375\",\"dll\":\"kofmsp.dll\","
		"\"kerio\":true}]},{\"name\":\"Other\",\"services\":[]}]},\"dll\":{\"present\":false}}}";
	cJSON *raw = cJSON_Parse(removed);
	cJSON *scan = scan_complete(rules, raw, NULL, "9.9.9");
	char err[200];
	T_INT(scan_validate(scan, err, sizeof err), 0);
	T_INT(scan_exit_code(scan), 1);
	const cJSON *f0 = cJSON_GetArrayItem(cJSON_GetObjectItem(scan, "findings"), 0);
	T_STR(cJSON_GetObjectItem(f0, "id")->valuestring, "koff_removed");
	char *s = cJSON_PrintUnformatted(f0);
	T_CONTAINS(s, "The Outlook profile(s) Outlook still hold the Kerio service");
	T_CONTAINS(s, "{\"id\":\"rebuild-profile\",\"params\":{\"office_version\":\"365\"}}");
	free(s);
	/* Not dll_missing: with no connector installed the missing DLL is expected. */
	T_INT(cJSON_GetArraySize(cJSON_GetObjectItem(scan, "findings")), 1);
	struct buf text;
	buf_init(&text, BUF_NOMAX);
	scan_text(scan, &text);
	T_CONTAINS(buf_cstr(&text), "eventlog.application       NOT AVAILABLE: not here");
	T_CONTAINS(buf_cstr(&text), "PROBLEM: The connector was removed");
	buf_release(&text);
	cJSON *det, *notes;
	scan_wizard_detected(scan, &det, &notes);
	T_STR(cJSON_GetObjectItem(det, "koff_removed")->valuestring, "found");
	T_STR(cJSON_GetObjectItem(det, "office_version")->valuestring, "365");
	T_CONTAINS(cJSON_GetObjectItem(notes, "koff_removed")->valuestring, "installed programs. The Outlook");
	cJSON_Delete(det);
	cJSON_Delete(notes);
	cJSON_Delete(scan);
	cJSON_Delete(raw);

	/* Events: parsed by koffix, counted; a genuine DLL reported by Defender is a false
	 * positive (warning), and the scan finds no problem. */
	char *crash, *defender;
	T_INT(kx_read_file("tests/fixtures/events/defender-1116-install-folder.xml", 1 << 20, &defender,
			NULL), 0);
	T_INT(kx_read_file("tests/fixtures/events/app-error-1000-kofmsp.xml", 1 << 20, &crash, NULL), 0);
	cJSON *r2 = cJSON_Parse(
		"{\"computer\":\"WS-1\",\"sources\":[{\"name\":\"eventlog.application\","
		"\"available\":true},{\"name\":\"eventlog.defender\",\"available\":true}],"
		"\"facts\":{\"office\":{\"bitness\":\"x64\"},\"connector\":{\"entries\":[{\"version\":"
		"\"10.0.2\",\"install_dir\":\"C:\\\\Program Files\\\\Kerio\\\\Outlook Connector "
		"(Offline Edition)\"}]},\"dll\":{\"present\":true,\"machine\":\"x64\",\"path\":"
		"\"C:\\\\Program Files\\\\Kerio\\\\Outlook Connector (Offline Edition)\\\\KofMsp32.dll\"},"
		"\"mapisvc\":{\"path\":\"C:\\\\x\\\\MAPISVC.INF\",\"lists_connector\":true}},"
		"\"events\":{\"application\":[],\"defender\":[]}}");
	cJSON *events = cJSON_GetObjectItem(r2, "events");
	cJSON_AddItemToArray(cJSON_GetObjectItem(events, "application"), cJSON_CreateString(crash));
	cJSON_AddItemToArray(cJSON_GetObjectItem(events, "application"),
			     cJSON_CreateString("<Event><broken"));
	cJSON_AddItemToArray(cJSON_GetObjectItem(events, "defender"), cJSON_CreateString(defender));
	cJSON *check = cJSON_Parse("{\"verdict\":\"legitimate\",\"reason\":\"Signed by Kerio.\","
				   "\"signature\":{\"status\":\"valid\",\"signer\":{\"organization\":"
				   "\"Kerio Technologies s.r.o.\"}}}");
	scan = scan_complete(rules, r2, check, "9.9.9");
	const cJSON *facts = cJSON_GetObjectItem(scan, "facts");
	T_INT(scan_fact(facts, "events.connector_crashes")->valueint, 1);
	T_INT(scan_fact(facts, "events.unreadable")->valueint, 1);
	T_INT(scan_fact(facts, "defender.install_folder_count")->valueint, 1);
	T_OK(cJSON_IsTrue(scan_fact(facts, "dll.in_install_folder")));
	T_STR(scan_fact(facts, "dll.check.signer")->valuestring, "Kerio Technologies s.r.o.");
	s = cJSON_PrintUnformatted(cJSON_GetObjectItem(scan, "findings"));
	T_CONTAINS(s, "\"id\":\"av_false_positive\"");
	T_CONTAINS(s, "\"id\":\"connector_crashes\"");
	T_OK(!strstr(s, "\"av_detection\"") && !strstr(s, "\"problem\""));
	free(s);
	T_INT(scan_exit_code(scan), 0);
	scan_wizard_detected(scan, &det, &notes);
	T_STR(cJSON_GetObjectItem(det, "dll_location")->valuestring, "program_files");
	T_STR(cJSON_GetObjectItem(det, "dll_signature")->valuestring, "kerio_or_gfi");
	T_STR(cJSON_GetObjectItem(det, "av_false_positive")->valuestring, "found");
	cJSON_Delete(det);
	cJSON_Delete(notes);
	cJSON_Delete(scan);
	cJSON_Delete(check);
	cJSON_Delete(r2);
	free(crash);
	free(defender);
	scan_rules_free(rules);

	static const struct { const char *json, *want; } invalid[] = {
		{ "[]", "a scan is a JSON object" },
		{ "{\"computer\":\"x\",\"time\":\"t\"}", "\"version\"" },
		{ "{\"version\":\"1\",\"computer\":\"x\",\"time\":\"t\",\"sources\":{}}", "\"sources\"" },
		{ "{\"version\":\"1\",\"computer\":\"x\",\"time\":\"t\",\"sources\":[{\"name\":\"a\"}]}",
		  "whether it was available" },
		{ "{\"version\":\"1\",\"computer\":\"x\",\"time\":\"t\",\"sources\":[],\"facts\":{},"
		  "\"findings\":[{\"id\":\"x\"}]}", "each finding" },
	};
	for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
		cJSON *j = cJSON_Parse(invalid[i].json);
		T_INT(scan_validate(j, err, sizeof err), KX_EINVAL);
		T_CONTAINS(err, invalid[i].want);
		cJSON_Delete(j);
	}
}

int main(void)
{
	test_events_golden();
	test_evt_get();
	test_rules();
	test_complete();
	return t_done("scan");
}
