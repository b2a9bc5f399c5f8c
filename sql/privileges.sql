-- Privileges: what a role that is not superuser can and cannot do. The
-- token is the only authority; the secret is out of its reach; objects it
-- plants are never used by the extension's SECURITY DEFINER functions.

-- Every function of the extension is SECURITY DEFINER with a fixed
-- search_path (none listed = all are). Four exceptions: the procedure
-- auth_purge_sessions_batched (PostgreSQL refuses COMMIT in a SECURITY
-- DEFINER procedure or one with SET; each batch runs as the table's owner
-- with that search_path, tested in admin.sql), auth_session_valid(),
-- which policies call per row (it looks sessions up as its owner itself,
-- naming nothing through the search_path; tested in session_valid.sql), and
-- the triggers jcv_logout_session_changed() and jcv_logout_table_altered(),
-- which run no SQL and name nothing (session_cache.sql).
SELECT p.oid::regprocedure AS function_without_fixed_search_path
  FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'jcv_logout')
   AND (NOT p.prosecdef OR p.proconfig IS DISTINCT FROM '{"search_path=pg_catalog, pg_temp"}')
   AND p.oid NOT IN ('auth_purge_sessions_batched(interval, integer)'::regprocedure,
                     'auth_session_valid()'::regprocedure,
                     'jcv_logout_session_changed()'::regprocedure,
                     'jcv_logout_table_altered()'::regprocedure);

CREATE ROLE regress_jcv_attacker;
GRANT USAGE ON SCHEMA jcv_test TO regress_jcv_attacker;
GRANT SELECT ON jcv_test.tokens TO regress_jcv_attacker;
GRANT CREATE ON SCHEMA public TO regress_jcv_attacker;
CREATE SCHEMA regress_jcv_plant AUTHORIZATION regress_jcv_attacker;

-- Key custody. The secret is in a file (setup.sql sets
-- jcv_logout.jwt_secret_file): no setting, catalog or placeholder holds it,
-- so a role reads nothing even before the library is loaded; the path it
-- may see is no secret. What the role sets itself before the library loads
-- is discarded then (only superusers may set these): PostgreSQL warns with
-- 42501, shown as its SQLSTATE (the wording varies by version).
SET ROLE regress_jcv_attacker;
SHOW jcv_logout.jwt_secret_file;
SET jcv_logout.jwt_secret = 'mine';
SET jcv_logout.jwt_secret_file = '/tmp/mine';
\set VERBOSITY sqlstate
SELECT jcv_test.dry_logout(jcv_test.token('wrong_secret')) AS own_secret_discarded_on_load;
\set VERBOSITY default
SELECT jcv_test.dry_logout(jcv_test.token('alice_s1')) AS file_secret_still_in_force;
SELECT jcv_test.visible_setting('jcv_logout.jwt_secret') AS secret,
       jcv_test.visible_setting('jcv_logout.jwt_secret_file') AS secret_file;
RESET ROLE;

-- jcv_logout.jwt_secret is retired (secrets live in files only): where the
-- library is loaded, a superuser's SET, set_config() and ALTER SYSTEM are
-- refused too (their statements kept out of the log), and nothing reaches
-- the configuration files; only the empty value is accepted
CREATE ROLE regress_jcv_monitor IN ROLE pg_monitor;
\set VERBOSITY terse
SET jcv_logout.jwt_secret = 'session-level-secret';
SELECT set_config('jcv_logout.jwt_secret', 'session-level-secret', false);
ALTER SYSTEM SET jcv_logout.jwt_secret = 'system-level-secret';
\set VERBOSITY default
SET jcv_logout.jwt_secret = '';
SELECT count(*) AS in_configuration_files FROM pg_file_settings WHERE name = 'jcv_logout.jwt_secret';
SHOW jcv_logout.jwt_secret;
SELECT current_setting('jcv_logout.jwt_secret') AS superuser_reads;
SET ROLE regress_jcv_monitor;
SHOW jcv_logout.jwt_secret;
SELECT current_setting('jcv_logout.jwt_secret') AS monitor_reads;
SELECT name, setting FROM pg_settings WHERE name LIKE 'jcv_logout.jwt%' ORDER BY name;
SELECT count(*) AS in_show_all FROM pg_show_all_settings() WHERE setting LIKE '%session-level-secret%';
RESET ROLE;
RESET jcv_logout.jwt_secret;
DROP ROLE regress_jcv_monitor;

