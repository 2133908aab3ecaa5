/* SPDX-License-Identifier: MIT */
/*
 * The ticket as a document for people, in HTML and in plain text, from one walk over the
 * model: a small writer turns headings, fields, tables and logs into either. Every value is
 * escaped on its way out (HTML) or written as the cleaned text it is (plain text).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "internal.h"

#define EXCERPT_MAX 2000   /* bytes of a log shown in a body; the whole log is attached */

struct w {
	struct buf *b;
	bool html;
	bool full;     /* whole logs (printable HTML) instead of excerpts and attachments */
	int rc;
	bool started;  /* plain text: something was written (no blank line before the title) */
	int shift;     /* HTML: added to every heading level (a ticket nested inside a page) */
};

static void raw(struct w *w, const char *s)
{
	if (w->rc == 0)
		w->rc = buf_adds(w->b, s);
}

static void text(struct w *w, const char *s)
{
	if (w->rc == 0)
		w->rc = w->html ? buf_adds_html(w->b, s ? s : "") : buf_adds(w->b, s ? s : "");
}

static void textf(struct w *w, const char *fmt, const char *a)
{
	char tmp[256];
	snprintf(tmp, sizeof tmp, fmt, a);
	text(w, tmp);
}

/* Characters, not bytes, for the underline of a plain-text heading. */
static size_t chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static void heading(struct w *w, int level, const char *title)
{
	if (w->html) {
		/* The tag follows the nesting; the class keeps the ticket's own level for styles. */
		char tag[16], open[48];
		int n = level + w->shift;
		snprintf(tag, sizeof tag, "h%d", n > 6 ? 6 : n);
		snprintf(open, sizeof open, "<%s class=\"kt-h%d\">", tag, level & 7); /* 1-4 */
		raw(w, open);
		text(w, title);
		raw(w, "</");
		raw(w, tag);
		raw(w, ">\n");
		return;
	}
	raw(w, w->started ? "\n" : "");
	w->started = true;
	text(w, title);
	raw(w, "\n");
	size_t n = chars(title);
	for (size_t i = 0; i < (n > 76 ? 76 : n); i++)
		raw(w, level <= 2 ? "=" : "-");
	raw(w, "\n");
}

static void section(struct w *w, const char *cls, const char *title)
{
	if (w->html) {
		raw(w, "<section class=\"kt-section kt-");
		raw(w, cls);
		raw(w, "\">\n");
	}
	heading(w, 2, title);
}

static void section_end(struct w *w)
{
	if (w->html)
		raw(w, "</section>\n");
}

static void para(struct w *w, const char *s)
{
	raw(w, w->html ? "<p>" : "");
	text(w, s);
	raw(w, w->html ? "</p>\n" : "\n");
}

static void fields_begin(struct w *w)
{
	if (w->html)
		raw(w, "<table class=\"kt-fields\">\n");
}

static void field(struct w *w, const char *label, const char *value)
{
	if (!value)
		return;
	if (w->html) {
		raw(w, "<tr><th scope=\"row\">");
		text(w, label);
		raw(w, "</th><td>");
		text(w, value);
		raw(w, "</td></tr>\n");
		return;
	}
	raw(w, "  ");
	text(w, label);
	raw(w, ": ");
	text(w, value);
	raw(w, "\n");
}

static void fields_end(struct w *w)
{
	if (w->html)
		raw(w, "</table>\n");
}

static void table_begin(struct w *w, const char *const *heads, int n)
{
	if (!w->html)
		return;
	raw(w, "<table class=\"kt-table\">\n<thead><tr>");
	for (int i = 0; i < n; i++) {
		raw(w, "<th scope=\"col\">");
		text(w, heads[i]);
		raw(w, "</th>");
	}
	raw(w, "</tr></thead>\n<tbody>\n");
}

