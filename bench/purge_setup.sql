-- Benchmark fixture for bench/purge.sh: :users users with :sessions sessions
-- in all (session n belongs to user (n - 1) % users + 1), one v1 refresh
-- token per session, shaped as Supabase Auth writes them. Sessions of odd
-- users were last refreshed 10 days ago (idle), those of even users within
-- the last hour: with an idle limit of 7 days the purge ends half of them.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
CREATE EXTENSION jcv_logout;

INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password,
                        raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
SELECT '00000000-0000-0000-0000-000000000000', md5('user' || u)::uuid, 'authenticated', 'authenticated',
       'user' || u || '@example.com', '$2a$10$' || md5('pw' || u),
       '{"provider":"email","providers":["email"]}', '{}', now() - interval '400 days', now()
  FROM generate_series(1, :users) AS u;

INSERT INTO auth.sessions (id, user_id, created_at, updated_at, aal, refreshed_at, user_agent, ip)
SELECT md5('session' || n)::uuid, md5('user' || u)::uuid,
       now() - interval '30 days', now() - interval '30 days', 'aal1',
       (now() - CASE WHEN u % 2 = 1 THEN interval '10 days' ELSE interval '1 hour' * random() END)
         AT TIME ZONE 'UTC',
       'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
       ('10.' || (n % 256) || '.' || (n / 256 % 256) || '.' || (n / 65536 % 256))::inet
  FROM generate_series(1, :sessions) AS n, LATERAL (SELECT (n - 1) % :users + 1 AS u) AS owner;

INSERT INTO auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, session_id)
SELECT '00000000-0000-0000-0000-000000000000', md5('token' || s.id), s.user_id::text, false,
       s.created_at, s.created_at, s.id
  FROM auth.sessions s;

VACUUM ANALYZE auth.users;
VACUUM ANALYZE auth.sessions;
VACUUM ANALYZE auth.refresh_tokens;
