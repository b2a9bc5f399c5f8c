-- The ways of logging out that bench/bench.py measures next to auth_logout,
-- and the synthetic data they run on. Every variant runs the statements
-- src/logout.c runs, in the same order, and is declared like auth_logout
-- (SECURITY DEFINER, fixed search_path), so the only difference is how the
-- token is verified.

CREATE SCHEMA bench;
CREATE SCHEMA IF NOT EXISTS extensions;          -- where Supabase keeps pgcrypto
CREATE EXTENSION IF NOT EXISTS pgcrypto SCHEMA extensions;

-- Deterministic, well spread ids: session n belongs to user bench.user_of(n);
-- in every block of six sessions, three users hold one, two and three.
CREATE FUNCTION bench.user_of(n bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT 3 * (n / 6) + (ARRAY[0, 1, 1, 2, 2, 2])[n % 6 + 1]
$$;

CREATE FUNCTION bench.user_uuid(u bigint) RETURNS uuid
LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT pg_catalog.md5('user' || u)::uuid $$;

CREATE FUNCTION bench.session_uuid(n bigint) RETURNS uuid
LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT pg_catalog.md5('session' || n)::uuid $$;

-- Adds sessions first_session .. last_session (and their users) as GoTrue
-- writes them: nil instance_id, one amr claim per session, one v1 refresh
-- token per session plus its revoked parent for every other session, and a
-- legacy session-less refresh token for one session in twenty.
CREATE PROCEDURE bench.add_sessions(first_session bigint, last_session bigint)
LANGUAGE sql AS $$
  INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password,
                          email_confirmed_at, last_sign_in_at, raw_app_meta_data,
                          raw_user_meta_data, created_at, updated_at)
  SELECT '00000000-0000-0000-0000-000000000000', bench.user_uuid(u), 'authenticated',
         'authenticated', 'user' || u || '@example.com', '$2a$10$' || pg_catalog.md5(u::text),
         now(), now(), '{"provider": "email", "providers": ["email"]}',
         CASE WHEN u % 4 = 0 THEN pg_catalog.jsonb_build_object('full_name', 'User ' || u)
              ELSE '{}' END,
         now() - interval '30 days', now()
    FROM pg_catalog.generate_series(bench.user_of(first_session), bench.user_of(last_session)) AS u
  ON CONFLICT (id) DO NOTHING;

  INSERT INTO auth.sessions (id, user_id, created_at, updated_at, aal, refreshed_at,
                             user_agent, ip)
  SELECT bench.session_uuid(n), bench.user_uuid(bench.user_of(n)),
         now() - interval '1 day', now(), 'aal1', (now() AT TIME ZONE 'UTC'),
         'Mozilla/5.0 (bench)', '192.0.2.1'
    FROM pg_catalog.generate_series(first_session, last_session) AS n;

  INSERT INTO auth.mfa_amr_claims (session_id, created_at, updated_at, authentication_method, id)
  SELECT bench.session_uuid(n), now(), now(), 'password', pg_catalog.gen_random_uuid()
    FROM pg_catalog.generate_series(first_session, last_session) AS n;

  INSERT INTO auth.refresh_tokens (instance_id, token, user_id, revoked, created_at,
                                   updated_at, parent, session_id)
  SELECT '00000000-0000-0000-0000-000000000000',
         left(pg_catalog.md5('refresh' || n || ':' || k), 16),
         bench.user_uuid(bench.user_of(n))::text, k = 0, now(), now(),
         CASE WHEN k = 1 AND n % 2 = 0 THEN left(pg_catalog.md5('refresh' || n || ':0'), 16) END,
         CASE WHEN k < 2 THEN bench.session_uuid(n) END
    FROM pg_catalog.generate_series(first_session, last_session) AS n,
         LATERAL (VALUES (0), (1), (2)) AS t(k)
   WHERE (k = 0 AND n % 2 = 0) OR k = 1 OR (k = 2 AND n % 20 = 0);
$$;

-- The token pool pgbench draws from (filled by bench.py with PyJWT tokens).
CREATE TABLE bench.tokens (
  i integer PRIMARY KEY,
  token text NOT NULL,
  user_id uuid NOT NULL,
  session_id uuid NOT NULL
);

CREATE TABLE bench.ghost_token (token text NOT NULL);

-- pgjwt's base64url decoding: translate to base64, pad, decode.
CREATE FUNCTION bench.url_decode(data text) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT pg_catalog.decode(
    pg_catalog.rpad(pg_catalog.translate(data, '-_', '+/'),
                    (pg_catalog.length(data) + 3) / 4 * 4, '='),
    'base64')
