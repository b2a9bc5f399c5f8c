-- jcv_logout.require_session: the check of auth_require_session() inside the
-- request's own statements, without PostgREST's db-pre-request. Each request
-- is replayed as PostgREST sends it: one statement sets the role and the
-- claims, the next runs the query.

-- The setting takes effect where the library is preloaded
ALTER DATABASE :"DBNAME" SET session_preload_libraries = 'jcv_logout';
\c
SHOW jcv_logout.require_session;
SET jcv_logout.require_session = on;

-- A role as PostgREST's "authenticated": it may not read auth.sessions, the
-- check reads it with the privileges of auth_require_session's owner.
CREATE ROLE jcv_api_user NOLOGIN;
GRANT USAGE ON SCHEMA jcv_test TO jcv_api_user;
CREATE FUNCTION jcv_test.ping() RETURNS text LANGUAGE sql AS $$ SELECT 'pong' $$;

-- PostgREST's first statement of a request (the claims are not checked yet:
-- they are set by it).
CREATE FUNCTION jcv_test.begin_request(claims text, method text DEFAULT 'POST')
RETURNS boolean LANGUAGE sql AS $$
  SELECT set_config('role', 'jcv_api_user', true) IS NOT NULL
     AND set_config('request.jwt.claims', claims, true) IS NOT NULL
     AND set_config('request.method', method, true) IS NOT NULL
$$;

