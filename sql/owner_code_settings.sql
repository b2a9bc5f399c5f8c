-- Issue 26, "also tested": code that the owner of Supabase Auth's tables
-- plants (a trigger, run as that owner inside our statements) may call
-- set_config, even for the whole session (is_local false); what it sets is
-- undone at the end of each statement the extension runs as the owner
-- (src/spi_statement.c), so the caller's settings are as before: its
-- claims, search_path and own settings.

CREATE TABLE jcv_test.owner_code_runs (who name, claims_seen text);
GRANT INSERT ON jcv_test.owner_code_runs TO supabase_auth_admin;
GRANT USAGE ON SCHEMA jcv_test TO supabase_auth_admin;
SET ROLE supabase_auth_admin;
CREATE FUNCTION auth.owner_sets_config() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO jcv_test.owner_code_runs
  VALUES (current_user, current_setting('request.jwt.claims', true));
  PERFORM set_config('request.jwt.claims', '{"role": "service_role"}', false);
  PERFORM set_config('search_path', 'auth, public', false);
  PERFORM set_config('app.planted', 'by the owner', false);
  RETURN NULL;
END
$$;
CREATE TRIGGER owner_sets_config AFTER DELETE ON auth.sessions
  FOR EACH ROW EXECUTE FUNCTION auth.owner_sets_config();
CREATE TRIGGER owner_sets_config AFTER INSERT ON auth.audit_log_entries
  FOR EACH ROW EXECUTE FUNCTION auth.owner_sets_config();
RESET ROLE;

SET app.planted = 'by the caller';
BEGIN;
SELECT set_config('request.jwt.claims', jcv_test.claims('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-000000000001'), true) IS NOT NULL AS claims_set;
-- a logout (sessions deleted, an audit row written: both triggers run) ...
SELECT auth_logout(jcv_test.token('alice_s1'), 'local') ->> 'message' AS logout;
-- ... ran the owner's code, as the owner ...
SELECT who, claims_seen IS NOT NULL AS saw_claims, count(*) FROM jcv_test.owner_code_runs GROUP BY 1, 2;
-- ... and left the caller's settings as they were
SELECT current_setting('request.jwt.claims')::json ->> 'role' AS claims_role,
       current_setting('search_path') AS search_path,
       current_setting('app.planted') AS planted;
-- the same through an admin logout
SELECT auth_logout_user('22222222-2222-4222-8222-222222222222') ->> 'sessions_revoked' AS revoked;
SELECT current_setting('request.jwt.claims')::json ->> 'role' AS claims_role,
       current_setting('search_path') AS search_path,
       current_setting('app.planted') AS planted;
-- (the control: the same trigger, fired by the caller's own delete, keeps
-- what it set, as PostgreSQL does; a session of its own, whatever earlier
-- tests left)
INSERT INTO auth.sessions (id, user_id, created_at, updated_at)
VALUES ('aaaaaaaa-0000-4000-8000-0000000000c0', '11111111-1111-4111-8111-111111111111', now(), now());
DELETE FROM auth.sessions WHERE id = 'aaaaaaaa-0000-4000-8000-0000000000c0';
SELECT current_setting('request.jwt.claims')::json ->> 'role' AS claims_role,
       current_setting('search_path') AS search_path,
       current_setting('app.planted') AS planted;
ROLLBACK;

RESET app.planted;
DROP TRIGGER owner_sets_config ON auth.sessions;
DROP TRIGGER owner_sets_config ON auth.audit_log_entries;
DROP FUNCTION auth.owner_sets_config();
REVOKE USAGE ON SCHEMA jcv_test FROM supabase_auth_admin;
DROP TABLE jcv_test.owner_code_runs;
