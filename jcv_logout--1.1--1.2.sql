/* jcv_logout--1.1--1.2.sql: auth_session_valid() for row level security */

\echo Use "ALTER EXTENSION jcv_logout UPDATE TO '1.2'" to load this file. \quit

-- Called once per row by policies, so neither SECURITY DEFINER nor SET:
-- fmgr would pay for those on every row. It names nothing through the
-- search_path and looks a session up as its owner itself, once per claims
-- and snapshot (src/session_valid.c). STABLE: one answer for one value of
-- the claims within a statement's snapshot.
CREATE FUNCTION auth_session_valid()
RETURNS boolean
AS 'MODULE_PATHNAME', 'auth_session_valid'
LANGUAGE C STABLE PARALLEL RESTRICTED;

COMMENT ON FUNCTION auth_session_valid() IS
'For row level security policies: false when request.jwt.claims name a Supabase Auth session that no longer exists, is not their user''s or has ended, or are not valid claims; true when there is no session to check';

-- As auth_require_session(): Supabase's API roles where they exist, else PUBLIC.
REVOKE ALL ON FUNCTION auth_session_valid() FROM PUBLIC;

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
  EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION auth_session_valid() TO %s', grantees);
END
$$;
