/* SPDX-License-Identifier: MIT */
/* `koffix actions list|plan|run|undo|show`: the repair catalogue from the command line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/json.h"
#include "../common/util.h"
#include "../repair-actions/ra.h"
#include "../app/app.h"
#include "cli_common.h"
#include "../server/handlers.h"

const char cli_usage_actions[] =
	"usage: koffix actions list\n"
	"       koffix actions plan ID [--param NAME=VALUE]... [--format text|json|cmd]\n"
	"       koffix actions run ID [--param NAME=VALUE]... [--session ID] --yes\n"
	"       koffix actions undo RUN --yes\n"
	"       koffix actions show RUN\n"
	"\n"
	"list  the repairs and the parameters each takes\n"
	"plan  every step in plain words (text), as JSON, or as a .cmd script a technician runs\n"
	"      on the affected PC (same backups, checks and log; `script.cmd undo` reverses it)\n"
	"run   carries the repair out through the backend (--backend plan: a dry run), says each\n"
	"      step's start and end on stderr, and prints the run; --yes is the consent a run needs\n"
	"undo  reverses a run, last step first, from its backups (progress on stderr as for run)\n"
	"show  a run's state and steps from the journal (interrupted runs are found here)\n";

/* --param NAME=VALUE options into an object; EXIT_USAGE on a malformed one. */
static int read_params(const struct cli *c, int from, cJSON *params, const char **format,
		       const char **session, bool *yes)
{
	for (int i = from; i < c->argc; i++) {
		const char *v = NULL;
		int t = cli_take_value(c->argv, c->argc, &i, "--param", &v);
		if (t > 0) {
			const char *eq = strchr(v, '=');
			if (!eq || eq == v)
				return cli_usage_error(cli_usage_actions, "--param takes NAME=VALUE, not '%s'", v);
			char name[64];
			snprintf(name, sizeof name, "%.*s", (int)(eq - v), v);
			cJSON_DeleteItemFromObjectCaseSensitive(params, name);
			cJSON_AddStringToObject(params, name, eq + 1);
			continue;
		}
		if (t == 0 && format)
			t = cli_take_value(c->argv, c->argc, &i, "--format", format);
		if (t == 0 && session)
			t = cli_take_value(c->argv, c->argc, &i, "--session", session);
		if (t == 0 && yes && !strcmp(c->argv[i], "--yes")) {
			*yes = true;
			continue;
		}
		if (t < 0)
			return cli_usage_error(cli_usage_actions, "option '%s' needs a value", c->argv[i]);
		if (t == 0)
			return cli_usage_error(cli_usage_actions, "unexpected argument '%s'", c->argv[i]);
	}
	return 0;
}

static void print_json(const cJSON *o)
{
	char *s = cJSON_Print(o);
	puts(s);
	cJSON_free(s);
}

static void print_run(const struct cli *c, const cJSON *run)
{
	if (c->json) {
		print_json(run);
		return;
	}
	printf("run %s: %s%s\n", cJSON_GetObjectItemCaseSensitive(run, "run")->valuestring,
	       cJSON_GetObjectItemCaseSensitive(run, "state")->valuestring,
	       cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(run, "dry_run")) ? " (dry run)" : "");
	const char *err = cJSON_GetObjectItemCaseSensitive(run, "error")->valuestring;
	if (*err)
		printf("  %s\n", err);
	const cJSON *s;
	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(run, "steps"))
		printf("  %d. [%s] %s\n     %s\n", cJSON_GetObjectItemCaseSensitive(s, "n")->valueint,
		       cJSON_GetObjectItemCaseSensitive(s, "state")->valuestring,
		       cJSON_GetObjectItemCaseSensitive(s, "title")->valuestring,
		       cJSON_GetObjectItemCaseSensitive(s, "output")->valuestring);
}

/* Progress on stderr while a run or an undo goes on (a reinstall takes minutes): a line when
 * a step starts and one when it ends. Flushed, so that a log or a pipe sees each at once. */