-- A live session: the request runs
BEGIN;
SELECT jcv_test.begin_request(jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-000000000001')) AS live_session;
SELECT jcv_test.ping();
COMMIT;

-- An unknown session: the request's first query is refused, as a PostgREST 401
BEGIN;
SELECT jcv_test.begin_request(jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-0000000000ff')) AS unknown_session;
SELECT jcv_test.ping();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ROLLBACK;

-- The same, outside a PostgREST request (no request.method): plain PT401
BEGIN;
SELECT set_config('request.jwt.claims', jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-0000000000ff'), true) <> '' AS claims_only;
SELECT jcv_test.ping();
ROLLBACK;

-- Ended (past not_after), another user's, and the idle timeout
BEGIN;
SELECT jcv_test.begin_request(jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-000000000003')) AS past_not_after;
SELECT jcv_test.ping();
ROLLBACK;
BEGIN;
SELECT jcv_test.begin_request(jcv_test.claims('11111111-1111-4111-8111-111111111111', 'bbbbbbbb-0000-4000-8000-000000000001')) AS bob_session_alice_sub;
SELECT jcv_test.ping();
ROLLBACK;
BEGIN;
SET LOCAL jcv_logout.idle_timeout = '1h';
UPDATE auth.sessions SET refreshed_at = (now() - interval '2 hours') AT TIME ZONE 'UTC'
 WHERE id = 'aaaaaaaa-0000-4000-8000-000000000001';
SELECT jcv_test.begin_request(jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-000000000001')) AS idle_two_hours;
SELECT jcv_test.ping();
ROLLBACK;

-- POST /rpc/auth_logout (request.path) from a session past its limits is
-- let through: auth_logout ends it, as Supabase Auth's /logout does. A
-- deleted or unknown session is refused there all the same.
SELECT jcv_test.token('alice_s1') AS alice_token \gset
BEGIN;
SET LOCAL jcv_logout.idle_timeout = '1h';
UPDATE auth.sessions SET refreshed_at = (now() - interval '2 hours') AT TIME ZONE 'UTC'
 WHERE id = 'aaaaaaaa-0000-4000-8000-000000000001';
SELECT jcv_test.begin_request(jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-000000000001'))
   AND set_config('request.path', '/rpc/auth_logout', true) IS NOT NULL AS idle_logout_request;
SELECT auth_logout(:'alice_token', 'global') AS idle_signs_out_everywhere;
RESET ROLE;
SELECT count(*) AS alice_sessions_left FROM auth.sessions WHERE user_id = '11111111-1111-4111-8111-111111111111';
ROLLBACK;
BEGIN;
SELECT jcv_test.begin_request(jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-0000000000ff'))
   AND set_config('request.path', '/rpc/auth_logout', true) IS NOT NULL AS unknown_logout_request;
SELECT jcv_test.ping();
ROLLBACK;

-- Requests without a session to check run: anonymous, service_role, no session_id
BEGIN;
SELECT jcv_test.begin_request('{"role":"anon"}') AS anon;
SELECT jcv_test.ping();
COMMIT;
BEGIN;
SELECT jcv_test.begin_request(jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-0000000000ff', 'service_role')) AS service_role;
SELECT jcv_test.ping();
COMMIT;
BEGIN;
SELECT jcv_test.begin_request(jcv_test.claims('11111111-1111-4111-8111-111111111111', NULL)) AS no_session_id;
SELECT jcv_test.ping();
COMMIT;

-- Claims PostgREST would never set are refused like the pre-request refuses them
BEGIN;
SELECT jcv_test.begin_request('[{"role":"anon"}]') AS claims_not_an_object;
SELECT jcv_test.ping();
ROLLBACK;

-- Read-only transactions (GET requests, read replicas)
BEGIN READ ONLY;
SELECT jcv_test.begin_request(jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-000000000001'), 'GET') AS read_only_live;
SELECT jcv_test.ping();
COMMIT;
BEGIN READ ONLY;
SELECT jcv_test.begin_request(jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-0000000000ff'), 'GET') AS read_only_unknown;
SELECT jcv_test.ping();
ROLLBACK;

-- Once per transaction and claims: a request that logs itself out finishes
-- (POST /rpc/auth_logout, then PostgREST reads the result in the same
-- transaction); claims changed within the transaction are checked again.
BEGIN;
SELECT jcv_test.begin_request(jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-000000000001')) AS logout_request;
RESET ROLE;
SELECT auth_logout(jcv_test.token('alice_s1'), 'local') IS NOT NULL AS logged_out;
SELECT jcv_test.ping() AS same_request_goes_on;
SELECT set_config('request.jwt.claims', jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-000000000002'), true) <> '' AS other_claims;
SELECT jcv_test.ping() AS other_live_session;
SELECT set_config('request.jwt.claims', jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-000000000001'), true) <> '' AS logged_out_claims_again;
SELECT jcv_test.ping() AS logged_out_session;
ROLLBACK;
-- ... and the next request with the logged-out session is refused
BEGIN;
SELECT auth_logout(jcv_test.token('alice_s1'), 'local') IS NOT NULL AS logged_out;
SELECT jcv_test.begin_request(jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-000000000001')) AS next_request;
SELECT jcv_test.ping();
ROLLBACK;

-- Every top-level statement is a request's statement: EXPLAIN ANALYZE (the
-- plan media type), DO blocks
BEGIN;
SELECT jcv_test.begin_request(jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-0000000000ff')) AS explain_analyze;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT jcv_test.ping();
ROLLBACK;
BEGIN;
SELECT jcv_test.begin_request(jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-0000000000ff')) AS do_block;
-- (our error without PL/pgSQL's CONTEXT lines, PostgreSQL's wording)
\set SHOW_CONTEXT never
DO $$ BEGIN PERFORM jcv_test.ping(); END $$;
\set SHOW_CONTEXT errors
ROLLBACK;

-- The check comes before the statement is planned: planning already runs
-- immutable functions (constant folding); this one would say so.
CREATE FUNCTION jcv_test.folded_at_plan_time() RETURNS int IMMUTABLE LANGUAGE plpgsql AS $$
BEGIN
  RAISE NOTICE 'planning ran a function';
  RETURN 1;
END
$$;
BEGIN;
SELECT jcv_test.begin_request(jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-0000000000ff')) AS before_planning;
SELECT jcv_test.folded_at_plan_time();
ROLLBACK;
BEGIN;
SELECT jcv_test.begin_request(jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-000000000001')) AS live_session_plans;
SELECT jcv_test.folded_at_plan_time();
ROLLBACK;

-- A function that sets claims for its own use (as Supabase Realtime does to
-- apply row level security per subscriber) is not a request: its
-- statements are not checked.
CREATE FUNCTION jcv_test.as_subscriber(claims text) RETURNS bigint
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('request.jwt.claims', claims, true);
  RETURN (SELECT count(*) FROM auth.users);
END
$$;
SELECT jcv_test.as_subscriber(jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-0000000000ff')) > 0 AS nested_statements_run;

-- Off: nothing is checked
BEGIN;
SET LOCAL jcv_logout.require_session = off;
SELECT jcv_test.begin_request(jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-0000000000ff')) AS setting_off;
SELECT jcv_test.ping();
ROLLBACK;

-- Only a superuser may turn it off; the request's role cannot (42501)
\set VERBOSITY sqlstate
BEGIN;
SELECT jcv_test.begin_request(jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-000000000001')) AS as_api_user;
SET LOCAL jcv_logout.require_session = off;
ROLLBACK;
BEGIN;
SET LOCAL ROLE jcv_api_user;
SELECT set_config('jcv_logout.require_session', 'off', true);
ROLLBACK;
\set VERBOSITY default

-- Dropping and re-creating the extension is followed (the function is looked
-- up again); without the extension there is nothing to check.
BEGIN;
DROP EXTENSION jcv_logout;
SELECT jcv_test.begin_request(jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-0000000000ff')) AS extension_dropped;
SELECT jcv_test.ping();
ROLLBACK;
BEGIN;
SELECT jcv_test.begin_request(jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-0000000000ff')) AS extension_back;
SELECT jcv_test.ping();
ROLLBACK;

RESET jcv_logout.require_session;
DROP FUNCTION jcv_test.as_subscriber(text), jcv_test.folded_at_plan_time(), jcv_test.begin_request(text, text), jcv_test.ping();
REVOKE USAGE ON SCHEMA jcv_test FROM jcv_api_user;
DROP ROLE jcv_api_user;
ALTER DATABASE :"DBNAME" RESET session_preload_libraries;