/* A row; in plain text "  cell1 | cell2 | ...", empty cells left out. */
static void row(struct w *w, const char *const *cells, int n)
{
	raw(w, w->html ? "<tr>" : "  ");
	bool first = true;
	for (int i = 0; i < n; i++) {
		if (w->html) {
			raw(w, "<td>");
			text(w, cells[i]);
			raw(w, "</td>");
		} else if (cells[i] && *cells[i]) {
			raw(w, first ? "" : " | ");
			text(w, cells[i]);
			first = false;
		}
	}
	raw(w, w->html ? "</tr>\n" : "\n");
}

static void table_end(struct w *w)
{
	if (w->html)
		raw(w, "</tbody>\n</table>\n");
}

static void list_begin(struct w *w)
{
	if (w->html)
		raw(w, "<ul>\n");
}

static void item(struct w *w, const char *s)
{
	raw(w, w->html ? "<li>" : "  - ");
	text(w, s);
	raw(w, w->html ? "</li>\n" : "\n");
}

static void list_end(struct w *w)
{
	if (w->html)
		raw(w, "</ul>\n");
}

/* A log: whole or shortened (on a character boundary), in <pre> or indented. */
static void log_block(struct w *w, const char *s, const char *attached)
{
	size_t n = strlen(s);
	bool cut = !w->full && n > EXCERPT_MAX;
	if (cut) {
		n = EXCERPT_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	char *part = xstrndup(s, n);
	if (w->html) {
		raw(w, "<pre class=\"kt-log\">");
		text(w, part);
		raw(w, "</pre>\n");
	} else {
		/* Every line indented; CR LF and lone CR become line ends. */
		raw(w, "    ");
		for (const char *p = part; *p && w->rc == 0; p++) {
			if (*p == '\r' && p[1] == '\n')
				continue;
			if (*p == '\r' || *p == '\n')
				raw(w, "\n    ");
			else
				w->rc = buf_addch(w->b, *p);
		}
		raw(w, "\n");
	}
	free(part);
	if (cut || (!w->full && attached)) {
		char note[300];
		snprintf(note, sizeof note, cut ? "Shortened here: the whole log is attached as %s."
			 : "Also attached as %s.", attached ? attached : "a file");
		if (w->html) {
			raw(w, "<p class=\"kt-note\">");
			text(w, note);
			raw(w, "</p>\n");
		} else {
			raw(w, "    (");
			text(w, note);
			raw(w, ")\n");
		}
	}
}

static const char *num(char *out, size_t len, const cJSON *v)
{
	if (!cJSON_IsNumber(v))
		return NULL;
	if (v->valuedouble == (double)(long long)v->valuedouble)
		snprintf(out, len, "%lld", (long long)v->valuedouble);
	else
		snprintf(out, len, "%.1f", v->valuedouble);
	return out;
}

static const char *source_text(const char *s)
{
	if (!strcmp(s, "detected"))
		return "detected on the PC";
	if (!strcmp(s, "preset"))
		return "from a link";
	return "answered";
}

static const char *or_else(const char *s, const char *fallback)
{
	return s ? s : fallback;
}

void ticket_log_name(const char *run, const cJSON *n, char *out, size_t len)
{
	char safe[41];
	size_t i = 0;
	for (const char *p = run; *p && i < sizeof safe - 1; p++)
		safe[i++] = ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			     (*p >= '0' && *p <= '9') || *p == '-') ? *p : '_';
	safe[i] = '\0';
	snprintf(out, len, "run-%s-step-%lld.log", i ? safe : "x",
		 cJSON_IsNumber(n) ? (long long)n->valuedouble : 0LL);
}

