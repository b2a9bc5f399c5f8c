-- "Where you're signed in" (src/devices.c): auth_sessions(token) lists the
-- caller's own live sessions, auth_logout_device(session_id, token) ends
-- one. test/run_all.sh runs this file again with the library preloaded (the
-- session cache at work), there after session_cache.sql, which truncates
-- auth.sessions: the file sets up the rows it needs.

-- What each function takes and gives: no refresh token, no key material
SELECT p.oid::regprocedure AS function, pg_get_function_arguments(p.oid) AS arguments,
       pg_get_function_result(p.oid) AS result,
       has_function_privilege('public', p.oid, 'EXECUTE') AS public_may_call
  FROM pg_proc p WHERE p.proname IN ('auth_sessions', 'auth_logout_device') ORDER BY 1;

-- Alice signed in on five devices, bob on one (times in hours: the
-- intervals shown below never depend on a daylight saving change). The ids
-- are those of the tokens test/mint_tokens.py mints: alice_s1 (…01), alice_s2 (…02),
-- alice_ended_session (…03, past its SAML not_after) and
-- alice_unknown_session (…ff, here an OAuth client's session); …04 has no
-- token of its own.
DELETE FROM auth.sessions WHERE user_id IN ('11111111-1111-4111-8111-111111111111',
                                            '22222222-2222-4222-8222-222222222222');
INSERT INTO auth.oauth_clients (id, registration_type, redirect_uris, grant_types, client_name,
                                token_endpoint_auth_method)
VALUES ('0c0c0c0c-0000-4000-8000-000000000001', 'dynamic', 'https://agent.example/callback',
        'authorization_code,refresh_token', 'Example agent', 'none')
ON CONFLICT (id) DO NOTHING;
INSERT INTO auth.sessions (id, user_id, created_at, updated_at, refreshed_at, not_after,
                           aal, user_agent, ip, oauth_client_id)
VALUES
  -- a laptop, refreshed a minute ago
  ('aaaaaaaa-0000-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111',
   now() - interval '72 hours', now() - interval '1 minute',
   (now() - interval '1 minute') AT TIME ZONE 'UTC', NULL, 'aal1',
   'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Gecko/20100101 Firefox/140.0', '203.0.113.7', NULL),
  -- a phone, never refreshed since its MFA sign-in: last active = updated_at
  ('aaaaaaaa-0000-4000-8000-000000000002', '11111111-1111-4111-8111-111111111111',
   now() - interval '240 hours', now() - interval '48 hours', NULL, NULL, 'aal2',
   'MyApp/2.3 (iPhone; iOS 18.1)', '2001:db8::42', NULL),
  -- a SAML session past its not_after
  ('aaaaaaaa-0000-4000-8000-000000000003', '11111111-1111-4111-8111-111111111111',
   now() - interval '24 hours', now() - interval '24 hours', NULL, now() - interval '1 hour', 'aal1',
   'ended-saml-browser', '192.0.2.1', NULL),
  -- signed in 40 days ago, refreshed 5 minutes ago; nothing else recorded
  ('aaaaaaaa-0000-4000-8000-000000000004', '11111111-1111-4111-8111-111111111111',
   now() - interval '960 hours', NULL, (now() - interval '5 minutes') AT TIME ZONE 'UTC', NULL, NULL,
   NULL, NULL, NULL),
  -- an OAuth client acting for alice
  ('aaaaaaaa-0000-4000-8000-0000000000ff', '11111111-1111-4111-8111-111111111111',
   now() - interval '1 hour', now() - interval '10 minutes',
   (now() - interval '10 minutes') AT TIME ZONE 'UTC', NULL, 'aal1',
   'agent/0.9', '198.51.100.20', '0c0c0c0c-0000-4000-8000-000000000001'),
  ('bbbbbbbb-0000-4000-8000-000000000001', '22222222-2222-4222-8222-222222222222',
   now() - interval '2 hours', now() - interval '2 hours', NULL, NULL, 'aal1',
   'bob-browser', '198.51.100.99', NULL);
INSERT INTO auth.mfa_amr_claims (session_id, created_at, updated_at, authentication_method, id)
VALUES
  ('aaaaaaaa-0000-4000-8000-000000000001', now(), now() - interval '72 hours', 'password', gen_random_uuid()),
  ('aaaaaaaa-0000-4000-8000-000000000002', now(), now() - interval '240 hours', 'password', gen_random_uuid()),
  ('aaaaaaaa-0000-4000-8000-000000000002', now(), now() - interval '216 hours', 'totp', gen_random_uuid()),
  ('aaaaaaaa-0000-4000-8000-000000000003', now(), now() - interval '24 hours', 'sso/saml', gen_random_uuid()),
  ('aaaaaaaa-0000-4000-8000-0000000000ff', now(), now() - interval '1 hour', 'oauth', gen_random_uuid()),
  ('bbbbbbbb-0000-4000-8000-000000000001', now(), now(), 'password', gen_random_uuid());
INSERT INTO auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id)
VALUES
  ('00000000-0000-0000-0000-000000000000', 'devLaptop1', '11111111-1111-4111-8111-111111111111',
   false, now(), now(), NULL, 'aaaaaaaa-0000-4000-8000-000000000001'),
  ('00000000-0000-0000-0000-000000000000', 'devPhone1', '11111111-1111-4111-8111-111111111111',
   true, now(), now(), NULL, 'aaaaaaaa-0000-4000-8000-000000000002'),
  ('00000000-0000-0000-0000-000000000000', 'devPhone2', '11111111-1111-4111-8111-111111111111',
   false, now(), now(), 'devPhone1', 'aaaaaaaa-0000-4000-8000-000000000002');

