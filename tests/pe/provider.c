/* SPDX-License-Identifier: MIT */
/*
 * A stand-in for kofmsp.dll, built by tests/pe/build-fixtures.sh for the DLL check's tests. It
 * exports the two entry points a MAPI service provider has, and does nothing at all.
 */
#include <windows.h>

BOOL WINAPI DllMain(HINSTANCE inst, DWORD reason, LPVOID reserved)
{
	(void)inst;
	(void)reason;
	(void)reserved;
	return TRUE;
}

__declspec(dllexport) long MSProviderInit(void)
{
	return 0x80004001L; /* E_NOTIMPL: a fixture, not a provider */
}

__declspec(dllexport) long XPProviderInit(void)
{
	return 0x80004001L;
}