static void intro(struct w *w, const cJSON *m)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(m, "session");
	char line[1024];
	snprintf(line, sizeof line, "Prepared by koffix %.40s on %.40s (UTC) from troubleshooting "
		 "session %.64s (%.200s). Nothing was sent automatically: the person chose to share "
		 "this.", tk_str_or(m, "koffix_version", "?"), tk_str_or(m, "created", "?"),
		 tk_str_or(s, "id", "?"), tk_str_or(s, "flow_title", "?"));
	para(w, line);
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "redacted"))) {
		const cJSON *r = cJSON_GetObjectItemCaseSensitive(m, "redaction");
		char n1[24], n2[24], n3[24];
		snprintf(line, sizeof line, "Personal details were replaced before sharing: %s user "
			 "name(s), %s host name(s) and %s e-mail address(es) now read user-1, host-1, "
			 "email-1@redacted.invalid and so on, the same value always with the same "
			 "placeholder.",
			 or_else(num(n1, sizeof n1, cJSON_GetObjectItemCaseSensitive(r, "users")), "0"),
			 or_else(num(n2, sizeof n2, cJSON_GetObjectItemCaseSensitive(r, "hosts")), "0"),
			 or_else(num(n3, sizeof n3, cJSON_GetObjectItemCaseSensitive(r, "emails")), "0"));
		para(w, line);
	}
	const cJSON *req = cJSON_GetObjectItemCaseSensitive(m, "requester");
	section(w, "requester", "Requester");
	fields_begin(w);
	field(w, "Name", tk_str_or(req, "name", "(not given)"));
	field(w, "E-mail", tk_str_or(req, "email", "(not given)"));
	fields_end(w);
	section_end(w);
}

static void diagnosis(struct w *w, const cJSON *m)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(m, "diagnosis");
	section(w, "diagnosis", "Diagnosis");
	if (!cJSON_IsObject(d)) {
		para(w, "The wizard was not finished: there is no diagnosis yet. The answers given so "
		     "far are listed below.");
	} else {
		fields_begin(w);
		field(w, "Diagnosis", tk_str(d, "title"));
		field(w, "Id", tk_str(d, "id"));
		fields_end(w);
		if (*tk_str_or(d, "summary", ""))
			para(w, tk_str(d, "summary"));
		if (*tk_str_or(d, "why", "")) {
			heading(w, 3, "Why koffix thinks so");
			para(w, tk_str(d, "why"));
		}
	}
	const char *reminder = tk_str_or(m, "reminder", "");
	if (*reminder) {
		heading(w, 3, "Meanwhile");
		para(w, reminder);
	}
	section_end(w);
}

static void environment(struct w *w, const cJSON *m)
{
	const cJSON *env = cJSON_GetObjectItemCaseSensitive(m, "environment");
	section(w, "environment", "Environment");
	if (!cJSON_GetArraySize(env)) {
		para(w, "Nothing is known about the PC yet.");
		section_end(w);
		return;
	}
	static const char *const heads[] = { "Question", "Answer", "Source" };
	table_begin(w, heads, 3);
	const cJSON *e;
	cJSON_ArrayForEach(e, env) {
		const char *q = tk_str(e, "question");
		const char *cells[] = { q && *q ? q : tk_str_or(e, "name", ""),
					tk_str_or(e, "label", ""),
					source_text(tk_str_or(e, "source", "")) };
		row(w, cells, 3);
	}
	table_end(w);
	section_end(w);
}

static void path(struct w *w, const cJSON *m)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(m, "path");
	section(w, "path", "Wizard path");
	if (!cJSON_GetArraySize(p)) {
		para(w, "No question was answered.");
		section_end(w);
		return;
	}
	static const char *const heads[] = { "#", "Question", "Answer", "Source", "Seconds" };
	table_begin(w, heads, 5);
	const cJSON *e;
	cJSON_ArrayForEach(e, p) {
		char step[24], sec[24];
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(e, "answer");
		const char *label = tk_str_or(a, "label", "");
		const char *value = tk_str_or(a, "value", "");
		char answer[TICKET_LINE_MAX * 2 + 8];
		if (*value && strcmp(label, value))
			snprintf(answer, sizeof answer, "%s (%s)", label, value);
		else
			snprintf(answer, sizeof answer, "%s", label);
		const char *cells[] = { num(step, sizeof step,
					    cJSON_GetObjectItemCaseSensitive(e, "step")),
					tk_str_or(e, "question", ""), answer,
					source_text(tk_str_or(e, "source", "")),
					num(sec, sizeof sec,
					    cJSON_GetObjectItemCaseSensitive(e, "seconds")) };
		row(w, cells, 5);
	}
	table_end(w);
	section_end(w);
}

