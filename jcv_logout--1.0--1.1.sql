/* jcv_logout--1.0--1.1.sql: admin logouts, the session purge, the logout trigger */

\echo Use "ALTER EXTENSION jcv_logout UPDATE TO '1.1'" to load this file. \quit

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