-- Plain roles cannot set a key, by any route (each refused with 42501)
\set VERBOSITY sqlstate
SET ROLE regress_jcv_attacker;
SET jcv_logout.jwt_secret = 'mine';
SET jcv_logout.jwt_secret_file = '/tmp/mine';
SELECT set_config('jcv_logout.jwt_secret', 'mine', false);
ALTER ROLE regress_jcv_attacker SET jcv_logout.jwt_secret = 'mine';
ALTER ROLE regress_jcv_attacker SET jcv_logout.jwt_secret_file = '/tmp/mine';
CREATE FUNCTION regress_jcv_plant.with_my_secret() RETURNS int LANGUAGE sql
  SET jcv_logout.jwt_secret = 'mine' AS 'SELECT 1';
ALTER SYSTEM SET jcv_logout.jwt_secret = 'mine';
-- not even as the owner of the database, nor through app.settings.jwt_secret
RESET ROLE;
ALTER DATABASE :"DBNAME" OWNER TO regress_jcv_attacker;
SET ROLE regress_jcv_attacker;
ALTER DATABASE :"DBNAME" SET jcv_logout.jwt_secret = 'mine';
ALTER DATABASE :"DBNAME" SET jcv_logout.jwt_secret_file = '/tmp/mine';
SET app.settings.jwt_secret = 'mine';
ALTER DATABASE :"DBNAME" SET app.settings.jwt_secret = 'mine';
RESET app.settings.jwt_secret;
RESET ROLE;
ALTER DATABASE :"DBNAME" OWNER TO CURRENT_USER;
\set VERBOSITY default

-- Nor in a catalog every role reads: an ERROR, not a warning, and the
-- statement is kept out of the log
\set VERBOSITY terse
CREATE FUNCTION jcv_test.with_secret() RETURNS int LANGUAGE sql
  SET jcv_logout.jwt_secret = 'function-level-secret' AS 'SELECT 1';
ALTER ROLE regress_jcv_attacker SET jcv_logout.jwt_secret = 'role-level-secret';
ALTER DATABASE :"DBNAME" SET jcv_logout.jwt_secret = 'database-level-secret';
\set VERBOSITY default
SELECT count(*) AS secrets_in_catalogs
  FROM (SELECT unnest(setconfig) AS setting FROM pg_db_role_setting
        UNION ALL SELECT unnest(proconfig) FROM pg_proc) s
 WHERE setting LIKE 'jcv_logout.jwt_secret=%';

-- The secret file must be the server OS user's alone (as ssl_key_file); a
-- superuser is told why, other roles only that it cannot be used
SELECT jcv_test.write_secret_file('super-secret-jwt-token-with-at-least-32-characters-long',
                                  'jcv_shared_secret', '640') IS NOT NULL AS group_readable_file_written;
SET jcv_logout.jwt_secret_file = 'jcv_shared_secret';
SELECT jcv_test.dry_logout(jcv_test.token('alice_s1')) AS group_readable;
SET jcv_logout.jwt_secret_file = 'jcv_no_such_file';
SELECT jcv_test.dry_logout(jcv_test.token('alice_s1')) AS missing;
SET jcv_logout.jwt_secret_file = '.';
SELECT jcv_test.dry_logout(jcv_test.token('alice_s1')) AS not_a_file;
SELECT jcv_test.write_secret_file('', 'jcv_empty_secret') IS NOT NULL AS empty_file_written;
SET jcv_logout.jwt_secret_file = 'jcv_empty_secret';
SELECT jcv_test.dry_logout(jcv_test.token('alice_s1')) AS empty;
SET jcv_logout.jwt_secret_file = 'jcv_shared_secret';
GRANT EXECUTE ON FUNCTION jcv_test.dry_logout(text, text) TO regress_jcv_attacker;
SET SESSION AUTHORIZATION regress_jcv_attacker;
SELECT jcv_test.dry_logout(jcv_test.token('alice_s1')) AS group_readable_as_plain_role;
RESET SESSION AUTHORIZATION;
-- rotation: the file is read again as soon as it changes, no reload needed
SET jcv_logout.jwt_secret_file = 'jcv_rotated_secret';
SELECT jcv_test.write_secret_file('another-secret-with-at-least-32-characters-long', 'jcv_rotated_secret') IS NOT NULL AS old_secret_written;
SELECT jcv_test.dry_logout(jcv_test.token('alice_s1')) AS before_rotation;
SELECT jcv_test.write_secret_file('super-secret-jwt-token-with-at-least-32-characters-long', 'jcv_rotated_secret') IS NOT NULL AS new_secret_written;
SELECT jcv_test.dry_logout(jcv_test.token('alice_s1')) AS after_rotation;
RESET jcv_logout.jwt_secret_file;

