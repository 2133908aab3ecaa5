/* SPDX-License-Identifier: MIT */
/* The Windows side of common/platform.h (mingw-w64). */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <bcrypt.h>
#include <direct.h>
#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <objbase.h>
#include <shellapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "platform.h"
#include "util.h"

static UINT console_cp;

static void restore_console(void)
{
	SetConsoleOutputCP(console_cp);
}

void plat_init(void)
{
	/* Tickets and scripts written to stdout keep their exact bytes (CRLF stays CRLF). */
	_setmode(_fileno(stdout), _O_BINARY);
	/* UTF-8 in the console while koffix runs; the window's own code page again after. */
	console_cp = GetConsoleOutputCP();
	if (console_cp && console_cp != CP_UTF8 && SetConsoleOutputCP(CP_UTF8))
		atexit(restore_console);
}

bool plat_gmtime(time_t t, struct tm *out)
{
	return gmtime_s(out, &t) == 0;
}

time_t plat_timegm(struct tm *tm)
{
	return _mkgmtime(tm);
}

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

/* Creates path and its missing parents; "C:" and "\\\\server\\share" need no creating. */
int plat_mkdir(const char *path)
{
	size_t n = strlen(path);
	char *p = xmalloc(n + 1);
	memcpy(p, path, n + 1);
	size_t start = 0;
	if (n >= 2 && p[1] == ':')
		start = 2;
	else if (n >= 2 && (p[0] == '\\' || p[0] == '/') && (p[1] == '\\' || p[1] == '/')) {
		/* \\server\share: skip both names. */
		int seps = 0;
		for (start = 2; start < n && seps < 2; start++)
			if (p[start] == '\\' || p[start] == '/')
				seps++;
	}
	int rc = 0;
	for (size_t i = start + 1; i <= n; i++) {
		if (i < n && p[i] != '\\' && p[i] != '/')
			continue;
		char c = p[i];
		p[i] = '\0';
		if (_mkdir(p) != 0 && errno != EEXIST) {
			struct _stat st;
			if (_stat(p, &st) != 0 || !(st.st_mode & _S_IFDIR))
				rc = KX_EIO;
		}
		p[i] = c;
		if (rc)
			break;
	}
	free(p);
	return rc;
}

int plat_create(const char *path, bool private_file)
{
	(void)private_file;
	return _open(path, _O_WRONLY | _O_CREAT | _O_EXCL | _O_BINARY | _O_NOINHERIT,
		     _S_IREAD | _S_IWRITE);
}

int plat_private_dir(const char *path)
{
	return plat_mkdir(path);
}

