# koffix: Intune Remediations, remediation script.
# Scans the PC again and runs, for the first problem found, the first repair that the
# administrator's policy allows (HKLM\Software\Policies\koffix, AllowedRepairs). With no
# AllowedRepairs policy it runs nothing: unattended repairs need an explicit list. koffix itself
# refuses a repair the policy does not list, checks the PC before changing anything and keeps
# the run in its journal (undo: koffix actions undo RUN --yes). One repair per run: Intune runs
# detection again afterwards. Exit 0 when a repair succeeded or nothing was needed, 1 otherwise.
$ErrorActionPreference = 'Stop'
$exe = Join-Path $env:ProgramFiles 'koffix\koffix.exe'
if (-not (Test-Path $exe)) { Write-Output 'koffix is not installed'; exit 1 }
$data = Join-Path $env:ProgramData 'koffix'
New-Item -ItemType Directory -Force -Path $data | Out-Null

$policy = Get-ItemProperty -Path 'HKLM:\Software\Policies\koffix' -ErrorAction SilentlyContinue
$allowed = @()
if ($policy -and $policy.AllowedRepairs) {
    $allowed = $policy.AllowedRepairs -split '[,;]' | ForEach-Object { $_.Trim() } | Where-Object { $_ }
}
if (-not $allowed) { Write-Output 'koffix: no AllowedRepairs policy, so no unattended repair'; exit 1 }

$out = Join-Path $data 'last-scan.json'
& $exe --data $data scan --json --out $out | Out-Null
if ($LASTEXITCODE -eq 0) { Write-Output 'koffix: no problem found'; exit 0 }
if ($LASTEXITCODE -ne 1) { Write-Output "koffix: the scan could not run (exit $LASTEXITCODE)"; exit 1 }
$scan = Get-Content $out -Raw | ConvertFrom-Json

# As SYSTEM (Intune's default), the person's own settings are out of reach: the repairs of a
# user's profile and cache need "Run this script using the logged-on credentials".
$isSystem = [Security.Principal.WindowsIdentity]::GetCurrent().IsSystem
$userScope = @('rebuild-profile', 'reset-koff-cache')

foreach ($finding in ($scan.findings | Where-Object severity -eq 'problem')) {
    foreach ($action in $finding.actions) {
        if ($allowed -notcontains $action.id) { continue }
        if ($isSystem -and $userScope -contains $action.id) {
            Write-Output "koffix: $($action.id) repairs the signed-in user's settings: run this remediation with the logged-on credentials"
            continue
        }
        $params = @()
        if ($action.params) {
            foreach ($p in $action.params.PSObject.Properties) {
                if ("$($p.Value)" -ne '') { $params += @('--param', "$($p.Name)=$($p.Value)") }
            }
        }
        Write-Output "koffix: $($finding.title): running $($action.id)"
        & $exe --data $data actions run $action.id @params --yes
        exit $(if ($LASTEXITCODE -eq 0) { 0 } else { 1 })
    }
}
Write-Output 'koffix: the problems found need a repair the policy does not allow; see the scan'
exit 1
