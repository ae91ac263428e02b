#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and benchmarks, in a directory of
# its own on a free loopback port (never the system service):
#   scripts/pg_cluster.sh start DIR   # prints the postgres:// URL
#   scripts/pg_cluster.sh stop DIR
# `start` on a DIR that holds a stopped cluster starts it again on its port
# (tests use that to take the database away and bring it back).
# Runs the server as the `postgres` user when invoked as root. Durability
# settings are relaxed (fsync off: the data is thrown away afterwards) unless
# PG_DURABLE=1 (benchmarks: every commit reaches the disk).
set -euo pipefail
cmd="${1:-}"
dir="${2:-}"
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
[ -x "$bin/initdb" ] || { echo "pg_cluster: PostgreSQL not installed; run scripts/install_deps.sh" >&2; exit 1; }
as_pg() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "$cmd" in
  start)
    mkdir -p "$dir"
    if [ "$(id -u)" = "0" ]; then
      chown postgres "$dir"
      # The server user must reach DIR through its parent (mktemp dirs are 0700).
      chmod a+x "$(dirname "$dir")"
    fi
    if [ -f "$dir/port" ]; then
      port="$(cat "$dir/port")"
    else
      port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
      as_pg "$bin/initdb" -D "$dir/data" -A trust -U postgres --no-sync >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; exit 1; }
      echo "$port" >"$dir/port"
    fi
    opts="-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=400"
    if [ "${PG_DURABLE:-0}" != "1" ]; then
      opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    fi
    as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o "$opts" start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    [ -d "$dir/data" ] && as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