-- Forged request.jwt.claims / request.headers delete nothing without a
-- valid token
SET ROLE regress_jcv_attacker;
BEGIN;
SELECT set_config('request.jwt.claims',
       '{"sub": "11111111-1111-4111-8111-111111111111", "session_id": "aaaaaaaa-0000-4000-8000-000000000001", "role": "service_role"}', true);
SELECT jcv_test.dry_logout(NULL) AS claims_alone;
SELECT set_config('request.headers',
       json_build_object('authorization', 'Bearer ' || jcv_test.token('alg_none'))::text, true) <> '' AS headers_set;
SELECT jcv_test.dry_logout(NULL) AS unsigned_token_in_headers;
SELECT set_config('request.headers',
       json_build_object('authorization', 'Bearer ' || jcv_test.token('wrong_secret'))::text, true) <> '' AS headers_set;
SELECT jcv_test.dry_logout(NULL) AS foreign_signature_in_headers;
SELECT set_config('request.headers',
       '{"authorization": "Bearer ' || jcv_test.token('alice_s1') || '", "authorization": "Bearer x"}', true) <> '' AS headers_set;
SELECT jcv_test.dry_logout(NULL) AS duplicated_authorization_header;
SELECT set_config('request.headers', '["authorization", "Bearer x"]', true) <> '' AS headers_set;
SELECT jcv_test.dry_logout(NULL) AS headers_not_an_object;
SELECT set_config('request.headers', '{"authorization": ["Bearer x"]}', true) <> '' AS headers_set;
SELECT jcv_test.dry_logout(NULL) AS authorization_not_a_string;
ROLLBACK;
RESET ROLE;
SELECT * FROM jcv_test.login_state;

-- Objects planted in public and in the caller's own schema, first in its
-- search_path: tables named like Supabase Auth's, a uuid "=" that matches
-- everything, text "=", jsonb "?" and "->", now(), gen_random_uuid(). Each
-- records a hit when used.
SET ROLE regress_jcv_attacker;
CREATE TABLE regress_jcv_plant.hits (what text);
CREATE FUNCTION regress_jcv_plant.hit(what text) RETURNS boolean LANGUAGE plpgsql AS
  $$ BEGIN INSERT INTO regress_jcv_plant.hits VALUES (what); RETURN true; END $$;
CREATE FUNCTION regress_jcv_plant.uuid_eq(uuid, uuid) RETURNS boolean LANGUAGE sql AS
  $$ SELECT regress_jcv_plant.hit('uuid =') $$;
CREATE OPERATOR regress_jcv_plant.= (LEFTARG = uuid, RIGHTARG = uuid, FUNCTION = regress_jcv_plant.uuid_eq);
CREATE OPERATOR public.= (LEFTARG = uuid, RIGHTARG = uuid, FUNCTION = regress_jcv_plant.uuid_eq);
CREATE FUNCTION regress_jcv_plant.text_eq(text, text) RETURNS boolean LANGUAGE sql AS
  $$ SELECT regress_jcv_plant.hit('text =') $$;
CREATE OPERATOR regress_jcv_plant.= (LEFTARG = text, RIGHTARG = text, FUNCTION = regress_jcv_plant.text_eq);
CREATE FUNCTION regress_jcv_plant.jsonb_exists(jsonb, text) RETURNS boolean LANGUAGE sql AS
  $$ SELECT regress_jcv_plant.hit('jsonb ?') $$;
CREATE OPERATOR regress_jcv_plant.? (LEFTARG = jsonb, RIGHTARG = text, FUNCTION = regress_jcv_plant.jsonb_exists);
CREATE FUNCTION regress_jcv_plant.jsonb_get(jsonb, text) RETURNS jsonb LANGUAGE sql AS
  $$ SELECT regress_jcv_plant.hit('jsonb ->')::text::jsonb $$;
