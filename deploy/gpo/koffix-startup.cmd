@echo off
rem koffix: Group Policy script that writes this PC's scan (read-only) to a share. Best as a
rem user LOGON script, so that the scan sees the person's Outlook profiles:
rem   User Configuration > Policies > Windows Settings > Scripts > Logon
rem   Script: koffix-startup.cmd   Parameters: \\files\koffix-scans
rem (give Domain Users write access, Creator Owner full control, to the share). As a computer
rem start-up script it runs as SYSTEM before anyone signs in, so it reads no one's Outlook
rem settings: readiness then says "cannot tell" for those checks.
rem Then, on the administrator's machine: koffix fleet import \\files\koffix-scans
setlocal
set "SHARE=%~1"
if "%SHARE%"=="" (
	echo usage: koffix-startup.cmd \\server\share 1>&2
	exit /b 64
)
set "KOFFIX=%ProgramFiles%\koffix\koffix.exe"
if not exist "%KOFFIX%" (
	echo koffix is not installed in %ProgramFiles%\koffix 1>&2
	exit /b 3
)
if not exist "%ProgramData%\koffix" mkdir "%ProgramData%\koffix"
"%KOFFIX%" --data "%ProgramData%\koffix" scan --json --out "%SHARE%\%COMPUTERNAME%.json" >nul
exit /b %ERRORLEVEL%
