#!/bin/bash
# Initialises an empty PGDATA the way the official postgres image does, then runs the server in the foreground.
# The image carries a cluster made by "initialise-image" at build time (PGDATA_INITIALISED, for the image's user and
# password, marked as such): a start copies it into an empty PGDATA, or runs on it in place when PGDATA names it, and
# adjusts it in single-user mode (password, database) instead of running initdb and a private server, which took
# about a second.
set -euo pipefail
shopt -s nullglob

readonly image_user=postgres image_password=postgres image_auth=scram-sha-256
# In a cluster the image made and no start has adjusted yet.
readonly unadjusted=.made-by-image

# $1 directory, $2 superuser, $3 password, $4 authentication method for TCP connections.
init_cluster() {
    mkdir -p "$1"
    chmod 700 "$1"
    initdb --username="$2" --pwfile=<(printf '%s\n' "$3") --auth-local=trust --auth-host="$4" \
        --encoding=UTF8 --locale=C.UTF-8 -D "$1" >/dev/null
    printf "\nlisten_addresses = '*'\n" >> "$1/postgresql.conf"
}

if [ "${1:-}" = 'initialise-image' ]; then
    init_cluster "$PGDATA_INITIALISED" "$image_user" "$image_password" "$image_auth"
    touch "$PGDATA_INITIALISED/$unadjusted"
    exit 0
fi

if [ "${1:0:1}" = '-' ]; then
    set -- postgres "$@"
fi

if [ "$1" = 'postgres' ] && { [ ! -s "$PGDATA/PG_VERSION" ] || [ -e "$PGDATA/$unadjusted" ]; }; then
    : "${POSTGRES_USER:=postgres}"
    : "${POSTGRES_DB:=$POSTGRES_USER}"
    auth="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"
    if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$auth" != 'trust' ]; then
        echo >&2 'error: database is uninitialized and POSTGRES_PASSWORD is not set.'
        echo >&2 '       Set POSTGRES_PASSWORD, or POSTGRES_HOST_AUTH_METHOD=trust for a throwaway test database.'
        exit 1
    fi
    if [[ ! "$auth" =~ ^[a-z0-9-]+$ ]]; then
        echo >&2 "error: POSTGRES_HOST_AUTH_METHOD '$auth' is not an authentication method."
        exit 1
    fi

    if [ ! -s "$PGDATA/PG_VERSION" ]; then
        if [ "$POSTGRES_USER" = "$image_user" ] && [ -e "${PGDATA_INITIALISED:-}/$unadjusted" ]; then
            mkdir -p "$PGDATA"
            chmod 700 "$PGDATA"
            cp -a "$PGDATA_INITIALISED/." "$PGDATA/"
        else
            init_cluster "$PGDATA" "$POSTGRES_USER" "${POSTGRES_PASSWORD:-}" "$auth"
        fi
    fi

    statements=()
    if [ -e "$PGDATA/$unadjusted" ]; then
        if [ "$POSTGRES_USER" != "$image_user" ]; then
            echo >&2 "error: $PGDATA was initialised by the image for user $image_user, not $POSTGRES_USER."
            exit 1
        fi
        sed -i -E "s/^(host\s.*\s)$image_auth\s*$/\1$auth/" "$PGDATA/pg_hba.conf"
        if [ -z "${POSTGRES_PASSWORD:-}" ]; then
            statements+=("ALTER ROLE $image_user PASSWORD NULL;")
        elif [ "$POSTGRES_PASSWORD" != "$image_password" ]; then
            quote="'"
            statements+=("ALTER ROLE $image_user PASSWORD '${POSTGRES_PASSWORD//$quote/$quote$quote}';")
        fi
    fi
    printf 'host all all all %s\n' "$auth" >> "$PGDATA/pg_hba.conf"
    if [ "$POSTGRES_DB" != 'postgres' ]; then
        statements+=("CREATE DATABASE \"${POSTGRES_DB//\"/\"\"}\";")
    fi
    if [ ${#statements[@]} -gt 0 ]; then
        # With the server's own options (fsync=off for tests). -j: a statement ends at ";" and an empty line, so a
        # password may hold newlines. A failed statement is never logged (it may hold the password), and single-user
        # mode reports an error and goes on, so look for one.
        output=$(printf '%s\n\n' "${statements[@]}" \
            | postgres --single -j -D "$PGDATA" -c log_min_error_statement=panic "${@:2}" postgres 2>&1)
        if grep -q 'ERROR:' <<<"$output"; then
            echo >&2 "error: initialising the database failed:"
            grep -v 'STATEMENT:' <<<"$output" >&2
            exit 1
        fi
    fi

    scripts=(/docker-entrypoint-initdb.d/*)
    if [ ${#scripts[@]} -gt 0 ]; then
        # A private, socket-only server for the init scripts, so no client connects before they are done.
        pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -k /var/run/postgresql" -w start >/dev/null
        psql=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc -h /var/run/postgresql)
        for f in "${scripts[@]}"; do
            case "$f" in
                *.sh) echo "running $f"; . "$f" ;;
                *.sql) echo "running $f"; "${psql[@]}" --dbname "$POSTGRES_DB" -f "$f" >/dev/null ;;
                *) echo "ignoring $f" ;;
            esac
        done
        pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
    fi
    rm -f "$PGDATA/$unadjusted"
    echo 'PostgreSQL init process complete; ready for start up.'
fi

exec "$@"
