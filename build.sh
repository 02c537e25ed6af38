#!/usr/bin/env bash
# Bootstraps and runs the build program (build/_build.csproj), the way NUKE's build.sh does:
# use the dotnet on PATH when it satisfies global.json, else install that SDK into .nuke/temp with dotnet-install.
set -eo pipefail

# The physical path (-P): reached through a symbolic link, MSBuild would see the project under the link's path and the
# compiler the sources under the real one, and .editorconfig would then apply to none of them.
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
BUILD_PROJECT_FILE="$SCRIPT_DIR/build/_build.csproj"
BUILD_OUTPUT="$SCRIPT_DIR/.nuke/temp/bin"
TEMP_DIRECTORY="$SCRIPT_DIR/.nuke/temp"
DOTNET_GLOBAL_FILE="$SCRIPT_DIR/global.json"
DOTNET_INSTALL_URL="https://dot.net/v1/dotnet-install.sh"

export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export DOTNET_MULTILEVEL_LOOKUP=0
# The build program suggests commands with the script that started it.
export AGENTSYSTEM_BUILD_SCRIPT=./build.sh

fail() { echo "build.sh: $*" >&2; exit 1; }

# 'dotnet --version' run inside the repository fails when no installed SDK satisfies global.json.
if command -v dotnet >/dev/null 2>&1 && (cd "$SCRIPT_DIR" && dotnet --version >/dev/null 2>&1); then
    DOTNET_EXE="$(command -v dotnet)"
else
    DOTNET_DIRECTORY="$TEMP_DIRECTORY/dotnet-unix"
    DOTNET_EXE="$DOTNET_DIRECTORY/dotnet"
    if [[ ! -x "$DOTNET_EXE" ]] || ! (cd "$SCRIPT_DIR" && "$DOTNET_EXE" --version >/dev/null 2>&1); then
        DOTNET_VERSION=$(sed -n 's/.*"version"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$DOTNET_GLOBAL_FILE" | head -n 1)
        [[ -n "$DOTNET_VERSION" ]] || fail "no SDK version in $DOTNET_GLOBAL_FILE"
        CHANNEL="${DOTNET_VERSION%.*}"; CHANNEL="${CHANNEL%.*}.0"
        echo "No .NET SDK satisfying global.json ($DOTNET_VERSION, rollForward) is on PATH; installing channel $CHANNEL into $DOTNET_DIRECTORY"
        mkdir -p "$TEMP_DIRECTORY"
        INSTALL_SCRIPT="$TEMP_DIRECTORY/dotnet-install.sh"
        if ! curl -fsSL "$DOTNET_INSTALL_URL" -o "$INSTALL_SCRIPT" 2>/dev/null && ! wget -q "$DOTNET_INSTALL_URL" -O "$INSTALL_SCRIPT" 2>/dev/null; then
            fail "could not download $DOTNET_INSTALL_URL. Install the .NET SDK $CHANNEL (https://dotnet.microsoft.com/download) and put 'dotnet' on PATH, then run this again."
        fi
        chmod +x "$INSTALL_SCRIPT"
        "$INSTALL_SCRIPT" --install-dir "$DOTNET_DIRECTORY" --channel "$CHANNEL" --no-path \
            || fail "dotnet-install failed. Install the .NET SDK $CHANNEL yourself and put 'dotnet' on PATH."
    fi
    export DOTNET_ROOT="$DOTNET_DIRECTORY"
    export PATH="$DOTNET_DIRECTORY:$PATH"
fi

# Rebuild the build program only when its inputs are newer than the last build of it: build/, the repository's build
# settings, and the sources it links from elsewhere (<Compile Include="../..."> in its project).
STAMP="$BUILD_OUTPUT/_build.dll"
LINKED=()
while IFS= read -r linked; do
    LINKED+=("$SCRIPT_DIR/build/$linked")
done < <(sed -n 's/.*<Compile Include="\([^"]*\)".*/\1/p' "$BUILD_PROJECT_FILE")
if [[ ! -f "$STAMP" ]] || [[ -n "$(find "$SCRIPT_DIR/build" "$SCRIPT_DIR/Directory.Build.props" "$SCRIPT_DIR/Directory.Packages.props" \
        "$SCRIPT_DIR/global.json" "$SCRIPT_DIR/nuget.config" "${LINKED[@]}" -type f -newer "$STAMP" -not -path '*/bin/*' -not -path '*/obj/*' -print -quit)" ]]; then
    echo "Compiling the build program (build/)..."
    # The stamp gets the moment the compile started: a source saved while it ran is newer, so the next run compiles again.
    # (A marker file and touch -r: macOS's date and touch have no %N and no -d @.)
    STARTED="$BUILD_OUTPUT.compile-started"
    mkdir -p "$(dirname "$STARTED")"
    touch "$STARTED"
    trap 'echo "Interrupted while compiling the build program: the next run compiles it again." >&2; exit 130' INT
    if ! BUILD_LOG=$("$DOTNET_EXE" build "$BUILD_PROJECT_FILE" -o "$BUILD_OUTPUT" -nologo --verbosity quiet -nodeReuse:false 2>&1); then
        echo "$BUILD_LOG" >&2
        fail "the build program failed to compile (see above)"
    fi
    trap - INT
    touch -r "$STARTED" "$STAMP"
fi

# exec, so Ctrl+C and SIGTERM reach the build program, which stops its child processes.
cd "$SCRIPT_DIR"
exec "$DOTNET_EXE" "$BUILD_OUTPUT/_build.dll" "$@"
