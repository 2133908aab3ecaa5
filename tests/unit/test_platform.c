/* SPDX-License-Identifier: MIT */
/*
 * The platform layer (common/platform.h), the same checks on Linux and, cross-built
 * (make windows-unit), on Windows: time, files, folders, random bytes, the data folder, the
 * port probe and child processes (this program started again as its own child).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../common/platform.h"
#include "../../common/util.h"
#include "t.h"

/* The child side: "--echo" copies stdin to stdout in upper case and exits 3; "--sleep" sleeps. */
static int child(const char *mode)
{
	if (strcmp(mode, "--sleep") == 0) {
		struct timespec ts = { 30, 0 };
		nanosleep(&ts, NULL);
		return 0;
	}
	int ch;
	while ((ch = getchar()) != EOF)
		putchar(ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch);
	fflush(stdout);
	return 3;
}

static void test_time(void)
{
	struct tm tm;
	T_OK(plat_gmtime(0, &tm));
	T_INT(tm.tm_year, 70);
	T_INT(tm.tm_mday, 1);
	/* 2026-11-24T12:34:56Z and back. */
	time_t t = 1795524896;
	T_OK(plat_gmtime(t, &tm));
	T_INT(tm.tm_year + 1900, 2026);
	T_INT(tm.tm_mon + 1, 11);
	T_INT(tm.tm_mday, 24);
	T_INT(tm.tm_hour, 12);
	T_INT(tm.tm_wday, 2); /* a Tuesday */
	T_INT(plat_timegm(&tm), t);
	/* timegm normalizes: the 32nd of January is the 1st of February. */
	struct tm x = { .tm_year = 126, .tm_mon = 0, .tm_mday = 32 };
	time_t feb = plat_timegm(&x);
	T_OK(plat_gmtime(feb, &tm));
	T_INT(tm.tm_mon, 1);
	T_INT(tm.tm_mday, 1);
}

static void test_random(void)
{
	unsigned char a[32] = { 0 }, b[32] = { 0 };
	T_INT(plat_random(a, sizeof a), 0);
	T_INT(plat_random(b, sizeof b), 0);
	T_OK(memcmp(a, b, sizeof a) != 0);
	T_INT(plat_random(a, 0), 0);
}

static void test_files(const char *dir)
{
	char sub[512], path[600], tmp[600];
	snprintf(sub, sizeof sub, "%s/a/b/c", dir);
	T_INT(kx_mkdir_p(sub), 0);
	T_INT(kx_mkdir_p(sub), 0); /* an existing folder is success */
	T_INT(plat_mkdir(sub), 0);
	/* A file in the way is an error, not a success. */
	snprintf(path, sizeof path, "%s/file", dir);
	T_INT(kx_write_file_atomic(path, "x", 1), 0);
	snprintf(tmp, sizeof tmp, "%s/file/below", dir);
	T_OK(kx_mkdir_p(tmp) != 0);

	/* Bytes stay bytes: CRLF, a lone LF, a NUL, a Ctrl+Z. */
	static const char data[] = "a\r\nb\nc\0d\x1a" "e";
	snprintf(path, sizeof path, "%s/a/bytes.bin", dir);
	T_INT(kx_write_file_atomic(path, data, sizeof data - 1), 0);
	char *back;
	size_t len;
	T_INT(kx_read_file(path, 1024, &back, &len), 0);
	T_INT(len, sizeof data - 1);
	T_OK(back && memcmp(back, data, len) == 0);
	free(back);

	/* Replacing an existing file, and a private file. */
	T_INT(kx_write_file_atomic(path, "second", 6), 0);
	T_INT(kx_read_file(path, 1024, &back, &len), 0);
	T_STR(back, "second");
	free(back);
	snprintf(path, sizeof path, "%s/a/secret", dir);
	T_INT(kx_write_file_private(path, "s", 1), 0);
	T_INT(kx_read_file(path, 1024, &back, &len), 0);
	T_STR(back, "s");
	free(back);
	snprintf(tmp, sizeof tmp, "%s/a/moved", dir);
	T_INT(plat_replace(path, tmp), 0);
	T_OK(kx_read_file(path, 1024, &back, &len) != 0);
	T_INT(kx_read_file(tmp, 1024, &back, &len), 0);
	free(back);
}

#ifndef _WIN32
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../common/db.h"

static int mode_of(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 ? (int)(st.st_mode & 0777) : -1;
}

