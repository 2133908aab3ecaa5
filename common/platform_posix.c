/* SPDX-License-Identifier: MIT */
/* The POSIX side of common/platform.h (Linux). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "platform.h"
#include "util.h"

int plat_random(void *buf, size_t n)
{
	FILE *f = fopen("/dev/urandom", "rb");
	int rc = f && fread(buf, 1, n, f) == n ? 0 : KX_EIO;
	if (f)
		fclose(f);
	return rc;
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