$$;

-- The usual PL/pgSQL verification (pgjwt's algorithm with pgcrypto's hmac):
-- the claims when the HS256 signature, exp and aud hold, else NULL.
CREATE FUNCTION bench.pgjwt_verify(token text, secret text) RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  parts text[] := pg_catalog.string_to_array(token, '.');
  header jsonb;
  claims jsonb;
BEGIN
  IF pg_catalog.array_length(parts, 1) IS DISTINCT FROM 3 THEN
    RETURN NULL;
  END IF;
  header := pg_catalog.convert_from(bench.url_decode(parts[1]), 'UTF8')::jsonb;
  IF header ->> 'alg' IS DISTINCT FROM 'HS256' THEN
    RETURN NULL;
  END IF;
  IF extensions.hmac(parts[1] || '.' || parts[2], secret, 'sha256')
       IS DISTINCT FROM bench.url_decode(parts[3]) THEN
    RETURN NULL;
  END IF;
  claims := pg_catalog.convert_from(bench.url_decode(parts[2]), 'UTF8')::jsonb;
  IF pg_catalog.jsonb_typeof(claims -> 'exp') IS DISTINCT FROM 'number'
     OR (claims ->> 'exp')::numeric <= pg_catalog.date_part('epoch', pg_catalog.now()) THEN
    RETURN NULL;
  END IF;
  IF NOT (claims -> 'aud' = '"authenticated"' OR claims -> 'aud' @> '["authenticated"]') THEN
    RETURN NULL;
  END IF;
  RETURN claims;
END
$$;

-- The floor for the database work: auth_logout's statements, no token.
CREATE FUNCTION bench.bare_logout(user_id uuid, session_id uuid, scope text DEFAULT 'global')
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM 1 FROM auth.users u WHERE u.id = bare_logout.user_id;
  IF NOT FOUND THEN
    RAISE SQLSTATE 'PT401' USING MESSAGE = 'UNAUTHORIZED: user from access token does not exist';
  END IF;
  PERFORM s.id, s.not_after, s.created_at FROM auth.sessions s
    WHERE s.user_id = bare_logout.user_id ORDER BY s.id FOR UPDATE;
  IF scope = 'local' THEN
    DELETE FROM auth.sessions s WHERE s.id = bare_logout.session_id;
  ELSE
    IF scope = 'others' THEN
      DELETE FROM auth.sessions s
        WHERE s.user_id = bare_logout.user_id AND s.id <> bare_logout.session_id;
    ELSE
      DELETE FROM auth.sessions s WHERE s.user_id = bare_logout.user_id;
    END IF;
    DELETE FROM auth.refresh_tokens r
      WHERE (r.instance_id = '00000000-0000-0000-0000-000000000000' OR r.instance_id IS NULL)
        AND r.user_id = bare_logout.user_id::text AND r.session_id IS NULL;
  END IF;
  INSERT INTO auth.audit_log_entries (instance_id, id, payload, created_at, ip_address)
  SELECT '00000000-0000-0000-0000-000000000000', pg_catalog.gen_random_uuid(),
         pg_catalog.json_build_object('action', 'logout', 'actor_id', u.id,
           'actor_username', coalesce(NULLIF(u.phone, ''), u.email, ''),
           'actor_via_sso', u.is_sso_user, 'log_type', 'account'),
         pg_catalog.now(), ''
    FROM auth.users u WHERE u.id = bare_logout.user_id;
  RETURN '{"success": true, "message": "Successfully logged out"}'::jsonb;
END
$$;

-- The usual PL/pgSQL way: pgjwt-style verification, then the same statements,
-- checking the token's session among the locked rows as auth_logout does.
CREATE FUNCTION bench.plpgsql_logout(token text, scope text DEFAULT 'global')
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  claims jsonb := bench.pgjwt_verify(token, pg_catalog.current_setting('bench.jwt_secret'));
  claimed_user uuid;
  claimed_session uuid;
  session_found boolean := false;
  locked record;
