/* jcv_logout--1.3--1.4.sql: logout as Supabase Auth v2.196 does it */

\echo Use "ALTER EXTENSION jcv_logout UPDATE TO '1.4'" to load this file. \quit

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