CREATE OPERATOR regress_jcv_plant.-> (LEFTARG = jsonb, RIGHTARG = text, FUNCTION = regress_jcv_plant.jsonb_get);
CREATE FUNCTION public.now() RETURNS timestamptz LANGUAGE sql AS
  $$ SELECT CASE WHEN regress_jcv_plant.hit('now()') THEN '2000-01-01'::timestamptz END $$;
CREATE FUNCTION public.gen_random_uuid() RETURNS uuid LANGUAGE sql AS
  $$ SELECT CASE WHEN regress_jcv_plant.hit('gen_random_uuid()') THEN '00000000-0000-0000-0000-0000000000ff'::uuid END $$;
CREATE TABLE regress_jcv_plant.users (id uuid);
CREATE TABLE regress_jcv_plant.sessions (id uuid);
CREATE TABLE regress_jcv_plant.refresh_tokens (id uuid);
CREATE TABLE regress_jcv_plant.audit_log_entries (id uuid);
-- (the token is read first: the test's own SQL helpers are not pinned)
SELECT jcv_test.token('alice_s1') AS alice_s1 \gset
SET search_path = regress_jcv_plant, public, pg_catalog;
-- the plants are live for ordinary queries in this search_path ...
SELECT 'aaaaaaaa-0000-4000-8000-000000000001'::uuid = '00000000-0000-0000-0000-000000000000'::uuid AS planted_uuid_eq;
SELECT what FROM regress_jcv_plant.hits;
DELETE FROM regress_jcv_plant.hits;
-- ... but a real logout in that search_path never touches them
BEGIN;
SELECT auth_logout(:'alice_s1', 'others');
SELECT count(*) AS planted_objects_used FROM regress_jcv_plant.hits;
RESET ROLE;
SELECT * FROM jcv_test.login_state;
SELECT payload->>'action' AS action, created_at = pg_catalog.now() AS written_now
  FROM auth.audit_log_entries;
ROLLBACK;
RESET ROLE;
RESET search_path;

-- The list of sessions ended while another transaction held them
-- (jcv_logout_ended_sessions): a line planted there would end someone's
-- session, one removed would bring it back. No role but its owner may read
-- or write it (42501 each).
SET ROLE regress_jcv_attacker;
\set VERBOSITY sqlstate
SELECT count(*) FROM public.jcv_logout_ended_sessions;
INSERT INTO public.jcv_logout_ended_sessions (session_id, user_id)
  VALUES ('bbbbbbbb-0000-4000-8000-000000000001', '22222222-2222-4222-8222-222222222222');
DELETE FROM public.jcv_logout_ended_sessions;
TRUNCATE public.jcv_logout_ended_sessions;
\set VERBOSITY default
RESET ROLE;

DROP OPERATOR public.= (uuid, uuid);
DROP FUNCTION public.now();
DROP FUNCTION public.gen_random_uuid();
SET client_min_messages = warning;
DROP SCHEMA regress_jcv_plant CASCADE;
RESET client_min_messages;
REVOKE ALL ON SCHEMA jcv_test FROM regress_jcv_attacker;
REVOKE ALL ON jcv_test.tokens FROM regress_jcv_attacker;
REVOKE CREATE ON SCHEMA public FROM regress_jcv_attacker;
REVOKE EXECUTE ON FUNCTION jcv_test.dry_logout(text, text) FROM regress_jcv_attacker;
DROP ROLE regress_jcv_attacker;

-- A retired secret given before the library loaded (a placeholder, which
-- every role could read: the configuration files, a catalog, a SET) is
-- dropped when it loads, shown as ******** from then on, and every logout
-- gets SUPABASE_ERROR naming jcv_logout.jwt_secret_file until it is reset
\c
SET jcv_logout.jwt_secret = 'placeholder-secret';
SELECT jcv_test.dry_logout(jcv_test.token('alice_s1')) AS placeholder_secret;
SHOW jcv_logout.jwt_secret;
RESET jcv_logout.jwt_secret;
SELECT jcv_test.dry_logout(jcv_test.token('alice_s1')) AS after_reset;
