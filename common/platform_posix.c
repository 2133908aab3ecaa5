/* SPDX-License-Identifier: MIT */
/* The POSIX side of common/platform.h (Linux). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "platform.h"
#include "util.h"

void plat_init(void)
{
}

bool plat_gmtime(time_t t, struct tm *out)
{
	return gmtime_r(&t, out) != NULL;
}

time_t plat_timegm(struct tm *tm)
{
	return timegm(tm);
}

int plat_random(void *buf, size_t n)
{
	/* getrandom(2): exactly n bytes, no file descriptor, no 4 KiB stdio read-ahead. */
	unsigned char *p = buf;
	while (n) {
		ssize_t got = getrandom(p, n, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return KX_EIO;
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

int plat_exe_dir(char *out, size_t len)
{
	if (len < 2)
		return KX_EIO;
	ssize_t n = readlink("/proc/self/exe", out, len - 1);
	if (n <= 0)
		return KX_EIO;
	out[n] = '\0';
	char *slash = strrchr(out, '/');
	if (!slash)
		return KX_EIO;
	*slash = '\0';
	return 0;
}

long long plat_pid(void)
{
	return (long long)getpid();
}

bool plat_process_alive(long long pid)
{
	return pid > 0 && pid != plat_pid() && kill((pid_t)pid, 0) == 0;
}

int plat_mkdir(const char *path)
{
	return mkdir(path, 0755) == 0 || errno == EEXIST ? 0 : KX_EIO;
}

int plat_create(const char *path, bool private_file)
{
	return open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    private_file ? 0600 : 0644);
}

int plat_private_dir(const char *path)
{
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return KX_EIO;
	struct stat st;
	if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return KX_EIO;
	if ((st.st_mode & 077) && chmod(path, 0700) != 0)
		return KX_EIO;
	return 0;
}

int plat_private_file(const char *path, bool create)
{
	/*
	 * By name, never through an open-and-close of an existing file: closing any descriptor
	 * of a file drops every POSIX lock this process holds on it, and SQLite's connections to
	 * the database rely on theirs (dropping them lets another process corrupt it).
	 */
	struct stat st;
	for (int attempt = 0; attempt < 2; attempt++) {
		if (lstat(path, &st) == 0) {
			if (!S_ISREG(st.st_mode))
				return KX_EIO;
			return (st.st_mode & 077) && chmod(path, 0600) != 0 ? KX_EIO : 0;
		}
		if (errno != ENOENT)
			return KX_EIO;
		if (!create)
			return 0;
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0) {
			close(fd);  /* a new file: no connection of ours has it open yet */
			return 0;
		}
		if (errno != EEXIST)
			return KX_EIO;
	}
	return KX_EIO;
}

int plat_replace(const char *src, const char *dst)
{
	return rename(src, dst) == 0 ? 0 : KX_EIO;
}

int plat_fsync(int fd)
{
	return fsync(fd) == 0 ? 0 : KX_EIO;
}

static sigset_t stop_set;

