/* jcv_logout--1.0.sql */

\echo Use "CREATE EXTENSION jcv_logout" to load this file. \quit

CREATE FUNCTION auth_logout(token text DEFAULT NULL, scope text DEFAULT 'global')
RETURNS jsonb
AS 'MODULE_PATHNAME', 'auth_logout'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION auth_logout(text, text) IS
'Verify a Supabase Auth access token (NULL: the PostgREST request''s Bearer token) and log out by scope: global, local or others';

-- The token is the authority: anyone may call, only a verified token deletes.
REVOKE ALL ON FUNCTION auth_logout(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth_logout(text, text) TO PUBLIC;
