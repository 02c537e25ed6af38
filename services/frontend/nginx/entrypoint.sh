#!/bin/sh
# Renders /etc/agentsystem/nginx.conf with the gateway's address and the API key from the environment into /tmp (the
# root file system may be read-only), then runs nginx in the foreground.
#   GATEWAY_URL  where nginx reaches the gateway     (default http://gateway:8080)
#   API_KEY      sent to the gateway as X-Api-Key     (default empty: no key)
#   ALLOWED_HOSTS  host names the UI is served under besides localhost and IP addresses, comma-separated ("*": any;
#                  see the frontend's README)
set -eu

gateway="${GATEWAY_URL:-http://gateway:8080}"
gateway="${gateway%/}"
key="${API_KEY:-}"

# Both land inside nginx's configuration: refuse anything that could change its meaning.
if ! printf '%s' "$gateway" | grep -Eq '^https?://[A-Za-z0-9.-]+(:[0-9]+)?$'; then
    echo "frontend: GATEWAY_URL must be http(s)://host[:port] with no path, got '$gateway'" >&2
    exit 1
fi
# (grep finds no line in empty input: no key is checked separately.)
if [ -n "$key" ] && ! printf '%s' "$key" | grep -Eq '^[A-Za-z0-9._~+/=-]+$'; then
    echo "frontend: API_KEY may hold only letters, digits and . _ ~ + / = -" >&2
    exit 1
fi

# nginx.conf's map of allowed hosts: localhost and IP addresses pass (no one else can point them here; rebinding needs a
# name its attacker controls), and the names listed besides, as the gateway's Gateway:AllowedHosts; "*" lets all pass.
allowed="${ALLOWED_HOSTS:-}"
if [ "$(printf '%s' "$allowed" | tr -d '[:space:]')" = "*" ]; then
    echo 'default "";' > /tmp/allowed-hosts.conf
    served="any host"
else
    cat > /tmp/allowed-hosts.conf <<'MAP'
default "the host is not localhost, an IP address or a name in ALLOWED_HOSTS";
"\localhost" "";
~^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ "";
~^\[[0-9a-f:.]+\]$ "";
MAP
    set -f   # the list is split on blanks below, never globbed
    hosts=""
    for host in $(printf '%s' "$allowed" | tr ',' ' '); do
        if ! printf '%s' "$host" | grep -Eq '^[A-Za-z0-9.-]+$|^\[[0-9A-Fa-f:.]+\]$'; then
            echo "frontend: ALLOWED_HOSTS holds host names (or [IPv6] addresses) separated by commas, got '$host'" >&2
            exit 1
        fi
        hosts="$hosts$host
"
    done
    # nginx compares map keys without case and refuses a repeated one (localhost is in the map already); the backslash
    # keeps a host named like a map keyword (default, include, hostnames) a plain name.
    listed=$(printf '%s' "$hosts" | tr '[:upper:]' '[:lower:]' | sort -u | grep -vx 'localhost' || true)
    for host in $listed; do
        printf '"\\%s" "";\n' "$host"
    done >> /tmp/allowed-hosts.conf
    served="localhost and IP addresses$(for host in $listed; do printf ', %s' "$host"; done)"
fi

sed -e "s|@GATEWAY_URL@|$gateway|g" -e "s|@API_KEY@|$key|g" /etc/agentsystem/nginx.conf > /tmp/nginx.conf
echo "frontend: serving on :3000, /api/ -> $gateway (api key $([ -n "$key" ] && echo set || echo 'not set'); hosts: $served)"
exec nginx -c /tmp/nginx.conf -e stderr -g 'daemon off;'
