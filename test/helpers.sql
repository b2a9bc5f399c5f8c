-- Test helpers: run a logout and report its outcome as one line, undoing
-- whatever it changed, so one table of cases shows every rule.

CREATE TABLE jcv_test.tokens (name text PRIMARY KEY, token text NOT NULL);

CREATE FUNCTION jcv_test.token(token_name text) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT token FROM jcv_test.tokens WHERE name = token_name
$$;

-- The payload, or "SQLSTATE message"; the logout is always rolled back.
CREATE FUNCTION jcv_test.dry_logout(token text, scope text DEFAULT 'global')
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  outcome text;
BEGIN
  BEGIN
    outcome := auth_logout(token, scope)::text;
    RAISE SQLSTATE 'JT000';
  EXCEPTION
    WHEN SQLSTATE 'JT000' THEN
      NULL;
    WHEN OTHERS THEN
      outcome := SQLSTATE || ' ' || SQLERRM;
  END;
  RETURN outcome;
END
$$;

-- Every field of the error a logout raises (NULLs when it succeeds).
CREATE FUNCTION jcv_test.logout_error(token text, scope text DEFAULT 'global',
  OUT error_sqlstate text, OUT error_message text, OUT error_detail text, OUT error_hint text)
LANGUAGE plpgsql AS $$
BEGIN
  BEGIN
    PERFORM auth_logout(token, scope);
    RAISE SQLSTATE 'JT000';
  EXCEPTION
    WHEN SQLSTATE 'JT000' THEN
      NULL;
    WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS error_sqlstate = RETURNED_SQLSTATE,
                              error_message = MESSAGE_TEXT,
                              error_detail = PG_EXCEPTION_DETAIL,
                              error_hint = PG_EXCEPTION_HINT;
  END;
END
$$;

-- What is left of each user's login state, to show what a logout removed.
CREATE VIEW jcv_test.login_state AS
  SELECT u.email,
         (SELECT string_agg(right(s.id::text, 1), ',' ORDER BY s.id)
            FROM auth.sessions s WHERE s.user_id = u.id) AS sessions,
         (SELECT string_agg(r.token, ',' ORDER BY r.token)
            FROM auth.refresh_tokens r WHERE r.user_id = u.id::text) AS refresh_tokens,
         -- amr claims outlive nothing but their session; fixture session
         -- ids start with the user's initial, so orphans would still count
         (SELECT count(*) FROM auth.mfa_amr_claims m
            WHERE m.session_id::text LIKE repeat(left(u.email, 1), 8) || '%') AS amr_claims
    FROM auth.users u
   ORDER BY u.email;

-- JSON Web Key Sets built from test/keys/ by test/mint_jwks.py.
CREATE TABLE jcv_test.key_sets (name text PRIMARY KEY, jwks text NOT NULL);

-- Sets jcv_logout.jwks to a named set for the session: "accepted", or the
-- error that refused it (the value in force then stays unchanged).
CREATE FUNCTION jcv_test.use_jwks(set_name text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  message text;
  detail text;
BEGIN
  PERFORM pg_catalog.set_config('jcv_logout.jwks',
            (SELECT jwks FROM jcv_test.key_sets WHERE name = set_name), false);
  RETURN 'accepted';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS message = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
  RETURN SQLSTATE || ' ' || message || ' / ' || coalesce(detail, '');
END
$$;

-- Writes the HS secret where jcv_logout.jwt_secret_file expects it: a file in
-- the data directory, owned by the server's OS user, mode 0600. Returns its
-- path.
CREATE FUNCTION jcv_test.write_secret_file(secret text, file_name text DEFAULT 'jcv_jwt_secret',
                                           mode text DEFAULT '600')
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  path text := pg_catalog.current_setting('data_directory') || '/' || file_name;
BEGIN
  EXECUTE pg_catalog.format('COPY (SELECT %L) TO PROGRAM %L', secret,
    pg_catalog.format('umask 077 && cat > "%s" && chmod %s "%s"', path, mode, path));
  RETURN path;
END
$$;

-- A setting as the current role sees it, or the SQLSTATE it gets instead
-- (42501: it may not read it), so no output depends on PostgreSQL's wording.
CREATE FUNCTION jcv_test.visible_setting(setting_name text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
  RETURN pg_catalog.current_setting(setting_name);
EXCEPTION WHEN OTHERS THEN
  RETURN 'SQLSTATE ' || SQLSTATE;
END
$$;

-- What the hook answers for a request whose claims PostgREST has set:
-- "passes", or the SQLSTATE and message it raises.
CREATE FUNCTION jcv_test.require_session(claims text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('request.jwt.claims', claims, true);
  PERFORM auth_require_session();
  RETURN 'passes';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ' ' || SQLERRM;
END
$$;

-- The claims PostgREST sets for a Supabase Auth token (role added by PostgREST).
CREATE FUNCTION jcv_test.claims(sub text, session_id text, role text DEFAULT 'authenticated')
RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT json_strip_nulls(json_build_object(
    'aud', 'authenticated', 'exp', 4102444800, 'iat', 1764000000, 'sub', sub,
    'email', 'alice@example.com', 'phone', '', 'role', role, 'aal', 'aal1',
    'session_id', session_id, 'is_anonymous', false))::text
$$;