-- Per session: the last two digits of its id, what is left of it
CREATE VIEW jcv_test.device_rows AS
  SELECT right(s.id::text, 2) AS session, u.email,
         (SELECT count(*) FROM auth.refresh_tokens r WHERE r.session_id = s.id) AS refresh_tokens,
         (SELECT count(*) FROM auth.mfa_amr_claims m WHERE m.session_id = s.id) AS amr_claims
    FROM auth.sessions s JOIN auth.users u ON u.id = s.user_id
   ORDER BY s.id;

-- A listing in one line: session ids' last two digits in order, * for
-- current; or the error it raised
CREATE FUNCTION jcv_test.listing(token text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  outcome text;
BEGIN
  SELECT coalesce(string_agg(right(l.id::text, 2) || CASE WHEN l.current THEN '*' ELSE '' END,
                             ',' ORDER BY l.n), '(none)')
    INTO outcome
    FROM auth_sessions(token) WITH ORDINALITY
         AS l(id, created_at, last_active_at, user_agent, ip, aal, sign_in_methods,
              oauth_client_id, current, n);
  RETURN outcome;
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ' ' || SQLERRM;
END
$$;

-- Ends a device for real: the payload, or every field of the error
CREATE FUNCTION jcv_test.end_device(session_id uuid, token text,
  OUT outcome text, OUT error_hint text)
LANGUAGE plpgsql AS $$
BEGIN
  outcome := auth_logout_device(session_id, token)::text;
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS outcome = MESSAGE_TEXT, error_hint = PG_EXCEPTION_HINT;
  outcome := SQLSTATE || ' ' || outcome;
END
$$;

-- Alice's laptop asks: her four live sessions, newest activity first, the
-- SAML one past not_after left out; last active as Supabase Auth computes
-- it (refreshed_at, else updated_at, else created_at); sign-in methods most
-- recent first
SELECT right(id::text, 2) AS session, date_trunc('minute', now() - created_at) AS signed_in,
       date_trunc('minute', now() - last_active_at) AS last_active, user_agent, ip, aal,
       sign_in_methods, oauth_client_id, current
  FROM auth_sessions(jcv_test.token('alice_s1'));

-- Whose asks decides the list and current; nothing of another user, ever;
-- tokens refused as auth_logout refuses them
SELECT name, jcv_test.listing(jcv_test.token(name)) AS listing
  FROM (VALUES ('alice_s1'), ('alice_s2'), ('alice_unknown_session'), ('alice_no_session'),
               ('alice_nil_session'), ('bob_s1'), ('alice_ended_session'),
               ('alice_with_bob_session'), ('ghost_user'), ('carol_no_session'), ('expired'),
               ('wrong_secret'), ('alg_none')) AS t(name);
SELECT jcv_test.listing(NULL) AS no_token;

-- The idle limit and the timebox leave out what they end (GoTrue refuses
-- those sessions' refresh); a token whose own session they ended lists nothing
SET jcv_logout.idle_timeout = '1d';
SELECT jcv_test.listing(jcv_test.token('alice_s1')) AS idle_1_day,
       jcv_test.listing(jcv_test.token('alice_s2')) AS from_idle_phone;
RESET jcv_logout.idle_timeout;
SET jcv_logout.session_timebox = '30d';
SELECT jcv_test.listing(jcv_test.token('alice_s1')) AS timebox_30_days;
RESET jcv_logout.session_timebox;

-- A banned user, and one outside the nil instance, as Supabase Auth finds
-- users: refused
UPDATE auth.users SET banned_until = now() + interval '1 day'
 WHERE id = '22222222-2222-4222-8222-222222222222';
SELECT jcv_test.listing(jcv_test.token('bob_s1')) AS banned,
       (jcv_test.end_device('bbbbbbbb-0000-4000-8000-000000000001', jcv_test.token('bob_s1'))).outcome AS banned_ends;
UPDATE auth.users SET banned_until = now() - interval '1 day', instance_id = gen_random_uuid()
 WHERE id = '22222222-2222-4222-8222-222222222222';
SELECT jcv_test.listing(jcv_test.token('bob_s1')) AS other_instance;
UPDATE auth.users SET banned_until = NULL, instance_id = '00000000-0000-0000-0000-000000000000'
 WHERE id = '22222222-2222-4222-8222-222222222222';
SELECT jcv_test.listing(jcv_test.token('bob_s1')) AS bob_again;

-- NULL: the PostgREST request's Bearer token; its claims alone are never
-- trusted
BEGIN;
SELECT set_config('request.headers',
                  json_build_object('authorization', 'Bearer ' || jcv_test.token('alice_s2'))::text, true) IS NOT NULL AS header_set;
SELECT jcv_test.listing(NULL) AS from_header;
ROLLBACK;
BEGIN;
SELECT set_config('request.jwt.claims',
                  jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-000000000001'),
                  true) IS NOT NULL AS claims_set;
SELECT jcv_test.listing(NULL) AS from_claims_alone,
       (jcv_test.end_device('aaaaaaaa-0000-4000-8000-000000000002', NULL)).outcome AS end_from_claims_alone;
ROLLBACK;

-- A role without any right on auth's tables (as PostgREST's anon): no
-- token, nothing; the token is the only authority
CREATE ROLE regress_jcv_devices;
GRANT USAGE ON SCHEMA jcv_test TO regress_jcv_devices;
GRANT SELECT ON jcv_test.tokens TO regress_jcv_devices;
SET ROLE regress_jcv_devices;
\set VERBOSITY sqlstate
SELECT count(*) FROM auth.sessions;
\set VERBOSITY default
SELECT jcv_test.listing(NULL) AS no_token,
       (jcv_test.end_device('aaaaaaaa-0000-4000-8000-000000000002', NULL)).outcome AS end_without_token;
SELECT jcv_test.listing(jcv_test.token('bob_s1')) AS with_token;
RESET ROLE;
DROP OWNED BY regress_jcv_devices;
DROP ROLE regress_jcv_devices;
SELECT * FROM jcv_test.device_rows;

-- Ending one device. Before: the phone's token passes every session check
-- (and, preloaded, its session is kept in the cache)
CREATE FUNCTION jcv_test.phone_checks(OUT require_session text, OUT session_valid boolean,
                                      OUT session_active boolean)
LANGUAGE plpgsql AS $$
DECLARE
  claims text := jcv_test.claims('11111111-1111-4111-8111-111111111111',
                                 'aaaaaaaa-0000-4000-8000-000000000002');
BEGIN
  -- set here, outside the helper's subtransaction, which a refusal rolls back
  PERFORM set_config('request.jwt.claims', claims, true);
  session_valid := auth_session_valid();
  require_session := jcv_test.require_session(claims);
  session_active := auth_session_active(jcv_test.token('alice_s2'));
END
$$;
SELECT * FROM jcv_test.phone_checks();
SELECT * FROM jcv_test.phone_checks();
CREATE TEMP TABLE audit_before AS SELECT count(*) AS n FROM auth.audit_log_entries;

-- Another user's session and an unknown one: one answer, word for word;
-- bob's session is untouched and nothing is audited
SELECT e.* FROM (VALUES ('bob''s', 'bbbbbbbb-0000-4000-8000-000000000001'::uuid),
                        ('unknown', 'aaaaaaaa-0000-4000-8000-0000000000ee'::uuid)) AS t(whose, id),
       LATERAL jcv_test.end_device(t.id, jcv_test.token('alice_s1')) AS e;
SELECT count(*) AS bob_sessions FROM auth.sessions WHERE user_id = '22222222-2222-4222-8222-222222222222';
-- Bad input and bad tokens end nothing
SELECT * FROM jcv_test.end_device(NULL, jcv_test.token('alice_s1'));
SELECT (jcv_test.end_device('aaaaaaaa-0000-4000-8000-000000000002', jcv_test.token(name))).outcome, name
  FROM (VALUES ('wrong_secret'), ('expired'), ('alice_with_bob_session'), ('ghost_user')) AS t(name);
SELECT count(*) - (SELECT n FROM audit_before) AS audit_rows FROM auth.audit_log_entries;

-- The laptop signs the phone out: auth_logout's payload, one audit row as
-- Supabase Auth's /logout writes, the phone's refresh tokens and amr
-- claims gone by cascade, every other session untouched
SELECT * FROM jcv_test.end_device('aaaaaaaa-0000-4000-8000-000000000002', jcv_test.token('alice_s1'));
SELECT count(*) - (SELECT n FROM audit_before) AS audit_rows FROM auth.audit_log_entries;
SELECT payload ->> 'action' AS action, payload ->> 'actor_id' AS actor_id,
       payload ->> 'actor_username' AS actor_username, payload ->> 'log_type' AS log_type,
       ip_address
  FROM auth.audit_log_entries ORDER BY created_at DESC, id LIMIT 1;
SELECT * FROM jcv_test.device_rows;
SELECT count(*) AS phone_refresh_tokens FROM auth.refresh_tokens WHERE token LIKE 'devPhone%';

-- At once, every session check refuses the phone (the cache's trigger saw
-- the DELETE), and its token lists nothing
SELECT * FROM jcv_test.phone_checks();
SELECT jcv_test.listing(jcv_test.token('alice_s2')) AS phone,
       jcv_test.listing(jcv_test.token('alice_s1')) AS laptop;
-- Ended once, it answers as an unknown session, without an audit row
SELECT * FROM jcv_test.end_device('aaaaaaaa-0000-4000-8000-000000000002', jcv_test.token('alice_s1'));
SELECT count(*) - (SELECT n FROM audit_before) AS audit_rows FROM auth.audit_log_entries;

-- The caller's own session: a local logout; the token then counts for nothing
SELECT * FROM jcv_test.end_device('aaaaaaaa-0000-4000-8000-0000000000ff', jcv_test.token('alice_unknown_session'));
SELECT jcv_test.listing(jcv_test.token('alice_unknown_session')) AS own_ended,
       (jcv_test.end_device('aaaaaaaa-0000-4000-8000-000000000001', jcv_test.token('alice_unknown_session'))).outcome AS then_ends;
-- A session past its end is not listed, but it still exists: as with
-- auth_logout, its own token can end it
SELECT (jcv_test.end_device('aaaaaaaa-0000-4000-8000-000000000003', jcv_test.token('alice_ended_session'))).outcome AS past_not_after;
-- A token without a session may end any session of its user
SELECT (jcv_test.end_device('aaaaaaaa-0000-4000-8000-000000000004', jcv_test.token('alice_no_session'))).outcome AS without_session;
SELECT * FROM jcv_test.device_rows;
SELECT count(*) - (SELECT n FROM audit_before) AS audit_rows FROM auth.audit_log_entries;

DROP TABLE audit_before;
DROP FUNCTION jcv_test.phone_checks();
