/* jcv_logout--1.1.sql: built by the Makefile from jcv_logout--1.0.sql jcv_logout--1.0--1.1.sql; do not edit */

\echo Use "CREATE EXTENSION jcv_logout" to load this file. \quit

CREATE FUNCTION auth_logout(token text DEFAULT NULL, scope text DEFAULT 'global')
RETURNS jsonb
AS 'MODULE_PATHNAME', 'auth_logout'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION auth_logout(text, text) IS
'Verify a Supabase Auth access token (NULL: the PostgREST request''s Bearer token) and log out by scope: global, local or others';

-- Reads only (no row locks), so it also runs in read-only transactions and
-- on a hot standby; VOLATILE because the answer depends on the clock.
CREATE FUNCTION auth_session_active(token text DEFAULT NULL)
RETURNS boolean
AS 'MODULE_PATHNAME', 'auth_session_active'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION auth_session_active(text) IS
'True only if a Supabase Auth access token (NULL: the PostgREST request''s Bearer token) verifies and its session still exists and has not ended';

CREATE FUNCTION auth_require_session()
RETURNS void
AS 'MODULE_PATHNAME', 'auth_require_session'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION auth_require_session() IS
'PostgREST db-pre-request hook: refuse (401 UNAUTHORIZED) a request whose access token belongs to a session that no longer exists or has ended';

-- The token is the authority: anyone who can reach these functions may call
-- them, only a verified token deletes. With Supabase's API roles present,
-- they (not PUBLIC) are granted; without them (plain PostgreSQL), PUBLIC.
REVOKE ALL ON FUNCTION auth_logout(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION auth_session_active(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION auth_require_session() FROM PUBLIC;

DO $$
DECLARE
  api_roles text[] := ARRAY(SELECT r.rolname::text FROM pg_catalog.pg_roles r
                             WHERE r.rolname = ANY (ARRAY['anon', 'authenticated', 'service_role'])
                             ORDER BY r.rolname);
  grantees text;
  fn regprocedure;
BEGIN
  IF pg_catalog.cardinality(api_roles) = 0 THEN
    grantees := 'PUBLIC';
  ELSE
    SELECT pg_catalog.string_agg(pg_catalog.quote_ident(r), ', ') INTO grantees
      FROM pg_catalog.unnest(api_roles) AS r;
  END IF;
  FOREACH fn IN ARRAY ARRAY['auth_logout(text, text)'::regprocedure,
                            'auth_session_active(text)'::regprocedure,
                            'auth_require_session()'::regprocedure]
  LOOP
    EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO %s', fn, grantees);
  END LOOP;
END
$$;
/* jcv_logout--1.0--1.1.sql: admin logouts, the session purge, the logout trigger */


CREATE FUNCTION auth_logout_user(user_id uuid)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'auth_logout_user'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION auth_logout_user(uuid) IS
'End every session of a Supabase Auth user (and the user''s legacy refresh tokens); returns the counts revoked';

CREATE FUNCTION auth_logout_session(session_id uuid)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'auth_logout_session'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION auth_logout_session(uuid) IS
'End one Supabase Auth session (its refresh tokens go with it); returns the counts revoked';

CREATE FUNCTION auth_purge_sessions(idle interval DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'auth_purge_sessions'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION auth_purge_sessions(interval) IS
'End sessions past not_after or jcv_logout.session_timebox, or idle longer than idle (NULL: jcv_logout.idle_timeout), in one transaction; returns how many';

-- Not SECURITY DEFINER and without SET: PostgreSQL allows COMMIT only in
-- such a procedure. It runs each batch as the extension's owner with the
-- search_path above itself (src/admin.c).
CREATE PROCEDURE auth_purge_sessions_batched(idle interval DEFAULT NULL,
                                             batch_size integer DEFAULT 5000)
AS 'MODULE_PATHNAME', 'auth_purge_sessions_batched'
LANGUAGE C;

COMMENT ON PROCEDURE auth_purge_sessions_batched(interval, integer) IS
'auth_purge_sessions committing after each batch of batch_size sessions, so no logout waits for more than one batch (for pg_cron)';

CREATE FUNCTION jcv_logout_user_changed()
RETURNS trigger
AS 'MODULE_PATHNAME', 'jcv_logout_user_changed'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION jcv_logout_user_changed() IS
'Trigger on auth.users (auth_enable_logout_triggers): end every session of a user whose password changes (not by Supabase Auth itself), who is banned or soft-deleted';

CREATE FUNCTION auth_enable_logout_triggers()
RETURNS boolean
AS 'MODULE_PATHNAME', 'auth_enable_logout_triggers'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION auth_enable_logout_triggers() IS
'Create the trigger on auth.users that ends a user''s sessions on a password change, a ban or a soft delete; false when already enabled';

CREATE FUNCTION auth_disable_logout_triggers()
RETURNS boolean
AS 'MODULE_PATHNAME', 'auth_disable_logout_triggers'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION auth_disable_logout_triggers() IS
'Drop the trigger that auth_enable_logout_triggers created; false when it was not there';

-- Admin only: superusers, and Supabase's service_role when it exists.
REVOKE ALL ON FUNCTION auth_logout_user(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION auth_logout_session(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION auth_purge_sessions(interval) FROM PUBLIC;
REVOKE ALL ON PROCEDURE auth_purge_sessions_batched(interval, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION jcv_logout_user_changed() FROM PUBLIC;
REVOKE ALL ON FUNCTION auth_enable_logout_triggers() FROM PUBLIC;
REVOKE ALL ON FUNCTION auth_disable_logout_triggers() FROM PUBLIC;

DO $$
DECLARE
  routine regprocedure;
BEGIN
  IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'service_role') THEN
    FOREACH routine IN ARRAY ARRAY['auth_logout_user(uuid)'::regprocedure,
                                   'auth_logout_session(uuid)'::regprocedure,
                                   'auth_purge_sessions(interval)'::regprocedure,
                                   'auth_enable_logout_triggers()'::regprocedure,
                                   'auth_disable_logout_triggers()'::regprocedure]
    LOOP
      EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO service_role', routine);
    END LOOP;
    GRANT EXECUTE ON PROCEDURE auth_purge_sessions_batched(interval, integer) TO service_role;
  END IF;
END
$$;
