-- The session cache (src/session_cache.c), with jcv_logout in
-- shared_preload_libraries (test/run_all.sh runs this file on such a
-- cluster, after setup.sql): a session found alive is checked again without
-- reading auth.sessions, and every change that can end it, whoever makes
-- it, is seen by the next check.

-- The trigger CREATE EXTENSION put on auth.sessions: AFTER UPDATE OR DELETE
-- FOR EACH ROW (tgtype 25), enabled ALWAYS
SELECT tgname, tgtype, tgenabled, tgfoid::regproc
  FROM pg_trigger WHERE tgrelid = 'auth.sessions'::regclass AND NOT tgisinternal;
-- and the event trigger at the end of ALTER TABLE and CREATE TRIGGER, enabled ALWAYS
SELECT evtname, evtevent, evtenabled, evtfoid::regproc, evttags FROM pg_event_trigger;
SHOW jcv_logout.session_cache;

-- What a check of a session answers for its user (alice unless named):
-- "passes", or its error (test/helpers.sql)
CREATE FUNCTION jcv_test.check(session_id uuid, user_id uuid DEFAULT '11111111-1111-4111-8111-111111111111')
RETURNS text LANGUAGE sql AS $$
  SELECT jcv_test.require_session(jcv_test.claims(user_id::text, session_id::text))
$$;
-- Two checks, and how many lookups of auth.sessions' primary key they made
-- (a check from the cache makes none), counted inside one statement
CREATE FUNCTION jcv_test.check_twice(session_id uuid, OUT first text, OUT second text, OUT lookups bigint)
LANGUAGE plpgsql AS $$
DECLARE
  before bigint := pg_stat_get_xact_numscans('auth.sessions_pkey'::regclass);
BEGIN
  first := jcv_test.check(session_id);
  second := jcv_test.check(session_id);
  lookups := pg_stat_get_xact_numscans('auth.sessions_pkey'::regclass) - before;
END
$$;

-- A live session of alice's, fresh for each case
CREATE FUNCTION jcv_test.new_session(id uuid, user_id uuid DEFAULT '11111111-1111-4111-8111-111111111111')
RETURNS uuid LANGUAGE sql AS $$
  INSERT INTO auth.sessions (id, user_id, created_at, updated_at, aal, refreshed_at)
  VALUES (id, user_id, now(), now(), 'aal1', now() AT TIME ZONE 'UTC') RETURNING id
$$;
SELECT jcv_test.new_session(('cccccccc-0000-4000-8000-00000000000' || n)::uuid)
  FROM generate_series(1, 9) AS n;

-- Checked once, the session is kept: later checks read nothing, in this
-- statement and in the next
SELECT * FROM jcv_test.check_twice('cccccccc-0000-4000-8000-000000000001');
SELECT * FROM jcv_test.check_twice('cccccccc-0000-4000-8000-000000000001');

-- A session kept for its owner is no one else's
SELECT jcv_test.check('cccccccc-0000-4000-8000-000000000001',
                      '22222222-2222-4222-8222-222222222222') AS other_user;

-- Supabase Auth's own logout, as its role: the next check refuses
SELECT jcv_test.check('cccccccc-0000-4000-8000-000000000002') AS before;
SET ROLE supabase_auth_admin;
DELETE FROM auth.sessions WHERE id = 'cccccccc-0000-4000-8000-000000000002';
RESET ROLE;
SELECT jcv_test.check('cccccccc-0000-4000-8000-000000000002') AS after_gotrue_delete;

-- Ours (an admin ending one session)
SELECT jcv_test.check('cccccccc-0000-4000-8000-000000000003') AS before;
SELECT auth_logout_session('cccccccc-0000-4000-8000-000000000003') ->> 'sessions_revoked' AS revoked;
SELECT jcv_test.check('cccccccc-0000-4000-8000-000000000003') AS after_logout_session;

