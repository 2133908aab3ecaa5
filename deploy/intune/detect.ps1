# koffix: Intune Remediations, detection script.
# Runs koffix's read-only scan of this PC and returns its exit code: 0 no problem found
# (compliant), 1 problems found (Intune then runs remediate.ps1), 3 the scan could not run.
# Run it as SYSTEM, 64-bit PowerShell: the scan reads the signed-in person's Outlook settings
# (with no one signed in, it says so). The scan is kept in %ProgramData%\koffix\last-scan.json
# (and, when $Share is set, written to the share for `koffix fleet import`).
$ErrorActionPreference = 'Stop'
$Share = ''   # for example '\\files\koffix-scans'; empty: no copy on a share

$exe = Join-Path $env:ProgramFiles 'koffix\koffix.exe'
if (-not (Test-Path $exe)) { Write-Output 'koffix is not installed'; exit 3 }
$data = Join-Path $env:ProgramData 'koffix'
New-Item -ItemType Directory -Force -Path $data | Out-Null
$out = Join-Path $data 'last-scan.json'
& $exe --data $data scan --json --out $out | Out-Null
$code = $LASTEXITCODE
if ($Share -and (Test-Path $out)) {
    Copy-Item $out (Join-Path $Share "$env:COMPUTERNAME.json") -Force -ErrorAction SilentlyContinue
}
switch ($code) {
    0 { Write-Output 'koffix: no problem found' }
    1 {
        $scan = Get-Content $out -Raw | ConvertFrom-Json
        $titles = ($scan.findings | Where-Object severity -eq 'problem' | ForEach-Object title) -join '; '
        Write-Output "koffix: $titles"
    }
    default { Write-Output "koffix: the scan could not run (exit $code)" }
}
exit $code