static void params(struct w *w, const cJSON *p)
{
	if (!cJSON_GetArraySize(p))
		return;
	fields_begin(w);
	const cJSON *e;
	cJSON_ArrayForEach(e, p) {
		char *v = cJSON_IsString(e) ? NULL : cJSON_PrintUnformatted(e);
		field(w, e->string ? e->string : "", v ? v : e->valuestring);
		cJSON_free(v);
	}
	fields_end(w);
}

static bool has_unavailable(const cJSON *m, const char *table)
{
	const cJSON *e;
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(m, "unavailable"))
		if (cJSON_IsString(e) && !strcmp(e->valuestring, table))
			return true;
	return false;
}

static void step_logs(struct w *w, const char *run, const cJSON *s)
{
	char name[96], title[160];
	char n[24];
	num(n, sizeof n, cJSON_GetObjectItemCaseSensitive(s, "n"));
	const char *out = tk_str_or(s, "output", "");
	const char *ver = tk_str_or(s, "verification", "");
	if (*out) {
		ticket_log_name(run, cJSON_GetObjectItemCaseSensitive(s, "n"), name, sizeof name);
		snprintf(title, sizeof title, "Step %s output", n);
		heading(w, 4, title);
		log_block(w, out, name);
	}
	if (strchr(ver, '\n') || strlen(ver) > 200) {
		snprintf(title, sizeof title, "Step %s verification", n);
		heading(w, 4, title);
		log_block(w, ver, NULL);
	}
}

static void runs(struct w *w, const cJSON *m)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(m, "actions_run");
	section(w, "runs", "Repairs run");
	if (!cJSON_GetArraySize(list))
		para(w, has_unavailable(m, "repair_runs")
		     ? "No repair journal is available on this installation of koffix."
		     : "No repair was run from this session.");
	const cJSON *r;
	cJSON_ArrayForEach(r, list) {
		char title[600], code[24];
		snprintf(title, sizeof title, "%.400s: %.60s", tk_str_or(r, "title", "?"),
			 tk_str_or(r, "state", "?"));
		heading(w, 3, title);
		fields_begin(w);
		field(w, "Run", tk_str(r, "run"));
		field(w, "Action", tk_str(r, "action"));
		field(w, "Backend", tk_str(r, "backend"));
		field(w, "Dry run", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "dry_run"))
		      ? "yes (nothing was changed)" : "no");
		field(w, "Started", tk_str(r, "created"));
		field(w, "Last update", tk_str(r, "updated"));
		field(w, "Result code", num(code, sizeof code,
					    cJSON_GetObjectItemCaseSensitive(r, "result_code")));
		fields_end(w);
		const char *error = tk_str_or(r, "error", "");
		if (*error) {
			heading(w, 4, "Error");
			log_block(w, error, NULL);
		}
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(r, "params");
		if (cJSON_GetArraySize(p)) {
			heading(w, 4, "Parameters");
			params(w, p);
		}
		const cJSON *checks = cJSON_GetObjectItemCaseSensitive(r, "preflight");
		if (cJSON_GetArraySize(checks)) {
			heading(w, 4, "Checked before the run");
			list_begin(w);
			const cJSON *c;
			cJSON_ArrayForEach(c, checks) {
				char line[2400];
				snprintf(line, sizeof line, "[%.20s] %.300s: %.2000s",
					 tk_str_or(c, "state", "?"), tk_str_or(c, "title", ""),
					 tk_str_or(c, "reason", ""));
				item(w, line);
			}
			list_end(w);
		}
		const cJSON *steps = cJSON_GetObjectItemCaseSensitive(r, "steps");
		if (!cJSON_GetArraySize(steps))
			continue;
		heading(w, 4, "Steps");
		static const char *const heads[] = { "#", "Step", "State", "Result code",
						     "Verification", "Backup", "Undo" };
		table_begin(w, heads, 7);
		const cJSON *s;
		cJSON_ArrayForEach(s, steps) {
			char n[24], rc[24];
			const char *ver = tk_str_or(s, "verification", "");
			const char *cells[] = {
				num(n, sizeof n, cJSON_GetObjectItemCaseSensitive(s, "n")),
				tk_str_or(s, "title", ""), tk_str_or(s, "state", ""),
				num(rc, sizeof rc, cJSON_GetObjectItemCaseSensitive(s, "result_code")),
				strchr(ver, '\n') || strlen(ver) > 200 ? "(below)" : ver,
				tk_str_or(s, "backup", ""), tk_str_or(s, "undo", "") };
			row(w, cells, 7);
		}
		table_end(w);
		cJSON_ArrayForEach(s, steps)
			step_logs(w, tk_str_or(r, "run", ""), s);
	}
	section_end(w);
}

