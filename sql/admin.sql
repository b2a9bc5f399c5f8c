-- Admin logouts (auth_logout_user, auth_logout_session), the session purge
-- (auth_purge_sessions, auth_purge_sessions_batched) and the opt-in logout
-- trigger on auth.users, with their audit rows and grants.

-- Who may call: superusers and service_role only, never PUBLIC
SELECT p.oid::regprocedure AS routine,
       has_function_privilege('public', p.oid, 'EXECUTE') AS public_may_call
  FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'jcv_logout')
   AND p.proname NOT IN ('auth_logout', 'auth_session_active', 'auth_require_session',
                         'auth_sessions', 'auth_logout_device')
 ORDER BY p.oid::regprocedure::text;
-- and each refused to a plain role (42501; as SQLSTATEs, since PostgreSQL's
-- wording varies by version)
CREATE ROLE jcv_plain_admin_user;
SET ROLE jcv_plain_admin_user;
\set VERBOSITY sqlstate
SELECT auth_logout_user('11111111-1111-4111-8111-111111111111');
SELECT auth_purge_sessions();
CALL auth_purge_sessions_batched();
SELECT auth_enable_logout_triggers();
\set VERBOSITY default
RESET ROLE;
DROP ROLE jcv_plain_admin_user;

-- auth_logout_user: every session of the user, their cascaded refresh tokens
-- and the user's legacy session-less ones; one audit row naming the action
BEGIN;
SELECT auth_logout_user('11111111-1111-4111-8111-111111111111');
SELECT * FROM jcv_test.login_state;
SELECT payload::text FROM auth.audit_log_entries;
-- again: nothing left, not an error, no audit row
SELECT auth_logout_user('11111111-1111-4111-8111-111111111111');
SELECT count(*) AS audit_rows FROM auth.audit_log_entries;
ROLLBACK;

-- Unknown ids are not an error; NULL is LOGOUT_ERROR (400)
SELECT auth_logout_user('44444444-4444-4444-8444-444444444444') AS unknown_user,
       auth_logout_session('aaaaaaaa-0000-4000-8000-0000000000ff') AS unknown_session;
SELECT auth_logout_user(NULL);
SELECT auth_logout_session(NULL);

-- auth_logout_session: one session and its refresh tokens; the user's other
-- sessions and legacy tokens stay
BEGIN;
SELECT auth_logout_session('aaaaaaaa-0000-4000-8000-000000000001');
SELECT * FROM jcv_test.login_state;
SELECT payload->'traits' AS traits FROM auth.audit_log_entries;
ROLLBACK;

-- A user id with zero bytes is copied whole (the audit row names that user)
BEGIN;
INSERT INTO auth.users (instance_id, id, aud, role, email, raw_user_meta_data, created_at, updated_at)
VALUES ('00000000-0000-0000-0000-000000000000', '00000000-0000-4000-8000-000000000d00',
        'authenticated', 'authenticated', 'zero@example.com', '{}', now(), now());
INSERT INTO auth.sessions (id, user_id, created_at, updated_at, aal)
VALUES ('00000000-0000-4000-8000-00000000d001', '00000000-0000-4000-8000-000000000d00', now(), now(), 'aal1');
SELECT auth_logout_session('00000000-0000-4000-8000-00000000d001');
SELECT payload->>'actor_id' AS actor_id FROM auth.audit_log_entries;
ROLLBACK;

-- Inside a PostgREST request (service_role key): PostgREST's error form
BEGIN;
SELECT set_config('request.method', 'POST', true) AS in_request;
SELECT auth_logout_session(NULL);
ROLLBACK;

-- No audit row when jcv_logout.audit is off
BEGIN;
SET LOCAL jcv_logout.audit = off;
SELECT auth_logout_user('22222222-2222-4222-8222-222222222222');
SELECT count(*) AS audit_rows FROM auth.audit_log_entries;
ROLLBACK;

-- The purge. Fixture: alice's s3 is past not_after, s2 was last active in
-- 2020 (refreshed_at NULL, updated_at = created_at), s1 and bob's s1 now.
-- Without an idle limit only not_after ends a session
BEGIN;
SELECT auth_purge_sessions() AS purged;
SELECT * FROM jcv_test.login_state;
ROLLBACK;
-- idle: the argument, else jcv_logout.idle_timeout
BEGIN;
SELECT auth_purge_sessions('1 day') AS purged;
SELECT * FROM jcv_test.login_state;
SELECT payload->'traits' AS traits FROM auth.audit_log_entries;
ROLLBACK;
BEGIN;
SET LOCAL jcv_logout.idle_timeout = '1d';
SELECT auth_purge_sessions() AS purged_with_guc;
ROLLBACK;
BEGIN;
SET LOCAL jcv_logout.session_timebox = '1d';
SELECT auth_purge_sessions() AS purged_with_timebox;
ROLLBACK;
SELECT auth_purge_sessions('0');
SELECT auth_purge_sessions('-1 hour');