/* Files in a folder others could write: nothing planted in advance is ever written through. */
static void test_private_files(const char *dir)
{
	char victim[600], path[700], link[800], data[600];
	snprintf(victim, sizeof victim, "%s/victim", dir);
	T_INT(kx_write_file_atomic(victim, "precious", 8), 0);
	/* plat_create makes a new file only: an existing file or a symlink is refused. */
	snprintf(link, sizeof link, "%s/planted", dir);
	T_INT(symlink(victim, link), 0);
	T_OK(plat_create(link, true) < 0);
	T_OK(plat_create(victim, true) < 0);
	/* A symlink at the destination is replaced by the file, its target left alone. */
	T_INT(kx_write_file_private(link, "mine", 4), 0);
	char *back;
	size_t len;
	T_INT(kx_read_file(victim, 64, &back, &len), 0);
	T_STR(back, "precious");
	free(back);
	struct stat st;
	T_OK(lstat(link, &st) == 0 && S_ISREG(st.st_mode));
	T_INT(mode_of(link), 0600);
	/* Modes: private 0600, shared 0644; no temporary file is left behind. */
	snprintf(path, sizeof path, "%s/shared", dir);
	T_INT(kx_write_file_atomic(path, "x", 1), 0);
	T_INT(mode_of(path), 0644);
	DIR *d = opendir(dir);
	struct dirent *e;
	int temps = 0;
	while (d && (e = readdir(d)))
		temps += strstr(e->d_name, ".tmp.") != NULL;
	if (d)
		closedir(d);
	T_INT(temps, 0);
	/* A data folder made private, and an older, open one tightened. */
	snprintf(data, sizeof data, "%s/data", dir);
	T_INT(plat_private_dir(data), 0);
	T_INT(mode_of(data), 0700);
	chmod(data, 0755);
	T_INT(plat_private_dir(data), 0);
	T_INT(mode_of(data), 0700);
	/* A database: created 0600; an older 0644 one (and its -wal) tightened when opened. */
	snprintf(path, sizeof path, "%s/t.db", data);
	struct db db;
	char err[256];
	T_INT(db_open(&db, path, "a test store", "CREATE TABLE IF NOT EXISTS t(x);", NULL, 0,
		      err, sizeof err), 0);
	db_close(&db);
	T_INT(mode_of(path), 0600);
	chmod(path, 0644);
	snprintf(link, sizeof link, "%s-wal", path);
	T_INT(kx_write_file_atomic(link, "", 0), 0);
	T_INT(db_open(&db, path, "a test store", "CREATE TABLE IF NOT EXISTS t(x);", NULL, 0,
		      err, sizeof err), 0);
	db_close(&db);
	T_INT(mode_of(path), 0600);
	T_OK(mode_of(link) == 0600 || mode_of(link) == -1);
	/* An older database gains a column before statements that use it are prepared; again,
	 * nothing happens; a database that is not there is not created. */
	static const char *const alters[] = { "ALTER TABLE t ADD COLUMN y INTEGER DEFAULT 7" };
	static const char *const uses_y[] = { "SELECT y FROM t" };
	T_INT(db_open(&db, path, "a test store", "CREATE TABLE IF NOT EXISTS t(x);", uses_y, 1,
		      err, sizeof err), KX_EDB);
	db_add_columns(path, alters, 1);
	db_add_columns(path, alters, 1);
	T_INT(db_open(&db, path, "a test store", "CREATE TABLE IF NOT EXISTS t(x);", uses_y, 1,
		      err, sizeof err), 0);
	db_close(&db);
	char none[1100];
	snprintf(none, sizeof none, "%s/none.db", data);
	db_add_columns(none, alters, 1);
	T_INT(mode_of(none), -1);
}
#endif

static void test_places(void)
{
	char dir[1024], exe[1024];
	T_INT(plat_data_dir(dir, sizeof dir), 0);
	T_OK(strlen(dir) > 0);
	T_OK(strstr(dir, "koffix") || strcmp(dir, "data") == 0);
	T_INT(plat_exe_dir(exe, sizeof exe), 0);
	T_OK(strlen(exe) > 0);
	const char *b = plat_default_backend();
	T_OK(!strcmp(b, "plan") || !strcmp(b, "agent"));
	T_OK(plat_runs_agent() == (strcmp(b, "agent") == 0));
	T_OK(plat_bare_start_serves() == plat_runs_agent());
	T_OK(plat_pid() > 0);
	T_OK(!plat_process_alive(plat_pid())); /* by contract: "not this one" */
	T_OK(!plat_process_alive(0));
	T_OK(!plat_port_listens("127.0.0.1", 1));
	T_OK(!plat_port_listens("not an address", 80));
	T_OK(!plat_port_listens("127.0.0.1", 0));
}

static void test_children(const char *self)
{
	const char *echo[] = { self, "--echo", NULL };
	struct plat_child *c = NULL;
	T_INT(plat_spawn(echo, false, NULL, &c), 0);
	if (!c)
		return;
	T_INT(plat_child_send(c, "hello, child\n", 13), 0);
	char buf[256];
	size_t have = 0;
	for (int i = 0; i < 200 && have < sizeof buf - 1; i++) {
		long got = plat_child_read(c, buf + have, sizeof buf - 1 - have, 100);
		if (got < 0)
			break;
		have += (size_t)got;
	}
	buf[have] = '\0';
	/* The child's stdout may be in text mode on Windows: compare the line, not its end. */
	T_OK(strncmp(buf, "HELLO, CHILD", 12) == 0);
	int code = -1;
	T_INT(plat_child_wait(c, 10000, &code), 1);
	T_INT(code, 3);
	plat_child_free(c);

	const char *sleeper[] = { self, "--sleep", NULL };
	c = NULL;
	T_INT(plat_spawn(sleeper, false, NULL, &c), 0);
	if (!c)
		return;
	T_INT(plat_child_wait(c, 100, &code), 0); /* still running */
	plat_child_kill(c);
	T_INT(plat_child_wait(c, 5000, &code), 1);
	T_OK(code != 0);
	plat_child_free(c);

	const char *missing[] = { "/nonexistent/koffix-no-such-program", NULL };
	c = NULL;
	T_OK(plat_spawn(missing, false, NULL, &c) != 0 || c != NULL);
	if (c) { /* posix_spawn may start and fail in the child: it then ends with 127 */
		T_INT(plat_child_wait(c, 5000, &code), 1);
		T_OK(code != 0);
		plat_child_free(c);
	}
}

int main(int argc, char **argv)
{
	plat_init();
	if (argc > 1)
		return child(argv[1]);
	test_time();
	test_random();
	char dir[256];
	T_INT(t_tmpdir(dir, sizeof dir, "platform"), 0);
	test_files(dir);
#ifndef _WIN32
	test_private_files(dir);
#endif
	T_INT(t_rm_rf(dir), 0);
	test_places();
	test_children(argv[0]);
	return t_done("platform");
}
