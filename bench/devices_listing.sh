#!/bin/bash
# What a "where you're signed in" listing costs inside the server:
# auth_sessions(token) for a user signed in 50 times (each session with its
# sign-in methods), among 20,000 sessions of 10,000 other users. Timed with
# clock_timestamp() around each call in one backend (no client in the way),
# the token verified every call as it is for a request; prints the median and
# the 90th/99th percentiles in ms, then one EXPLAIN ANALYZE of the call.
# The extension must be installed first:
#   bash bench/devices_listing.sh            (ROUNDS, default 2000; SESSIONS, default 50)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" != --inside-cluster ]; then
  exec bash test/virtualenv.sh bash "$0" --inside-cluster
fi

rounds=${ROUNDS:-2000}
sessions=${SESSIONS:-50}

psql -Xq -v ON_ERROR_STOP=1 >/dev/null <<SQL
\i test/fixture.sql
SELECT jcv_test.write_secret_file('super-secret-jwt-token-with-at-least-32-characters-long') IS NOT NULL;
ALTER DATABASE postgres SET jcv_logout.jwt_secret_file = 'jcv_jwt_secret';
-- 10,000 other users with two sessions each
INSERT INTO auth.users (instance_id, id, aud, role, email, created_at, updated_at)
SELECT '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated',
       'user' || i || '@example.com', now(), now()
  FROM generate_series(1, 10000) AS i;
INSERT INTO auth.sessions (id, user_id, created_at, updated_at, aal, refreshed_at, user_agent, ip)
SELECT gen_random_uuid(), u.id, now() - interval '1 day', now(), 'aal1', now() AT TIME ZONE 'UTC',
       'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0', '198.51.100.1'
  FROM auth.users u, generate_series(1, 2)
 WHERE u.email LIKE 'user%';
-- alice: the token's session (alice_s1, from the fixture) and $sessions - 1 more,
-- each with password and, for half of them, totp
INSERT INTO auth.sessions (id, user_id, created_at, updated_at, aal, refreshed_at, user_agent, ip)
SELECT gen_random_uuid(), '11111111-1111-4111-8111-111111111111', now() - i * interval '1 hour', now(),
       'aal1', (now() - i * interval '1 minute') AT TIME ZONE 'UTC',
       'MyApp/2.3 (iPhone; iOS 18.1) device ' || i, '203.0.113.7'
  FROM generate_series(1, $sessions - 1) AS i;
DELETE FROM auth.sessions WHERE user_id = '11111111-1111-4111-8111-111111111111'
   AND id IN ('aaaaaaaa-0000-4000-8000-000000000002', 'aaaaaaaa-0000-4000-8000-000000000003');
INSERT INTO auth.mfa_amr_claims (session_id, created_at, updated_at, authentication_method, id)
SELECT s.id, now(), now(), m.method, gen_random_uuid()
  FROM auth.sessions s, (VALUES ('password'), ('totp')) AS m(method)
 WHERE m.method = 'password' OR right(s.id::text, 1) < '8'
ON CONFLICT DO NOTHING;
VACUUM ANALYZE auth.sessions;
VACUUM ANALYZE auth.mfa_amr_claims;
VACUUM ANALYZE auth.users;
SQL

psql -Xq -v ON_ERROR_STOP=1 -At <<SQL
SELECT 'sessions of the user listed: ' || count(*) FROM auth_sessions(jcv_test.token('alice_s1'));
DO \$\$
DECLARE
  token text := jcv_test.token('alice_s1');
  started timestamptz;
  times float8[] := '{}';
BEGIN
  PERFORM count(*) FROM auth_sessions(token);   -- the statements are planned once per backend
  FOR i IN 1..$rounds LOOP
    started := clock_timestamp();
    PERFORM count(*) FROM auth_sessions(token);
    times := times || extract(epoch FROM clock_timestamp() - started) * 1000;
  END LOOP;
  RAISE NOTICE 'auth_sessions(), $sessions sessions, $rounds calls: median % ms, p90 % ms, p99 % ms',
    (SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY t)::numeric, 3) FROM unnest(times) t),
    (SELECT round(percentile_cont(0.9) WITHIN GROUP (ORDER BY t)::numeric, 3) FROM unnest(times) t),
    (SELECT round(percentile_cont(0.99) WITHIN GROUP (ORDER BY t)::numeric, 3) FROM unnest(times) t);
END
\$\$;
EXPLAIN (ANALYZE, COSTS OFF, TIMING ON) SELECT * FROM auth_sessions(jcv_test.token('alice_s1'));
SQL
