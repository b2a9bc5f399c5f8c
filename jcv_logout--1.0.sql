/* jcv_logout--1.0.sql */

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
