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
# way), rounds alternating the policies; prints a markdown table: each
# policy's time, and against the same policy without auth_session_valid() in
# the same round (paired, so load that changes between rounds cancels out).
# The extension must be installed first:
#   bash bench/session_valid_policy.sh          (ROUNDS, READS per round)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" != --inside-cluster ]; then
  exec bash test/virtualenv.sh bash "$0" --inside-cluster
fi

rounds=${ROUNDS:-15}
reads=${READS:-200}
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

/usr/bin/python3 - "$rounds" "$reads" <<'PY'
import sys, psycopg
rounds, reads = int(sys.argv[1]), int(sys.argv[2])
names = ["uid", "uid_valid", "select_uid", "select_uid_valid", "select_uid_plain_valid"]
claims = ('{"aud":"authenticated","role":"authenticated",'
          '"sub":"11111111-1111-4111-8111-111111111111",'
          '"session_id":"aaaaaaaa-0000-4000-8000-000000000001"}')
with psycopg.connect(autocommit=True) as conn:
    for round_number in range(1, rounds + 1):
        for name in names:
            with psycopg.connect() as reader:
                reader.execute("SELECT set_config('request.jwt.claims', %s, true)", [claims])
                reader.execute("SET LOCAL ROLE authenticated")
                reader.execute("SELECT count(*) FROM bench.read_times(%s, 3)", [name])  # warm
                times = [row[0] for row in reader.execute(
                    "SELECT * FROM bench.read_times(%s, %s)", [name, reads]).fetchall()]
                reader.rollback()
            conn.execute("INSERT INTO bench.timings SELECT %s, %s, unnest(%s::float8[])",
                         [round_number, name, times])
PY

psql -XAt -F ' | ' <<'SQL'
WITH per_round AS (
  SELECT round, name, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS ms
    FROM bench.timings GROUP BY round, name),
 base(name, base, label) AS (VALUES
   ('uid', 'uid', '`user_id = auth.uid()`'),
   ('uid_valid', 'uid', '`user_id = auth.uid() AND auth_session_valid()`'),
   ('select_uid', 'select_uid', '`user_id = (select auth.uid())`'),
   ('select_uid_valid', 'select_uid', '`user_id = (select auth.uid()) AND (select auth_session_valid())`'),
   ('select_uid_plain_valid', 'select_uid', '`user_id = (select auth.uid()) AND auth_session_valid()`')),
 -- each round's median against its base's in the same round (paired)
 ratios AS (
  SELECT b.name, r.round, r.ms AS ms, r.ms / rb.ms AS ratio
    FROM base b JOIN per_round r ON r.name = b.name
    JOIN per_round rb ON rb.name = b.base AND rb.round = r.round),
 summary AS (
  SELECT name, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS ms,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY ratio) AS ratio,
         min(ratio) AS low, max(ratio) AS high
    FROM ratios GROUP BY name)
SELECT '| policy | ms per read (median of rounds) | against the same policy without auth_session_valid(): median of paired rounds (lowest, highest) |'
UNION ALL SELECT '|---|---:|---:|'
UNION ALL
(SELECT format('| %s | %s | %s |', b.label, round(m.ms::numeric, 3),
              CASE WHEN b.base = b.name THEN 'base'
                   ELSE format('%s %% (%s %%, %s %%)', to_char((m.ratio - 1) * 100, 'SG990.0'),
                               to_char((m.low - 1) * 100, 'SG990.0'), to_char((m.high - 1) * 100, 'SG990.0')) END)
  FROM base b JOIN summary m USING (name) ORDER BY b.base DESC, b.name <> b.base, b.name);
SQL
