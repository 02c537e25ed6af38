#!/usr/bin/env pwsh
# Bootstraps and runs the build program (build/_build.csproj), the way NUKE's build.ps1 does:
# use the dotnet on PATH when it satisfies global.json, else install that SDK into .nuke/temp with dotnet-install.
# No Param block: with one, PowerShell would bind its common parameters (-v would become -Verbose) and the build
# program would never see them. $args holds every argument as given.
$BuildArguments = $args

Set-StrictMode -Version 2.0
$ErrorActionPreference = "Stop"
[Net.ServicePointManager]::SecurityProtocol = [Net.SecurityProtocolType]::Tls12

# The physical path: reached through a symbolic link, MSBuild would see the project under the link's path and the
# compiler the sources under the real one, and .editorconfig would then apply to none of them. Setting the process's
# working directory and reading it back resolves every link on the way (getcwd), as `pwd -P` does in build.sh.
$PreviousDirectory = [Environment]::CurrentDirectory
[Environment]::CurrentDirectory = Split-Path $MyInvocation.MyCommand.Path -Parent
$ScriptDir = [Environment]::CurrentDirectory
[Environment]::CurrentDirectory = $PreviousDirectory
$BuildProjectFile = Join-Path $ScriptDir "build/_build.csproj"
$TempDirectory = Join-Path $ScriptDir ".nuke/temp"
$BuildOutput = Join-Path $TempDirectory "bin"
$DotNetGlobalFile = Join-Path $ScriptDir "global.json"
$DotNetInstallUrl = "https://dot.net/v1/dotnet-install.ps1"

$env:DOTNET_CLI_TELEMETRY_OPTOUT = 1
$env:DOTNET_NOLOGO = 1
$env:DOTNET_SKIP_FIRST_TIME_EXPERIENCE = 1
$env:DOTNET_MULTILEVEL_LOOKUP = 0
# The build program suggests commands with the script that started it.
$env:AGENTSYSTEM_BUILD_SCRIPT = "./build.ps1"

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
            Write-Error "Could not download $DotNetInstallUrl. Install the .NET SDK $Channel (https://dotnet.microsoft.com/download) and put 'dotnet' on PATH, then run this again." -ErrorAction Continue
            exit 1
        }
        & $InstallScript -InstallDir $DotNetDirectory -Channel $Channel -NoPath
        if ($LASTEXITCODE -ne 0) { Write-Error "dotnet-install failed. Install the .NET SDK $Channel yourself and put 'dotnet' on PATH." -ErrorAction Continue; exit 1 }
    }
    $env:DOTNET_ROOT = $DotNetDirectory
    $env:PATH = "$DotNetDirectory$([IO.Path]::PathSeparator)$env:PATH"
}

# Rebuild the build program only when its inputs are newer than the last build of it: build/, the repository's build
# settings, and the sources it links from elsewhere (<Compile Include="../..."> in its project).
$Stamp = Join-Path $BuildOutput "_build.dll"
$Stale = -not (Test-Path $Stamp)
if (-not $Stale) {
    $Built = (Get-Item $Stamp).LastWriteTimeUtc
    $Inputs = @(Get-ChildItem (Join-Path $ScriptDir "build") -Recurse -File | Where-Object { $_.FullName -notmatch '[\\/](bin|obj)[\\/]' }) +
        @("Directory.Build.props", "Directory.Packages.props", "global.json", "nuget.config" | ForEach-Object { Join-Path $ScriptDir $_ } | Where-Object { Test-Path $_ } | Get-Item) +
        @(Select-String -Path $BuildProjectFile -Pattern '<Compile Include="([^"]+)"' | ForEach-Object { Join-Path (Join-Path $ScriptDir "build") $_.Matches[0].Groups[1].Value } | Where-Object { Test-Path $_ } | Get-Item)
    $Stale = @($Inputs | Where-Object { $_.LastWriteTimeUtc -gt $Built }).Count -gt 0
}
if ($Stale) {
    Write-Output "Compiling the build program (build/)..."
    # The stamp gets the moment the compile started: a source saved while it ran is newer, so the next run compiles again.
    $Started = [DateTime]::UtcNow
    $BuildLog = & $DotNetExe build $BuildProjectFile -o $BuildOutput -nologo --verbosity quiet -nodeReuse:false 2>&1
    if ($LASTEXITCODE -ne 0) { $BuildLog | Write-Output; Write-Error "The build program failed to compile (see above)." -ErrorAction Continue; exit $LASTEXITCODE }
    (Get-Item $Stamp).LastWriteTimeUtc = $Started
}

Push-Location $ScriptDir
# A failure to start the build program leaves this, not the compile's 0, for the exit below.
$global:LASTEXITCODE = 1
try {
    & $DotNetExe (Join-Path $BuildOutput "_build.dll") @BuildArguments
}
finally {
    Pop-Location
    # The exit is here, not after the call: on Ctrl+C (SIGINT to the whole process group) PowerShell waits for the build
    # program, which stops its children and exits 130, then stops this script; only a finally block still runs, and
    # without an exit in it pwsh ended with 0 or 1, not the build program's 130.
    exit $LASTEXITCODE
}
