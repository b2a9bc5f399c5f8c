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
CREATE TABLE jcv_test.initial_users AS TABLE auth.users;
-- New row versions only ever go after the old ones (no vacuum frees a line
-- pointer), so specs/logout_scan_order.spec can put a session last in scan
-- order by deleting and inserting it again.
ALTER TABLE auth.sessions SET (autovacuum_enabled = off);

-- The users' login state too (a spec bans, soft-deletes or changes a
-- password), and the list of sessions ended while held: run it with the
-- logout trigger off.
CREATE FUNCTION jcv_test.reset_login_state() RETURNS void
LANGUAGE sql AS $$
  UPDATE auth.users u SET banned_until = i.banned_until, deleted_at = i.deleted_at,
         encrypted_password = i.encrypted_password, email = i.email, phone = i.phone,
         last_sign_in_at = i.last_sign_in_at
    FROM jcv_test.initial_users i WHERE u.id = i.id;
  DELETE FROM jcv_logout_ended_sessions;
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
-- statement, in two parts so a spec can interleave between them. First
-- (gotrue_refresh_lock): lock the refresh token row, then its session, both
-- FOR UPDATE SKIP LOCKED (a locked row reads as "not found" and GoTrue
-- retries later). Then (gotrue_refresh_finish): revoke the old token,
-- insert its child, stamp the user (UpdateLastSignInAt: an UPDATE of the
-- user's row while the session is held) and the session.
CREATE FUNCTION jcv_test.gotrue_refresh_lock(old_token text)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  old auth.refresh_tokens;
BEGIN
  SELECT * INTO old FROM auth.refresh_tokens WHERE token = old_token
   LIMIT 1 FOR UPDATE SKIP LOCKED;
  IF NOT FOUND THEN
    IF EXISTS (SELECT 1 FROM auth.refresh_tokens WHERE token = old_token) THEN
      RETURN 'retry: refresh token row is locked';
    END IF;
    RETURN 'Invalid Refresh Token: Refresh Token Not Found';
  END IF;
  PERFORM 1 FROM auth.sessions WHERE id = old.session_id LIMIT 1 FOR UPDATE SKIP LOCKED;
  IF NOT FOUND THEN
    RETURN 'retry: session row is locked or gone';
  END IF;
  RETURN 'locked';
END
$$;

CREATE FUNCTION jcv_test.gotrue_refresh_finish(old_token text, new_token text)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  old auth.refresh_tokens;
BEGIN
  SELECT * INTO old FROM auth.refresh_tokens WHERE token = old_token;
  UPDATE auth.refresh_tokens SET revoked = true WHERE id = old.id;
  INSERT INTO auth.refresh_tokens (instance_id, token, user_id, revoked,
                                   created_at, updated_at, parent, session_id)
  VALUES ('00000000-0000-0000-0000-000000000000', new_token, old.user_id, false,
          now(), now(), old.token, old.session_id);
  UPDATE auth.users SET last_sign_in_at = now() WHERE id = old.user_id::uuid;
  UPDATE auth.sessions SET refreshed_at = now() AT TIME ZONE 'UTC', updated_at = now()
   WHERE id = old.session_id;
  RETURN 'refreshed';
END
$$;

CREATE FUNCTION jcv_test.gotrue_refresh(old_token text, new_token text)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  outcome text := jcv_test.gotrue_refresh_lock(old_token);
BEGIN
  IF outcome <> 'locked' THEN
    RETURN outcome;
  END IF;
  RETURN jcv_test.gotrue_refresh_finish(old_token, new_token);
END
$$;

-- Supabase Auth's user changes that can end sessions, as its admin API runs
-- them (internal/models/user.go Ban, SoftDeleteUser; pop's UpdateOnly also
-- sets updated_at). With the logout trigger on, ours ends the sessions.
CREATE FUNCTION jcv_test.gotrue_ban(user_id uuid) RETURNS void
LANGUAGE sql AS $$
  UPDATE auth.users SET banned_until = now() + interval '1 day', updated_at = now()
   WHERE id = user_id;
$$;

CREATE FUNCTION jcv_test.gotrue_soft_delete(user_id uuid) RETURNS void
LANGUAGE sql AS $$
  UPDATE auth.users SET email = 'obfuscated-' || id || '@example.invalid', phone = NULL,
         encrypted_password = NULL, deleted_at = now(), updated_at = now()
   WHERE id = user_id;
$$;

-- A session deleted and inserted again (with its refresh tokens and amr
-- claims), so that it comes last in a scan of the table.
CREATE FUNCTION jcv_test.move_session_last(session uuid) RETURNS void
LANGUAGE sql AS $$
  DELETE FROM auth.sessions WHERE id = session;
  INSERT INTO auth.sessions SELECT * FROM jcv_test.initial_sessions WHERE id = session;
  INSERT INTO auth.refresh_tokens SELECT * FROM jcv_test.initial_refresh_tokens WHERE session_id = session;
  INSERT INTO auth.mfa_amr_claims SELECT * FROM jcv_test.initial_amr_claims WHERE session_id = session;
$$;

-- Refresh tokens whose session no longer exists: must always be none.
CREATE VIEW jcv_test.orphan_refresh_tokens AS
  SELECT r.token FROM auth.refresh_tokens r
   WHERE r.session_id IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM auth.sessions s WHERE s.id = r.session_id);
