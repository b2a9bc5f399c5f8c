-- Logout as Supabase Auth v2.196's /logout does it: each case where the two
-- could differ (README "Where jcv_logout differs from Supabase Auth's
-- /logout"), on rows shaped as Supabase Auth writes them today. Tokens:
-- test/mint_fidelity_tokens.py (PyJWT); audit payloads: Go's own
-- encoding/json (test/gotrue_audit/main.go).
\set ECHO none
\getenv abs_srcdir PG_ABS_SRCDIR
\set fixture :abs_srcdir '/test/fidelity_tokens.sql'
\i :fixture
CREATE TABLE jcv_test.audit_cases (name text PRIMARY KEY, email text, phone text,
  is_sso_user boolean, user_metadata text, logout_payload text, admin_payload text);
\set fixture :abs_srcdir '/test/gotrue_audit_payloads.sql'
\i :fixture
\set ECHO all

-- erin: one session of each kind Supabase Auth writes now. 1: refresh token
-- v2, held in the session row (refresh_token_hmac_key, counter), no
-- refresh_tokens rows; 2: a session of an OAuth client (oauth_client_id,
-- scopes) with v1 tokens; 3: aal2 after an MFA verify (factor_id, amr
-- password and totp); 4: SAML, past not_after. Plus a legacy session-less
-- refresh token. fred: an anonymous user. gina: banned. hank: in another
-- instance. dave: the audit payload cases.
INSERT INTO auth.oauth_clients (id, registration_type, redirect_uris, grant_types, client_name,
                                client_type, token_endpoint_auth_method)
VALUES ('c1c1c1c1-0000-4000-8000-000000000001', 'dynamic', 'https://app.example/callback',
        'authorization_code,refresh_token', 'Example app', 'public', 'none');
INSERT INTO auth.users (instance_id, id, aud, role, email, phone, raw_user_meta_data,
                        is_anonymous, banned_until, created_at, updated_at)
VALUES
  ('00000000-0000-0000-0000-000000000000', 'eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee', 'authenticated',
   'authenticated', 'erin@example.com', NULL, '{"full_name": "Erin <Admin> & co"}', false, NULL, now(), now()),
  ('00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-4fff-8fff-ffffffffffff', 'authenticated',
   'authenticated', NULL, NULL, '{}', true, NULL, now(), now()),
  ('00000000-0000-0000-0000-000000000000', '99999999-9999-4999-8999-999999999999', 'authenticated',
   'authenticated', 'gina@example.com', NULL, '{}', false, '2100-01-01 00:00:00+00', now(), now()),
  ('12345678-0000-4000-8000-000000000000', '88888888-8888-4888-8888-888888888888', 'authenticated',
   'authenticated', 'hank@example.com', NULL, '{}', false, NULL, now(), now()),
  ('00000000-0000-0000-0000-000000000000', 'dddddddd-dddd-4ddd-8ddd-dddddddddddd', 'authenticated',
   'authenticated', 'dave@example.com', NULL, '{}', false, NULL, now(), now());
INSERT INTO auth.sessions (id, user_id, created_at, updated_at, factor_id, aal, not_after, refreshed_at,
                           user_agent, oauth_client_id, refresh_token_hmac_key, refresh_token_counter, scopes)
VALUES
  ('eeeeeeee-0000-4000-8000-000000000001', 'eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee', now(), now(), NULL,
   'aal1', NULL, now() AT TIME ZONE 'UTC', 'supabase-js', NULL, 'c2Vzc2lvbi1obWFjLWtleS0xCg', 7, NULL),
  ('eeeeeeee-0000-4000-8000-000000000002', 'eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee', now(), now(), NULL,
   'aal1', NULL, now() AT TIME ZONE 'UTC', 'oauth-client', 'c1c1c1c1-0000-4000-8000-000000000001',
   NULL, NULL, 'openid email profile'),
  ('eeeeeeee-0000-4000-8000-000000000003', 'eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee', now(), now(),
   'f1f1f1f1-0000-4000-8000-000000000001', 'aal2', NULL, now() AT TIME ZONE 'UTC', 'supabase-js', NULL,
   NULL, NULL, NULL),
  ('eeeeeeee-0000-4000-8000-000000000004', 'eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee',
   '2020-01-01 00:00:00+00', '2020-01-01 00:00:00+00', NULL, 'aal1', '2020-01-02 00:00:00+00', NULL,
   'saml', NULL, NULL, NULL, NULL),
  ('ffffffff-0000-4000-8000-000000000001', 'ffffffff-ffff-4fff-8fff-ffffffffffff', now(), now(), NULL,
   'aal1', NULL, NULL, 'supabase-js', NULL, NULL, NULL, NULL),
  ('ffffffff-0000-4000-8000-000000000002', 'ffffffff-ffff-4fff-8fff-ffffffffffff', now(), now(), NULL,
   'aal1', NULL, NULL, 'supabase-js', NULL, NULL, NULL, NULL),
  ('99999999-0000-4000-8000-000000000001', '99999999-9999-4999-8999-999999999999', now(), now(), NULL,
   'aal1', NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  ('88888888-0000-4000-8000-000000000001', '88888888-8888-4888-8888-888888888888', now(), now(), NULL,
   'aal1', NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id)
VALUES
  ('00000000-0000-0000-0000-000000000000', 'erinS2tokA', 'eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee', false,
   now(), now(), NULL, 'eeeeeeee-0000-4000-8000-000000000002'),
  ('00000000-0000-0000-0000-000000000000', 'erinS3tokA', 'eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee', true,
   now(), now(), NULL, 'eeeeeeee-0000-4000-8000-000000000003'),
  ('00000000-0000-0000-0000-000000000000', 'erinS3tokB', 'eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee', false,
   now(), now(), 'erinS3tokA', 'eeeeeeee-0000-4000-8000-000000000003'),
  ('00000000-0000-0000-0000-000000000000', 'erinS4tokA', 'eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee', false,
   now(), now(), NULL, 'eeeeeeee-0000-4000-8000-000000000004'),
  ('00000000-0000-0000-0000-000000000000', 'erinLegacy', 'eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee', false,
   now(), now(), NULL, NULL),
  ('00000000-0000-0000-0000-000000000000', 'fredF2tokA', 'ffffffff-ffff-4fff-8fff-ffffffffffff', false,
   now(), now(), NULL, 'ffffffff-0000-4000-8000-000000000002'),
  ('00000000-0000-0000-0000-000000000000', 'ginaG1tokA', '99999999-9999-4999-8999-999999999999', false,
   now(), now(), NULL, '99999999-0000-4000-8000-000000000001'),
  ('00000000-0000-0000-0000-000000000000', 'hankH1tokA', '88888888-8888-4888-8888-888888888888', false,
   now(), now(), NULL, '88888888-0000-4000-8000-000000000001');
INSERT INTO auth.mfa_amr_claims (session_id, created_at, updated_at, authentication_method, id)
VALUES
  ('eeeeeeee-0000-4000-8000-000000000001', now(), now(), 'password', 'e0e0e0e0-0000-4000-8000-000000000001'),
  ('eeeeeeee-0000-4000-8000-000000000002', now(), now(), 'oauth_provider/authorization_code', 'e0e0e0e0-0000-4000-8000-000000000002'),
  ('eeeeeeee-0000-4000-8000-000000000003', now(), now(), 'password', 'e0e0e0e0-0000-4000-8000-000000000003'),
  ('eeeeeeee-0000-4000-8000-000000000003', now(), now(), 'totp', 'e0e0e0e0-0000-4000-8000-000000000004'),
  ('eeeeeeee-0000-4000-8000-000000000004', now(), now(), 'sso/saml', 'e0e0e0e0-0000-4000-8000-000000000005'),
  ('ffffffff-0000-4000-8000-000000000001', now(), now(), 'anonymous', 'f0f0f0f0-0000-4000-8000-000000000001'),
  ('ffffffff-0000-4000-8000-000000000002', now(), now(), 'anonymous', 'f0f0f0f0-0000-4000-8000-000000000002'),
  ('99999999-0000-4000-8000-000000000001', now(), now(), 'password', '90909090-0000-4000-8000-000000000001'),
  ('88888888-0000-4000-8000-000000000001', now(), now(), 'password', '80808080-0000-4000-8000-000000000001');

-- What a user has left: sessions (last digit of the id), refresh tokens,
-- amr claims (session digit:method), audit rows.
CREATE FUNCTION jcv_test.rows_of(user_id uuid) RETURNS text
LANGUAGE sql AS $$
  SELECT 'sessions ' || coalesce((SELECT string_agg(right(s.id::text, 1), ',' ORDER BY s.id)
                                    FROM auth.sessions s WHERE s.user_id = rows_of.user_id), '-')
      || ' | refresh_tokens ' || coalesce((SELECT string_agg(r.token, ',' ORDER BY r.token)
                                    FROM auth.refresh_tokens r WHERE r.user_id = rows_of.user_id::text), '-')
      || ' | amr ' || coalesce((SELECT string_agg(right(m.session_id::text, 1) || ':' || m.authentication_method,
                                                  ',' ORDER BY m.session_id, m.authentication_method)
                                  FROM auth.mfa_amr_claims m
                                 WHERE left(m.session_id::text, 8) = left(rows_of.user_id::text, 8)), '-')
      || ' | audit rows ' || (SELECT count(*) FROM auth.audit_log_entries a
                               WHERE a.payload->>'actor_id' = rows_of.user_id::text)
$$;

-- A logout whose effects are rolled back: its answer (or error), what the
-- user had left after it, and its audit row's text.
CREATE FUNCTION jcv_test.logout_leaves(token_name text, scope text, user_id uuid,
  OUT outcome text, OUT left_over text, OUT audit_payload text)
LANGUAGE plpgsql AS $$
BEGIN
  BEGIN
    outcome := auth_logout(jcv_test.token(token_name), scope)->>'message';
    left_over := jcv_test.rows_of(user_id);
    SELECT a.payload::text INTO audit_payload FROM auth.audit_log_entries a
     WHERE a.payload->>'actor_id' = user_id::text;
    RAISE SQLSTATE 'JT000';
  EXCEPTION
    WHEN SQLSTATE 'JT000' THEN
      NULL;
    WHEN OTHERS THEN
      outcome := SQLSTATE || ' ' || SQLERRM;
      left_over := jcv_test.rows_of(user_id);
  END;
END
$$;

-- What the session check says of a token (auth_session_active) and of the
-- claims PostgREST would set for it (auth_require_session, auth_session_valid).
CREATE FUNCTION jcv_test.session_check(token_name text,
  OUT session_active boolean, OUT require_session text, OUT session_valid boolean)
LANGUAGE plpgsql AS $$
DECLARE
  claims text := convert_from(decode(translate(split_part(jcv_test.token(token_name), '.', 2), '-_', '+/')
                   || repeat('=', (4 - length(split_part(jcv_test.token(token_name), '.', 2)) % 4) % 4),
                   'base64'), 'UTF8');
BEGIN
  session_active := auth_session_active(jcv_test.token(token_name));
  require_session := jcv_test.require_session(claims);
  PERFORM set_config('request.jwt.claims', claims, true);
  session_valid := auth_session_valid();
END
$$;

SELECT 'erin' AS "user", jcv_test.rows_of('eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee') AS rows_before
UNION ALL SELECT 'fred', jcv_test.rows_of('ffffffff-ffff-4fff-8fff-ffffffffffff');

-- Each kind of session through every scope: local ends its session (its v1
-- tokens and amr claims by cascade; a v2 refresh token lives in the row, so
-- it is gone with it), others the rest and the legacy token, global all.
-- The session past not_after (4) is ended like the others, as Supabase
-- Auth's /logout ends it.
SELECT t.token_name, s.scope, l.outcome, l.left_over
  FROM (VALUES ('erin_v2_refresh'), ('erin_oauth_client'), ('erin_aal2'), ('erin_ended')) AS t (token_name)
 CROSS JOIN (VALUES ('global'), ('local'), ('others')) AS s (scope)
 CROSS JOIN LATERAL jcv_test.logout_leaves(t.token_name, s.scope, 'eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee') AS l
 ORDER BY t.token_name, s.scope;
SELECT s.scope, l.outcome, l.left_over
  FROM (VALUES ('global'), ('local'), ('others')) AS s (scope)
 CROSS JOIN LATERAL jcv_test.logout_leaves('fred_anonymous', s.scope, 'ffffffff-ffff-4fff-8fff-ffffffffffff') AS l
 ORDER BY s.scope;

-- Their audit rows, as Supabase Auth writes them: an anonymous user has no
-- username; HTML characters in full_name escaped as Go escapes them.
SELECT l.audit_payload FROM jcv_test.logout_leaves('erin_oauth_client', 'local', 'eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee') AS l;
SELECT l.audit_payload FROM jcv_test.logout_leaves('fred_anonymous', 'local', 'ffffffff-ffff-4fff-8fff-ffffffffffff') AS l;

-- The session check keeps refusing the ended session that a logout ends;
-- the others are alive.
SELECT t.token_name, c.*
  FROM (VALUES ('erin_v2_refresh'), ('erin_oauth_client'), ('erin_aal2'), ('erin_ended'), ('fred_anonymous')) AS t (token_name)
 CROSS JOIN LATERAL jcv_test.session_check(t.token_name) AS c
 ORDER BY t.token_name;

-- Sessions past the time box or idle too long: refused by the session
-- check, ended by a logout. Signing out everywhere from a timed-out device
-- signs out the other devices.
BEGIN;
SET LOCAL jcv_logout.session_timebox = '1d';
UPDATE auth.sessions SET created_at = now() - interval '2 days' WHERE id = 'eeeeeeee-0000-4000-8000-000000000001';
SELECT c.* FROM jcv_test.session_check('erin_v2_refresh') AS c;
SELECT l.outcome, l.left_over FROM jcv_test.logout_leaves('erin_v2_refresh', 'global', 'eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee') AS l;
ROLLBACK;
BEGIN;
SET LOCAL jcv_logout.idle_timeout = '1h';
UPDATE auth.sessions SET refreshed_at = (now() - interval '2 hours') AT TIME ZONE 'UTC'
 WHERE id = 'eeeeeeee-0000-4000-8000-000000000003';
SELECT c.* FROM jcv_test.session_check('erin_aal2') AS c;
SELECT s.scope, l.outcome, l.left_over
  FROM (VALUES ('local'), ('others')) AS s (scope)
 CROSS JOIN LATERAL jcv_test.logout_leaves('erin_aal2', s.scope, 'eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee') AS l
 ORDER BY s.scope;
ROLLBACK;

-- session_id "" (a custom access token hook may write it) and null are no
-- session, as an absent claim or the nil uuid: the logout is global in any
-- scope, and the session check has no session to check (auth_session_active
-- is false, as for every token without a session).
SELECT t.token_name, s.scope, l.outcome, l.left_over
  FROM (VALUES ('erin_session_empty'), ('erin_session_null')) AS t (token_name)
 CROSS JOIN (VALUES ('global'), ('local'), ('others')) AS s (scope)
 CROSS JOIN LATERAL jcv_test.logout_leaves(t.token_name, s.scope, 'eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee') AS l
 ORDER BY t.token_name, s.scope;
SELECT t.token_name, c.*
  FROM (VALUES ('erin_session_empty'), ('erin_session_null')) AS t (token_name)
 CROSS JOIN LATERAL jcv_test.session_check(t.token_name) AS c
 ORDER BY t.token_name;
SELECT shape, jcv_test.require_session(claims) AS require_session,
       (SELECT set_config('request.jwt.claims', claims, false) IS NOT NULL AND auth_session_valid()) AS session_valid
  FROM (VALUES
    ('absent', '{"role": "authenticated", "sub": "eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee"}'),
    ('nil', '{"role": "authenticated", "sub": "eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee", "session_id": "00000000-0000-0000-0000-000000000000"}'),
    ('""', '{"role": "authenticated", "sub": "eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee", "session_id": ""}'),
    ('null', '{"role": "authenticated", "sub": "eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee", "session_id": null}'),
    ('" "', '{"role": "authenticated", "sub": "eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee", "session_id": " "}'),
    ('"" without sub', '{"role": "authenticated", "session_id": ""}')
  ) AS shapes (shape, claims);
RESET request.jwt.claims;

-- iat ahead of the database's clock is no reason to refuse, for the logout
-- and the session check alike; nbf still is, within jcv_logout.leeway.
SELECT l.outcome, l.left_over FROM jcv_test.logout_leaves('erin_iat_ahead', 'local', 'eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee') AS l;
SELECT c.* FROM jcv_test.session_check('erin_iat_ahead') AS c;
SELECT jcv_test.dry_logout(jcv_test.token('erin_iat_ahead_nbf_ahead'), 'local') AS nbf_ahead;
SELECT auth_session_active(jcv_test.token('erin_iat_ahead_nbf_ahead')) AS nbf_ahead_active;
SET jcv_logout.leeway = 2000000000;
SELECT jcv_test.dry_logout(jcv_test.token('erin_iat_ahead_nbf_ahead'), 'local') AS nbf_ahead_within_leeway;
RESET jcv_logout.leeway;

-- jcv_logout.audience = '' checks no audience, as Supabase Auth: then any
-- token its keys signed for a user counts, an OpenID Connect ID token too
-- (aud = the OAuth client, no session_id: a global logout). The default
-- 'authenticated' refuses it.
SELECT jcv_test.dry_logout(jcv_test.token('erin_oidc_id_token')) AS id_token_default_audience;
SET jcv_logout.audience = '';
SELECT l.outcome, l.left_over FROM jcv_test.logout_leaves('erin_oidc_id_token', 'local', 'eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee') AS l;
RESET jcv_logout.audience;

-- A banned user (banned_until in the future) is refused in every scope and
-- keeps every row, as Supabase Auth answers 403 user_banned; once the ban
-- has passed, the logout proceeds.
SELECT s.scope, l.outcome, l.left_over
  FROM (VALUES ('global'), ('local'), ('others')) AS s (scope)
 CROSS JOIN LATERAL jcv_test.logout_leaves('gina_banned', s.scope, '99999999-9999-4999-8999-999999999999') AS l
 ORDER BY s.scope;
BEGIN;
UPDATE auth.users SET banned_until = now() - interval '1 second' WHERE id = '99999999-9999-4999-8999-999999999999';
SELECT l.outcome, l.left_over FROM jcv_test.logout_leaves('gina_banned', 'local', '99999999-9999-4999-8999-999999999999') AS l;
ROLLBACK;

-- A user outside the nil instance does not exist for Supabase Auth
-- (FindUserByID); nor does one whose instance_id is NULL.
SELECT s.scope, l.outcome, l.left_over
  FROM (VALUES ('global'), ('local'), ('others')) AS s (scope)
 CROSS JOIN LATERAL jcv_test.logout_leaves('hank_other_instance', s.scope, '88888888-8888-4888-8888-888888888888') AS l
 ORDER BY s.scope;
BEGIN;
UPDATE auth.users SET instance_id = NULL WHERE id = '88888888-8888-4888-8888-888888888888';
SELECT l.outcome, l.left_over FROM jcv_test.logout_leaves('hank_other_instance', 'local', '88888888-8888-4888-8888-888888888888') AS l;
UPDATE auth.users SET instance_id = '00000000-0000-0000-0000-000000000000' WHERE id = '88888888-8888-4888-8888-888888888888';
SELECT l.outcome, l.left_over FROM jcv_test.logout_leaves('hank_other_instance', 'local', '88888888-8888-4888-8888-888888888888') AS l;
ROLLBACK;

-- The audit payload, byte for byte as Supabase Auth's: for each user row,
-- the text of the row of dave's own logout and of auth_logout_user, against
-- what Go's encoding/json writes for GoTrue's map (test/gotrue_audit).
CREATE TABLE jcv_test.audit_seen (name text PRIMARY KEY, logout_payload text, admin_payload text);
DO $$
DECLARE
  c record;
  dave constant uuid := 'dddddddd-dddd-4ddd-8ddd-dddddddddddd';
BEGIN
  FOR c IN SELECT * FROM jcv_test.audit_cases LOOP
    UPDATE auth.users SET email = c.email, phone = c.phone, is_sso_user = c.is_sso_user,
                          raw_user_meta_data = c.user_metadata::jsonb
     WHERE id = dave;
    DELETE FROM auth.audit_log_entries a WHERE a.payload->>'actor_id' = dave::text;
    PERFORM auth_logout(jcv_test.token('dave_no_session'));
    INSERT INTO auth.sessions (id, user_id, created_at, updated_at, aal)
    VALUES ('dddddddd-0000-4000-8000-000000000001', dave, now(), now(), 'aal1');
    PERFORM auth_logout_user(dave);
    INSERT INTO jcv_test.audit_seen
    SELECT c.name,
           (SELECT a.payload::text FROM auth.audit_log_entries a
             WHERE a.payload->>'actor_id' = dave::text AND a.payload->'traits' IS NULL),
           (SELECT a.payload::text FROM auth.audit_log_entries a
             WHERE a.payload->>'actor_id' = dave::text AND a.payload->'traits' IS NOT NULL);
  END LOOP;
  DELETE FROM auth.audit_log_entries a WHERE a.payload->>'actor_id' = dave::text;
END
$$;
SELECT c.name, s.logout_payload = c.logout_payload AS logout_as_go,
       s.admin_payload = c.admin_payload AS admin_as_go
  FROM jcv_test.audit_cases c LEFT JOIN jcv_test.audit_seen s USING (name)
 ORDER BY c.name;
-- the texts themselves, for the reader
SELECT name, logout_payload FROM jcv_test.audit_seen ORDER BY name;

-- auth_purge_sessions writes the same shape, naming itself in traits
BEGIN;
UPDATE auth.users u SET email = c.email, phone = c.phone, is_sso_user = c.is_sso_user,
                        raw_user_meta_data = c.user_metadata::jsonb
  FROM jcv_test.audit_cases c
 WHERE u.id = 'dddddddd-dddd-4ddd-8ddd-dddddddddddd' AND c.name = 'HTML characters';
INSERT INTO auth.sessions (id, user_id, created_at, updated_at, aal, not_after)
VALUES ('dddddddd-0000-4000-8000-000000000002', 'dddddddd-dddd-4ddd-8ddd-dddddddddddd', now(), now(), 'aal1',
        '2020-01-01 00:00:00+00');
SELECT auth_purge_sessions() > 0 AS purged;
SELECT a.payload::text = replace((SELECT c.admin_payload FROM jcv_test.audit_cases c WHERE c.name = 'HTML characters'),
                                 'auth_logout_user', 'auth_purge_sessions') AS purge_as_go,
       a.payload::text
  FROM auth.audit_log_entries a
 WHERE a.payload->>'actor_id' = 'dddddddd-dddd-4ddd-8ddd-dddddddddddd';
ROLLBACK;

-- Nothing of this file is left for the next ones
DELETE FROM auth.users WHERE id IN ('eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee', 'ffffffff-ffff-4fff-8fff-ffffffffffff',
  '99999999-9999-4999-8999-999999999999', '88888888-8888-4888-8888-888888888888', 'dddddddd-dddd-4ddd-8ddd-dddddddddddd');
DELETE FROM auth.refresh_tokens WHERE token IN ('erinLegacy');
DELETE FROM auth.oauth_clients WHERE id = 'c1c1c1c1-0000-4000-8000-000000000001';
DELETE FROM jcv_test.tokens WHERE name ~ '^(erin|fred|gina|hank|dave)_';
DROP TABLE jcv_test.audit_cases, jcv_test.audit_seen;
DROP FUNCTION jcv_test.rows_of(uuid), jcv_test.logout_leaves(text, text, uuid), jcv_test.session_check(text);
SELECT (SELECT count(*) FROM auth.users WHERE left(id::text, 8) IN ('eeeeeeee', 'ffffffff', '99999999', '88888888', 'dddddddd')) AS users,
       (SELECT count(*) FROM auth.sessions WHERE left(id::text, 8) IN ('eeeeeeee', 'ffffffff', '99999999', '88888888', 'dddddddd')) AS sessions,
       (SELECT count(*) FROM auth.refresh_tokens WHERE left(user_id, 8) IN ('eeeeeeee', 'ffffffff', '99999999', '88888888', 'dddddddd')) AS refresh_tokens,
       (SELECT count(*) FROM auth.mfa_amr_claims WHERE left(session_id::text, 8) IN ('eeeeeeee', 'ffffffff', '99999999', '88888888')) AS amr_claims,
       (SELECT count(*) FROM auth.audit_log_entries WHERE left(payload->>'actor_id', 8) IN ('eeeeeeee', 'ffffffff', '99999999', '88888888', 'dddddddd')) AS audit_rows;