-- Last activity as Supabase Auth reads it: refreshed_at (UTC, without time
-- zone), else the later of updated_at and created_at. The session's own
-- TimeZone does not matter.
BEGIN;
SET LOCAL TimeZone = 'America/New_York';
INSERT INTO auth.sessions (id, user_id, created_at, updated_at, refreshed_at, aal)
VALUES
  ('cccccccc-0000-4000-8000-000000000001', '33333333-3333-4333-8333-333333333333',
   now() - interval '10 days', now() - interval '10 days', (now() - interval '2 hours') AT TIME ZONE 'UTC', 'aal1'),
  ('cccccccc-0000-4000-8000-000000000002', '33333333-3333-4333-8333-333333333333',
   now() - interval '10 days', now() - interval '30 minutes', NULL, 'aal1'),
  ('cccccccc-0000-4000-8000-000000000003', '33333333-3333-4333-8333-333333333333',
   now() - interval '2 hours', NULL, NULL, 'aal1'),
  ('cccccccc-0000-4000-8000-000000000004', '33333333-3333-4333-8333-333333333333',
   NULL, NULL, NULL, 'aal1');
SAVEPOINT carol;
SELECT auth_purge_sessions('3 hours') AS idle_3_hours;
ROLLBACK TO carol;
SELECT auth_purge_sessions('1 hour') AS idle_1_hour;
SELECT right(id::text, 1) AS kept FROM auth.sessions
 WHERE user_id = '33333333-3333-4333-8333-333333333333' ORDER BY id;
ROLLBACK;

-- The procedure commits after each batch; it ends the same sessions. Carol's
-- 12 idle sessions in batches of 5: one audit row per user and batch.
INSERT INTO auth.sessions (id, user_id, created_at, updated_at, aal)
SELECT ('cccccccc-0000-4000-8000-0000000000' || lpad(n::text, 2, '0'))::uuid,
       '33333333-3333-4333-8333-333333333333', '2020-01-01', '2020-01-01', 'aal1'
  FROM generate_series(10, 21) AS n;
CALL auth_purge_sessions_batched('1 day', 5);
SELECT * FROM jcv_test.login_state;
SELECT payload->>'actor_username' AS actor, count(*) AS audit_rows
  FROM auth.audit_log_entries GROUP BY 1 ORDER BY 1;
CALL auth_purge_sessions_batched('1 day', 0);
-- The procedure is not SECURITY DEFINER (PostgreSQL forbids COMMIT there):
-- its batches run with the extension's search_path, not the caller's. An
-- operator planted before pg_catalog that calls every session ended is not
-- used (fresh connection: the batch is planned anew).
\c
CREATE SCHEMA jcv_planted;
CREATE FUNCTION jcv_planted.always(timestamptz, timestamptz) RETURNS boolean
  LANGUAGE sql AS 'SELECT true';
CREATE OPERATOR jcv_planted.< (LEFTARG = timestamptz, RIGHTARG = timestamptz,
                               FUNCTION = jcv_planted.always);
SET search_path = jcv_planted, pg_catalog, public;
SELECT now() < now() - interval '1 day' AS planted_operator_in_force;
CALL auth_purge_sessions_batched('1 day');
RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA jcv_planted CASCADE;
RESET client_min_messages;
SELECT count(*) AS live_sessions_kept FROM auth.sessions;
-- alice's two ended sessions came back for the tests that follow
DELETE FROM auth.audit_log_entries;
INSERT INTO auth.sessions (id, user_id, created_at, updated_at, aal, not_after)
VALUES
  ('aaaaaaaa-0000-4000-8000-000000000002', '11111111-1111-4111-8111-111111111111',
   '2020-01-01 00:00:00+00', '2020-01-01 00:00:00+00', 'aal1', NULL),
  ('aaaaaaaa-0000-4000-8000-000000000003', '11111111-1111-4111-8111-111111111111',
   '2020-01-01 00:00:00+00', '2020-01-01 00:00:00+00', 'aal1', '2020-01-02 00:00:00+00');
INSERT INTO auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id)
VALUES ('00000000-0000-0000-0000-000000000000', 'aliceS2tokA', '11111111-1111-4111-8111-111111111111',
        false, now(), now(), NULL, 'aaaaaaaa-0000-4000-8000-000000000002');
INSERT INTO auth.mfa_amr_claims (session_id, created_at, updated_at, authentication_method, id)
SELECT s, now(), now(), 'password', gen_random_uuid()
  FROM unnest(ARRAY['aaaaaaaa-0000-4000-8000-000000000002',
                    'aaaaaaaa-0000-4000-8000-000000000003']::uuid[]) AS s;
SELECT * FROM jcv_test.login_state;