-- not_after set (a time-boxed session cut short)
SELECT jcv_test.check('cccccccc-0000-4000-8000-000000000004') AS before;
UPDATE auth.sessions SET not_after = now() - interval '1 second'
 WHERE id = 'cccccccc-0000-4000-8000-000000000004';
SELECT jcv_test.check('cccccccc-0000-4000-8000-000000000004') AS after_not_after;

-- A refresh (refreshed_at and updated_at moved on) only extends a session:
-- it stays kept
SELECT jcv_test.check('cccccccc-0000-4000-8000-000000000005') AS before;
SET ROLE supabase_auth_admin;
UPDATE auth.sessions SET refreshed_at = now() AT TIME ZONE 'UTC' + interval '1 second',
                         updated_at = now() + interval '1 second'
 WHERE id = 'cccccccc-0000-4000-8000-000000000005';
RESET ROLE;
SELECT * FROM jcv_test.check_twice('cccccccc-0000-4000-8000-000000000005');

-- Its last activity moved back past the idle timeout: refused
SET jcv_logout.idle_timeout = '1h';
SELECT jcv_test.check('cccccccc-0000-4000-8000-000000000005') AS before;
UPDATE auth.sessions SET refreshed_at = now() AT TIME ZONE 'UTC' - interval '2 hours'
 WHERE id = 'cccccccc-0000-4000-8000-000000000005';
SELECT jcv_test.check('cccccccc-0000-4000-8000-000000000005') AS after_moved_back;
-- the idle limit itself, on a session kept: the kept times say it has
-- passed, and the table (read again) agrees
UPDATE auth.sessions SET refreshed_at = now() AT TIME ZONE 'UTC' - interval '30 minutes'
 WHERE id = 'cccccccc-0000-4000-8000-000000000006';
SELECT jcv_test.check('cccccccc-0000-4000-8000-000000000006') AS idle_30_minutes;
SET jcv_logout.idle_timeout = '20min';
SELECT jcv_test.check('cccccccc-0000-4000-8000-000000000006') AS idle_limit_20_minutes;
RESET jcv_logout.idle_timeout;

-- The session handed to another user: refused for the first
SELECT jcv_test.check('cccccccc-0000-4000-8000-000000000007') AS before;
UPDATE auth.sessions SET user_id = '22222222-2222-4222-8222-222222222222'
 WHERE id = 'cccccccc-0000-4000-8000-000000000007';
SELECT jcv_test.check('cccccccc-0000-4000-8000-000000000007') AS after_new_owner;

-- A delete rolled back ends nothing; the session is kept again after it
SELECT jcv_test.check('cccccccc-0000-4000-8000-000000000008') AS before;
BEGIN;
DELETE FROM auth.sessions WHERE id = 'cccccccc-0000-4000-8000-000000000008';
-- the transaction that deleted it sees it gone
SELECT jcv_test.check('cccccccc-0000-4000-8000-000000000008') AS own_delete;
ROLLBACK;
SELECT jcv_test.check('cccccccc-0000-4000-8000-000000000008') AS after_rollback;
SELECT * FROM jcv_test.check_twice('cccccccc-0000-4000-8000-000000000008');

-- A delete as a logical replication apply worker makes it
-- (session_replication_role = replica fires only ALWAYS triggers)
SELECT jcv_test.check('cccccccc-0000-4000-8000-000000000008') AS before;
SET session_replication_role = replica;
DELETE FROM auth.sessions WHERE id = 'cccccccc-0000-4000-8000-000000000008';
RESET session_replication_role;
SELECT jcv_test.check('cccccccc-0000-4000-8000-000000000008') AS after_replica_delete;

-- A user deleted: the foreign key's cascade deletes the sessions
INSERT INTO auth.users (instance_id, id, aud, role, email, created_at, updated_at)
VALUES ('00000000-0000-0000-0000-000000000000', '66666666-6666-4666-8666-666666666666',
        'authenticated', 'authenticated', 'frank@example.com', now(), now());
