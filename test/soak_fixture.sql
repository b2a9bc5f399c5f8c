-- The soak's database (test/soak.py): Supabase's roles, Supabase Auth's
-- schema, the extension, and :users users with :sessions sessions in all,
-- shaped as Supabase Auth writes them. Run as a superuser with
--   psql -v users=N -v sessions=M -v password=P -f test/soak_fixture.sql
-- Session n belongs to user (n - 1) % users + 1; ids are md5 of a name, so
-- the driver can name a user without asking the database.
\set ON_ERROR_STOP on
SET client_min_messages = warning;

-- Supabase's API roles (supabase/postgres roles.sql) before the extension,
-- so its grants go to them; PostgREST logs in as authenticator.
CREATE ROLE anon NOLOGIN NOINHERIT;
CREATE ROLE authenticated NOLOGIN NOINHERIT;
CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
CREATE ROLE authenticator LOGIN NOINHERIT PASSWORD :'password';
GRANT anon, authenticated, service_role TO authenticator;
-- A backend of the project's own (an API route, an Edge Function's SQL
-- client) calling auth_logout / auth_session_active with a token directly.
CREATE ROLE app_backend LOGIN PASSWORD :'password' IN ROLE authenticated;
GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;

\i test/gotrue_schema.sql
-- Supabase Auth logs in with a password and finds its tables on its search_path
-- (GoTrue's hack/init_postgres.sql).
ALTER ROLE supabase_auth_admin PASSWORD :'password';
ALTER ROLE supabase_auth_admin SET search_path = auth;

CREATE EXTENSION jcv_logout;
DO $$ BEGIN PERFORM auth_enable_logout_triggers(); END $$;

-- The RPC the PostgREST requests call (GET /rpc/ping)
CREATE FUNCTION public.ping() RETURNS text LANGUAGE sql STABLE AS $$ SELECT 'pong' $$;
GRANT EXECUTE ON FUNCTION public.ping() TO anon, authenticated, service_role;

-- A table of the project's under row level security with the README's
-- policy: what Realtime and Storage read with a user's claims.
CREATE TABLE public.notes (user_id uuid NOT NULL, body text NOT NULL);
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY "own rows, live session" ON public.notes FOR SELECT TO authenticated
  USING (user_id = (select auth.uid()) AND (select auth_session_valid()));
GRANT SELECT ON public.notes TO authenticated;

-- Users; one in ten has a full name (the audit row then carries actor_name).
INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password,
                        raw_app_meta_data, raw_user_meta_data, created_at, updated_at, last_sign_in_at)
SELECT '00000000-0000-0000-0000-000000000000', md5('user' || u)::uuid, 'authenticated', 'authenticated',
       'user' || u || '@example.com', '$2a$10$' || md5('pw' || u),
       '{"provider":"email","providers":["email"]}',
       CASE WHEN u % 10 = 0 THEN jsonb_build_object('full_name', 'User ' || u) ELSE '{}' END,
       now() - interval '400 days', now(), now() - interval '1 day'
  FROM generate_series(1, :users) AS u;

INSERT INTO public.notes SELECT md5('user' || u)::uuid, 'note of user ' || u
  FROM generate_series(1, :users) AS u;
CREATE INDEX ON public.notes (user_id);

-- Sessions last refreshed uniformly over the past 30 days (the purge's
-- shrinking idle limit then finds a steady supply).
INSERT INTO auth.sessions (id, user_id, created_at, updated_at, aal, not_after, refreshed_at, user_agent, ip)
SELECT md5('session' || t.n)::uuid, md5('user' || ((t.n - 1) % :users + 1))::uuid,
       t.refreshed - interval '60 days' * random(), t.refreshed, 'aal1', NULL,
       t.refreshed AT TIME ZONE 'UTC',
       'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
       ('10.' || (t.n % 256) || '.' || (t.n / 256 % 256) || '.' || (t.n / 65536 % 256))::inet
  FROM (SELECT n, now() - interval '30 days' * random() AS refreshed
          FROM generate_series(1, :sessions) AS n) AS t;

-- v1 refresh tokens: one active per session, and a revoked parent for one
-- session in four (a rotation already happened).
INSERT INTO auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id)
SELECT '00000000-0000-0000-0000-000000000000', left(md5('parent' || s.id), 16), s.user_id::text, true,
       s.created_at, s.updated_at, NULL, s.id
  FROM auth.sessions s WHERE get_byte(uuid_send(s.id), 0) < 64;
INSERT INTO auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id)
SELECT '00000000-0000-0000-0000-000000000000', left(md5('token' || s.id), 16), s.user_id::text, false,
       s.updated_at, s.updated_at,
       CASE WHEN get_byte(uuid_send(s.id), 0) < 64 THEN left(md5('parent' || s.id), 16) END, s.id
  FROM auth.sessions s;
-- Legacy refresh tokens from before sessions existed, for one user in fifty.
INSERT INTO auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id)
SELECT '00000000-0000-0000-0000-000000000000', left(md5('legacy' || u), 16), md5('user' || u)::uuid::text,
       false, now() - interval '2 years', now() - interval '2 years', NULL, NULL
  FROM generate_series(1, :users, 50) AS u;

INSERT INTO auth.mfa_amr_claims (session_id, created_at, updated_at, authentication_method, id)
SELECT s.id, s.created_at, s.created_at, 'password', gen_random_uuid() FROM auth.sessions s;

VACUUM ANALYZE auth.users;
VACUUM ANALYZE auth.sessions;
VACUUM ANALYZE auth.refresh_tokens;
VACUUM ANALYZE auth.mfa_amr_claims;
VACUUM ANALYZE public.notes;
