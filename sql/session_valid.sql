-- auth_session_valid() for row level security: every shape of
-- request.jwt.claims and its answer, never an error for the claims. One
-- statement walks all the shapes, changing the claims per row, as Realtime
-- does per subscriber (test/services_replay.py replays the services).
CREATE FUNCTION pg_temp.valid_with(claims text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_catalog.set_config('request.jwt.claims', claims, true);
  RETURN auth_session_valid();
END
$$;

BEGIN;
SELECT auth_session_valid() AS no_claims_set;
SELECT shape, pg_temp.valid_with(claims) AS valid
  FROM (VALUES
    ('empty', ''),
    ('anon', '{"role": "anon"}'),
    ('service_role, a dead session', '{"role": "service_role", "sub": "11111111-1111-4111-8111-111111111111", "session_id": "dddddddd-0000-4000-8000-000000000009"}'),
    ('no session_id', '{"role": "authenticated", "sub": "11111111-1111-4111-8111-111111111111"}'),
    ('nil session', '{"role": "authenticated", "sub": "11111111-1111-4111-8111-111111111111", "session_id": "00000000-0000-0000-0000-000000000000"}'),
    ('live session', '{"role": "authenticated", "sub": "11111111-1111-4111-8111-111111111111", "session_id": "aaaaaaaa-0000-4000-8000-000000000001"}'),
    ('live session, upper case ids', '{"role": "authenticated", "sub": "11111111-1111-4111-8111-111111111111", "session_id": "AAAAAAAA-0000-4000-8000-000000000001"}'),
    ('foreign sub', '{"role": "authenticated", "sub": "22222222-2222-4222-8222-222222222222", "session_id": "aaaaaaaa-0000-4000-8000-000000000001"}'),
    ('unknown session', '{"role": "authenticated", "sub": "11111111-1111-4111-8111-111111111111", "session_id": "dddddddd-0000-4000-8000-000000000009"}'),
    ('ended session (not_after)', '{"role": "authenticated", "sub": "11111111-1111-4111-8111-111111111111", "session_id": "aaaaaaaa-0000-4000-8000-000000000003"}'),
    ('not JSON', '{"role": "authenticated", "session_id": '),
    ('JSON array', '["session_id"]'),
    ('duplicate session_id', '{"sub": "11111111-1111-4111-8111-111111111111", "session_id": "aaaaaaaa-0000-4000-8000-000000000001", "session_id": "aaaaaaaa-0000-4000-8000-000000000001"}'),
    ('session_id not a uuid', '{"role": "authenticated", "sub": "11111111-1111-4111-8111-111111111111", "session_id": "not-a-uuid"}'),
    ('session_id a number', '{"role": "authenticated", "sub": "11111111-1111-4111-8111-111111111111", "session_id": 7}'),
    ('sub not a uuid', '{"role": "authenticated", "sub": "alice", "session_id": "aaaaaaaa-0000-4000-8000-000000000001"}'),
    ('over 64 kB', '{"role": "anon", "pad": "' || repeat('x', 65536) || '"}'),
    ('live session again', '{"role": "authenticated", "sub": "11111111-1111-4111-8111-111111111111", "session_id": "aaaaaaaa-0000-4000-8000-000000000001"}')
  ) AS v(shape, claims);
ROLLBACK;

-- A session limit ends the session here too: alice's second session has
-- not been refreshed since 2020
BEGIN;
SET LOCAL jcv_logout.idle_timeout = '7d';
SELECT pg_temp.valid_with('{"sub": "11111111-1111-4111-8111-111111111111", "session_id": "aaaaaaaa-0000-4000-8000-000000000002"}') AS idle_session;
SET LOCAL jcv_logout.idle_timeout = 0;
SELECT pg_temp.valid_with('{"sub": "11111111-1111-4111-8111-111111111111", "session_id": "aaaaaaaa-0000-4000-8000-000000000002"}') AS without_limit;
ROLLBACK;

-- In a policy: the user's own rows while the session lives, none once it is
-- logged out, in the same transaction (the logout's delete is a new command)
CREATE TABLE jcv_test.todos (id int PRIMARY KEY, user_id uuid NOT NULL, title text NOT NULL);
INSERT INTO jcv_test.todos
SELECT i, CASE WHEN i % 2 = 0 THEN '11111111-1111-4111-8111-111111111111'::uuid
               ELSE '22222222-2222-4222-8222-222222222222'::uuid END, 'todo ' || i
  FROM generate_series(1, 10) AS i;
ALTER TABLE jcv_test.todos ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_live_session ON jcv_test.todos FOR SELECT
  USING (user_id = (pg_catalog.current_setting('request.jwt.claims', true)::jsonb ->> 'sub')::uuid
         AND auth_session_valid());
CREATE ROLE jcv_policy_user;
GRANT USAGE ON SCHEMA jcv_test TO jcv_policy_user;
GRANT SELECT ON jcv_test.todos TO jcv_policy_user;
BEGIN;
SELECT set_config('request.jwt.claims', '{"role": "authenticated", "sub": "11111111-1111-4111-8111-111111111111", "session_id": "aaaaaaaa-0000-4000-8000-000000000001"}', true) IS NOT NULL AS claims_set;
SET LOCAL ROLE jcv_policy_user;
SELECT count(*) AS rows_while_live FROM jcv_test.todos;
RESET ROLE;
SELECT auth_logout(jcv_test.token('alice_s1'), 'local');
SET LOCAL ROLE jcv_policy_user;
SELECT count(*) AS rows_after_logout FROM jcv_test.todos;
RESET ROLE;
ROLLBACK;

-- Read-only transactions work (and so do hot standbys: test/hot_standby.sh)
BEGIN READ ONLY;
SELECT pg_temp.valid_with('{"sub": "11111111-1111-4111-8111-111111111111", "session_id": "aaaaaaaa-0000-4000-8000-000000000001"}') AS read_only_live;
ROLLBACK;

-- Not SECURITY DEFINER (a policy calls it per row), yet a role with no
-- access to the auth schema gets the same answers
BEGIN;
SET LOCAL ROLE jcv_policy_user;
SELECT has_schema_privilege('auth', 'USAGE') AS may_use_auth_schema;
SELECT pg_temp.valid_with('{"sub": "11111111-1111-4111-8111-111111111111", "session_id": "aaaaaaaa-0000-4000-8000-000000000001"}') AS live,
       pg_temp.valid_with('{"sub": "11111111-1111-4111-8111-111111111111", "session_id": "dddddddd-0000-4000-8000-000000000009"}') AS unknown;
ROLLBACK;

DROP TABLE jcv_test.todos;
REVOKE ALL ON SCHEMA jcv_test FROM jcv_policy_user;
DROP ROLE jcv_policy_user;

-- The answer is kept per snapshot and subtransaction (issue 26, finding 3;
-- docs/design.md): a session inserted in a block that then fails is rolled
-- back with it, and the same statement's next question, with the same
-- claims and an identical snapshot, is answered again
CREATE FUNCTION pg_temp.valid_around_rollback(OUT inside boolean, OUT after_rollback boolean)
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('request.jwt.claims', '{"sub": "11111111-1111-4111-8111-111111111111", "session_id": "eeeeeeee-0000-4000-8000-000000000026"}', true);
  BEGIN
    INSERT INTO auth.sessions (id, user_id, created_at, updated_at, aal)
    VALUES ('eeeeeeee-0000-4000-8000-000000000026', '11111111-1111-4111-8111-111111111111', now(), now(), 'aal1');
    inside := auth_session_valid();
    RAISE SQLSTATE 'JT026';
  EXCEPTION WHEN SQLSTATE 'JT026' THEN
    after_rollback := auth_session_valid();
  END;
END
$$;
SELECT * FROM pg_temp.valid_around_rollback();