SELECT jcv_test.new_session('66666666-0000-4000-8000-000000000001', '66666666-6666-4666-8666-666666666666');
SELECT jcv_test.check('66666666-0000-4000-8000-000000000001', '66666666-6666-4666-8666-666666666666') AS before;
DELETE FROM auth.users WHERE id = '66666666-6666-4666-8666-666666666666';
SELECT jcv_test.check('66666666-0000-4000-8000-000000000001', '66666666-6666-4666-8666-666666666666') AS after_user_deleted;

-- A change in a prepared transaction could commit where no trigger runs
-- (another backend, or after a restart): refused
BEGIN;
DELETE FROM auth.sessions WHERE id = 'cccccccc-0000-4000-8000-000000000009';
PREPARE TRANSACTION 'jcv_session_cache';
SELECT jcv_test.check('cccccccc-0000-4000-8000-000000000009') AS still_there;

-- Nothing is kept in REPEATABLE READ (its snapshot may predate a session),
-- nor with jcv_logout.session_cache = 0: every check reads the table
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT * FROM jcv_test.check_twice('cccccccc-0000-4000-8000-000000000009');
COMMIT;
SET jcv_logout.session_cache = 0;
SELECT * FROM jcv_test.check_twice('cccccccc-0000-4000-8000-000000000009');
RESET jcv_logout.session_cache;

-- With room for 8 (jcv_logout.session_cache = 8: two sets of four), 24 live
-- sessions checked three times over push each other out; then half of them
-- ended by Supabase Auth's role: those are refused, the rest pass, whether
-- kept or read again, and none is ever served to another user
SET jcv_logout.session_cache = 8;
SELECT count(jcv_test.new_session(('dddddddd-0000-4000-8000-0000000000' || lpad(n::text, 2, '0'))::uuid)) AS sessions
  FROM generate_series(1, 24) AS n;
CREATE TEMP VIEW crowded_checks AS
SELECT n % 2 = 0 AS even, jcv_test.check(id) AS alice, jcv_test.check(id, '22222222-2222-4222-8222-222222222222') AS bob
  FROM generate_series(1, 3) AS round, generate_series(1, 24) AS n,
       LATERAL (SELECT ('dddddddd-0000-4000-8000-0000000000' || lpad(n::text, 2, '0'))::uuid AS id) AS s;
SELECT even, alice, bob, count(*) FROM crowded_checks GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
SET ROLE supabase_auth_admin;
DELETE FROM auth.sessions
 WHERE id::text LIKE 'dddddddd-%' AND right(id::text, 2)::int % 2 = 0;
RESET ROLE;
SELECT even, alice, bob, count(*) FROM crowded_checks GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
DROP VIEW crowded_checks;
RESET jcv_logout.session_cache;

-- The trigger disabled by the table's owner: nothing is kept, every check
-- reads the table, and a delete is seen
SELECT jcv_test.check('cccccccc-0000-4000-8000-000000000009') AS kept;
ALTER TABLE auth.sessions DISABLE TRIGGER jcv_logout_session_changed;
SELECT * FROM jcv_test.check_twice('cccccccc-0000-4000-8000-000000000009');
DELETE FROM auth.sessions WHERE id = 'cccccccc-0000-4000-8000-000000000009';
SELECT jcv_test.check('cccccccc-0000-4000-8000-000000000009') AS after_delete;
-- enabled again as created (ALWAYS); a second call has nothing to do
SELECT auth_enable_session_cache() AS enabled, auth_enable_session_cache() AS again;
SELECT tgenabled FROM pg_trigger WHERE tgname = 'jcv_logout_session_changed';

