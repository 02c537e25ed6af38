#!/usr/bin/env pwsh
# Bootstraps and runs the build program (build/_build.csproj), the way NUKE's build.ps1 does:
# use the dotnet on PATH when it satisfies global.json, else install that SDK into .nuke/temp with dotnet-install.
[CmdletBinding()]
Param(
    [Parameter(Position = 0, Mandatory = $false, ValueFromRemainingArguments = $true)]
    [string[]]$BuildArguments
)

Set-StrictMode -Version 2.0
$ErrorActionPreference = "Stop"
[Net.ServicePointManager]::SecurityProtocol = [Net.SecurityProtocolType]::Tls12

$ScriptDir = Split-Path $MyInvocation.MyCommand.Path -Parent
$BuildProjectFile = Join-Path $ScriptDir "build/_build.csproj"
$TempDirectory = Join-Path $ScriptDir ".nuke/temp"
$BuildOutput = Join-Path $TempDirectory "bin"
$DotNetGlobalFile = Join-Path $ScriptDir "global.json"
$DotNetInstallUrl = "https://dot.net/v1/dotnet-install.ps1"

$env:DOTNET_CLI_TELEMETRY_OPTOUT = 1
$env:DOTNET_NOLOGO = 1
$env:DOTNET_SKIP_FIRST_TIME_EXPERIENCE = 1
$env:DOTNET_MULTILEVEL_LOOKUP = 0

function Test-Sdk([string]$Exe) {
    # 'dotnet --version' run inside the repository fails when no installed SDK satisfies global.json.
    Push-Location $ScriptDir
    try { & $Exe --version *> $null; return $LASTEXITCODE -eq 0 } catch { return $false } finally { Pop-Location }
}

$DotNet = Get-Command "dotnet" -ErrorAction SilentlyContinue
if ($null -ne $DotNet -and (Test-Sdk $DotNet.Source)) {
    $DotNetExe = $DotNet.Source
}
else {
    $DotNetDirectory = Join-Path $TempDirectory $(if ($IsWindows -or $env:OS -eq "Windows_NT") { "dotnet-win" } else { "dotnet-unix" })
    $DotNetExe = Join-Path $DotNetDirectory $(if ($IsWindows -or $env:OS -eq "Windows_NT") { "dotnet.exe" } else { "dotnet" })
    if (-not (Test-Path $DotNetExe) -or -not (Test-Sdk $DotNetExe)) {
        $Version = (Get-Content $DotNetGlobalFile -Raw | ConvertFrom-Json).sdk.version
        $Channel = ($Version -split '\.')[0..1] -join '.'
        Write-Output "No .NET SDK satisfying global.json ($Version, rollForward) is on PATH; installing channel $Channel into $DotNetDirectory"
        New-Item -ItemType Directory -Path $TempDirectory -Force | Out-Null
        $InstallScript = Join-Path $TempDirectory "dotnet-install.ps1"
        try {
            (New-Object System.Net.WebClient).DownloadFile($DotNetInstallUrl, $InstallScript)
        }
        catch {
            Write-Error "Could not download $DotNetInstallUrl. Install the .NET SDK $Channel (https://dotnet.microsoft.com/download) and put 'dotnet' on PATH, then run this again."
            exit 1
        }
        & $InstallScript -InstallDir $DotNetDirectory -Channel $Channel -NoPath
        if ($LASTEXITCODE -ne 0) { Write-Error "dotnet-install failed. Install the .NET SDK $Channel yourself and put 'dotnet' on PATH."; exit 1 }
    }
    $env:DOTNET_ROOT = $DotNetDirectory
    $env:PATH = "$DotNetDirectory$([IO.Path]::PathSeparator)$env:PATH"
}

Write-Output "Compiling the build program (build/)..."
$BuildLog = & $DotNetExe build $BuildProjectFile -o $BuildOutput -nologo --verbosity quiet -nodeReuse:false 2>&1
if ($LASTEXITCODE -ne 0) { $BuildLog | Write-Output; Write-Error "The build program failed to compile (see above)."; exit $LASTEXITCODE }

Push-Location $ScriptDir
try {
    & $DotNetExe (Join-Path $BuildOutput "_build.dll") @BuildArguments
    exit $LASTEXITCODE
}
finally { Pop-Location }
