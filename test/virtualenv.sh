#!/bin/bash
# Runs COMMAND against a throwaway PostgreSQL cluster on a free port, with the
# PG* variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE) pointing at
# it, so several clusters (suites, benchmarks, other checkouts) can run at once.
#   bash test/virtualenv.sh [-o setting=value]... COMMAND...
# The server is PG_CONFIG's (test/pg_target.sh). A version Debian manages gets
# pg_virtualenv (private cluster directory). Any other installation (built
# from source, say /opt/pg17) gets its own initdb and pg_ctl in a temporary
# directory, run as user postgres when started as root, configured as
# pg_virtualenv's clusters are (password over TCP on localhost, peer on the
# socket, fsync off); JCV_PGDATA and JCV_SERVER_LOG then name its data
# directory and server log (test/support/server_log.py restarts and reads it).
set -euo pipefail
. "$(dirname "$0")/pg_target.sh"

port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
if [ -n "$PG_DEBIAN" ]; then
  exec pg_virtualenv -v "$PG_MAJOR" -t -c "-p $port" "$@"
fi

settings=()
while [ "${1:-}" = -o ] && [ $# -ge 2 ]; do
  settings+=("$2")
  shift 2
done
if [ $# -eq 0 ]; then
  echo "usage: bash test/virtualenv.sh [-o setting=value]... COMMAND..." >&2
  exit 2
fi

# The server never runs as root: as root, the cluster belongs to postgres.
if [ "$(id -u)" = 0 ]; then
  as_server() { runuser -u postgres -- "$@"; }
  user=postgres
else
  as_server() { "$@"; }
  user=$(id -un)
fi

work=$(mktemp -d /tmp/jcv_cluster.XXXXXX)
[ "$(id -u)" = 0 ] && chown postgres: "$work"
log=$work/server.log
stop_cluster() {
  as_server "$PG_BINDIR/pg_ctl" -D "$work/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap stop_cluster EXIT

PGPASSWORD=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
(umask 077 && echo "$PGPASSWORD" >"$work/pwfile")
[ "$(id -u)" = 0 ] && chown postgres: "$work/pwfile"
as_server "$PG_BINDIR/initdb" -D "$work/data" -U "$user" --pwfile="$work/pwfile" \
  --auth-local=peer --auth-host=scram-sha-256 --no-sync >"$work/initdb.log" 2>&1 || {
  cat "$work/initdb.log" >&2
  exit 1
}
{
  echo "port = $port"
  echo "listen_addresses = 'localhost'"
  echo "unix_socket_directories = '$work'"
  echo "fsync = off"
  echo "log_line_prefix = '%m [%p] %q%u@%d '"
  for setting in "${settings[@]}"; do
    value=${setting#*=}
    echo "${setting%%=*} = '${value//\'/\'\'}'"
  done
} >>"$work/data/postgresql.conf"
as_server "$PG_BINDIR/pg_ctl" -D "$work/data" -l "$log" -w start >/dev/null || {
  tail -n 50 "$log" >&2
  exit 1
}

unset PGHOSTADDR PGSERVICE
export PGHOST=localhost PGPORT=$port PGUSER=$user PGPASSWORD PGDATABASE=postgres
export PGVERSION=$PG_MAJOR JCV_PGDATA=$work/data JCV_SERVER_LOG=$log
status=0
"$@" || status=$?
if [ "$status" -ne 0 ]; then
  echo "*** $log (last 100 lines) ***"
  tail -n 100 "$log"
fi
exit "$status"
