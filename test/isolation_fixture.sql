-- Fixture for the isolation specs (specs/*.spec): pg_isolation_regress runs
-- them in an existing database (--use-existing) that `make installcheck`
-- fills with this file first, because a spec cannot \i files.
--   psql -d isolation_regression -f test/isolation_fixture.sql
\set ON_ERROR_STOP 1
\i test/fixture.sql
SET client_min_messages = error;
SELECT jcv_test.write_secret_file('super-secret-jwt-token-with-at-least-32-characters-long');
ALTER DATABASE isolation_regression SET jcv_logout.jwt_secret_file = 'jcv_jwt_secret';

-- Every permutation starts from the fixture rows: each spec's setup calls
-- jcv_test.reset_login_state().
CREATE TABLE jcv_test.initial_sessions AS TABLE auth.sessions;
CREATE TABLE jcv_test.initial_refresh_tokens AS TABLE auth.refresh_tokens;
CREATE TABLE jcv_test.initial_amr_claims AS TABLE auth.mfa_amr_claims;

CREATE FUNCTION jcv_test.reset_login_state() RETURNS void
LANGUAGE sql AS $$
  DELETE FROM auth.audit_log_entries;
  DELETE FROM auth.refresh_tokens;
  DELETE FROM auth.mfa_amr_claims;
  DELETE FROM auth.sessions;
  INSERT INTO auth.sessions SELECT * FROM jcv_test.initial_sessions;
  INSERT INTO auth.refresh_tokens SELECT * FROM jcv_test.initial_refresh_tokens;
  INSERT INTO auth.mfa_amr_claims SELECT * FROM jcv_test.initial_amr_claims;
$$;

-- A logout whose changes stay (unlike dry_logout), or the error it raised:
-- the exception block rolls back whatever the failed logout had done.
CREATE FUNCTION jcv_test.try_logout(token text, scope text DEFAULT 'global')
RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  RETURN auth_logout(token, scope)::text;
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ' ' || SQLERRM;
END
$$;

-- Supabase Auth's refresh-token rotation (internal/tokens/service.go
-- RefreshTokenGrant with models.GrantRefreshTokenSwap), statement for
-- statement: lock the refresh token row, then its session, both
-- FOR UPDATE SKIP LOCKED (a locked row reads as "not found" and GoTrue
-- retries later); revoke the old token, insert its child, stamp the user
-- and the session.
CREATE FUNCTION jcv_test.gotrue_refresh(old_token text, new_token text)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  old auth.refresh_tokens;
  session auth.sessions;
BEGIN
  SELECT * INTO old FROM auth.refresh_tokens WHERE token = old_token
   LIMIT 1 FOR UPDATE SKIP LOCKED;
  IF NOT FOUND THEN
    IF EXISTS (SELECT 1 FROM auth.refresh_tokens WHERE token = old_token) THEN
      RETURN 'retry: refresh token row is locked';
    END IF;
    RETURN 'Invalid Refresh Token: Refresh Token Not Found';
  END IF;
  SELECT * INTO session FROM auth.sessions WHERE id = old.session_id
   LIMIT 1 FOR UPDATE SKIP LOCKED;
  IF NOT FOUND THEN
    RETURN 'retry: session row is locked or gone';
  END IF;
  UPDATE auth.refresh_tokens SET revoked = true WHERE id = old.id;
  INSERT INTO auth.refresh_tokens (instance_id, token, user_id, revoked,
                                   created_at, updated_at, parent, session_id)
  VALUES ('00000000-0000-0000-0000-000000000000', new_token, old.user_id, false,
          now(), now(), old.token, old.session_id);
  UPDATE auth.users SET last_sign_in_at = now() WHERE id = old.user_id::uuid;
  UPDATE auth.sessions SET refreshed_at = now() AT TIME ZONE 'UTC', updated_at = now()
   WHERE id = session.id;
  RETURN 'refreshed';
END
$$;

-- Refresh tokens whose session no longer exists: must always be none.
CREATE VIEW jcv_test.orphan_refresh_tokens AS
  SELECT r.token FROM auth.refresh_tokens r
   WHERE r.session_id IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM auth.sessions s WHERE s.id = r.session_id);