BEGIN
  IF claims IS NULL THEN
    RAISE SQLSTATE 'PT401' USING MESSAGE = 'UNAUTHORIZED: invalid access token';
  END IF;
  claimed_user := (claims ->> 'sub')::uuid;
  claimed_session := (claims ->> 'session_id')::uuid;
  PERFORM 1 FROM auth.users u WHERE u.id = claimed_user;
  IF NOT FOUND THEN
    RAISE SQLSTATE 'PT401' USING MESSAGE = 'UNAUTHORIZED: user from access token does not exist';
  END IF;
  FOR locked IN SELECT s.id, s.not_after FROM auth.sessions s
                 WHERE s.user_id = claimed_user ORDER BY s.id FOR UPDATE LOOP
    IF locked.id = claimed_session
       AND (locked.not_after IS NULL OR locked.not_after > pg_catalog.now()) THEN
      session_found := true;
    END IF;
  END LOOP;
  IF NOT session_found THEN
    RAISE SQLSTATE 'PT401' USING MESSAGE = 'UNAUTHORIZED: session from access token does not exist';
  END IF;
  IF scope = 'local' THEN
    DELETE FROM auth.sessions s WHERE s.id = claimed_session;
  ELSE
    IF scope = 'others' THEN
      DELETE FROM auth.sessions s
        WHERE s.user_id = claimed_user AND s.id <> claimed_session;
    ELSE
      DELETE FROM auth.sessions s WHERE s.user_id = claimed_user;
    END IF;
    DELETE FROM auth.refresh_tokens r
      WHERE (r.instance_id = '00000000-0000-0000-0000-000000000000' OR r.instance_id IS NULL)
        AND r.user_id = claimed_user::text AND r.session_id IS NULL;
  END IF;
  INSERT INTO auth.audit_log_entries (instance_id, id, payload, created_at, ip_address)
  SELECT '00000000-0000-0000-0000-000000000000', pg_catalog.gen_random_uuid(),
         pg_catalog.json_build_object('action', 'logout', 'actor_id', u.id,
           'actor_username', coalesce(NULLIF(u.phone, ''), u.email, ''),
           'actor_via_sso', u.is_sso_user, 'log_type', 'account'),
         pg_catalog.now(), ''
    FROM auth.users u WHERE u.id = claimed_user;
  RETURN '{"success": true, "message": "Successfully logged out"}'::jsonb;
END
$$;

-- Calls one logout function `calls` times on a token it refuses after
-- verifying it (its user does not exist), each call in its own
-- subtransaction; returns microseconds per call. `variant` 'none' only
-- raises, which is the loop's own cost.
CREATE FUNCTION bench.refused_calls(variant text, token text, calls integer)
RETURNS double precision
LANGUAGE plpgsql AS $$
DECLARE
  started timestamptz := pg_catalog.clock_timestamp();
BEGIN
  FOR i IN 1 .. calls LOOP
    BEGIN
      IF variant = 'auth_logout' THEN
        PERFORM public.auth_logout(token);
      ELSIF variant = 'plpgsql_logout' THEN
        PERFORM bench.plpgsql_logout(token);
      ELSE
        RAISE SQLSTATE 'PT401';
      END IF;
      RAISE EXCEPTION 'the % call was not refused', variant;
    EXCEPTION WHEN SQLSTATE 'PT401' THEN
      NULL;
    END;
  END LOOP;
  RETURN pg_catalog.date_part('epoch', pg_catalog.clock_timestamp() - started) * 1e6 / calls;
END
$$;

-- This backend's resident memory, from /proc: total, private (anonymous:
-- where a leak would show) and the shared memory it has touched so far.
CREATE FUNCTION bench.backend_memory_kb(OUT vm_rss bigint, OUT rss_anon bigint,
                                        OUT rss_shmem bigint)
LANGUAGE sql AS $$
  SELECT (pg_catalog.regexp_match(status, 'VmRSS:\s+(\d+)'))[1]::bigint,
         (pg_catalog.regexp_match(status, 'RssAnon:\s+(\d+)'))[1]::bigint,
         (pg_catalog.regexp_match(status, 'RssShmem:\s+(\d+)'))[1]::bigint
    FROM pg_catalog.pg_read_file('/proc/' || pg_catalog.pg_backend_pid() || '/status') AS status
$$;

-- Real logouts, each in its own transaction that is rolled back, so every
-- call verifies, locks, deletes and writes its audit row.
CREATE PROCEDURE bench.rolled_back_logouts(calls integer)
LANGUAGE plpgsql AS $$
DECLARE
  pool integer := (SELECT pg_catalog.count(*) FROM bench.tokens);
BEGIN
  FOR done_calls IN 0 .. calls - 1 LOOP
    PERFORM public.auth_logout(t.token) FROM bench.tokens t WHERE t.i = 1 + done_calls % pool;
    ROLLBACK;
  END LOOP;
END
$$;
