/* SPDX-License-Identifier: MIT */
/* The Windows side of common/platform.h (mingw-w64). */
#include <windows.h>
#include <bcrypt.h>
#include <direct.h>
#include <errno.h>
#include <io.h>
#include <string.h>

#include "platform.h"
#include "util.h"

int plat_random(void *buf, size_t n)
{
	return BCryptGenRandom(NULL, buf, (ULONG)n, BCRYPT_USE_SYSTEM_PREFERRED_RNG) == 0 ? 0
											  : KX_EIO;
}

int plat_exe_dir(char *out, size_t len)
{
	wchar_t w[MAX_PATH * 4];
	DWORD n = GetModuleFileNameW(NULL, w, (DWORD)(sizeof w / sizeof w[0]));
	if (!n || n >= sizeof w / sizeof w[0])
		return KX_EIO;
	if (!WideCharToMultiByte(CP_UTF8, 0, w, -1, out, (int)len, NULL, NULL))
		return KX_EIO;
	char *slash = strrchr(out, '\\');
	if (!slash)
		return KX_EIO;
	*slash = '\0';
	return 0;
}

long long plat_pid(void)
{
	return (long long)GetCurrentProcessId();
}

bool plat_process_alive(long long pid)
{
	if (pid <= 0 || pid == plat_pid())
		return false;
	HANDLE h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, (DWORD)pid);
	if (!h)
		return false;
	DWORD code = 0;
	bool alive = GetExitCodeProcess(h, &code) && code == STILL_ACTIVE;
	CloseHandle(h);
	return alive;
}

int plat_mkdir(const char *path)
{
	return _mkdir(path) == 0 || errno == EEXIST ? 0 : KX_EIO;
}

int plat_replace(const char *src, const char *dst)
{
	return MoveFileExA(src, dst, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH) ? 0
											     : KX_EIO;
}

int plat_fsync(int fd)
{
	return _commit(fd) == 0 ? 0 : KX_EIO;
}

static HANDLE stop_event;

static BOOL WINAPI on_console(DWORD type)
{
	(void)type;
	SetEvent(stop_event);
	return TRUE;
}

void plat_prepare_stop(void)
{
	stop_event = CreateEventW(NULL, TRUE, FALSE, NULL);
	SetConsoleCtrlHandler(on_console, TRUE);
}

int plat_wait_for_stop(void)
{
	WaitForSingleObject(stop_event, INFINITE);
	return 2; /* "interrupt" in the log, as SIGINT is on POSIX */
}