static void say_step(void *ctx, const char *run, int n, const char *title, const char *state)
{
	char *said = ctx;  /* the run named last, so that each run is named once */
	if (said && strcmp(said, run)) {
		fprintf(stderr, "koffix: run %s\n", run);
		snprintf(said, 33, "%s", run);
	}
	if (!strcmp(state, "started") || !strcmp(state, "undoing"))
		fprintf(stderr, "koffix: step %d %s: %s\n", n, state, title);
	else
		fprintf(stderr, "koffix: step %d %s\n", n, state);
	fflush(stderr);
}

/* The preflight results as lines for people. */
static void print_preflight(const cJSON *preflight, struct buf *out)
{
	const cJSON *p;
	if (cJSON_GetArraySize(preflight))
		buf_adds(out, "Checked before anything changes:\n");
	cJSON_ArrayForEach(p, preflight)
		buf_addf(out, "  [%s] %s: %s\n",
			 kx_json_str_or(p, "state", "?"), kx_json_str_or(p, "title", ""),
			 kx_json_str_or(p, "reason", ""));
	if (cJSON_GetArraySize(preflight))
		buf_addch(out, '\n');
}

static int list(const struct cli *c, struct app *app)
{
	cJSON *l = ra_catalogue_list(app->actions);
	if (c->json) {
		print_json(l);
	} else {
		const cJSON *a, *p;
		cJSON_ArrayForEach(a, l) {
			printf("%-20s %s\n", cJSON_GetObjectItemCaseSensitive(a, "id")->valuestring,
			       cJSON_GetObjectItemCaseSensitive(a, "title")->valuestring);
			cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(a, "params"))
				printf("  --param %s=...%s\n", p->string, cJSON_IsTrue(
				       cJSON_GetObjectItemCaseSensitive(p, "required")) ? " (required)"
				       : "");
		}
	}
	cJSON_Delete(l);
	return 0;
}

static int plan_or_run(const struct cli *c, struct app *app, bool run)
{
	const char *id = c->argv[2], *format = NULL, *session = NULL;
	bool yes = false;
	cJSON *params = cJSON_CreateObject();
	int rc = read_params(c, 3, params, run ? NULL : &format, run ? &session : NULL,
			     run ? &yes : NULL);
	if (rc)
		goto out;
	if (format && strcmp(format, "text") && strcmp(format, "json") && strcmp(format, "cmd")) {
		rc = cli_usage_error(cli_usage_actions, "--format is text, json or cmd, not '%s'", format);
		goto out;
	}
	if (run && !yes) {
		rc = cli_usage_error(cli_usage_actions, "%s", "a run changes this PC: add --yes to confirm");
		goto out;
	}
	struct ra_start st;
	char said[33] = "";
	if (run)
		ra_journal_observe(app->journal, say_step, said);
	int v = run ? ra_start(app->runner, id, params, session, false, &st) :
		      ra_review(app->runner, id, params, &st);
	if (v == KX_ENOTFOUND || v == KX_EINVAL) {
		fprintf(stderr, "koffix: %s\n", st.err);
		rc = v == KX_ENOTFOUND ? EXIT_USAGE : 1;
		ra_start_release(&st);
		goto out;
	}
	const cJSON *w;
	cJSON_ArrayForEach(w, st.warnings)
		fprintf(stderr, "koffix: warning: %s\n", w->valuestring);
	if (!run) {
		struct buf out;
		buf_init(&out, BUF_NOMAX);
		if (format && !strcmp(format, "cmd")) {
			char runid[33];
			kx_random_hex(runid, 16);
			ra_plan_cmd(app->actions, id, st.params, st.plan, runid, &out);
		} else if ((format && !strcmp(format, "json")) || c->json) {
			cJSON *o = actions_review_json(id, &st, app->backend->dry_run);
			char *s = cJSON_Print(o);
			buf_adds(&out, s);
			buf_addch(&out, '\n');
			cJSON_free(s);
			cJSON_Delete(o);
		} else {
			print_preflight(st.preflight, &out);
			ra_plan_text(st.plan, &out);
			buf_adds(&out, "\nBefore you run it: ");
			ra_consent_text(st.plan, &out);
			buf_addch(&out, '\n');
		}
		fwrite(buf_cstr(&out), 1, out.len, stdout);
		buf_release(&out);
		ra_start_release(&st);
		goto out;
	}
	if (v == KX_EBLOCKED || v == KX_ECONFLICT || !st.run[0]) {
		/* Refused before anything changed: say each reason. */
		struct buf out;
		buf_init(&out, BUF_NOMAX);
		if (v == KX_EBLOCKED)
			print_preflight(st.preflight, &out);
		fwrite(buf_cstr(&out), 1, out.len, stderr);
		buf_release(&out);
		fprintf(stderr, "koffix: %s\n", st.err);
		ra_start_release(&st);
		rc = 1;
		goto out;
	}
	rc = v == 0 ? 0 : 1;
	cJSON *r = ra_journal_get(app->journal, st.run);
	print_run(c, r);
	cJSON_Delete(r);
	ra_start_release(&st);
out:
	ra_journal_observe(app->journal, NULL, NULL);
	cJSON_Delete(params);
	return rc;
}