int plat_private_file(const char *path, bool create)
{
	(void)path;
	(void)create;
	return 0;
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
	SetEvent(stop_event);
	/* Closing the window, logging off or shutting down ends the process as soon as this
	 * handler returns: hold it (Windows allows about five seconds) while the main thread
	 * stops the server and closes the database; its exit ends this thread too. */
	if (type == CTRL_CLOSE_EVENT || type == CTRL_LOGOFF_EVENT || type == CTRL_SHUTDOWN_EVENT)
		Sleep(4500);
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

/*
 * Child processes: CreateProcessW with pipes, in a job object so that killing it ends the
 * whole tree. The command line is built from argv with the quoting rules of
 * CommandLineToArgvW, in UTF-16.
 */
struct plat_child {
	HANDLE process, job, in, out;
	bool ended;
};

static wchar_t *widen(const char *s)
{
	int n = MultiByteToWideChar(CP_UTF8, 0, s, -1, NULL, 0);
	wchar_t *w = xmalloc((size_t)(n > 0 ? n : 1) * sizeof *w);
	if (n <= 0 || !MultiByteToWideChar(CP_UTF8, 0, s, -1, w, n))
		w[0] = L'\0';
	return w;
}

static void quote_arg(wchar_t *out, size_t *len, size_t cap, const wchar_t *arg)
{
	size_t n = *len;
#define PUT(ch) do { if (n + 1 < cap) out[n++] = (ch); } while (0)
	PUT(L'"');
	for (const wchar_t *p = arg;; p++) {
		size_t slashes = 0;
		while (*p == L'\\') {
			p++;
			slashes++;
		}
		if (!*p || *p == L'"') {
			/* Backslashes before a quote (or the closing quote) are doubled. */
			for (size_t i = 0; i < slashes * 2 + (*p == L'"'); i++)
				PUT(L'\\');
			if (!*p)
				break;
			PUT(L'"');
		} else {
			for (size_t i = 0; i < slashes; i++)
				PUT(L'\\');
			PUT(*p);
		}
	}
	PUT(L'"');
	PUT(L' ');
#undef PUT
	out[n] = L'\0';
	*len = n;
}

int plat_spawn(const char *const *argv, bool show_stderr, const char *env_add,
	       struct plat_child **out)
{
	(void)env_add; /* only Wine's debug switch uses it, and Wine does not run here */
	SECURITY_ATTRIBUTES sa = { sizeof sa, NULL, TRUE };
	HANDLE in_r, in_w, out_r, out_w;
	if (!CreatePipe(&in_r, &in_w, &sa, 0))
		return KX_EIO;
	if (!CreatePipe(&out_r, &out_w, &sa, 0)) {
		CloseHandle(in_r);
		CloseHandle(in_w);
		return KX_EIO;
	}
	SetHandleInformation(in_w, HANDLE_FLAG_INHERIT, 0);
	SetHandleInformation(out_r, HANDLE_FLAG_INHERIT, 0);
	size_t cap = 32768, len = 0;
	wchar_t *cmd = xmalloc(cap * sizeof *cmd);
	cmd[0] = L'\0';
	for (size_t i = 0; argv[i]; i++) {
		wchar_t *w = widen(argv[i]);
		quote_arg(cmd, &len, cap, w);
		free(w);
	}
	/* The child inherits its pipe ends and nothing else: not the listening socket, not the
	 * pipes of an agent another thread starts at the same moment. */
	HANDLE err_h = NULL;
	if (show_stderr)
		DuplicateHandle(GetCurrentProcess(), GetStdHandle(STD_ERROR_HANDLE),
				GetCurrentProcess(), &err_h, 0, TRUE, DUPLICATE_SAME_ACCESS);
	HANDLE inherit[3] = { in_r, out_w, err_h };
	SIZE_T attr_size = 0;
	InitializeProcThreadAttributeList(NULL, 1, 0, &attr_size);
	LPPROC_THREAD_ATTRIBUTE_LIST attrs = xmalloc(attr_size ? attr_size : 64);
	bool have_list = InitializeProcThreadAttributeList(attrs, 1, 0, &attr_size) &&
			 UpdateProcThreadAttribute(attrs, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, inherit,
						   (err_h ? 3 : 2) * sizeof(HANDLE), NULL, NULL);
	STARTUPINFOEXW si = { .StartupInfo = { .cb = sizeof si, .dwFlags = STARTF_USESTDHANDLES,
					       .hStdInput = in_r, .hStdOutput = out_w,
					       .hStdError = err_h },
			      .lpAttributeList = have_list ? attrs : NULL };
	PROCESS_INFORMATION pi;
	struct plat_child *c = xcalloc(1, sizeof *c);
	c->job = CreateJobObjectW(NULL, NULL);
	/* Not CREATE_SUSPENDED: a child created suspended stays suspended for ever when koffix
	 * dies before resuming it. It joins its job at once instead; a child that starts other
	 * programs only after reading its stdin (the agent) keeps them all in the job, as its
	 * input comes later. */
	BOOL ok = CreateProcessW(NULL, cmd, NULL, NULL, TRUE,
				 CREATE_NO_WINDOW | (have_list ? EXTENDED_STARTUPINFO_PRESENT : 0),
				 NULL, NULL, &si.StartupInfo, &pi);
	if (have_list)
		DeleteProcThreadAttributeList(attrs);
	free(attrs);
	free(cmd);
	CloseHandle(in_r);
	CloseHandle(out_w);
	if (err_h)
		CloseHandle(err_h);
	if (!ok) {
		CloseHandle(in_w);
		CloseHandle(out_r);
		if (c->job)
			CloseHandle(c->job);
		free(c);
		return KX_EIO;
	}
	/* Without nested jobs (Windows 7, when koffix itself runs in one) the assignment fails:
	 * the child is then ended on its own, not through an empty job. */
	if (c->job && !AssignProcessToJobObject(c->job, pi.hProcess)) {
		CloseHandle(c->job);
		c->job = NULL;
	}
	CloseHandle(pi.hThread);
	c->process = pi.hProcess;
	c->in = in_w;
	c->out = out_r;
	*out = c;
	return 0;
}

int plat_child_send(struct plat_child *c, const void *data, size_t len)
{
	DWORD put = 0;
	BOOL ok = WriteFile(c->in, data, (DWORD)len, &put, NULL);
	CloseHandle(c->in);
	c->in = NULL;
	return ok && put == len ? 0 : KX_EIO;
}

long plat_child_read(struct plat_child *c, void *buf, size_t max, int timeout_ms)
{
	/* Anonymous pipes have no overlapped reads: look before reading, in short naps. */
	for (int waited = 0;; waited += 20) {
		DWORD avail = 0;
		if (!PeekNamedPipe(c->out, NULL, 0, NULL, &avail, NULL))
			return -1;
		if (avail) {
			DWORD got = 0;
			if (!ReadFile(c->out, buf, avail < max ? avail : (DWORD)max, &got, NULL) || !got)
				return -1;
			return (long)got;
		}
		if (waited >= timeout_ms)
			return 0;
		Sleep(20);
	}
}

int plat_child_wait(struct plat_child *c, int timeout_ms, int *code)
{
	if (!c->ended && WaitForSingleObject(c->process, (DWORD)timeout_ms) != WAIT_OBJECT_0)
		return 0;
	c->ended = true;
	DWORD exit = 0;
	GetExitCodeProcess(c->process, &exit);
	*code = (int)(exit & 0xff);
	return 1;
}

void plat_child_kill(struct plat_child *c)
{
	if (c->ended)
		return;
	if (c->job)
		TerminateJobObject(c->job, 1460);
	else
		TerminateProcess(c->process, 1460);
	WaitForSingleObject(c->process, 5000);
	c->ended = true;
}

void plat_child_free(struct plat_child *c)
{
	if (!c)
		return;
	if (c->in)
		CloseHandle(c->in);
	CloseHandle(c->out);
	CloseHandle(c->process);
	if (c->job)
		CloseHandle(c->job);
	free(c);
}

int plat_data_dir(char *out, size_t len)
{
	const wchar_t *base = _wgetenv(L"LOCALAPPDATA");
	if (!base || !*base)
		return KX_EIO;
	int n = WideCharToMultiByte(CP_UTF8, 0, base, -1, out, (int)len, NULL, NULL);
	if (n <= 0 || (size_t)n + sizeof "\\koffix" > len)
		return KX_EIO;
	strcat(out, "\\koffix");
	return 0;
}

const char *plat_default_backend(void)
{
	return "agent";
}

bool plat_runs_agent(void)
{
	return true;
}

bool plat_bare_start_serves(void)
{
	return true;
}

int plat_abs_path(const char *path, char *out, size_t len)
{
	return _fullpath(out, path, len) ? 0 : KX_EIO;
}

int plat_open_url(const char *url)
{
	const char *browser = getenv("KOFFIX_BROWSER");
	if (browser && *browser) {
		const char *argv[] = { browser, url, NULL };
		struct plat_child *c;
		if (plat_spawn(argv, false, NULL, &c) != 0)
			return KX_EIO;
		plat_child_send(c, "", 0);
		int code = 0;
		/* Still running after that: it is the browser itself, which goes on without koffix
		 * (the job object does not end its processes when its handle closes). */
		int ended = plat_child_wait(c, 2000, &code);
		plat_child_free(c);
		return ended && code ? KX_EIO : 0;
	}
	/* The shell may hand the URL to a COM handler: COM first, as ShellExecute asks. */
	HRESULT com = CoInitializeEx(NULL, COINIT_APARTMENTTHREADED | COINIT_DISABLE_OLE1DDE);
	wchar_t *w = widen(url);
	HINSTANCE h = ShellExecuteW(NULL, L"open", w, NULL, NULL, SW_SHOWNORMAL);
	free(w);
	if (SUCCEEDED(com))
		CoUninitialize();
	return (INT_PTR)h > 32 ? 0 : KX_EIO;
}

bool plat_port_listens(const char *addr, unsigned port)
{
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	if (port == 0 || port > 65535 || inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return false;
	WSADATA wsa;
	if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0)
		return false;
	SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
	bool ok = s != INVALID_SOCKET && connect(s, (struct sockaddr *)&sa, sizeof sa) == 0;
	if (s != INVALID_SOCKET)
		closesocket(s);
	WSACleanup();
	return ok;
}

int plat_policy_values(const char *key, struct cJSON **values, char *why, size_t whylen)
{
	*values = NULL;
	if (strncmp(key, "HKLM\\", 5) != 0) {
		snprintf(why, whylen, "only HKLM keys are read, not %s", key);
		return KX_EINVAL;
	}
	wchar_t *sub = widen(key + 5);
	HKEY h;
	/* Policies are shared by the 32- and 64-bit views; ask for the 64-bit one explicitly. */
	LONG rc = sub ? RegOpenKeyExW(HKEY_LOCAL_MACHINE, sub, 0, KEY_READ | KEY_WOW64_64KEY, &h) :
		  ERROR_OUTOFMEMORY;
	free(sub);
	if (rc == ERROR_FILE_NOT_FOUND) {
		*values = cJSON_CreateObject();
		return 0;
	}
	if (rc != ERROR_SUCCESS) {
		snprintf(why, whylen, "%s could not be read (Windows error %ld)", key, (long)rc);
		return KX_EIO;
	}
	cJSON *out = cJSON_CreateObject();
	enum { DATA_CHARS = 8192 };
	wchar_t *buf = xmalloc(DATA_CHARS * sizeof(wchar_t));
	for (DWORD i = 0; i < 256; i++) {
		wchar_t name[256];
		DWORD nlen = 256, type = 0, bytes = (DATA_CHARS - 1) * sizeof(wchar_t);
		rc = RegEnumValueW(h, i, name, &nlen, NULL, &type, (BYTE *)buf, &bytes);
		if (rc == ERROR_NO_MORE_ITEMS)
			break;
		char n8[512], v8[16384];
		if ((rc != ERROR_SUCCESS && rc != ERROR_MORE_DATA) ||
		    !WideCharToMultiByte(CP_UTF8, 0, name, -1, n8, sizeof n8, NULL, NULL))
			continue;
		/* A value that is there but cannot be read as text is said so (null): a limit such
		 * as AllowedRepairs must not vanish because it was long or of another type. */
		if (rc == ERROR_MORE_DATA || (type != REG_SZ && type != REG_EXPAND_SZ &&
					      type != REG_MULTI_SZ)) {
			cJSON_AddNullToObject(out, n8);
			continue;
		}
		size_t nch = bytes / sizeof(wchar_t);
		buf[nch] = L'\0';
		/* REG_MULTI_SZ: its strings joined with commas, as a list. */
		for (size_t k = 0; type == REG_MULTI_SZ && k + 1 < nch; k++)
			if (buf[k] == L'\0')
				buf[k] = L',';
		if (WideCharToMultiByte(CP_UTF8, 0, buf, -1, v8, sizeof v8, NULL, NULL))
			cJSON_AddStringToObject(out, n8, v8);
		else
			cJSON_AddNullToObject(out, n8);
	}
	free(buf);
	RegCloseKey(h);
	*values = out;
	return 0;
}
