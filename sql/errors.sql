-- The contract's three error codes, in both forms.

-- Plain form (psql, migrations): "CODE: message" and a PTxxx SQLSTATE
SELECT * FROM jcv_test.logout_error(jcv_test.token('expired'));
SELECT * FROM jcv_test.logout_error(jcv_test.token('alice_s1'), 'sideways');
SET jcv_logout.jwt_secret_file = '';
SELECT * FROM jcv_test.logout_error(jcv_test.token('alice_s1'));
RESET jcv_logout.jwt_secret_file;

-- Inside a PostgREST request (request.method is set), PostgREST's custom
-- error protocol: SQLSTATE PGRST, JSON body and HTTP status in the detail.
BEGIN;
SELECT set_config('request.method', 'POST', true);
SELECT * FROM jcv_test.logout_error(jcv_test.token('wrong_secret'));
SELECT * FROM jcv_test.logout_error(jcv_test.token('alice_s1'), 'sideways');
SET LOCAL jcv_logout.jwt_secret_file = '';
SELECT * FROM jcv_test.logout_error(jcv_test.token('alice_s1'));
ROLLBACK;

-- jcv_logout.error_format forces either form
BEGIN;
SET LOCAL jcv_logout.error_format = 'postgrest';
SELECT error_sqlstate, error_message FROM jcv_test.logout_error(jcv_test.token('expired'));
SELECT set_config('request.method', 'POST', true);
SET LOCAL jcv_logout.error_format = 'plain';
SELECT error_sqlstate, error_message FROM jcv_test.logout_error(jcv_test.token('expired'));
ROLLBACK;

-- The token from PostgREST's request.headers when none is passed
BEGIN;
SELECT set_config('request.headers',
       json_build_object('authorization', 'Bearer ' || jcv_test.token('alice_s1'))::text, true) <> '' AS headers_set;
SELECT auth_logout();
SELECT jcv_test.dry_logout(NULL) AS same_request_again;
ROLLBACK;
BEGIN;
SELECT set_config('request.headers',
       json_build_object('authorization', 'Basic ' || jcv_test.token('alice_s1'))::text, true) <> '' AS headers_set;
SELECT jcv_test.dry_logout(NULL) AS basic_authorization;
SELECT set_config('request.headers', '{"accept": "application/json"}', true) <> '' AS headers_set;
SELECT jcv_test.dry_logout(NULL) AS no_authorization;
SELECT set_config('request.headers', 'not json', true) <> '' AS headers_set;
SELECT jcv_test.dry_logout(NULL) AS headers_not_json;
-- request.jwt.claims is never trusted: anyone can set it
SELECT set_config('request.jwt.claims',
       '{"sub": "11111111-1111-4111-8111-111111111111", "session_id": "aaaaaaaa-0000-4000-8000-000000000001", "role": "authenticated"}', true);
SELECT jcv_test.dry_logout(NULL) AS forged_claims;
ROLLBACK;

-- Supabase Auth's schema missing or changed: SUPABASE_ERROR, nothing deleted
BEGIN;
ALTER SCHEMA auth RENAME TO auth_elsewhere;
SELECT jcv_test.dry_logout(jcv_test.token('alice_s1')) AS no_auth_schema;
ROLLBACK;
BEGIN;
ALTER TABLE auth.sessions RENAME COLUMN not_after TO expires_at;
SELECT jcv_test.dry_logout(jcv_test.token('alice_s1')) AS column_missing;
ROLLBACK;
BEGIN;
ALTER TABLE auth.audit_log_entries RENAME TO audit_log;
SELECT jcv_test.dry_logout(jcv_test.token('alice_s1')) AS audit_table_missing;
SET LOCAL jcv_logout.audit = off;
SELECT jcv_test.dry_logout(jcv_test.token('alice_s1')) AS audit_off_needs_no_table;
ROLLBACK;
SELECT jcv_test.dry_logout(jcv_test.token('alice_s1')) AS schema_back;

-- A failure while deleting is LOGOUT_ERROR and leaves every row in place
BEGIN;
CREATE FUNCTION jcv_test.refuse_delete() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN RAISE EXCEPTION 'refresh tokens are frozen'; END $$;
CREATE TRIGGER refresh_tokens_frozen BEFORE DELETE ON auth.refresh_tokens
  FOR EACH ROW EXECUTE FUNCTION jcv_test.refuse_delete();
SELECT jcv_test.dry_logout(jcv_test.token('alice_s1')) AS delete_fails;
SELECT * FROM jcv_test.login_state;
ROLLBACK;

-- The Supabase convention: app.settings.jwt_secret when no jcv_logout key is set,
-- but only from a source a plain role cannot write.
ALTER DATABASE :"DBNAME" RESET jcv_logout.jwt_secret_file;
\c
SELECT jcv_test.dry_logout(jcv_test.token('alice_s1')) AS no_key_anywhere;
SET app.settings.jwt_secret = 'super-secret-jwt-token-with-at-least-32-characters-long';
SELECT jcv_test.dry_logout(jcv_test.token('alice_s1')) AS session_set_not_trusted;
ALTER DATABASE :"DBNAME" SET app.settings.jwt_secret = 'super-secret-jwt-token-with-at-least-32-characters-long';
\c
SELECT jcv_test.dry_logout(jcv_test.token('alice_s1')) AS database_setting_trusted;
SET app.settings.jwt_secret = 'mine';
SELECT jcv_test.dry_logout(jcv_test.token('alice_s1')) AS session_override_ignored;
ALTER DATABASE :"DBNAME" RESET app.settings.jwt_secret;
ALTER DATABASE :"DBNAME" SET jcv_logout.jwt_secret_file = 'jcv_jwt_secret';
