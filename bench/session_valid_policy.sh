#!/bin/bash
# What auth_session_valid() adds to a row level security policy: one user
# reads 10,000 of their rows (of 20,000, by an indexed user_id) as the role
# authenticated, with the claims PostgREST sets, under four policies:
#   uid              user_id = auth.uid()
#   uid + valid      user_id = auth.uid() AND auth_session_valid()
#   select uid       user_id = (select auth.uid())
#   select uid + valid   user_id = (select auth.uid()) AND (select auth_session_valid())
# plus the mixed "select uid + valid" (a per-row call beside the cheap form).
# Timed inside the server (clock_timestamp around each read, no client in the
# way), rounds alternating the policies; prints a markdown table of medians
# and of each policy against the same policy without auth_session_valid().
# The extension must be installed first:
#   bash bench/session_valid_policy.sh          (ROUNDS, READS per round)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" != --inside-cluster ]; then
  exec bash test/virtualenv.sh bash "$0" --inside-cluster
fi

rounds=${ROUNDS:-7}
reads=${READS:-20}
rows_per_user=10000

psql -Xq -v ON_ERROR_STOP=1 >/dev/null <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN
    CREATE ROLE authenticated NOLOGIN NOINHERIT;
  END IF;
END \$\$;
\i test/fixture.sql
GRANT USAGE ON SCHEMA auth TO authenticated;
GRANT EXECUTE ON FUNCTION auth.uid() TO authenticated;
CREATE SCHEMA bench;
GRANT USAGE ON SCHEMA bench TO authenticated;
-- alice's and bob's rows, interleaved
CREATE TABLE bench.todos_template AS
SELECT i AS id, CASE WHEN i % 2 = 0 THEN '11111111-1111-4111-8111-111111111111'::uuid
                     ELSE '22222222-2222-4222-8222-222222222222'::uuid END AS user_id,
       'todo ' || i AS title
  FROM generate_series(1, 2 * $rows_per_user) AS i;

CREATE FUNCTION bench.make_table(name text, policy text) RETURNS void LANGUAGE plpgsql AS \$\$
BEGIN
  EXECUTE format('CREATE TABLE bench.%I AS TABLE bench.todos_template', name);
  EXECUTE format('ALTER TABLE bench.%I ADD PRIMARY KEY (id)', name);
  EXECUTE format('CREATE INDEX ON bench.%I (user_id)', name);
  EXECUTE format('ALTER TABLE bench.%I ENABLE ROW LEVEL SECURITY', name);
  EXECUTE format('CREATE POLICY p ON bench.%I FOR SELECT TO authenticated USING (%s)', name, policy);
  EXECUTE format('GRANT SELECT ON bench.%I TO authenticated', name);
  EXECUTE format('ANALYZE bench.%I', name);
END \$\$;
SELECT bench.make_table('uid', 'user_id = auth.uid()');
SELECT bench.make_table('uid_valid', 'user_id = auth.uid() AND auth_session_valid()');
SELECT bench.make_table('select_uid', 'user_id = (select auth.uid())');
SELECT bench.make_table('select_uid_valid', 'user_id = (select auth.uid()) AND (select auth_session_valid())');
SELECT bench.make_table('select_uid_plain_valid', 'user_id = (select auth.uid()) AND auth_session_valid()');

-- milliseconds of each of n reads of all the table's visible rows
CREATE FUNCTION bench.read_times(name text, n int) RETURNS SETOF float8 LANGUAGE plpgsql AS \$\$
DECLARE
  started timestamptz;
  seen bigint;
BEGIN
  FOR i IN 1..n LOOP
    started := clock_timestamp();
    EXECUTE format('SELECT count(title) FROM bench.%I', name) INTO seen;
    IF seen <> $rows_per_user THEN
      RAISE EXCEPTION '% saw % rows', name, seen;
    END IF;
    RETURN NEXT extract(epoch FROM clock_timestamp() - started) * 1000;
  END LOOP;
END \$\$;
GRANT EXECUTE ON FUNCTION bench.read_times(text, int) TO authenticated;
CREATE TABLE bench.timings (round int, name text, ms float8);
SQL

names=(uid uid_valid select_uid select_uid_valid select_uid_plain_valid)
claims='{"aud":"authenticated","role":"authenticated","sub":"11111111-1111-4111-8111-111111111111","session_id":"aaaaaaaa-0000-4000-8000-000000000001"}'
for round in $(seq 1 "$rounds"); do
  for name in "${names[@]}"; do
    psql -Xq -v ON_ERROR_STOP=1 -v claims="$claims" -v name="$name" -v round="$round" -v reads="$reads" >/dev/null <<'SQL'
BEGIN;
SELECT set_config('request.jwt.claims', :'claims', true);
CREATE TEMP TABLE round_times ON COMMIT DROP AS SELECT 0::float8 AS ms WITH NO DATA;
GRANT INSERT ON round_times TO authenticated;
SET LOCAL ROLE authenticated;
INSERT INTO round_times SELECT * FROM bench.read_times(:'name', :reads);
RESET ROLE;
INSERT INTO bench.timings SELECT :round, :'name', ms FROM round_times;
COMMIT;
SQL
  done
done

psql -XAt -F ' | ' <<'SQL'
WITH medians AS (
  SELECT name, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS ms,
         percentile_cont(0.1) WITHIN GROUP (ORDER BY ms) AS p10,
         percentile_cont(0.9) WITHIN GROUP (ORDER BY ms) AS p90
    FROM bench.timings GROUP BY name),
 base(name, base) AS (VALUES ('uid', 'uid'), ('uid_valid', 'uid'), ('select_uid', 'select_uid'),
                             ('select_uid_valid', 'select_uid'), ('select_uid_plain_valid', 'select_uid'))
SELECT '| policy | median ms (10th–90th) | against the same policy without auth_session_valid() |'
UNION ALL SELECT '|---|---:|---:|'
UNION ALL
SELECT format('| %s | %s (%s–%s) | %s |',
              CASE m.name WHEN 'uid' THEN '`user_id = auth.uid()`'
                          WHEN 'uid_valid' THEN '`user_id = auth.uid() AND auth_session_valid()`'
                          WHEN 'select_uid' THEN '`user_id = (select auth.uid())`'
                          WHEN 'select_uid_valid' THEN '`user_id = (select auth.uid()) AND (select auth_session_valid())`'
                          ELSE '`user_id = (select auth.uid()) AND auth_session_valid()`' END,
              round(m.ms::numeric, 2), round(m.p10::numeric, 2), round(m.p90::numeric, 2),
              CASE WHEN b.base = m.name THEN 'base'
                   ELSE to_char((m.ms / bm.ms - 1) * 100, 'SG990.0') || ' %' END)
  FROM medians m JOIN base b USING (name) JOIN medians bm ON bm.name = b.base;
SQL
psql -XAt -c "EXPLAIN (COSTS OFF) SELECT count(title) FROM bench.uid_valid" \
  -c "SET ROLE authenticated" \
  -c "SELECT set_config('request.jwt.claims', '$claims', false)" \
  -c "EXPLAIN (COSTS OFF) SELECT count(title) FROM bench.uid_valid" | sed 's/^/    /' >&2
