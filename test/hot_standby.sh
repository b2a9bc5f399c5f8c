#!/bin/bash
# The session check on a hot standby, as PostgREST read replicas use it: a
# primary, a streaming replica made by pg_basebackup, a logout on the
# primary, and the replica refusing the session once it has replayed it.
# Prints "... ok|FAILED" lines.
#   bash test/hot_standby.sh   (the extension installed; starts its own clusters)
set -euo pipefail
cd "$(dirname "$0")/.."
. test/pg_target.sh

if [ "${1:-}" != --inside-cluster ]; then
  # The primary keeps sessions found alive (the session cache); a standby
  # never does, whatever its configuration.
  exec bash test/virtualenv.sh -o shared_preload_libraries=jcv_logout bash "$0" --inside-cluster
fi

WAIT_SECONDS=${WAIT_SECONDS:-60}
bindir=$PG_BINDIR
standby=$(mktemp -d /tmp/jcv_standby.XXXXXX)
chown postgres: "$standby"
chmod 700 "$standby"
stop_standby() {
  su postgres -s /bin/sh -c "$bindir/pg_ctl -D '$standby/data' -m immediate -w stop" >/dev/null 2>&1 || true
  rm -rf "$standby"
}
trap stop_standby EXIT

# The primary: Supabase Auth's schema and rows, the extension, the key.
psql -Xq -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
\i test/fixture.sql
SELECT jcv_test.write_secret_file('super-secret-jwt-token-with-at-least-32-characters-long');
ALTER SYSTEM SET jcv_logout.jwt_secret_file = 'jcv_jwt_secret';
SELECT pg_reload_conf();
SQL

# The replica, streaming from the primary, on a socket of its own.
su postgres -s /bin/sh -c "PGPASSWORD='$PGPASSWORD' $bindir/pg_basebackup -h '$PGHOST' -p '$PGPORT' -U '$PGUSER' -D '$standby/data' -R -X stream -c fast"
cat >"$standby/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$standby'
port = $PGPORT
hot_standby = on
shared_preload_libraries = 'jcv_logout'
CONF
echo "local all all trust" >"$standby/data/pg_hba.conf"
chown postgres: "$standby/data/postgresql.conf" "$standby/data/pg_hba.conf"
su postgres -s /bin/sh -c "$bindir/pg_ctl -D '$standby/data' -l '$standby/log' -w start" >/dev/null

on_standby() { psql -XAtq -h "$standby" -p "$PGPORT" -U "$PGUSER" -d "$PGDATABASE" "$@" 2>&1; }
check() {  # check NAME ACTUAL EXPECTED
  if [ "$2" = "$3" ]; then echo "$1 ... ok"; else echo "$1 ... FAILED: got '$2', want '$3'"; fi
}

alice=11111111-1111-4111-8111-111111111111
claims() { echo "{\"role\":\"authenticated\",\"sub\":\"$alice\",\"session_id\":\"$1\"}"; }
s1=$(claims aaaaaaaa-0000-4000-8000-000000000001)
s2=$(claims aaaaaaaa-0000-4000-8000-000000000002)
token_s1=$(psql -XAtq -c "SELECT jcv_test.token('alice_s1')")

# The ways a replica is asked: the db-pre-request function, the
# require_session setting inside a read-only request, auth_session_active.
pre_request() {
  on_standby -v claims="$1" <<'SQL' | tail -n 1
BEGIN READ ONLY;
SELECT set_config('request.jwt.claims', :'claims', true) IS NULL;
SELECT auth_require_session()::text || 'passes';
SQL
}
require_session_setting() {
  on_standby -v claims="$1" <<'SQL' | tail -n 1
SET jcv_logout.require_session = on;
BEGIN READ ONLY;
SELECT set_config('request.jwt.claims', :'claims', true) IS NULL;
SELECT 'passes';
SQL
}
session_active() { on_standby -c "SELECT auth_session_active('$1')"; }
# ... the devices list (PostgREST's GET: a read-only transaction), one line:
# last two digits of each session id, * for the token's own
devices() {
  on_standby -c "SELECT string_agg(right(id::text, 2) || CASE WHEN current THEN '*' ELSE '' END, ',')
                   FROM auth_sessions(jcv_test.token('$1'))"
}
# ... and the row level security check, as a policy calls it
session_valid() {
  on_standby -v claims="$1" <<'SQL' | tail -n 1
BEGIN READ ONLY;
SELECT set_config('request.jwt.claims', :'claims', true) IS NULL;
SELECT auth_session_valid();
SQL
}

check standby_is_in_recovery "$(on_standby -c 'SELECT pg_is_in_recovery()')" t
check standby_pre_request_live_session "$(pre_request "$s1")" passes
check standby_setting_live_session "$(require_session_setting "$s1")" passes
check standby_session_active_live "$(session_active "$token_s1")" t
check standby_session_valid_live "$(session_valid "$s1")" t
check standby_devices_listed "$(devices alice_s2)" "01,02*"

# Device 1 logs out on the primary; the replica refuses it once replayed.
lsn=$(psql -XAtq -c "SELECT auth_logout('$token_s1', 'local') IS NOT NULL" -c 'SELECT pg_current_wal_lsn()' | tail -n 1)
deadline=$((SECONDS + WAIT_SECONDS))
until [ "$(on_standby -c "SELECT pg_last_wal_replay_lsn() >= '$lsn'")" = t ]; do
  if [ $SECONDS -ge $deadline ]; then echo "standby_replayed_logout ... FAILED: not replayed in ${WAIT_SECONDS}s"; exit 1; fi
  sleep 0.2
done
echo "standby_replayed_logout ... ok"

gone="ERROR:  UNAUTHORIZED: session from access token does not exist"
check standby_pre_request_after_logout "$(pre_request "$s1")" "$gone"
check standby_setting_after_logout "$(require_session_setting "$s1")" "$gone"
check standby_session_active_after_logout "$(session_active "$token_s1")" f
check standby_session_valid_after_logout "$(session_valid "$s1")" f
check standby_session_valid_other_device "$(session_valid "$s2")" t
check standby_other_device_still_passes "$(pre_request "$s2")" passes
check standby_devices_after_logout "$(devices alice_s2)" "02*"
check standby_setting_other_device_still_passes "$(require_session_setting "$s2")" passes
# A logout sent to a replica deletes nothing and says so in the contract's terms
check standby_logout_refused "$(on_standby -c "SELECT auth_logout(jcv_test.token('alice_s2'), 'local')" | head -n 1)" "ERROR:  LOGOUT_ERROR: logout failed"
