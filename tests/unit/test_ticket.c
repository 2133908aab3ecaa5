/* SPDX-License-Identifier: MIT */
/*
 * The support ticket: the encoders (text cleaning, addresses, base64, RFC 2047 headers, dates)
 * as tables, redaction, and a whole ticket built from a session of a small flow and a database
 * holding every table the ticket reads, exported in every format with hostile values planted:
 * HTML, CRLF header injection, NUL, invalid UTF-8, huge logs.
 */
#define _POSIX_C_SOURCE 200809L
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../common/buf.h"
#include "../../common/util.h"
#include "../../ticket/ticket.h"
#include "../../wizard/wiz.h"
#include "t.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define SESSION "0123456789abcdef0123456789abcdef"
/* T_CONTAINS without printing the (possibly huge) haystack. */
#define HAS(hay, needle) T_CHECK(strstr((hay), (needle)) != NULL, "missing [%s]", (needle))

/* ---- helpers ---- */

static size_t b64_decode(const char *s, size_t n, unsigned char *out)
{
	size_t o = 0;
	unsigned v = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		const char *tab = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
		const char *p = s[i] ? strchr(tab, s[i]) : NULL;
		if (!p)
			continue;
		v = (v << 6) | (unsigned)(p - tab);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(v >> bits);
		}
	}
	return o;
}

/* Decodes the base64 body that follows the first "\r\n\r\n" after marker in text. */
static char *mime_part(const char *text, const char *marker, size_t *len)
{
	const char *p = strstr(text, marker);
	if (!p || !(p = strstr(p, "\r\n\r\n")))
		return NULL;
	p += 4;
	const char *end = strstr(p, "\r\n--");
	if (!end)
		return NULL;
	char *out = xmalloc((size_t)(end - p) + 1);
	*len = b64_decode(p, (size_t)(end - p), (unsigned char *)out);
	out[*len] = '\0';
	return out;
}

static bool utf8_valid(const char *s)
{
	return ticket_text_ok(s, strlen(s)) || strchr(s, '\n') || strchr(s, '\t') || strchr(s, '\r')
		? true : false;
}

/* ---- encoders ---- */

