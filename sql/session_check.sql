-- auth_require_session() (PostgREST's db-pre-request hook),
-- auth_session_active(token), the idle timeout, and the grants.

-- Live sessions pass; ended, deleted or foreign ones are refused
SELECT name, jcv_test.require_session(claims) AS outcome
  FROM (VALUES
    ('alice_s1', jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-000000000001')),
    ('alice_s1_upper_case', jcv_test.claims('11111111-1111-4111-8111-111111111111', 'AAAAAAAA-0000-4000-8000-000000000001')),
    ('bob_s1', jcv_test.claims('22222222-2222-4222-8222-222222222222', 'bbbbbbbb-0000-4000-8000-000000000001')),
    ('alice_past_not_after', jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-000000000003')),
    ('alice_unknown_session', jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-0000000000ff')),
    ('alice_claims_bob_session', jcv_test.claims('11111111-1111-4111-8111-111111111111', 'bbbbbbbb-0000-4000-8000-000000000001')),
    ('deleted_user', jcv_test.claims('44444444-4444-4444-8444-444444444444', '44444444-0000-4000-8000-000000000001'))
  ) AS c(name, claims)
 ORDER BY name;

-- Requests with no session to check pass: anonymous, service_role, tokens
-- without session_id (or the nil uuid), no claims at all (outside PostgREST)
SELECT name, jcv_test.require_session(claims) AS outcome
  FROM (VALUES
    ('anon_request', '{"role":"anon"}'),
    ('supabase_anon_key', '{"iss":"supabase","ref":"abcdefghijklmnop","role":"anon","iat":1764000000,"exp":4102444800}'),
    ('service_role_key', '{"iss":"supabase","role":"service_role","iat":1764000000,"exp":4102444800}'),
    ('anon_with_gone_session', jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-0000000000ff', 'anon')),
    ('service_role_with_gone_session', jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-0000000000ff', 'service_role')),
    ('no_session_id', jcv_test.claims('11111111-1111-4111-8111-111111111111', NULL)),
    ('nil_session_id', jcv_test.claims('11111111-1111-4111-8111-111111111111', '00000000-0000-0000-0000-000000000000')),
    ('empty_claims', ''),
    ('empty_object', '{}')
  ) AS c(name, claims)
 ORDER BY name;
SELECT auth_require_session() AS outside_postgrest;

-- Claims PostgREST would never set are refused (the hook only ever refuses)
SELECT name, jcv_test.require_session(claims) AS outcome
  FROM (VALUES
    ('not_json', 'role=authenticated'),
    ('json_array', '[{"role":"anon"}]'),
    ('session_not_uuid', jcv_test.claims('11111111-1111-4111-8111-111111111111', 'session-1')),
    ('session_number', '{"sub":"11111111-1111-4111-8111-111111111111","session_id":1,"role":"authenticated"}'),
    ('session_without_sub', jcv_test.claims(NULL, 'aaaaaaaa-0000-4000-8000-000000000001')),
    ('sub_not_uuid', jcv_test.claims('alice', 'aaaaaaaa-0000-4000-8000-000000000001')),
    ('duplicate_session_id', '{"sub":"11111111-1111-4111-8111-111111111111","session_id":"aaaaaaaa-0000-4000-8000-000000000001","session_id":"aaaaaaaa-0000-4000-8000-0000000000ff"}')
  ) AS c(name, claims)
 ORDER BY name;

-- A backend reads each claims text once and keeps the reading (by a keyed
-- digest of the text): texts of one length differing in one character are
-- told apart, a refused text is refused again; with room for 4 readings
-- (jcv_logout.session_cache = 4) 13 texts asked 3 times push each other out,
-- and every answer stays the same
CREATE TEMP VIEW request_claims(name, claims) AS VALUES
    ('alice_s1', jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-000000000001')),
    ('alice_s2_same_length', jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-000000000002')),
    ('alice_s3_same_length', jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-000000000003')),
    ('alice_sff_same_length', jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-0000000000ff')),
    ('alice_s1_upper_case', jcv_test.claims('11111111-1111-4111-8111-111111111111', 'AAAAAAAA-0000-4000-8000-000000000001')),
    ('bob_s1', jcv_test.claims('22222222-2222-4222-8222-222222222222', 'bbbbbbbb-0000-4000-8000-000000000001')),
    ('bob_with_alice_s1', jcv_test.claims('22222222-2222-4222-8222-222222222222', 'aaaaaaaa-0000-4000-8000-000000000001')),
    ('anon_with_alice_s1', jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-000000000001', 'anon')),
    ('anon_with_alice_sff', jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-0000000000ff', 'anon')),
    ('session_not_uuid', jcv_test.claims('11111111-1111-4111-8111-111111111111', 'session-1')),
    ('session_not_uuid_same_length', jcv_test.claims('11111111-1111-4111-8111-111111111111', 'session-2')),
    ('not_json', 'role=authenticated'),
    ('empty_object', '{}');
SELECT name, count(*) AS asked, string_agg(DISTINCT jcv_test.require_session(claims), ', ') AS outcomes
  FROM generate_series(1, 3) AS round, request_claims
 GROUP BY name ORDER BY name;
SET jcv_logout.session_cache = 4;
SELECT name, count(*) AS asked, string_agg(DISTINCT jcv_test.require_session(claims), ', ') AS outcomes
  FROM generate_series(1, 3) AS round, request_claims
 GROUP BY name ORDER BY name;
RESET jcv_logout.session_cache;
DROP VIEW request_claims;

-- Inside a PostgREST request the refusal is a PostgREST 401
BEGIN;
SELECT set_config('request.method', 'GET', true) AS method,
       set_config('request.jwt.claims',
         jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-0000000000ff'), true) <> '' AS claims_set;
DO $$
DECLARE
  state text; message text; detail text;
BEGIN
  PERFORM auth_require_session();
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
  RAISE NOTICE 'sqlstate=% message=% detail=%', state, message, detail;
END
$$;
ROLLBACK;

-- After a logout the same claims are refused at once
BEGIN;
SELECT auth_logout(jcv_test.token('alice_s1'), 'local');
SELECT jcv_test.require_session(jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-000000000001')) AS after_local_logout;
ROLLBACK;

-- Read-only transactions (GET requests, read replicas): no row locks, no writes
BEGIN READ ONLY;
SELECT jcv_test.require_session(jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-000000000001')) AS read_only_live;
SELECT jcv_test.require_session(jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-000000000003')) AS read_only_ended;
SELECT auth_session_active(jcv_test.token('alice_s1')) AS read_only_active;
COMMIT;

-- auth_session_active: true only for a verified token of a live session
SELECT name, auth_session_active(token) AS active
  FROM jcv_test.tokens
 WHERE name IN ('alice_s1', 'alice_s2', 'bob_s1', 'alice_upper_case_ids', 'hs512',
                'alice_ended_session', 'alice_unknown_session', 'alice_with_bob_session',
                'alice_no_session', 'alice_nil_session', 'ghost_user',
                'expired', 'wrong_secret', 'alg_none', 'rs256', 'truncated', 'aud_other')
 ORDER BY name;
SELECT auth_session_active(NULL) AS no_token, auth_session_active('') AS empty_token,
       auth_session_active('Bearer ' || jcv_test.token('alice_s1')) AS bearer_prefix;
BEGIN;
SELECT set_config('request.headers',
       json_build_object('authorization', 'Bearer ' || jcv_test.token('alice_s1'))::text, true) <> '' AS headers_set;
SELECT auth_session_active() AS from_request_headers;
SELECT auth_logout(NULL, 'local') IS NOT NULL AS logged_out;
SELECT auth_session_active() AS after_logout;
-- forged claims are never read by auth_session_active
SELECT set_config('request.headers', '{}', true) <> '' AS headers_cleared,
       set_config('request.jwt.claims',
         jcv_test.claims('22222222-2222-4222-8222-222222222222', 'bbbbbbbb-0000-4000-8000-000000000001'), true) <> '' AS forged_claims;
SELECT auth_session_active() AS forged_claims_only;
ROLLBACK;

-- A configuration fault is an error, never a silent "not active"
BEGIN;
SET LOCAL jcv_logout.jwt_secret_file = '';
SELECT auth_session_active(jcv_test.token('alice_s1')) AS no_key;
ROLLBACK;
BEGIN;
ALTER SCHEMA auth RENAME TO auth_elsewhere;
SELECT auth_session_active(jcv_test.token('alice_s1')) AS no_auth_schema;
ROLLBACK;
BEGIN;
ALTER SCHEMA auth RENAME TO auth_elsewhere;
SELECT jcv_test.require_session(jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-000000000001')) AS hook_without_auth_schema;
SELECT jcv_test.require_session('{"role":"anon"}') AS anon_needs_no_schema;
ROLLBACK;
BEGIN;
ALTER TABLE auth.sessions ALTER COLUMN refreshed_at TYPE text;
SELECT jcv_test.require_session(jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-000000000001')) AS refreshed_at_not_a_timestamp;
ROLLBACK;

-- jcv_logout.idle_timeout (GOTRUE_SESSIONS_INACTIVITY_TIMEOUT): idle since
-- refreshed_at, else the later of updated_at and created_at. Session 1 of
-- alice is rewritten in each case; the two checks agree, and the logout ends
-- an idle session all the same, as Supabase Auth's /logout does.
SHOW jcv_logout.idle_timeout;
CREATE FUNCTION jcv_test.idle_outcomes(OUT require_session text, OUT session_active boolean, OUT logout text)
LANGUAGE sql AS $$
  SELECT jcv_test.require_session(jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-000000000001')),
         auth_session_active(jcv_test.token('alice_s1')),
         jcv_test.dry_logout(jcv_test.token('alice_s1'), 'local')
$$;
BEGIN;
-- refreshed_at holds UTC in a timestamp WITHOUT time zone, whatever TimeZone says
SET LOCAL TimeZone = 'Pacific/Kiritimati';
SET LOCAL jcv_logout.idle_timeout = '3h';
UPDATE auth.sessions SET created_at = now() - interval '30 days', updated_at = now() - interval '30 days',
       refreshed_at = (now() - interval '2 hours') AT TIME ZONE 'UTC'
 WHERE id = 'aaaaaaaa-0000-4000-8000-000000000001';
SELECT 'refreshed 2h ago, timeout 3h' AS "case", * FROM jcv_test.idle_outcomes();
UPDATE auth.sessions SET refreshed_at = (now() - interval '4 hours') AT TIME ZONE 'UTC'
 WHERE id = 'aaaaaaaa-0000-4000-8000-000000000001';
SELECT 'refreshed 4h ago, timeout 3h' AS "case", * FROM jcv_test.idle_outcomes();
UPDATE auth.sessions SET updated_at = now()
 WHERE id = 'aaaaaaaa-0000-4000-8000-000000000001';
SELECT 'refreshed_at wins over a recent updated_at' AS "case", * FROM jcv_test.idle_outcomes();
UPDATE auth.sessions SET refreshed_at = NULL
 WHERE id = 'aaaaaaaa-0000-4000-8000-000000000001';
SELECT 'never refreshed, updated now' AS "case", * FROM jcv_test.idle_outcomes();
UPDATE auth.sessions SET updated_at = NULL
 WHERE id = 'aaaaaaaa-0000-4000-8000-000000000001';
SELECT 'never refreshed or updated, created 30 days ago' AS "case", * FROM jcv_test.idle_outcomes();
UPDATE auth.sessions SET updated_at = now() - interval '40 days', created_at = now() - interval '1 hour'
 WHERE id = 'aaaaaaaa-0000-4000-8000-000000000001';
SELECT 'updated_at older than created_at' AS "case", * FROM jcv_test.idle_outcomes();
SET LOCAL jcv_logout.idle_timeout = 0;
UPDATE auth.sessions SET refreshed_at = '2020-01-01', updated_at = '2020-01-01', created_at = '2020-01-01'
 WHERE id = 'aaaaaaaa-0000-4000-8000-000000000001';
SELECT 'idle since 2020, timeout off' AS "case", * FROM jcv_test.idle_outcomes();
ROLLBACK;
-- session_timebox applies to the hook as well
BEGIN;
SET LOCAL jcv_logout.session_timebox = '1d';
SELECT jcv_test.require_session(jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-000000000002')) AS created_2020_timebox_1d,
       auth_session_active(jcv_test.token('alice_s2')) AS alice_s2_active;
ROLLBACK;

-- Settings that decide who is refused are superuser-only (42501)
CREATE ROLE jcv_plain_user LOGIN;
SET ROLE jcv_plain_user;
\set VERBOSITY sqlstate
SET jcv_logout.idle_timeout = 0;
\set VERBOSITY default
RESET ROLE;

-- Grants. Installed here without Supabase's roles: PUBLIC may call.
SELECT p.oid::regprocedure AS function, p.proacl
  FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'jcv_logout')
 ORDER BY p.proname;
-- With Supabase's API roles present at install time: those roles, not PUBLIC
BEGIN;
CREATE ROLE anon NOLOGIN NOINHERIT;
CREATE ROLE authenticated NOLOGIN NOINHERIT;
CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
DROP EXTENSION jcv_logout;
CREATE EXTENSION jcv_logout;
SELECT p.proname AS function, r.rolname AS role, has_function_privilege(r.oid, p.oid, 'EXECUTE') AS may_execute
  FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
  CROSS JOIN pg_roles r
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'jcv_logout')
   AND r.rolname IN ('anon', 'authenticated', 'service_role', 'jcv_plain_user')
 ORDER BY 1, 2;
-- the hook runs as the request's role and still reads auth.sessions (RLS on)
GRANT USAGE ON SCHEMA jcv_test TO authenticated;
SET LOCAL ROLE authenticated;
SELECT jcv_test.require_session(jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-000000000001')) AS as_authenticated_live,
       jcv_test.require_session(jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-0000000000ff')) AS as_authenticated_gone;
ROLLBACK;
DROP ROLE jcv_plain_user;

-- request.jwt.claims and request.headers longer than 64 kB (65536 bytes) are
-- refused before any parsing; at the cap they are read as usual
BEGIN;
SELECT length(set_config('request.jwt.claims', '{"role":"anon","pad":"' || repeat('x', 65512) || '"}', true)) AS claims_bytes;
SELECT auth_require_session() AS anon_at_cap_passes;
SELECT length(set_config('request.jwt.claims', '{"role":"anon","pad":"' || repeat('x', 65513) || '"}', true)) AS claims_bytes;
SELECT auth_require_session();
ROLLBACK;
BEGIN;
SELECT length(set_config('request.headers', '{"authorization":"Bearer ' || jcv_test.token('alice_s1') || '","pad":"' || repeat('x', 65536) || '"}', true)) > 65536 AS headers_over_cap;
SELECT jcv_test.dry_logout(NULL) AS oversized_headers;
ROLLBACK;
