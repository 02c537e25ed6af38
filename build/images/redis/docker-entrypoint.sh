#!/bin/sh
set -e
# "docker run redis --appendonly yes" means "redis-server --appendonly yes", as with the official image.
if [ "${1#-}" != "$1" ]; then
    set -- redis-server --protected-mode no --dir /data "$@"
fi
exec "$@"