static void dll_checks(struct w *w, const cJSON *m)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(m, "dll_checks");
	section(w, "dll", "DLL checks");
	if (!cJSON_GetArraySize(list))
		para(w, has_unavailable(m, "dll_checks")
		     ? "No DLL check results are available on this installation of koffix."
		     : "No DLL check was recorded for this session.");
	const cJSON *c;
	cJSON_ArrayForEach(c, list) {
		const cJSON *res = cJSON_GetObjectItemCaseSensitive(c, "result");
		char title[400];
		snprintf(title, sizeof title, "%.300s: %.60s", tk_str_or(c, "file_name", "?"),
			 tk_str_or(c, "verdict", "?"));
		heading(w, 3, title);
		fields_begin(w);
		field(w, "Verdict", tk_str(c, "verdict"));
		field(w, "Reason", tk_str(res, "reason"));
		field(w, "File", tk_str(c, "file_name"));
		field(w, "Windows path", tk_str(c, "windows_path"));
		field(w, "SHA-256", tk_str(c, "sha256"));
		field(w, "Machine", tk_str(res, "machine"));
		field(w, "Checked", tk_str(c, "created"));
		fields_end(w);
		const cJSON *ind = cJSON_GetObjectItemCaseSensitive(res, "indicators");
		if (!cJSON_GetArraySize(ind))
			continue;
		static const char *const heads[] = { "Indicator", "Level", "Reason" };
		table_begin(w, heads, 3);
		const cJSON *i;
		cJSON_ArrayForEach(i, ind) {
			const char *cells[] = { tk_str_or(i, "id", ""), tk_str_or(i, "level", ""),
						tk_str_or(i, "reason", "") };
			row(w, cells, 3);
		}
		table_end(w);
	}
	section_end(w);
}

static void scan(struct w *w, const cJSON *m)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(m, "scan");
	if (!cJSON_IsObject(s))
		return;
	section(w, "scan", "Scan of the PC");
	fields_begin(w);
	field(w, "Computer", tk_str(s, "computer"));
	field(w, "User", tk_str(s, "user"));
	field(w, "Read", tk_str(s, "time"));
	field(w, "By koffix", tk_str(s, "version"));
	fields_end(w);
	const cJSON *f, *e;
	const cJSON *findings = cJSON_GetObjectItemCaseSensitive(s, "findings");
	if (!cJSON_GetArraySize(findings))
		para(w, "The scan found nothing that points to a problem.");
	cJSON_ArrayForEach(f, findings) {
		char title[600];
		snprintf(title, sizeof title, "%.20s: %.500s", tk_str_or(f, "severity", "?"),
			 tk_str_or(f, "title", "?"));
		heading(w, 3, title);
		list_begin(w);
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(f, "evidence")) {
			char line[TICKET_LINE_MAX * 2 + 8];
			snprintf(line, sizeof line, "%s: %s", tk_str_or(e, "source", ""),
				 tk_str_or(e, "detail", ""));
			item(w, line);
		}
		list_end(w);
	}
	static const char *const heads[] = { "Source", "Read", "Detail" };
	table_begin(w, heads, 3);
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(s, "sources")) {
		bool ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "available"));
		const char *cells[] = { tk_str_or(e, "name", ""), ok ? "yes" : "not available",
					tk_str_or(e, "detail", "") };
		row(w, cells, 3);
	}
	table_end(w);
	section_end(w);
}

