/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_PLATFORM_H
#define KOFFIX_PLATFORM_H

/*
 * What differs between the operating systems koffix runs on, behind one small interface:
 * common/platform_posix.c (Linux) and common/platform_win32.c (Windows, mingw-w64), chosen by the
 * Makefile. Feature code calls these and has no #ifdef of its own.
 */

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/*
 * Once at start, before any output: stdout is byte-exact (no newline translation on Windows,
 * where the console also gets UTF-8).
 */
void plat_init(void);

/* UTC calendar time: gmtime_r / timegm on POSIX, gmtime_s / _mkgmtime on Windows.
 * plat_gmtime returns false when t cannot be represented; plat_timegm (time_t)-1. */
bool plat_gmtime(time_t t, struct tm *out);
time_t plat_timegm(struct tm *tm);

/* Fills buf with n bytes from the system's secure random source. 0, or KX_EIO. */
int plat_random(void *buf, size_t n);

/* The folder of the running executable into out (len bytes). 0, or KX_EIO. */
int plat_exe_dir(char *out, size_t len);

/* This process's id, and whether the process with that id is alive (not this one). */
long long plat_pid(void);
bool plat_process_alive(long long pid);

/* Creates one folder; an existing folder is success. 0, or KX_EIO. */
int plat_mkdir(const char *path);

/*
 * Makes path a folder only its owner can use (POSIX 0700; created when missing, tightened when
 * it exists; on Windows %LOCALAPPDATA%'s ACL is the person's already). 0, or KX_EIO.
 */
int plat_private_dir(const char *path);

/* Makes the file at path readable by its owner only (created empty when missing and create is
 * true): POSIX 0600, a symlink never followed. 0 (also: missing and not created), or KX_EIO. */
int plat_private_file(const char *path, bool create);

/*
 * Replaces dst with src atomically (src's data already flushed): rename(2) on POSIX,
 * MoveFileEx with MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH on Windows. 0, or KX_EIO.
 */
int plat_replace(const char *src, const char *dst);

/*
 * Creates a new file for writing its exact bytes: an fd, or -1 (also when anything, a symlink
 * included, exists at path: O_EXCL | O_NOFOLLOW). Mode 0644 on POSIX, 0600 when private_file
 * (on Windows the folder's ACL decides: %LOCALAPPDATA% is the person's).
 */
int plat_create(const char *path, bool private_file);

/* Flushes an open file descriptor's data to disk. 0, or KX_EIO. */
int plat_fsync(int fd);

/*
 * For a server: called before any thread starts, so that the stop request reaches only
 * plat_wait_for_stop() (and a closed socket never kills the process).
 */
void plat_prepare_stop(void);

/* Blocks until the person asks the process to stop (Ctrl+C, SIGTERM, closing the console);
 * returns a number naming the request, for the log. */
int plat_wait_for_stop(void);

/*
 * A child process with pipes on its stdin and stdout, in a group of its own so that it can be
 * ended with everything it started (a process group on POSIX, a job object on Windows, which
 * the child joins just after it starts: what it starts before reading its stdin may escape).
 * argv[0] is looked up in PATH when it has no slash. stderr goes to the null device unless
 * show_stderr. env_add (may be NULL) is one extra "NAME=value" for the child. 0 or KX_EIO.
 */
struct plat_child;
int plat_spawn(const char *const *argv, bool show_stderr, const char *env_add,
	       struct plat_child **out);

/* Writes all of data to the child's stdin, then closes it. 0 or KX_EIO. */
int plat_child_send(struct plat_child *c, const void *data, size_t len);

/* Reads what the child wrote, waiting at most timeout_ms: > 0 bytes, 0 nothing yet, -1 end. */
long plat_child_read(struct plat_child *c, void *buf, size_t max, int timeout_ms);

/* Waits at most timeout_ms for the child to end: 1 ended (*code its exit code, or 128 +
 * signal), 0 still running. */
int plat_child_wait(struct plat_child *c, int timeout_ms, int *code);

/* Ends the child and everything in its group, and reaps it. */
void plat_child_kill(struct plat_child *c);

/* Closes the pipes and frees (the child must have ended or been killed). */
void plat_child_free(struct plat_child *c);

/*
 * Where koffix keeps its database and state when --data is not given: ./data on POSIX (a
 * checkout or a technician's folder), %LOCALAPPDATA%\koffix on Windows (the person's own,
 * private folder, where the agent keeps its backups too). 0, or KX_EIO.
 */
int plat_data_dir(char *out, size_t len);

/* The repair backend when --backend is not given: "plan" on POSIX, "agent" on Windows. */
const char *plat_default_backend(void);

/* Whether koffix-agent.exe runs natively here (Windows); elsewhere it needs Wine. */
bool plat_runs_agent(void);

/*
 * Whether koffix started with no arguments should serve and open the browser (a double-click
 * on koffix.exe in Explorer) instead of printing its usage: false on POSIX, true on Windows.
 */
bool plat_bare_start_serves(void);

/* Whether something accepts TCP connections on the IPv4 address addr, port port (loopback). */
bool plat_port_listens(const char *addr, unsigned port);

/*
 * Opens url in the person's browser and returns without waiting for it: the program named by
 * KOFFIX_BROWSER (given the URL as its one argument) when that is set, else xdg-open on POSIX
 * and the default browser (ShellExecute) on Windows. 0, or KX_EIO.
 */
int plat_open_url(const char *url);

/*
 * The string values (REG_SZ, REG_EXPAND_SZ unexpanded) of a registry key such as
 * "HKLM\\Software\\Policies\\koffix" as a JSON object of strings (caller frees); a missing key
 * is an empty object. Not Windows, or a key that cannot be read: KX_ENOTFOUND or KX_EIO with
 * why (*values NULL).
 */
struct cJSON;
int plat_policy_values(const char *key, struct cJSON **values, char *why, size_t whylen);

/* The absolute form of path (realpath / _fullpath). 0, or KX_EIO. */
int plat_abs_path(const char *path, char *out, size_t len);

#endif
