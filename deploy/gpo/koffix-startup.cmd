@echo off
rem koffix: Group Policy computer start-up script. Writes this PC's scan (read-only) to a share:
rem   Computer Configuration > Policies > Windows Settings > Scripts > Startup
rem   Script: koffix-startup.cmd   Parameters: \\files\koffix-scans
rem The script runs as the computer account: give Domain Computers write access to the share.
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