static void test_clean(void)
{
	static const struct {
		const char *in;
		size_t n;
		enum ticket_text kind;
		const char *want;
	} cases[] = {
		{ "plain", 5, TICKET_TEXT_LINE, "plain" },
		{ "x\r\nBcc: evil@example", 20, TICKET_TEXT_LINE, "x Bcc: evil@example" },
		{ "a\nb\tc\rd", 7, TICKET_TEXT_LINE, "a b c d" },
		{ "a\r\nb", 4, TICKET_TEXT_BLOCK, "a\r\nb" },
		{ "nul\0byte", 8, TICKET_TEXT_LINE, "nul\xEF\xBF\xBD" "byte" },
		{ "\xff\xfe ok", 5, TICKET_TEXT_LINE, "\xEF\xBF\xBD\xEF\xBF\xBD ok" },
		{ "\xC0\xAF", 2, TICKET_TEXT_LINE, "\xEF\xBF\xBD\xEF\xBF\xBD" },          /* overlong */
		{ "\xED\xA0\x80", 3, TICKET_TEXT_LINE, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" }, /* surrogate */
		{ "\xF4\x90\x80\x80", 4, TICKET_TEXT_LINE,
		  "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" },               /* > U+10FFFF */
		{ "J\xC3\xBCrgen \xE6\xBC\xA2", 11, TICKET_TEXT_LINE, "J\xC3\xBCrgen \xE6\xBC\xA2" },
		{ "esc\x1b[31m", 8, TICKET_TEXT_BLOCK, "esc\xEF\xBF\xBD[31m" },
		{ "\xE2\x80\xAEtxt.exe", 10, TICKET_TEXT_LINE, "\xEF\xBF\xBDtxt.exe" },  /* RLO */
		{ "\xC2\x85nel", 5, TICKET_TEXT_LINE, "\xEF\xBF\xBDnel" },              /* C1 */
		{ "trunc\xE6\xBC", 7, TICKET_TEXT_LINE, "trunc\xEF\xBF\xBD\xEF\xBF\xBD" },
	};
	for (size_t i = 0; i < LEN(cases); i++) {
		char *got = ticket_clean(cases[i].in, cases[i].n, cases[i].kind, 1000, NULL);
		T_STR(got, cases[i].want);
		free(got);
	}
	bool cut;
	char *got = ticket_clean("0123456789", 10, TICKET_TEXT_LINE, 4, &cut);
	T_STR(got, "0123[... 6 bytes cut]");
	T_OK(cut);
	free(got);
	/* A cut never splits a character. */
	got = ticket_clean("ab\xC3\xBC", 4, TICKET_TEXT_LINE, 3, &cut);
	T_STR(got, "ab[... 2 bytes cut]");
	free(got);

	T_OK(ticket_text_ok("J\xC3\xBCrgen", 7));
	T_OK(!ticket_text_ok("a\nb", 3));
	T_OK(!ticket_text_ok("a\0b", 3));
	T_OK(!ticket_text_ok("\xff", 1));
}

static void test_email(void)
{
	static const struct {
		const char *s;
		bool ok;
	} cases[] = {
		{ "jdoe@example.com", true }, { "first.last+tag@mail.corp.example.cz", true },
		{ "o'brien@example.ie", true }, { "a@b.cd", true },
		{ "", false }, { "jdoe", false }, { "jdoe@localhost", false }, { "@example.com", false },
		{ "jdoe@", false }, { "a@@example.com", false }, { ".a@example.com", false },
		{ "a.@example.com", false }, { "a..b@example.com", false },
		{ "a@-example.com", false }, { "a@example-.com", false }, { "a@example.c0m", false },
		{ "a@example..com", false }, { "j\xC3\xBCrgen@example.com", false },
		{ "a b@example.com", false }, { "a@example.com\r\nBcc: evil@example.com", false },
		{ "\"quoted\"@example.com", false }, { "a@[127.0.0.1]", false },
		{ "a<b>@example.com", false }, { "a@example.com>", false },
	};
	for (size_t i = 0; i < LEN(cases); i++)
		T_CHECK(ticket_email_ok(cases[i].s) == cases[i].ok, "'%s' should be %s", cases[i].s,
			cases[i].ok ? "accepted" : "refused");
	char err[256];
	T_INT(ticket_requester_check(NULL, NULL, TICKET_JSON, err, sizeof err), 0);
	T_INT(ticket_requester_check(NULL, NULL, TICKET_HTML, err, sizeof err), 0);
	/* The e-mail draft needs no address (the mail program fills From); the API formats do. */
	T_INT(ticket_requester_check("Jo", "", TICKET_EML, err, sizeof err), 0);
	T_INT(ticket_requester_check("Jo", NULL, TICKET_OSTICKET, err, sizeof err), KX_EINVAL);
	T_CONTAINS(err, "needs your e-mail");
	T_INT(ticket_requester_check(NULL, NULL, TICKET_ZAMMAD, err, sizeof err), KX_EINVAL);
	T_INT(ticket_requester_check("Jo", "jo@example.com", TICKET_ZAMMAD, err, sizeof err), 0);
	T_INT(ticket_requester_check("Jo\r\nBcc: x", "jo@example.com", TICKET_EML, err, sizeof err),
	      KX_EINVAL);
	T_INT(ticket_requester_check("\xff", "jo@example.com", TICKET_EML, err, sizeof err),
	      KX_EINVAL);
	T_INT(ticket_requester_check("Jo", "jo@example", TICKET_JSON, err, sizeof err), KX_EINVAL);
	char big[TICKET_NAME_MAX + 2];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	T_INT(ticket_requester_check(big, NULL, TICKET_JSON, err, sizeof err), KX_EINVAL);
}

static void test_base64(void)
{
	static const char *const rfc4648[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	struct buf b;
	buf_init(&b, BUF_NOMAX);
	for (size_t i = 0; i < LEN(rfc4648); i++) {
		buf_reset(&b);
		ticket_base64(&b, rfc4648[i][0], strlen(rfc4648[i][0]), 0);
		T_STR(buf_cstr(&b), rfc4648[i][1]);
	}
	/* Lines of 76 characters with CRLF, none after the last. */
	unsigned char bytes[256];
	for (int i = 0; i < 256; i++)
		bytes[i] = (unsigned char)i;
	buf_reset(&b);
	ticket_base64(&b, bytes, sizeof bytes, 76);
	const char *s = buf_cstr(&b);
	T_CHECK(strstr(s, "\r\n") == s + 76, "first break at %ld", (long)(strstr(s, "\r\n") - s));
	T_OK(b.len >= 2 && memcmp(s + b.len - 2, "\r\n", 2) != 0);
	unsigned char back[256];
	T_INT(b64_decode(s, b.len, back), 256);
	T_OK(memcmp(back, bytes, 256) == 0);
	/* The bound holds: nothing half-written. */
	struct buf small;
	buf_init(&small, 5);
	T_INT(ticket_base64(&small, "foobar", 6, 0), KX_ETOOBIG);
	T_INT(small.len, 0);
	buf_release(&small);
	buf_release(&b);
}

static void test_headers(void)
{
	struct buf b;
	buf_init(&b, BUF_NOMAX);
	ticket_mime_header(&b, "Subject", "Outlook/Kerio: short");
	T_STR(buf_cstr(&b), "Subject: Outlook/Kerio: short\r\n");
	/* Non-ASCII, an encoded-word look-alike, or control characters: encoded words. */
	static const char *const encoded[] = { "Caf\xC3\xA9", "=?UTF-8?B?QQ==?=", "x\r\nBcc: e@x.cz",
					       "tab\there" };
	for (size_t i = 0; i < LEN(encoded); i++) {
		buf_reset(&b);
		ticket_mime_header(&b, "Subject", encoded[i]);
		T_CHECK(kx_str_starts(buf_cstr(&b), "Subject: =?UTF-8?B?"), "%s", buf_cstr(&b));
		T_OK(!strstr(buf_cstr(&b), "\r\nBcc"));
	}
	/* A long value folds: every line under 78 characters, continuation lines start with SP. */
	buf_reset(&b);
	char longv[400];
	for (size_t i = 0; i < sizeof longv - 1; i++)
		longv[i] = "\xC3\xA9 abc"[i % 6];
	longv[sizeof longv - 1] = '\0';
	char *clean = ticket_clean(longv, strlen(longv), TICKET_TEXT_LINE, 1000, NULL);
	ticket_mime_header(&b, "Subject", clean);
	free(clean);
	const char *line = buf_cstr(&b);
	int lines = 0;
	for (const char *e; (e = strstr(line, "\r\n")); line = e + 2, lines++) {
		T_CHECK(e - line <= 78, "line of %ld characters", (long)(e - line));
		if (lines)
			T_OK(line[0] == ' ');
	}
	T_OK(lines > 3);

	buf_reset(&b);
	T_INT(ticket_mime_address(&b, NULL, "jo@example.com"), 0);
	T_STR(buf_cstr(&b), "jo@example.com");
	buf_reset(&b);
	ticket_mime_address(&b, "Jo \"JJ\" Doe", "jo@example.com");
	T_STR(buf_cstr(&b), "\"Jo \\\"JJ\\\" Doe\" <jo@example.com>");
	buf_reset(&b);
	ticket_mime_address(&b, "J\xC3\xBCrgen", "j@example.com");
	T_STR(buf_cstr(&b), "=?UTF-8?B?SsO8cmdlbg==?=\r\n <j@example.com>");
	buf_reset(&b);
	T_INT(ticket_mime_address(&b, "x", "x@y\r\nBcc: e@x.cz"), KX_EINVAL);
	buf_release(&b);

	char date[64];
	T_INT(ticket_rfc5322_date("2024-03-05T10:00:09Z", date, sizeof date), 0);
	T_STR(date, "Tue, 05 Mar 2024 10:00:09 +0000");
	T_INT(ticket_rfc5322_date("2024-13-05T10:00:09Z", date, sizeof date), KX_EINVAL);
	T_INT(ticket_rfc5322_date("yesterday", date, sizeof date), KX_EINVAL);

	enum ticket_format f;
	T_INT(ticket_format_parse("zammad", &f), 0);
	T_INT(f, TICKET_ZAMMAD);
	T_INT(ticket_format_parse("xml", &f), KX_EINVAL);
	T_INT(ticket_format_parse(NULL, &f), KX_EINVAL);
	T_STR(ticket_content_type(TICKET_EML), "message/rfc822");
}

/* ---- redaction ---- */

static void test_redact(void)
{
	cJSON *m = cJSON_Parse(
		"{\"requester\": {\"name\": \"jdoe\", \"email\": \"jdoe@corp.example.com\"},"
		" \"subject\": \"Printer at C:\\\\Users\\\\jdoe\\\\x\","
		" \"environment\": [{\"name\": \"computer_name\", \"value\": \"WS-0042\"},"
		"   {\"name\": \"user_name\", \"value\": \"CORP\\\\mmuster\"}],"
		" \"path\": [{\"answer\": {\"value\": \"C:\\\\Users\\\\jdoe\\\\AppData\\\\Local\","
		"   \"label\": \"see \\\\\\\\fileserver01\\\\share and JDoe@Corp.Example.com\"}}],"
		" \"history\": [{\"answer\": \"/home/jdoe/.wine on mail.corp.example.com\"}],"
		" \"actions_run\": [{\"params\": {\"user\": \"kkeller\", \"profile\": \"Outlook\"},"
		"   \"steps\": [{\"output\": \"Host Name . . . : WS-0042\\r\\n"
		"COMPUTERNAME=WS-0042\\nuser jdoe2 and jdoe_old, not jdoe-x; C:\\\\Users\\\\John Smith\\\\"
		"Documents\\nkofmsp.dll 10.0.4 Outlook.Application support.example.org.\\n"
		"C:\\\\Users\\\\Public\\\\x mail.corp.example.com.au\"}]}],"
		" \"dll_checks\": [], \"votes\": [{\"comment\": \"mail me at mmuster@example.de\"}],"
		" \"redacted\": false}");
	T_OK(m != NULL);
	int n = ticket_redact(m);
	char *s = cJSON_PrintUnformatted(m);
	const char *gone[] = { "C:\\\\Users\\\\jdoe", "fileserver01", "WS-0042", "mmuster",
			       "corp.example.com", "Corp.Example.com", "John Smith",
			       "support.example.org", "/home/jdoe", "example.de", "kkeller" };
	/* The requester is kept: it is who support answers. */
	const char *req = strstr(s, "\"requester\"");
	const char *after = strchr(req, '}');
	for (size_t i = 0; i < LEN(gone); i++) {
		const char *hit = strstr(after, gone[i]);
		T_CHECK(!hit, "'%s' is still in %s", gone[i], s);
	}
	T_CONTAINS(s, "\"requester\":{\"name\":\"jdoe\",\"email\":\"jdoe@corp.example.com\"}");
	/* Same value, same placeholder, whatever its case. */
	/* Collected in order: the detected user name first. */
	T_CONTAINS(s, "CORP\\\\user-1");
	T_CONTAINS(s, "C:\\\\Users\\\\user-2\\\\AppData");
	T_CONTAINS(s, "Printer at C:\\\\Users\\\\user-2\\\\x");
	T_CONTAINS(s, "C:\\\\Users\\\\user-4\\\\Documents");
	T_CONTAINS(s, "\\\\\\\\host-");
	T_CONTAINS(s, "COMPUTERNAME=host-1");
	T_CONTAINS(s, "Host Name . . . : host-1");
	T_CONTAINS(s, "email-1@redacted.invalid");
	T_CONTAINS(s, "/home/user-2/.wine");
	/* Boundaries: other words, file names and versions stay. */
	T_CONTAINS(s, "jdoe2");
	T_CONTAINS(s, "\"profile\":\"Outlook\"");
	T_CONTAINS(s, "kofmsp.dll 10.0.4 Outlook.Application");
	T_CONTAINS(s, "C:\\\\Users\\\\Public");
	T_CONTAINS(s, "user-2_old, not user-2-x");
	T_OK(cJSON_IsTrue(cJSON_GetObjectItem(m, "redacted")));
	T_OK(n >= 8);
	free(s);
	cJSON_Delete(m);
}

/* ---- a whole ticket ---- */

static const char flow_json[] =
	"{\"id\": \"t\", \"title\": \"Test <flow>\", \"intro\": \"i\", \"start\": \"what\","
	" \"reminder\": \"Web mail keeps working.\","
	" \"nodes\": {"
	"  \"what\": {\"kind\": \"choice\", \"question\": \"What happens?\", \"options\": ["
	"    {\"value\": \"a\", \"label\": \"It <b>breaks</b>\"}, {\"value\": \"unknown\","
	"     \"label\": \"No idea\"}], \"next\": \"where\"},"
	"  \"where\": {\"kind\": \"text\", \"question\": \"Where?\", \"format\": \"line\","
	"    \"next\": \"done\"},"
	"  \"done\": {\"kind\": \"outcome\", \"title\": \"Found at {{where}}\", \"summary\": \"S\","
	"    \"why\": \"Because {{where}}.\", \"articles\": [\"some-article\"], \"actions\": ["
	"    {\"id\": \"reset\", \"params\": {\"where\": \"{{where}}\"}}]}}}";

#define HOSTILE "<script>alert(1)</script> C:\\Users\\jdoe\\AppData on ws-7.corp.example.com"

static void plant_db(const char *path, const char *big, size_t biglen)
{
	sqlite3 *db;
	T_INT(sqlite3_open(path, &db), SQLITE_OK);
	const char *schema =
		"CREATE TABLE repair_runs(id TEXT PRIMARY KEY, action TEXT NOT NULL, params TEXT NOT NULL,"
		" session TEXT, backend TEXT NOT NULL, dry_run INTEGER NOT NULL, state TEXT NOT NULL,"
		" created TEXT NOT NULL, updated TEXT NOT NULL, result_code INTEGER, error TEXT,"
		" preflight TEXT);"
		"CREATE TABLE repair_steps(run TEXT NOT NULL, n INTEGER NOT NULL, title TEXT NOT NULL,"
		" kind TEXT NOT NULL, plan TEXT NOT NULL, state TEXT NOT NULL, started TEXT, finished TEXT,"
		" output TEXT, verification TEXT, backup TEXT, result_code INTEGER, PRIMARY KEY(run, n));"
		"CREATE TABLE dll_checks(id TEXT PRIMARY KEY, session TEXT, created TEXT, file_name TEXT,"
		" windows_path TEXT, sha256 TEXT, verdict TEXT, result TEXT);"
		"CREATE TABLE votes(slug TEXT NOT NULL, voter TEXT NOT NULL, helpful INTEGER NOT NULL,"
		" comment TEXT, created TEXT NOT NULL, PRIMARY KEY(slug, voter));"
		"INSERT INTO repair_runs VALUES('r1', 'reset', '{\"where\": \"C:\\\\Users\\\\jdoe\"}', '"
		SESSION "', 'plan', 0, 'failed', '2024-03-05T10:01:00Z', '2024-03-05T10:02:00Z', 1603,"
		" 'step 2 failed', '[{\"id\":\"programs\",\"title\":\"Outlook closed\","
		"\"state\":\"warning\",\"reason\":\"Not <checked>\"}]');"
		"INSERT INTO repair_runs VALUES('other', 'reset', '{}', 'ffff', 'plan', 1, 'succeeded',"
		" '2024-03-05T10:01:00Z', '2024-03-05T10:02:00Z', 0, NULL, NULL);"
		"INSERT INTO dll_checks VALUES('d1', '" SESSION "', '2024-03-05T10:00:30Z', 'KofMsp32.dll',"
		" 'C:\\Users\\jdoe\\Downloads\\KofMsp32.dll', 'ab', 'suspicious', '{\"verdict\":"
		" \"suspicious\", \"reason\": \"in <Downloads>\", \"indicators\": [{\"id\": \"location\","
		" \"level\": \"suspicious\", \"reason\": \"Downloads\"}]}');"
		"INSERT INTO votes VALUES('some-article', 'browser1', 1, 'write jdoe@corp.example.com',"
		" '2024-03-05T10:00:40Z');"
		"INSERT INTO votes VALUES('unrelated', 'browser1', 0, NULL, '2024-03-05T10:00:41Z');"
		"INSERT INTO votes VALUES('some-article', 'browser2', 0, NULL, '2024-03-05T10:00:42Z');"
		"CREATE TABLE scans(id TEXT PRIMARY KEY, created TEXT NOT NULL, computer TEXT,"
		" session TEXT, json TEXT NOT NULL);"
		"INSERT INTO scans VALUES('s1', '2024-03-05T10:00:10Z', 'WS-0042', '" SESSION "',"
		" '{\"version\":\"0.1\",\"computer\":\"WS-0042\",\"user\":\"jdoe\","
		"\"time\":\"2024-03-05T10:00:09Z\",\"sources\":[{\"name\":\"eventlog.application\","
		"\"available\":false,\"detail\":\"<not> here\"}],\"facts\":{},\"findings\":[{\"id\":"
		"\"koff_removed\",\"severity\":\"problem\",\"title\":\"Removed <b>\",\"evidence\":"
		"[{\"source\":\"profiles\",\"detail\":\"C:\\\\Users\\\\jdoe holds it\"}]}]}');"
		"INSERT INTO scans VALUES('s0', '2024-03-05T09:00:00Z', 'OLD', '" SESSION "', '{}');";
	T_INT(sqlite3_exec(db, schema, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_stmt *st;
	sqlite3_prepare_v2(db, "INSERT INTO repair_steps(run, n, title, kind, plan, state, output,"
			   " verification, backup, result_code) VALUES('r1', ?1, ?2, 'collect',"
			   " '{\"undo\":\"partial\",\"undo_note\":\"Deletes <what> it collected.\"}',"
			   " 'failed', ?3, 'read back', 'C:\\Users\\jdoe\\b', ?4)", -1, &st, NULL);
	static const char log1[] = "line 1\r\nHost Name: WS-0042\r\n<b>bold</b> \x1b[0m";
	/* One log as Wine prints it, one with a NUL and invalid UTF-8, one huge. */
	const struct {
		const char *title, *out;
		size_t n;
	} steps[] = {
		{ "Collect <env>", log1, sizeof log1 - 1 },
		{ "Broken\r\nX-Injected: 1", "a\0b\xff\xfe", 5 },
		{ "Huge", big, biglen },
	};
	for (int i = 0; i < 3; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int(st, 1, i + 1);
		sqlite3_bind_text(st, 2, steps[i].title, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, steps[i].out, (int)steps[i].n, SQLITE_STATIC);
		sqlite3_bind_int(st, 4, 1603 + i);
		T_INT(sqlite3_step(st), SQLITE_DONE);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static cJSON *build(struct wiz_flow *f, const cJSON *state, struct ticket_db *db,
		    const char *voter, const char *email)
{
	cJSON *events = cJSON_Parse(
		"[{\"at\": \"2024-03-05T10:00:00Z\", \"kind\": \"start\", \"seconds\": 0},"
		" {\"at\": \"2024-03-05T10:00:05Z\", \"kind\": \"answer\", \"node\": \"what\","
		"  \"answer\": \"a\", \"seconds\": 5.04},"
		" {\"at\": \"2024-03-05T10:00:06Z\", \"kind\": \"view\", \"node\": \"some-article\"},"
		" {\"at\": \"2024-03-05T10:00:07Z\", \"kind\": \"view\", \"node\": \"some-article\"},"
		" {\"at\": \"2024-03-05T10:00:08Z\", \"kind\": \"view\", \"node\": \"x y\"},"
		" {\"at\": \"2024-03-05T10:00:09Z\", \"kind\": \"answer\", \"node\": \"where\","
		"  \"answer\": \"" "<script>alert(1)</script> C:\\\\Users\\\\jdoe\\\\AppData on "
		"ws-7.corp.example.com" "\", \"seconds\": 3}]");
	cJSON *actions = cJSON_Parse("[{\"id\": \"reset\", \"title\": \"Reset <cache>\"}]");
	struct ticket_input in = {
		.session = SESSION, .flow = f, .state = state, .events = events, .db = db,
		.actions = actions, .voter = voter, .name = "J\xC3\xBCrgen \"JJ\" M\xC3\xBCller",
		.email = email, .created = "2024-03-05T10:05:00Z",
	};
	cJSON *m = NULL;
	char err[256];
	T_INT(ticket_build(&in, &m, err, sizeof err), 0);
	cJSON_Delete(events);
	cJSON_Delete(actions);
	return m;
}

static void check_eml(const char *eml, size_t len, const cJSON *m)
{
	/* CRLF everywhere: no bare LF, no bare CR, lines within 998 characters. */
	size_t col = 0;
	bool bare = false, longline = false;
	for (size_t i = 0; i < len; i++) {
		if (eml[i] == '\n' && (i == 0 || eml[i - 1] != '\r'))
			bare = true;
		if (eml[i] == '\r' && (i + 1 >= len || eml[i + 1] != '\n'))
			bare = true;
		col = eml[i] == '\n' ? 0 : col + 1;
		if (col > 998)
			longline = true;
	}
	T_OK(!bare);
	T_OK(!longline);
	/* The header: known fields only, continuation lines start with a space. */
	const char *end = strstr(eml, "\r\n\r\n");
	T_OK(end != NULL);
	static const char *const allowed[] = { "Date:", "From:", "To:", "Subject:", "Message-ID:",
					       "MIME-Version:", "X-Unsent:", "X-Mailer:",
					       "Content-Type:" };
	for (const char *line = eml; line < end;) {
		const char *e = strstr(line, "\r\n");
		bool ok = line[0] == ' ';
		for (size_t i = 0; i < LEN(allowed) && !ok; i++)
			ok = kx_str_starts(line, allowed[i]);
		T_CHECK(ok, "unexpected header line '%.*s'", (int)(e - line), line);
		line = e + 2;
	}
	T_CONTAINS(eml, "X-Unsent: 1\r\n");
	T_CONTAINS(eml, "Date: Tue, 05 Mar 2024 10:05:00 +0000\r\n");
	T_CONTAINS(eml, "From: =?UTF-8?B?");
	T_CONTAINS(eml, "<jo@example.com>\r\n");
	T_CONTAINS(eml, "Message-ID: <fixedid@koffix.invalid>\r\n");
	T_CONTAINS(eml, "To: helpdesk@example.com\r\n");
	T_CONTAINS(eml, "multipart/mixed; boundary=\"=_koffix_mixed_seed\"");
	T_CONTAINS(eml, "multipart/alternative; boundary=\"=_koffix_alt_seed\"");
	T_CONTAINS(eml, "--=_koffix_mixed_seed--\r\n");
	/* Bodies: text and HTML, escaped, canonical CRLF. */
	size_t n;
	char *text = mime_part(eml, "Content-Type: text/plain", &n);
	T_OK(text && strstr(text, "<script>alert(1)</script>"));   /* plain text is plain */
	T_OK(text && !strstr(text, "\n\n") && strstr(text, "\r\n"));
	free(text);
	char *html = mime_part(eml, "Content-Type: text/html", &n);
	T_OK(html && !strstr(html, "<script>") && strstr(html, "&lt;script&gt;alert(1)"));
	T_OK(html && strstr(html, "<style>"));
	free(html);
	/* The JSON attached is the ticket, byte for byte. */
	char *json = mime_part(eml, "name=\"koffix-ticket-01234567.json\"", &n);
	char *want = cJSON_Print(m);
	T_OK(json && n == strlen(want) + 1 && memcmp(json, want, n - 1) == 0);
	free(json);
	free(want);
	/* The logs attached decode to the step outputs. */
	const cJSON *steps = cJSON_GetObjectItem(cJSON_GetArrayItem(
		cJSON_GetObjectItem(m, "actions_run"), 0), "steps");
	char *log = mime_part(eml, "name=\"run-r1-step-1.log\"", &n);
	const char *out1 = cJSON_GetObjectItem(cJSON_GetArrayItem(steps, 0), "output")->valuestring;
	T_OK(log && n == strlen(out1) && memcmp(log, out1, n) == 0);
	T_OK(log && strstr(log, "line 1\r\nHost Name"));
	free(log);
	log = mime_part(eml, "name=\"run-r1-step-3.log\"", &n);
	T_OK(log && n > 200000 && n < TICKET_BLOCK_MAX + 64 && strstr(log, "bytes cut]"));
	free(log);
}

static void test_ticket(void)
{
	char dir[200];
	T_OK(t_tmpdir(dir, sizeof dir, "ticket") == 0);
	char path[256];
	snprintf(path, sizeof path, "%s/koffix.db", dir);
	size_t biglen = 3u << 20;
	char *big = xmalloc(biglen);
	for (size_t i = 0; i < biglen; i++)
		big[i] = "log line\n"[i % 9];
	plant_db(path, big, biglen);
	free(big);

	char err[512];
	struct wiz_flow *f = wiz_flow_parse("t.json", flow_json, strlen(flow_json), NULL, err,
					    sizeof err);
	T_CHECK(f != NULL, "%s", err);
	if (!f)
		return;
	cJSON *state;
	cJSON *det = cJSON_Parse("{\"computer_name\": \"WS-0042\", \"os_build\": \"19045\"}");
	T_INT(wiz_session_new(f, NULL, det, &state, err, sizeof err), 0);
	cJSON_Delete(det);
	/* The engine itself refuses control characters in answers. */
	T_INT(wiz_answer(f, state, "what", "a", 5.04, err, sizeof err), 0);
	T_INT(wiz_answer(f, state, "where", "x\r\nBcc: evil@example.com", 1, err, sizeof err),
	      KX_EINVAL);
	T_INT(wiz_answer(f, state, "where", HOSTILE, 3, err, sizeof err), 0);

	/* Without the other modules' tables: the ticket is still made, and says so. */
	char empty[300];
	snprintf(empty, sizeof empty, "%s/empty.db", dir);
	sqlite3 *edb;
	sqlite3_open(empty, &edb);
	sqlite3_exec(edb, "CREATE TABLE t(x)", NULL, NULL, NULL);
	sqlite3_close(edb);
	struct ticket_db *db = ticket_db_open(empty, err, sizeof err);
	T_OK(db != NULL);
	cJSON *m = build(f, state, db, "browser1", NULL);
	char *s = cJSON_PrintUnformatted(m);
	HAS(s, "\"unavailable\":[\"votes\",\"scans\",\"dll_checks\",\"repair_runs\"]");
	HAS(s, "\"scan\":null");
	HAS(s, "\"actions_run\":[]");
	free(s);
	cJSON_Delete(m);
	ticket_db_close(db);
	m = build(f, state, NULL, NULL, NULL);
	T_INT(cJSON_GetArraySize(cJSON_GetObjectItem(m, "unavailable")), 3);
	cJSON_Delete(m);

	db = ticket_db_open(path, err, sizeof err);
	m = build(f, state, db, "browser1", "jo@example.com");
	ticket_db_close(db);
	s = cJSON_PrintUnformatted(m);
	HAS(s, "\"unavailable\":[]");
	/* The newest scan of the session, every value cleaned. */
	HAS(s, "\"scan\":{\"id\":\"s1\",\"kept\":\"2024-03-05T10:00:10Z\",\"computer\":\"WS-0042\"");
	HAS(s, "{\"name\":\"eventlog.application\",\"available\":false,\"detail\":\"<not> here\"}");
	HAS(s, "\"evidence\":[{\"source\":\"profiles\",\"detail\":\"C:\\\\Users\\\\jdoe holds it\"}]");
	HAS(s, "\"subject\":\"Outlook/Kerio: Found at <script>alert(1)</script> C:");
	HAS(s, "\"source\":\"answered\",\"seconds\":5");
	HAS(s, "{\"name\":\"computer_name\",\"question\":null,\"value\":\"WS-0042\"");
	HAS(s, "\"articles_viewed\":[{\"slug\":\"some-article\",\"title\":\"some-article\","
		   "\"first_viewed\":\"2024-03-05T10:00:06Z\",\"views\":2}]");
	/* Only this browser's vote on an article of the session. */
	HAS(s, "\"votes\":[{\"slug\":\"some-article\",\"helpful\":true,");
	T_OK(!strstr(s, "unrelated") && !strstr(s, "browser"));
	HAS(s, "\"repairs_suggested\":[{\"id\":\"reset\",\"title\":\"Reset <cache>\"");
	HAS(s, "\"result_code\":1603,\"error\":\"step 2 failed\"");
	/* The checks the run started on, and each step's declared undo, travel with the ticket. */
	HAS(s, "\"preflight\":[{\"id\":\"programs\",\"title\":\"Outlook closed\","
	       "\"state\":\"warning\",\"reason\":\"Not <checked>\"}]");
	HAS(s, "\"undo\":\"partial\",\"undo_note\":\"Deletes <what> it collected.\"");
	HAS(s, "\"title\":\"Broken X-Injected: 1\"");
	HAS(s, "\"output\":\"a\xEF\xBF\xBD" "b\xEF\xBF\xBD\xEF\xBF\xBD\"");
	HAS(s, "\"output\":\"line 1\\r\\nHost Name: WS-0042\\r\\n<b>bold</b> \xEF\xBF\xBD[0m\"");
	HAS(s, "\"verdict\":\"suspicious\",\"result\":{\"verdict\":\"suspicious\"");
	T_OK(!strstr(s, "\"other\""));
	T_OK(utf8_valid(s));
	free(s);

	/* Every format. */
	struct ticket_options o = { .helpdesk = "helpdesk@example.com", .group = "2nd Level",
				    .boundary = "seed", .message_id = "fixedid" };
	struct buf out;
	buf_init(&out, TICKET_OUT_MAX);
	T_INT(ticket_export(m, TICKET_EML, &o, &out), 0);
	check_eml(buf_cstr(&out), out.len, m);

	buf_reset(&out);
	T_INT(ticket_export(m, TICKET_HTML, &o, &out), 0);
	const char *html = buf_cstr(&out);
	T_OK(kx_str_starts(html, "<!DOCTYPE html>"));
	T_OK(!strstr(html, "<script") && !strstr(html, "<b>"));
	HAS(html, "&lt;script&gt;alert(1)&lt;/script&gt;");
	HAS(html, "It &lt;b&gt;breaks&lt;/b&gt;");
	HAS(html, "Reset &lt;cache&gt;");
	HAS(html, "<pre class=\"kt-log\">line 1");
	HAS(html, "Web mail keeps working.");
	T_OK(out.len > 200000);   /* the printable page holds the logs whole */

	buf_reset(&out);
	T_INT(ticket_export(m, TICKET_OSTICKET, &o, &out), 0);
	cJSON *os = cJSON_Parse(buf_cstr(&out));
	T_OK(os != NULL);
	T_STR(cJSON_GetStringValue(cJSON_GetObjectItem(os, "email")), "jo@example.com");
	T_STR(cJSON_GetStringValue(cJSON_GetObjectItem(os, "name")),
	      "J\xC3\xBCrgen \"JJ\" M\xC3\xBCller");
	T_OK(kx_str_starts(cJSON_GetStringValue(cJSON_GetObjectItem(os, "subject")), "Outlook/Kerio"));
	const char *msg = cJSON_GetStringValue(cJSON_GetObjectItem(os, "message"));
	T_OK(msg && kx_str_starts(msg, "data:text/html;charset=utf-8,<div class=\"kt-ticket\">"));
	T_OK(msg && !strstr(msg, "<script"));
	const cJSON *atts = cJSON_GetObjectItem(os, "attachments");
	T_INT(cJSON_GetArraySize(atts), 4);
	const cJSON *first = cJSON_GetArrayItem(atts, 0)->child;
	T_STR(first->string, "koffix-ticket-01234567.json");
	T_OK(kx_str_starts(first->valuestring, "data:application/json;base64,"));
	T_OK(kx_str_starts(cJSON_GetArrayItem(atts, 1)->child->valuestring, "data:text/plain;base64,"));
	cJSON_Delete(os);

	buf_reset(&out);
	T_INT(ticket_export(m, TICKET_ZAMMAD, &o, &out), 0);
	cJSON *z = cJSON_Parse(buf_cstr(&out));
	T_STR(cJSON_GetStringValue(cJSON_GetObjectItem(z, "group")), "2nd Level");
	T_STR(cJSON_GetStringValue(cJSON_GetObjectItem(z, "customer")), "jo@example.com");
	T_OK(kx_str_starts(cJSON_GetStringValue(cJSON_GetObjectItem(z, "title")), "Outlook/Kerio"));
	const cJSON *art = cJSON_GetObjectItem(z, "article");
	T_STR(cJSON_GetStringValue(cJSON_GetObjectItem(art, "content_type")), "text/html");
	T_STR(cJSON_GetStringValue(cJSON_GetObjectItem(art, "type")), "note");
	T_OK(cJSON_IsFalse(cJSON_GetObjectItem(art, "internal")));
	const cJSON *za = cJSON_GetArrayItem(cJSON_GetObjectItem(art, "attachments"), 1);
	T_STR(cJSON_GetStringValue(cJSON_GetObjectItem(za, "mime-type")), "text/plain");
	const char *data = cJSON_GetStringValue(cJSON_GetObjectItem(za, "data"));
	unsigned char dec[256];
	size_t dn = data && strlen(data) < 300 ? b64_decode(data, strlen(data), dec) : 0;
	const char *out1 = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(
		cJSON_GetArrayItem(cJSON_GetObjectItem(m, "actions_run"), 0), "steps"), 0),
		"output")->valuestring;
	T_OK(dn == strlen(out1) && memcmp(dec, out1, dn) == 0);
	cJSON_Delete(z);

	/* The API formats need the address; the e-mail draft is made without a From. */
	cJSON *anon = build(f, state, NULL, NULL, NULL);
	buf_reset(&out);
	T_INT(ticket_export(anon, TICKET_EML, &o, &out), 0);
	T_CHECK(!strstr(buf_cstr(&out), "\r\nFrom:") && strstr(buf_cstr(&out), "X-Unsent: 1"),
		"%.200s", buf_cstr(&out));
	buf_reset(&out);
	T_INT(ticket_export(anon, TICKET_ZAMMAD, &o, &out), KX_EINVAL);
	T_INT(ticket_export(anon, TICKET_JSON, &o, &out), 0);
	cJSON_Delete(anon);

	/* Redacted: no planted value in any format, attachments included. */
	ticket_redact(m);
	static const char *const planted[] = { "jdoe", "WS-0042", "corp.example.com", "ws-7" };
	for (int fmt = 0; fmt < TICKET_NFORMATS; fmt++) {
		buf_reset(&out);
		T_INT(ticket_export(m, (enum ticket_format)fmt, &o, &out), 0);
		/* Decode every base64 stretch too: the attachments. */
		struct buf all;
		buf_init(&all, BUF_NOMAX);
		buf_add(&all, out.data, out.len);
		char *copy = xstrndup(out.data, out.len);
		unsigned char *dbuf = xmalloc(out.len + 1);
		for (char *p = copy; (p = strstr(p, "base64")); p += 6) {
			char *q = p + 6;
			while (*q == ',' || *q == '\r' || *q == '\n')
				q++;
			size_t k = b64_decode(q, strcspn(q, "\"-"), dbuf);
			buf_add(&all, dbuf, k);
		}
		for (size_t i = 0; i < LEN(planted); i++) {
			bool found = false;
			for (size_t k = 0; k + strlen(planted[i]) <= all.len && !found; k++)
				found = strncasecmp(all.data + k, planted[i], strlen(planted[i])) == 0;
			T_CHECK(!found, "format %s still holds '%s'",
				ticket_format_name((enum ticket_format)fmt), planted[i]);
		}
		free(copy);
		free(dbuf);
		buf_release(&all);
	}
	/* The requester stays. */
	buf_reset(&out);
	ticket_export(m, TICKET_ZAMMAD, &o, &out);
	HAS(buf_cstr(&out), "\"customer\":\t\"jo@example.com\"");
	char name[96];
	ticket_file_name(m, TICKET_OSTICKET, name, sizeof name);
	T_STR(name, "koffix-ticket-01234567-osticket.json");

	buf_release(&out);
	cJSON_Delete(m);
	cJSON_Delete(state);
	wiz_flow_free(f);
	t_rm_rf(dir);
}

static void test_config(void)
{
	char dir[200], path[256];
	T_OK(t_tmpdir(dir, sizeof dir, "ticket-cfg") == 0);
	snprintf(path, sizeof path, "%s/ticket.json", dir);
	struct ticket_config c;
	char err[256] = "";
	T_INT(ticket_config_load("/nonexistent/ticket.json", &c, err, sizeof err), 0);
	T_STR(c.group, "Users");
	T_STR(c.subject_prefix, "Outlook/Kerio");
	T_STR(c.helpdesk, "");
	const char *good = "{\"helpdesk_email\": \"it@example.com\", \"zammad_group\": \"2nd Level\"}";
	kx_write_file_atomic(path, good, strlen(good));
	T_INT(ticket_config_load(path, &c, err, sizeof err), 0);
	T_STR(c.helpdesk, "it@example.com");
	T_STR(c.group, "2nd Level");
	const char *bad = "{\"helpdesk_email\": \"it@example.com\\r\\nBcc: x@y.cz\"}";
	kx_write_file_atomic(path, bad, strlen(bad));
	T_INT(ticket_config_load(path, &c, err, sizeof err), KX_ESYNTAX);
	T_STR(c.helpdesk, "");
	kx_write_file_atomic(path, "[1]", 3);
	T_INT(ticket_config_load(path, &c, err, sizeof err), KX_ESYNTAX);
	t_rm_rf(dir);
}

int main(void)
{
	test_clean();
	test_email();
	test_base64();
	test_headers();
	test_redact();
	test_ticket();
	test_config();
	return t_done("ticket");
}
