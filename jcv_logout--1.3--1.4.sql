/* jcv_logout--1.3--1.4.sql: logout as Supabase Auth v2.196 does it */

\echo Use "ALTER EXTENSION jcv_logout UPDATE TO '1.4'" to load this file. \quit

-- "Where you're signed in" (src/devices.c): the caller's own sessions, and
-- ending one of them. The token is the authority, as for auth_logout.
-- VOLATILE: the listing depends on the clock (ended sessions are left out).
CREATE FUNCTION auth_sessions(token text DEFAULT NULL)
RETURNS TABLE (id uuid, created_at timestamptz, last_active_at timestamptz,
               user_agent text, ip inet, aal text, sign_in_methods text[],
               oauth_client_id uuid, current boolean)
AS 'MODULE_PATHNAME', 'auth_sessions'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER ROWS 10
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION auth_sessions(text) IS
'The live Supabase Auth sessions of the verified access token''s user (NULL: the PostgREST request''s Bearer token), newest activity first; current marks the token''s own';

-- Not auth_logout_session(session_id, token): beside the admin function of
-- that name, PostgREST could not tell the two apart by {"session_id": …}.
CREATE FUNCTION auth_logout_device(session_id uuid, token text DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'auth_logout_device'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION auth_logout_device(uuid, text) IS
'End one session of the verified access token''s user (NULL: the PostgREST request''s Bearer token), its own included; another user''s session answers as an unknown one';

-- As auth_logout: Supabase's API roles where they exist, else PUBLIC.
REVOKE ALL ON FUNCTION auth_sessions(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION auth_logout_device(uuid, text) FROM PUBLIC;

DO $$
DECLARE
  api_roles text[] := ARRAY(SELECT r.rolname::text FROM pg_catalog.pg_roles r
                             WHERE r.rolname = ANY (ARRAY['anon', 'authenticated', 'service_role'])
                             ORDER BY r.rolname);
  grantees text;
BEGIN
  IF pg_catalog.cardinality(api_roles) = 0 THEN
    grantees := 'PUBLIC';
  ELSE
    SELECT pg_catalog.string_agg(pg_catalog.quote_ident(r), ', ') INTO grantees
      FROM pg_catalog.unnest(api_roles) AS r;
  END IF;
  EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION auth_sessions(text), auth_logout_device(uuid, text) TO %s',
                            grantees);
END
$$;
-- Sessions the logout trigger on auth.users could not end at once: a
-- refresh (or another logout) held the row, and waiting for it would
-- deadlock (src/admin.c). Every session check refuses a session listed
-- here; auth_purge_sessions() and the user's next logout delete the session
-- and its line. Only the extension's own functions write it (as its owner):
-- no role but superusers may read or change it.
CREATE TABLE jcv_logout_ended_sessions (
  session_id uuid PRIMARY KEY,
  user_id uuid NOT NULL,
  ended_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
REVOKE ALL ON TABLE jcv_logout_ended_sessions FROM PUBLIC;
COMMENT ON TABLE jcv_logout_ended_sessions IS
'Sessions a ban, soft delete or password change ended while another transaction held them: refused by every session check until auth_purge_sessions() deletes them';
-- Kept by pg_dump: without it, a restored database would bring them back.
SELECT pg_catalog.pg_extension_config_dump('jcv_logout_ended_sessions', '');
-- The session cache's event trigger counts only ALTER TABLE and CREATE
-- TRIGGER that locked auth.sessions (ShareUpdateExclusiveLock or stronger,
-- held once the command has run: so on ddl_command_end), not every one of
-- any table: any role could switch every backend's cache off with one held
-- open (issue 26, docs/design.md).
DROP EVENT TRIGGER jcv_logout_table_altered;
CREATE EVENT TRIGGER jcv_logout_table_altered ON ddl_command_end
  WHEN TAG IN ('ALTER TABLE', 'CREATE TRIGGER')
  EXECUTE FUNCTION jcv_logout_table_altered();
ALTER EVENT TRIGGER jcv_logout_table_altered ENABLE ALWAYS;

COMMENT ON FUNCTION jcv_logout_table_altered() IS
'Event trigger on ALTER TABLE and CREATE TRIGGER: tells the session cache of every backend that the triggers of auth.sessions may change';
