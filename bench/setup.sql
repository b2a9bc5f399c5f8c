-- Benchmark fixture: Supabase's API roles, the extension, a trivial RPC and
-- 1M sessions of 250k users shaped as Supabase Auth writes them.
-- Run by bench/require_session.sh after test/gotrue_schema.sql, with
-- psql -v users=N -v sessions=M.
\set ON_ERROR_STOP on

CREATE ROLE anon NOLOGIN NOINHERIT;
CREATE ROLE authenticated NOLOGIN NOINHERIT;
CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;
CREATE EXTENSION jcv_logout;

-- The trivial RPC every variant calls (POST /rpc/ping)
CREATE FUNCTION public.ping() RETURNS text LANGUAGE sql STABLE AS $$ SELECT 'pong' $$;
-- A pre-request that does nothing: what PostgREST's extra statement costs alone
CREATE FUNCTION public.noop_pre_request() RETURNS void LANGUAGE sql AS $$ $$;
GRANT EXECUTE ON FUNCTION public.ping(), public.noop_pre_request() TO anon, authenticated, service_role;

-- Ids are derived from a number so that pgbench can name a random session:
-- session n belongs to user (n - 1) % users + 1.
INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password,
                        raw_app_meta_data, raw_user_meta_data, created_at, updated_at, last_sign_in_at)
SELECT '00000000-0000-0000-0000-000000000000', md5('user' || u)::uuid, 'authenticated', 'authenticated',
       'user' || u || '@example.com', '$2a$10$' || md5('pw' || u),
       '{"provider":"email","providers":["email"]}', '{}',
       now() - interval '400 days' * random(), now(), now() - interval '30 days' * random()
  FROM generate_series(1, :users) AS u;

INSERT INTO auth.sessions (id, user_id, created_at, updated_at, aal, not_after, refreshed_at, user_agent, ip)
SELECT md5('session' || n)::uuid, md5('user' || ((n - 1) % :users + 1))::uuid,
       created_at, created_at, 'aal1', NULL,
       (created_at + (now() - created_at) * random()) AT TIME ZONE 'UTC',
       'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
       ('10.' || (n % 256) || '.' || (n / 256 % 256) || '.' || (n / 65536 % 256))::inet
  -- created_at drawn per row in a subquery that PostgreSQL keeps as is
  -- (random() in its select list), so the three columns made from it agree
  FROM (SELECT n, now() - interval '30 days' * random() AS created_at
          FROM generate_series(1, :sessions) AS n) AS s;

VACUUM ANALYZE auth.users;
VACUUM ANALYZE auth.sessions;
SELECT pg_size_pretty(pg_total_relation_size('auth.sessions')) AS sessions_size,
       (SELECT count(*) FROM auth.sessions) AS sessions,
       (SELECT count(DISTINCT created_at) FROM auth.sessions) AS distinct_created_at;
