/* jcv_logout--1.2--1.3.sql: the session cache's triggers */

\echo Use "ALTER EXTENSION jcv_logout UPDATE TO '1.3'" to load this file. \quit

-- Runs with the rights of whoever changes auth.sessions: it runs no SQL and
-- only marks, in shared memory, the sessions whose change is in flight.
CREATE FUNCTION jcv_logout_session_changed()
RETURNS trigger
AS 'MODULE_PATHNAME', 'jcv_logout_session_changed'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION jcv_logout_session_changed() IS
'Trigger on auth.sessions (auth_enable_session_cache): tells the session cache of every backend about a session deleted or ended sooner';

-- ALTER TABLE and CREATE OR REPLACE TRIGGER can disable that trigger
-- without locking session checks out (src/session_cache.c): each transaction
-- running one is counted as a change of the whole table. Fires as the role
-- running it; runs no SQL.
CREATE FUNCTION jcv_logout_table_altered()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'jcv_logout_table_altered'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION jcv_logout_table_altered() IS
'Event trigger on ALTER TABLE and CREATE TRIGGER: tells the session cache of every backend that a table''s triggers may change';

CREATE EVENT TRIGGER jcv_logout_table_altered ON ddl_command_start
  WHEN TAG IN ('ALTER TABLE', 'CREATE TRIGGER')
  EXECUTE FUNCTION jcv_logout_table_altered();
ALTER EVENT TRIGGER jcv_logout_table_altered ENABLE ALWAYS;

CREATE FUNCTION auth_enable_session_cache()
RETURNS boolean
AS 'MODULE_PATHNAME', 'auth_enable_session_cache'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION auth_enable_session_cache() IS
'Create the trigger on auth.sessions that lets session checks keep sessions found alive (with jcv_logout in shared_preload_libraries); false when already there';

CREATE FUNCTION auth_disable_session_cache()
RETURNS boolean
AS 'MODULE_PATHNAME', 'auth_disable_session_cache'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION auth_disable_session_cache() IS
'Drop the trigger that auth_enable_session_cache created: every session check then reads auth.sessions; false when it was not there';

REVOKE ALL ON FUNCTION jcv_logout_session_changed() FROM PUBLIC;
REVOKE ALL ON FUNCTION jcv_logout_table_altered() FROM PUBLIC;
REVOKE ALL ON FUNCTION auth_enable_session_cache() FROM PUBLIC;
REVOKE ALL ON FUNCTION auth_disable_session_cache() FROM PUBLIC;

DO $$
BEGIN
  IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'service_role') THEN
    GRANT EXECUTE ON FUNCTION auth_enable_session_cache(), auth_disable_session_cache() TO service_role;
  END IF;
  -- Where Supabase Auth's tables exist already, as on Supabase: now.
  IF pg_catalog.to_regclass('auth.sessions') IS NOT NULL THEN
    PERFORM auth_enable_session_cache();
  END IF;
END
$$;
