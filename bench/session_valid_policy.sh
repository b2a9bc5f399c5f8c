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
# way), each round reading every table once in turn; prints a markdown table:
# each policy's time, and against the same policy without auth_session_valid()
# in the same round (paired, so drift in the machine's speed cancels out).
# The extension must be installed first:
#   bash bench/session_valid_policy.sh          (ROUNDS, default 2000)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" != --inside-cluster ]; then
  exec bash test/virtualenv.sh bash "$0" --inside-cluster
fi

rounds=${ROUNDS:-2000}
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

-- One read of a table's visible rows, a static statement (planned once and
-- kept, as PostgREST's prepared statements are): what the read costs, not
-- its planning.
CREATE FUNCTION bench.read_once(name text) RETURNS bigint LANGUAGE plpgsql AS \$\$
DECLARE
  seen bigint;
BEGIN
  CASE name
    WHEN 'uid' THEN SELECT count(title) INTO seen FROM bench.uid;
    WHEN 'uid_valid' THEN SELECT count(title) INTO seen FROM bench.uid_valid;
    WHEN 'select_uid' THEN SELECT count(title) INTO seen FROM bench.select_uid;
    WHEN 'select_uid_valid' THEN SELECT count(title) INTO seen FROM bench.select_uid_valid;
    WHEN 'select_uid_plain_valid' THEN SELECT count(title) INTO seen FROM bench.select_uid_plain_valid;
  END CASE;
  RETURN seen;
END \$\$;

-- n rounds; in each, one read of every table, in turn (so that drift in the
-- machine's speed falls on every policy alike): milliseconds per read
CREATE FUNCTION bench.read_times(names text[], n int)
RETURNS TABLE (round int, name text, ms float8) LANGUAGE plpgsql AS \$\$
DECLARE
  started timestamptz;
  seen bigint;
BEGIN
  FOR i IN 1..n LOOP
    FOREACH name IN ARRAY names LOOP
      started := clock_timestamp();
      seen := bench.read_once(name);
      IF seen <> $rows_per_user THEN
        RAISE EXCEPTION '% saw % rows', name, seen;
      END IF;
      round := i;
      ms := extract(epoch FROM clock_timestamp() - started) * 1000;
      RETURN NEXT;
    END LOOP;
  END LOOP;
END \$\$;
GRANT EXECUTE ON FUNCTION bench.read_times(text[], int), bench.read_once(text) TO authenticated;
CREATE TABLE bench.timings (round int, name text, ms float8);
SQL

/usr/bin/python3 - "$rounds" <<'PY'
import sys, psycopg
rounds = int(sys.argv[1])
names = ["uid", "uid_valid", "select_uid", "select_uid_valid", "select_uid_plain_valid"]
claims = ('{"aud":"authenticated","role":"authenticated",'
          '"sub":"11111111-1111-4111-8111-111111111111",'
          '"session_id":"aaaaaaaa-0000-4000-8000-000000000001"}')
with psycopg.connect() as conn:
    conn.execute("SELECT set_config('request.jwt.claims', %s, true)", [claims])
    conn.execute("SET LOCAL ROLE authenticated")
    conn.execute("SELECT count(*) FROM bench.read_times(%s, 3)", [names])  # warm
    rows = conn.execute("SELECT * FROM bench.read_times(%s, %s)", [names, rounds]).fetchall()
    conn.execute("RESET ROLE")
    with conn.cursor().copy("COPY bench.timings (round, name, ms) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
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
         percentile_cont(0.1) WITHIN GROUP (ORDER BY ratio) AS low,
         percentile_cont(0.9) WITHIN GROUP (ORDER BY ratio) AS high
    FROM ratios GROUP BY name)
SELECT '| policy | ms per read (median) | against the same policy without auth_session_valid(): median of paired rounds (10th, 90th percentile) |'
UNION ALL SELECT '|---|---:|---:|'
UNION ALL
(SELECT format('| %s | %s | %s |', b.label, round(m.ms::numeric, 3),
              CASE WHEN b.base = b.name THEN 'base'
                   ELSE format('%s %% (%s %%, %s %%)', to_char((m.ratio - 1) * 100, 'SG990.0'),
                               to_char((m.low - 1) * 100, 'SG990.0'), to_char((m.high - 1) * 100, 'SG990.0')) END)
  FROM base b JOIN summary m USING (name) ORDER BY b.base DESC, b.name <> b.base, b.name);
SQL