static void articles(struct w *w, const cJSON *m)
{
	section(w, "articles", "Help articles");
	const cJSON *e;
	const cJSON *sugg = cJSON_GetObjectItemCaseSensitive(m, "articles_suggested");
	const cJSON *viewed = cJSON_GetObjectItemCaseSensitive(m, "articles_viewed");
	const cJSON *votes = cJSON_GetObjectItemCaseSensitive(m, "votes");
	const cJSON *reps = cJSON_GetObjectItemCaseSensitive(m, "repairs_suggested");
	heading(w, 3, "Suggested by the diagnosis");
	if (!cJSON_GetArraySize(sugg))
		para(w, "None.");
	list_begin(w);
	cJSON_ArrayForEach(e, sugg) {
		char line[TICKET_LINE_MAX * 2 + 8];
		snprintf(line, sizeof line, "%s (%s)", tk_str_or(e, "title", ""),
			 tk_str_or(e, "slug", ""));
		item(w, line);
	}
	list_end(w);
	heading(w, 3, "Read during the session");
	if (!cJSON_GetArraySize(viewed))
		para(w, "None recorded.");
	list_begin(w);
	cJSON_ArrayForEach(e, viewed) {
		char line[TICKET_LINE_MAX * 2 + 80], views[24];
		snprintf(line, sizeof line, "%s (%s), first read %s, %s view(s)",
			 tk_str_or(e, "title", ""), tk_str_or(e, "slug", ""),
			 tk_str_or(e, "first_viewed", "?"),
			 or_else(num(views, sizeof views, cJSON_GetObjectItemCaseSensitive(e, "views")), "?"));
		item(w, line);
	}
	list_end(w);
	if (cJSON_GetArraySize(votes)) {
		heading(w, 3, "\"Was this helpful?\" votes");
		list_begin(w);
		cJSON_ArrayForEach(e, votes) {
			char line[TICKET_LINE_MAX * 2 + 80];
			const char *comment = tk_str_or(e, "comment", "");
			snprintf(line, sizeof line, "%s: %s%s%s", tk_str_or(e, "slug", ""),
				 cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "helpful"))
				 ? "helpful" : "not helpful", *comment ? ", comment: " : "", comment);
			item(w, line);
		}
		list_end(w);
	}
	if (cJSON_GetArraySize(reps)) {
		heading(w, 3, "Repairs suggested by the diagnosis");
		cJSON_ArrayForEach(e, reps) {
			para(w, tk_str_or(e, "title", ""));
			params(w, cJSON_GetObjectItemCaseSensitive(e, "params"));
		}
	}
	section_end(w);
}

static void history(struct w *w, const cJSON *m)
{
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(m, "history");
	section(w, "history", "Full history");
	para(w, "Every answer, change and article view, in order, including answers that were "
	     "changed later.");
	static const char *const heads[] = { "#", "Time (UTC)", "Event", "Question or article",
					     "Answer", "Seconds" };
	table_begin(w, heads, 6);
	const cJSON *e;
	cJSON_ArrayForEach(e, h) {
		char seq[24], sec[24];
		const char *cells[] = { num(seq, sizeof seq, cJSON_GetObjectItemCaseSensitive(e, "seq")),
					tk_str_or(e, "at", ""), tk_str_or(e, "kind", ""),
					tk_str_or(e, "node", ""), tk_str_or(e, "answer", ""),
					num(sec, sizeof sec,
					    cJSON_GetObjectItemCaseSensitive(e, "seconds")) };
		row(w, cells, 6);
	}
	table_end(w);
	section_end(w);
}