-- While a transaction that ran ALTER TABLE is open (it may have disabled
-- the trigger), nothing is kept or used
SELECT jcv_test.new_session('cccccccc-0000-4000-8000-000000000013');
SELECT jcv_test.check('cccccccc-0000-4000-8000-000000000013') AS kept;
BEGIN;
ALTER TABLE auth.sessions ALTER COLUMN user_agent SET STATISTICS 100;
SELECT * FROM jcv_test.check_twice('cccccccc-0000-4000-8000-000000000013');
ROLLBACK;
-- nor while one that runs CREATE TRIGGER is (CREATE OR REPLACE could
-- replace ours)
BEGIN;
CREATE TRIGGER another_trigger AFTER INSERT ON auth.sessions
  FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger();
SELECT * FROM jcv_test.check_twice('cccccccc-0000-4000-8000-000000000013');
ROLLBACK;
-- nor with the event trigger disabled
ALTER EVENT TRIGGER jcv_logout_table_altered DISABLE;
SELECT * FROM jcv_test.check_twice('cccccccc-0000-4000-8000-000000000013');
ALTER EVENT TRIGGER jcv_logout_table_altered ENABLE ALWAYS;
SELECT * FROM jcv_test.check_twice('cccccccc-0000-4000-8000-000000000013');

-- Dropped: nothing kept; created again
SELECT auth_disable_session_cache() AS disabled, auth_disable_session_cache() AS again;
SELECT jcv_test.new_session('cccccccc-0000-4000-8000-000000000010');
SELECT * FROM jcv_test.check_twice('cccccccc-0000-4000-8000-000000000010');
SELECT auth_enable_session_cache() AS enabled;

-- A row version this transaction wrote is not kept: no trigger would tell
-- of its rollback. A session inserted, then rolled back, does not exist...
BEGIN;
SELECT jcv_test.new_session('cccccccc-0000-4000-8000-000000000011');
SELECT jcv_test.check('cccccccc-0000-4000-8000-000000000011') AS own_insert;
ROLLBACK;
SELECT jcv_test.check('cccccccc-0000-4000-8000-000000000011') AS after_rollback;
-- ... and a refresh rolled back leaves the older activity time in force
SELECT jcv_test.new_session('cccccccc-0000-4000-8000-000000000012');
UPDATE auth.sessions SET refreshed_at = now() AT TIME ZONE 'UTC' - interval '50 minutes'
 WHERE id = 'cccccccc-0000-4000-8000-000000000012';
SET jcv_logout.idle_timeout = '1h';
BEGIN;
UPDATE auth.sessions SET refreshed_at = now() AT TIME ZONE 'UTC'
 WHERE id = 'cccccccc-0000-4000-8000-000000000012';
SELECT jcv_test.check('cccccccc-0000-4000-8000-000000000012') AS own_refresh;
ROLLBACK;
SET jcv_logout.idle_timeout = '40min';
SELECT jcv_test.check('cccccccc-0000-4000-8000-000000000012') AS after_rollback;
RESET jcv_logout.idle_timeout;

-- The trigger function used any other way is refused
CREATE TEMP TABLE misused (id uuid);
CREATE TRIGGER misused BEFORE DELETE ON misused FOR EACH ROW EXECUTE FUNCTION jcv_logout_session_changed();
INSERT INTO misused VALUES (gen_random_uuid());
DELETE FROM misused;

-- TRUNCATE (no row triggers): the table's invalidation drops every session
SELECT jcv_test.check('cccccccc-0000-4000-8000-000000000010') AS before;
TRUNCATE auth.sessions CASCADE;
SELECT jcv_test.check('cccccccc-0000-4000-8000-000000000010') AS after_truncate;