-- The logout trigger: opt-in, created and dropped by functions
SELECT tgname FROM pg_trigger WHERE tgrelid = 'auth.users'::regclass AND NOT tgisinternal;
SELECT auth_enable_logout_triggers() AS enabled, auth_enable_logout_triggers() AS enabled_again;
SELECT t.tgname, d.deptype
  FROM pg_trigger t JOIN pg_depend d ON d.classid = 'pg_trigger'::regclass AND d.objid = t.oid
 WHERE d.refclassid = 'pg_extension'::regclass;

-- A password change in SQL ends every session of the user
BEGIN;
UPDATE auth.users SET encrypted_password = '$2a$10$newhash' WHERE email = 'alice@example.com';
SELECT * FROM jcv_test.login_state;
SELECT payload->'traits' AS traits FROM auth.audit_log_entries;
ROLLBACK;
-- ... not an update that leaves it as it was, nor one of another column
BEGIN;
UPDATE auth.users SET encrypted_password = encrypted_password, banned_until = NULL,
                      last_sign_in_at = now() WHERE email = 'alice@example.com';
SELECT * FROM jcv_test.login_state;
ROLLBACK;
-- A password removed (or set where there was none) ends every session too
BEGIN;
UPDATE auth.users SET encrypted_password = NULL WHERE email = 'alice@example.com';
SELECT * FROM jcv_test.login_state;
ROLLBACK;

-- A ban into the future ends every session; one already over does not
BEGIN;
UPDATE auth.users SET banned_until = now() - interval '1 day' WHERE email = 'alice@example.com';
SELECT * FROM jcv_test.login_state;
UPDATE auth.users SET banned_until = 'infinity' WHERE email = 'alice@example.com';
SELECT * FROM jcv_test.login_state;
SELECT payload->'traits' AS traits FROM auth.audit_log_entries;
ROLLBACK;

-- A soft delete ends every session
BEGIN;
UPDATE auth.users SET deleted_at = now() WHERE email = 'bob@example.com';
SELECT * FROM jcv_test.login_state;
SELECT payload->'traits' AS traits FROM auth.audit_log_entries;
ROLLBACK;

-- Supabase Auth's own password change (PUT /user) with the trigger on,
-- replayed as supabase_auth_admin: GoTrue updates the password, then ends
-- every OTHER session itself (LogoutAllExceptMe), keeping the current one.
-- (The fixture's auth tables belong to supabase_auth_admin, as on Supabase.)
BEGIN;
SET LOCAL SESSION AUTHORIZATION supabase_auth_admin;
SET LOCAL search_path = auth;
UPDATE users SET encrypted_password = '$2a$10$newhash', updated_at = now()
 WHERE instance_id = '00000000-0000-0000-0000-000000000000'
   AND id = '11111111-1111-4111-8111-111111111111';
DELETE FROM sessions WHERE id != 'aaaaaaaa-0000-4000-8000-000000000001'
   AND user_id = '11111111-1111-4111-8111-111111111111';
RESET SESSION AUTHORIZATION;
SELECT * FROM jcv_test.login_state;
ROLLBACK;
-- its admin update without a session (Logout: all sessions) works alike,
-- and a ban or soft delete by Supabase Auth still ends every session
BEGIN;
SET LOCAL SESSION AUTHORIZATION supabase_auth_admin;
UPDATE auth.users SET encrypted_password = '$2a$10$newhash'
 WHERE id = '11111111-1111-4111-8111-111111111111';
DELETE FROM auth.sessions WHERE user_id = '11111111-1111-4111-8111-111111111111';
UPDATE auth.users SET banned_until = now() + interval '1 hour'
 WHERE id = '22222222-2222-4222-8222-222222222222';
RESET SESSION AUTHORIZATION;
SELECT * FROM jcv_test.login_state;
ROLLBACK;
-- jcv_logout.auth_admin_role = '': every password change ends all sessions
BEGIN;
SET LOCAL jcv_logout.auth_admin_role = '';
SET LOCAL SESSION AUTHORIZATION supabase_auth_admin;
UPDATE auth.users SET encrypted_password = '$2a$10$newhash'
 WHERE id = '11111111-1111-4111-8111-111111111111';
RESET SESSION AUTHORIZATION;
SELECT * FROM jcv_test.login_state;
ROLLBACK;
-- the setting is superuser-only (42501)
SET SESSION AUTHORIZATION supabase_auth_admin;
\set VERBOSITY sqlstate
SET jcv_logout.auth_admin_role = 'nobody';
\set VERBOSITY default
RESET SESSION AUTHORIZATION;

-- Disabled: a password change ends nothing
SELECT auth_disable_logout_triggers() AS disabled, auth_disable_logout_triggers() AS disabled_again;
BEGIN;
UPDATE auth.users SET encrypted_password = '$2a$10$newhash' WHERE email = 'alice@example.com';
SELECT * FROM jcv_test.login_state;
ROLLBACK;
SELECT tgname FROM pg_trigger WHERE tgrelid = 'auth.users'::regclass AND NOT tgisinternal;