static void attachments(struct w *w, const cJSON *m)
{
	cJSON *list = ticket_attachments(m);
	section(w, "attachments", "Attached files");
	list_begin(w);
	const cJSON *e;
	cJSON_ArrayForEach(e, list) {
		char line[256], bytes[24];
		snprintf(line, sizeof line, "%s (%s, %s bytes)", tk_str_or(e, "filename", ""),
			 tk_str_or(e, "mime_type", ""),
			 or_else(num(bytes, sizeof bytes, cJSON_GetObjectItemCaseSensitive(e, "bytes")), "?"));
		item(w, line);
	}
	list_end(w);
	section_end(w);
	cJSON_Delete(list);
}

static int render_body(const cJSON *m, bool html, bool full_logs, int shift, struct buf *out)
{
	struct w w = { out, html, full_logs, 0, false, shift };
	if (html)
		raw(&w, "<div class=\"kt-ticket\">\n");
	heading(&w, 1, tk_str_or(m, "subject", "Support request"));
	intro(&w, m);
	diagnosis(&w, m);
	environment(&w, m);
	path(&w, m);
	scan(&w, m);
	runs(&w, m);
	dll_checks(&w, m);
	articles(&w, m);
	history(&w, m);
	if (!full_logs)
		attachments(&w, m);
	if (html)
		raw(&w, "<p class=\"kt-footer\">");
	textf(&w, html ? "koffix %s" : "\n-- \nkoffix %s", tk_str_or(m, "koffix_version", "?"));
	textf(&w, ", ticket schema %s", tk_str_or(m, "schema_version", "?"));
	raw(&w, html ? "</p>\n</div>\n" : "\n");
	return w.rc;
}

int ticket_render_body(const cJSON *m, bool html, bool full_logs, struct buf *out)
{
	return render_body(m, html, full_logs, 0, out);
}

/* Print-friendly and self-contained: the download is a file, never served with this style. */
static const char document_css[] =
	"body{font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,Arial,sans-serif;"
	"color:#1b1f24;background:#fff;margin:2rem auto;max-width:60rem;padding:0 1rem;"
	"line-height:1.45}\n"
	"h1{font-size:1.6rem}h2{font-size:1.25rem;border-bottom:1px solid #d0d7de;"
	"padding-bottom:.2rem;margin-top:2rem}h3{font-size:1.05rem}h4{font-size:.95rem}\n"
	"table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}"
	"th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;"
	"vertical-align:top;overflow-wrap:break-word}th{background:#f4f6f8}\n"
	".kt-fields th{width:12rem}\n"
	".kt-log{background:#f1f3f5;border:1px solid #d0d7de;padding:.5rem;white-space:pre-wrap;"
	"overflow-wrap:anywhere;font-size:.85rem}\n"
	".kt-note,.kt-footer{color:#555f6b;font-size:.9rem}\n"
	"@media print{body{margin:0;max-width:none}h2{break-after:avoid}"
	"table,pre{break-inside:auto}tr{break-inside:avoid}}\n";

int ticket_render_document(const cJSON *m, bool full_logs, struct buf *out)
{
	int rc = buf_adds(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
			  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
			  "<title>");
	rc = rc ? rc : buf_adds_html(out, tk_str_or(m, "subject", "Support request"));
	rc = rc ? rc : buf_addf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n",
				document_css);
	rc = rc ? rc : ticket_render_body(m, true, full_logs, out);
	return rc ? rc : buf_adds(out, "</body>\n</html>\n");
}

int ticket_html_fragment(const cJSON *model, int top_level, struct buf *out)
{
	return render_body(model, true, false, top_level < 1 ? 0 : top_level - 1, out);
}