void plat_prepare_stop(void)
{
	sigemptyset(&stop_set);
	sigaddset(&stop_set, SIGINT);
	sigaddset(&stop_set, SIGTERM);
	/* Blocked in every thread started after this; only sigwait() receives them. */
	pthread_sigmask(SIG_BLOCK, &stop_set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int plat_wait_for_stop(void)
{
	int sig = 0;
	sigwait(&stop_set, &sig);
	return sig;
}

extern char **environ;

struct plat_child {
	pid_t pid;
	int in, out;
	bool reaped;
	int status;
};

int plat_spawn(const char *const *argv, bool show_stderr, const char *env_add,
	       struct plat_child **out)
{
	int in[2], outp[2];
	if (pipe(in))
		return KX_EIO;
	if (pipe(outp)) {
		close(in[0]);
		close(in[1]);
		return KX_EIO;
	}
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
	if (!show_stderr)
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addclose(&fa, in[1]);
	posix_spawn_file_actions_addclose(&fa, outp[0]);
	posix_spawnattr_setpgroup(&attr, 0);
	sigset_t none;
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
	/* The environment is copied, never changed: a server has threads. */
	size_t nenv = 0;
	while (environ[nenv])
		nenv++;
	char **envp = xcalloc(nenv + 2, sizeof *envp);
	memcpy(envp, environ, nenv * sizeof *envp);
	if (env_add)
		envp[nenv] = (char *)env_add;
	struct plat_child *c = xcalloc(1, sizeof *c);
	int rc = strchr(argv[0], '/')
		? posix_spawn(&c->pid, argv[0], &fa, &attr, (char *const *)argv, envp)
		: posix_spawnp(&c->pid, argv[0], &fa, &attr, (char *const *)argv, envp);
	free(envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(in[0]);
	close(outp[1]);
	if (rc) {
		close(in[1]);
		close(outp[0]);
		free(c);
		errno = rc;
		return KX_EIO;
	}
	c->in = in[1];
	c->out = outp[0];
	fcntl(c->in, F_SETFD, FD_CLOEXEC);
	fcntl(c->out, F_SETFD, FD_CLOEXEC);
	*out = c;
	return 0;
}

int plat_child_send(struct plat_child *c, const void *data, size_t len)
{
	const char *p = data;
	size_t put = 0;
	signal(SIGPIPE, SIG_IGN);
	while (put < len) {
		ssize_t w = write(c->in, p + put, len - put);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		put += (size_t)w;
	}
	close(c->in);
	c->in = -1;
	return put == len ? 0 : KX_EIO;
}

long plat_child_read(struct plat_child *c, void *buf, size_t max, int timeout_ms)
{
	struct pollfd p = { c->out, POLLIN, 0 };
	int pr = poll(&p, 1, timeout_ms);
	if (pr <= 0)
		return 0;
	ssize_t got = read(c->out, buf, max);
	if (got < 0 && errno == EINTR)
		return 0;
	return got <= 0 ? -1 : (long)got;
}

static int code_of(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int plat_child_wait(struct plat_child *c, int timeout_ms, int *code)
{
	for (int waited = 0; !c->reaped; waited += 20) {
		pid_t w = waitpid(c->pid, &c->status, WNOHANG);
		if (w == c->pid || (w < 0 && errno != EINTR)) {
			c->reaped = true;
			break;
		}
		if (waited >= timeout_ms)
			return 0;
		struct timespec ts = { 0, 20 * 1000000L };
		nanosleep(&ts, NULL);
	}
	*code = code_of(c->status);
	return 1;
}

void plat_child_kill(struct plat_child *c)
{
	if (c->reaped)
		return;
	kill(-c->pid, SIGKILL);
	kill(c->pid, SIGKILL);
	while (waitpid(c->pid, &c->status, 0) < 0 && errno == EINTR)
		;
	c->reaped = true;
}

void plat_child_free(struct plat_child *c)
{
	if (!c)
		return;
	if (c->in >= 0)
		close(c->in);
	close(c->out);
	free(c);
}

int plat_data_dir(char *out, size_t len)
{
	return snprintf(out, len, "data") < (int)len ? 0 : KX_EIO;
}

const char *plat_default_backend(void)
{
	return "plan";
}

bool plat_runs_agent(void)
{
	return false;
}

bool plat_bare_start_serves(void)
{
	return false;
}

int plat_abs_path(const char *path, char *out, size_t len)
{
	char *r = realpath(path, NULL);
	if (!r)
		return KX_EIO;
	int rc = strlen(r) < len ? 0 : KX_EIO;
	if (rc == 0)
		snprintf(out, len, "%s", r);
	free(r);
	return rc;
}

int plat_open_url(const char *url)
{
	const char *browser = getenv("KOFFIX_BROWSER");
	const char *argv[] = { browser && *browser ? browser : "xdg-open", url, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	for (int fd = 0; fd < 3; fd++)
		posix_spawn_file_actions_addopen(&fa, fd, "/dev/null", fd ? O_WRONLY : O_RDONLY, 0);
	/* A group of its own: Ctrl+C in koffix's terminal does not close the browser. */
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
	pid_t pid;
	int rc = posix_spawnp(&pid, argv[0], &fa, &attr, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (rc)
		return KX_EIO;
	/* xdg-open hands over to the browser and ends; reap it if it does so soon. */
	int status = 0;
	for (int i = 0; i < 100; i++) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : KX_EIO;
		if (w < 0 && errno != EINTR)
			break;
		struct timespec ts = { 0, 20 * 1000000L };
		nanosleep(&ts, NULL);
	}
	return 0;
}

bool plat_port_listens(const char *addr, unsigned port)
{
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	if (port == 0 || port > 65535 || inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return false;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	bool ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
	close(fd);
	return ok;
}

int plat_policy_values(const char *key, struct cJSON **values, char *why, size_t whylen)
{
	*values = NULL;
	snprintf(why, whylen, "the policy is kept in the Windows registry (%s), and this is not "
		 "Windows", key);
	return KX_ENOTFOUND;
}
