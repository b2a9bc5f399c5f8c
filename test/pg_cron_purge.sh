#!/bin/bash
# The purge as pg_cron runs it: a cluster with pg_cron preloaded schedules
# CALL auth_purge_sessions_batched(...) every minute (Debian 12's pg_cron
# 1.4 has no seconds schedules), waits for cron.job_run_details to report
# the run, and checks which sessions are gone. Prints "... ok|FAILED" lines.
#   bash test/pg_cron_purge.sh   (the extension installed; starts its own cluster)
# Where pg_cron is not installed for PG_CONFIG's server (Debian 12 packages
# it for 15 only), the suite says it is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
. test/pg_target.sh

if [ "${1:-}" != --inside-cluster ]; then
  if [ ! -f "$("$PG_CONFIG" --sharedir)/extension/pg_cron.control" ]; then
    echo "pg_cron purge ... skipped (pg_cron is not installed for PostgreSQL $PG_MAJOR:" \
      "no pg_cron.control in $("$PG_CONFIG" --sharedir)/extension)"
    exit 0
  fi
  exec bash test/virtualenv.sh -o shared_preload_libraries=pg_cron \
    -o cron.database_name=postgres -o cron.use_background_workers=on \
    bash "$0" --inside-cluster
fi

WAIT_SECONDS=${WAIT_SECONDS:-150}
check() {  # check NAME SQL: ok when the query answers t
  if [ "$(psql -XAtq -c "$2")" = t ]; then echo "$1 ... ok"; else echo "$1 ... FAILED"; fi
}

psql -Xq -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
\i test/fixture.sql
CREATE EXTENSION pg_cron;
-- 200 sessions of carol, idle since 2020; alice's and bob's live ones stay
INSERT INTO auth.sessions (id, user_id, created_at, updated_at, aal)
SELECT gen_random_uuid(), '33333333-3333-4333-8333-333333333333', '2020-01-01', '2020-01-01', 'aal1'
  FROM generate_series(1, 200);
-- The schedule the README recommends, with small batches to see commits
SELECT cron.schedule('jcv-logout-purge', '* * * * *',
                     $$CALL public.auth_purge_sessions_batched('7 days', 50)$$);
SQL

deadline=$((SECONDS + WAIT_SECONDS))
status=
while [ $SECONDS -lt $deadline ]; do
  status=$(psql -XAtq -c "SELECT status FROM cron.job_run_details WHERE status IN ('succeeded', 'failed') ORDER BY start_time LIMIT 1")
  [ -n "$status" ] && break
  sleep 2
done
psql -XAtq -c "SELECT 'pg_cron: ' || status || ' ' || coalesce(return_message, '') FROM cron.job_run_details ORDER BY start_time LIMIT 1"

check "pg_cron ran the purge and it succeeded" "SELECT '$status' = 'succeeded'"
check "pg_cron purge ended the idle and expired sessions" \
  "SELECT NOT EXISTS (SELECT FROM auth.sessions WHERE user_id = '33333333-3333-4333-8333-333333333333' OR not_after < now() OR created_at < '2021-01-01')"
check "pg_cron purge kept the live sessions" \
  "SELECT count(*) = 2 FROM auth.sessions"
check "pg_cron purge left no orphan refresh token" \
  "SELECT NOT EXISTS (SELECT FROM auth.refresh_tokens r WHERE r.session_id IS NOT NULL AND NOT EXISTS (SELECT FROM auth.sessions s WHERE s.id = r.session_id))"
# now() is the transaction's start: several distinct audit times mean the
# procedure committed between batches under pg_cron.
check "pg_cron purge committed between batches" \
  "SELECT count(DISTINCT created_at) >= 4 FROM auth.audit_log_entries WHERE payload->'traits'->>'jcv_logout_action' = 'auth_purge_sessions'"
