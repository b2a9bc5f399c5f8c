#!/bin/bash
# Purge of SESSIONS sessions (default 1M, half idle, one refresh token each)
# while users log out: wall time of the purge, and the slowest logout call
# (how long a logout waits for the purge's row locks), for
#   1. SELECT auth_purge_sessions('7 days')               (one transaction)
#   2. CALL auth_purge_sessions_batched('7 days', 5000)   (commits per batch)
# each on a fresh copy of the same data. Prints a markdown table.
#   flock /tmp/jcv_logout.install.lock bash -c 'make -s install && bash bench/purge.sh'
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" != --inside-cluster ]; then
  exec bash test/virtualenv.sh bash "$0" --inside-cluster
fi

sessions=${SESSIONS:-1000000}
users=${USERS:-250000}
secret=bench-secret-with-at-least-32-characters-long
variants=("SELECT public.auth_purge_sessions('7 days')"
          "CALL public.auth_purge_sessions_batched('7 days', 5000)")

echo "loading $sessions sessions of $users users ..." >&2
createdb purge_template
psql -Xq -v ON_ERROR_STOP=1 -d purge_template -f test/gotrue_schema.sql >/dev/null
psql -Xq -v ON_ERROR_STOP=1 -d purge_template -v users="$users" -v sessions="$sessions" \
  -f bench/purge_setup.sql >&2
# the key in a file of the server's OS user, mode 0600 (COPY ... TO PROGRAM runs as that user)
psql -Xq -d purge_template -c "COPY (SELECT '$secret') TO PROGRAM 'umask 077 && cat > jcv_bench_secret'"

echo "plan of one purge batch:" >&2
psql -XAtq -d purge_template >&2 <<'SQL'
EXPLAIN (COSTS OFF)
SELECT s.id FROM auth.sessions s
 WHERE s.id > '00000000-0000-0000-0000-000000000000'
   AND (s.not_after < now() OR s.created_at < now() - NULL::interval
        OR coalesce(s.refreshed_at AT TIME ZONE 'UTC', GREATEST(s.updated_at, s.created_at)) < now() - interval '7 days')
 ORDER BY s.id LIMIT 5000 FOR UPDATE SKIP LOCKED;
SQL

echo "| purge | sessions removed (purge + logouts) | wall time (s) | logouts during it | slowest logout, idle user (ms) | slowest logout, active user (ms) | median logout (ms) |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for variant in "${variants[@]}"; do
  psql -Xq -d postgres -c "DROP DATABASE IF EXISTS purge_run" -c "CREATE DATABASE purge_run TEMPLATE purge_template"
  psql -Xq -d purge_run -c "LOAD 'jcv_logout'" -c "ALTER DATABASE purge_run SET jcv_logout.jwt_secret_file = 'jcv_bench_secret'"
  psql -Xq -d purge_run -c "CHECKPOINT" -c "SELECT count(*) FROM auth.sessions" >/dev/null
  stop=$(mktemp -u)
  stats=$(mktemp)
  PGDATABASE=purge_run /usr/bin/python3 bench/purge_logouts.py "$users" "$secret" "$stop" >"$stats" &
  logouts=$!
  sleep 1
  before=$(psql -XAtq -d purge_run -c "SELECT count(*) FROM auth.sessions")
  start=$(date +%s.%N)
  psql -XAtq -v ON_ERROR_STOP=1 -d purge_run -c "$variant" >/dev/null
  end=$(date +%s.%N)
  after=$(psql -XAtq -d purge_run -c "SELECT count(*) FROM auth.sessions")
  sleep 1
  touch "$stop"
  wait "$logouts"
  /usr/bin/python3 - "$variant" "$((before - after))" "$start" "$end" "$stats" <<'PY'
import json, sys
variant, ended, start, end, stats = sys.argv[1:]
s = json.load(open(stats))
print(f"| `{variant}` | {ended} | {float(end) - float(start):.1f} | "
      f"{s['idle']['calls'] + s['active']['calls']} | {s['idle']['max_ms']} | "
      f"{s['active']['max_ms']} | {s['active']['median_ms']} |")
print(f"outcomes: {s['outcomes']}", file=sys.stderr)
PY
  rm -f "$stop" "$stats"
done