-- Issue 26, finding 7 (docs/design.md): DDL counts as a change of the whole
-- table only when it locked auth.sessions. Any role's ALTER TABLE of its
-- own table, held open, leaves the cache at work for everyone...
SELECT jcv_test.new_session('cccccccc-0000-4000-8000-000000000014');
CREATE ROLE jcv_tenant;
CREATE SCHEMA jcv_tenant AUTHORIZATION jcv_tenant;
SET ROLE jcv_tenant;
CREATE TABLE jcv_tenant.notes (body text);
CREATE TABLE jcv_tenant.sessions (id uuid);
RESET ROLE;
BEGIN;
SET LOCAL ROLE jcv_tenant;
ALTER TABLE jcv_tenant.notes ADD COLUMN author text;
RESET ROLE;
SELECT * FROM jcv_test.check_twice('cccccccc-0000-4000-8000-000000000014');
ROLLBACK;
-- ... a table of its own named sessions too, found through search_path ...
BEGIN;
SET LOCAL ROLE jcv_tenant;
SET LOCAL search_path = jcv_tenant, auth;
ALTER TABLE sessions ADD COLUMN note text;
CREATE TRIGGER noted AFTER DELETE ON sessions FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger();
RESET search_path;
RESET ROLE;
SELECT * FROM jcv_test.check_twice('cccccccc-0000-4000-8000-000000000014');
ROLLBACK;
-- ... while the same name resolving to auth.sessions counts
BEGIN;
SET LOCAL search_path = auth, jcv_tenant;
ALTER TABLE sessions ALTER COLUMN user_agent SET STATISTICS 100;
RESET search_path;
SELECT * FROM jcv_test.check_twice('cccccccc-0000-4000-8000-000000000014');
ROLLBACK;
SELECT * FROM jcv_test.check_twice('cccccccc-0000-4000-8000-000000000014');

-- Savepoints rolled back around cached checks (issue 26): a delete rolled
-- back to a savepoint ends nothing, a session inserted and rolled back to a
-- savepoint does not exist, and after the commit the first is kept again
BEGIN;
SAVEPOINT before_delete;
DELETE FROM auth.sessions WHERE id = 'cccccccc-0000-4000-8000-000000000014';
SELECT jcv_test.check('cccccccc-0000-4000-8000-000000000014') AS deleted_in_savepoint;
ROLLBACK TO SAVEPOINT before_delete;
SELECT jcv_test.check('cccccccc-0000-4000-8000-000000000014') AS delete_rolled_back;
SAVEPOINT before_insert;
SELECT jcv_test.new_session('cccccccc-0000-4000-8000-000000000015');
SELECT jcv_test.check('cccccccc-0000-4000-8000-000000000015') AS inserted_in_savepoint;
ROLLBACK TO SAVEPOINT before_insert;
SELECT jcv_test.check('cccccccc-0000-4000-8000-000000000015') AS insert_rolled_back;
COMMIT;
SELECT * FROM jcv_test.check_twice('cccccccc-0000-4000-8000-000000000014');
SELECT jcv_test.check('cccccccc-0000-4000-8000-000000000015') AS never_committed;

-- ALTER TABLE auth.sessions OWNER TO … while sessions are kept (issue 26):
-- the new owner's delete is seen, and the cache works for the new owner
SELECT jcv_test.new_session('cccccccc-0000-4000-8000-000000000016');
SELECT jcv_test.check('cccccccc-0000-4000-8000-000000000016') AS kept;
GRANT USAGE ON SCHEMA auth TO jcv_tenant;
ALTER TABLE auth.sessions OWNER TO jcv_tenant;
SELECT * FROM jcv_test.check_twice('cccccccc-0000-4000-8000-000000000014');
SET ROLE jcv_tenant;
DELETE FROM auth.sessions WHERE id = 'cccccccc-0000-4000-8000-000000000016';
RESET ROLE;
SELECT jcv_test.check('cccccccc-0000-4000-8000-000000000016') AS after_new_owner_delete;
ALTER TABLE auth.sessions OWNER TO supabase_auth_admin;
SELECT * FROM jcv_test.check_twice('cccccccc-0000-4000-8000-000000000014');
REVOKE USAGE ON SCHEMA auth FROM jcv_tenant;
DROP SCHEMA jcv_tenant CASCADE;
DROP ROLE jcv_tenant;
