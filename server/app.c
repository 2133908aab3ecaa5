/* SPDX-License-Identifier: MIT */
#include "app.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/util.h"
#include "../kb/kb.h"
#include "../templates/tpl.h"

#define STATIC_MAX (1u << 20)

/* An install root holds the page templates (a build folder mirrors templates/ with objects only). */
static bool has_templates(const char *dir)
{
	char p[APP_PATH_MAX + 32];
	struct stat st;
	snprintf(p, sizeof p, "%s/templates/home.html", dir);
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static void find_root(char *root, size_t len)
{
	const char *home = getenv("KOFFIX_HOME");
	if (home && *home) {
		snprintf(root, len, "%s", home);
		return;
	}
	char exe[APP_PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			/* build/asan/koffix and the like live below the tree they came from. */
			for (int up = 0; up < 3; up++) {
				if (has_templates(exe)) {
					snprintf(root, len, "%s", exe);
					return;
				}
				slash = strrchr(exe, '/');
				if (!slash || slash == exe)
					break;
				*slash = '\0';
			}
		}
	}
	snprintf(root, len, ".");
}

static const char *content_type(const char *name)
{
	static const char *const types[][2] = {
		{ ".css", "text/css; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
		{ ".ico", "image/x-icon" },
		{ ".txt", "text/plain; charset=utf-8" },
	};
	const char *dot = strrchr(name, '.');
	for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
		if (strcmp(dot, types[i][0]) == 0)
			return types[i][1];
	return NULL;
}

/* FNV-1a: a change detector for ETags, not a security function. */
static unsigned long long fnv1a(const char *p, size_t n)
{
	unsigned long long h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
	return h;
}

static int load_statics(struct app *app, char *err, size_t errlen)
{
	char dir[APP_PATH_MAX + 16];
	snprintf(dir, sizeof dir, "%s/static", app->root);
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *e;
	int rc = 0;
	while ((e = readdir(d))) {
		const char *ctype = content_type(e->d_name);
		if (e->d_name[0] == '.' || !ctype)
			continue;
		char path[APP_PATH_MAX * 2];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		struct static_file f = { .ctype = ctype };
		if (read_file(path, STATIC_MAX, &f.data, &f.len) != 0) {
			snprintf(err, errlen, "cannot read static file '%s'", path);
			rc = KX_EIO;
			break;
		}
		f.name = xstrdup(e->d_name);
		snprintf(f.etag, sizeof f.etag, "\"%016llx\"", fnv1a(f.data, f.len));
		app->statics = xrealloc(app->statics, (app->nstatic + 1) * sizeof *app->statics);
		app->statics[app->nstatic++] = f;
	}
	closedir(d);
	return rc;
}

/* The CSRF key survives restarts so that open pages keep working; made once, mode 0600. */
static int load_secret(struct app *app, char *err, size_t errlen)
{
	char path[APP_PATH_MAX + 16];
	snprintf(path, sizeof path, "%s/secret", app->data_dir);
	char *s = NULL;
	size_t len = 0;
	if (read_file(path, 256, &s, &len) == 0 && len >= 64) {
		memcpy(app->csrf_key, s, 64);
		app->csrf_key[64] = '\0';
		free(s);
		return 0;
	}
	free(s);
	if (random_hex(app->csrf_key, 32) != 0 ||
	    write_file_atomic(path, app->csrf_key, 64) != 0 || chmod(path, 0600) != 0) {
		snprintf(err, errlen, "cannot write the secret file '%s'", path);
		return KX_EIO;
	}
	return 0;
}

static int load_symptoms(struct app *app, char *err, size_t errlen)
{
	char path[APP_PATH_MAX + 16];
	snprintf(path, sizeof path, "%s/symptoms.json", app->kb_dir);
	char *s;
	if (read_file(path, STATIC_MAX, &s, NULL) != 0) {
		app->symptoms = cJSON_CreateArray();
		return 0;
	}
	app->symptoms = cJSON_Parse(s);
	free(s);
	if (!cJSON_IsArray(app->symptoms)) {
		snprintf(err, errlen, "'%s' is not a JSON array of symptoms", path);
		return KX_ESYNTAX;
	}
	return 0;
}

int app_open(struct app *app, const struct app_options *opts, char *err, size_t errlen)
{
	memset(app, 0, sizeof *app);
	snprintf(app->bind_addr, sizeof app->bind_addr, "127.0.0.1");
	app->port = 8080;
	find_root(app->root, sizeof app->root);
	if (opts->kb_dir)
		snprintf(app->kb_dir, sizeof app->kb_dir, "%s", opts->kb_dir);
	else
		snprintf(app->kb_dir, sizeof app->kb_dir, "%.4000s/kb", app->root);
	snprintf(app->data_dir, sizeof app->data_dir, "%s", opts->data_dir ? opts->data_dir : "data");
	if (mkdir_p(app->data_dir) != 0) {
		snprintf(err, errlen, "cannot create the data folder '%s'", app->data_dir);
		return KX_EIO;
	}
	char db[APP_PATH_MAX + 16];
	snprintf(db, sizeof db, "%s/koffix.db", app->data_dir);
	app->kb = kb_open(db, err, errlen);
	if (!app->kb)
		return KX_EDB;
	int rc = load_symptoms(app, err, errlen);
	if (rc == 0 && opts->need_templates) {
		char dir[APP_PATH_MAX + 16];
		snprintf(dir, sizeof dir, "%s/templates", app->root);
		app->tpl = tpl_set_load_dir(dir, err, errlen);
		if (!app->tpl)
			rc = KX_ESYNTAX;
	}
	if (rc == 0 && opts->need_templates)
		rc = load_statics(app, err, errlen);
	if (rc == 0 && opts->need_secrets)
		rc = load_secret(app, err, errlen);
	return rc;
}

void app_close(struct app *app)
{
	kb_close(app->kb);
	tpl_set_free(app->tpl);
	cJSON_Delete(app->symptoms);
	for (size_t i = 0; i < app->nstatic; i++) {
		free(app->statics[i].name);
		free(app->statics[i].data);
	}
	free(app->statics);
	memset(app, 0, sizeof *app);
}

int app_index(struct app *app, bool quiet)
{
	char dir[APP_PATH_MAX + 16];
	snprintf(dir, sizeof dir, "%s/articles", app->kb_dir);
	struct kb_index_report rep;
	int rc = kb_index(app->kb, dir, &rep, stderr);
	if (rc == KX_EIO) {
		fprintf(stderr, "koffix: cannot read the article folder '%s'\n", dir);
		return rc;
	}
	if (rc) {
		fprintf(stderr, "koffix: indexing failed: %s\n", kx_strerror(rc));
		return rc;
	}
	if (!quiet || rep.errors)
		fprintf(stderr, "koffix: kb index: %d indexed, %d unchanged, %d removed, %d refused\n",
			rep.indexed, rep.unchanged, rep.removed, rep.errors);
	return rep.errors ? KX_ESYNTAX : 0;
}