static int undo_or_show(const struct cli *c, struct app *app, bool undo)
{
	bool yes = false;
	cJSON *none = cJSON_CreateObject();
	int rc = read_params(c, 3, none, NULL, NULL, undo ? &yes : NULL);
	cJSON_Delete(none);
	if (rc)
		return rc;
	if (c->argc != (undo ? 4 : 3) || (undo && !yes))
		return cli_usage_error(cli_usage_actions, "%s", undo ? "actions undo RUN --yes" :
				   "actions show RUN");
	const char *id = c->argv[2];
	if (undo) {
		char said[33] = "", err[512];
		ra_journal_observe(app->journal, say_step, said);
		int u = ra_start_undo(app->runner, id, false, err, sizeof err);
		if (u == KX_ENOTFOUND || u == KX_ECONFLICT || u == KX_EDB) {
			fprintf(stderr, "koffix: %s\n", err);
			return 1;
		}
	}
	cJSON *r = ra_journal_get(app->journal, id);
	if (!r) {
		fprintf(stderr, "koffix: no such run '%s'\n", id);
		return 1;
	}
	print_run(c, r);
	const char *state = cJSON_GetObjectItemCaseSensitive(r, "state")->valuestring;
	rc = undo && strcmp(state, "undone") ? 1 : 0;
	cJSON_Delete(r);
	return rc;
}

int cli_cmd_actions(const struct cli *c)
{
	if (c->argc < 2)
		return cli_usage_error(cli_usage_actions, "%s", "actions needs a subcommand");
	const char *sub = c->argv[1];
	bool needs_id = strcmp(sub, "list") != 0;
	if (strcmp(sub, "list") && strcmp(sub, "plan") && strcmp(sub, "run") &&
	    strcmp(sub, "undo") && strcmp(sub, "show"))
		return cli_usage_error(cli_usage_actions, "unknown actions subcommand '%s'", sub);
	if (needs_id && (c->argc < 3 || c->argv[2][0] == '-'))
		return cli_usage_error(cli_usage_actions, "actions %s needs an id", sub);
	if (!needs_id && c->argc != 2)
		return cli_usage_error(cli_usage_actions, "unexpected argument '%s'", c->argv[2]);
	struct app app;
	if (cli_open_app(c, &app, false, true))
		return 1;
	int rc;
	if (!strcmp(sub, "list"))
		rc = list(c, &app);
	else if (!strcmp(sub, "plan") || !strcmp(sub, "run"))
		rc = plan_or_run(c, &app, !strcmp(sub, "run"));
	else
		rc = undo_or_show(c, &app, !strcmp(sub, "undo"));
	app_close(&app);
	return rc;
}
