-- Fixture: Supabase Auth's schema and rows, the minted tokens, the extension.
\set ECHO none
SET client_min_messages = warning;
-- pg_regress exports the source directory; works in VPATH builds too
\getenv abs_srcdir PG_ABS_SRCDIR
\set fixture :abs_srcdir '/test/gotrue_schema.sql'
\i :fixture
CREATE SCHEMA jcv_test;
\set fixture :abs_srcdir '/test/helpers.sql'
\i :fixture
\set fixture :abs_srcdir '/test/tokens.sql'
\i :fixture
\set fixture :abs_srcdir '/test/fixture_rows.sql'
\i :fixture
\set ECHO all

CREATE EXTENSION jcv_logout;
SELECT e.extname, e.extversion, e.extnamespace::regnamespace AS schema,
       obj_description(e.oid, 'pg_extension') AS description
  FROM pg_extension e WHERE e.extname = 'jcv_logout';
SELECT p.oid::regprocedure AS function, p.prosecdef AS security_definer,
       p.proconfig, p.provolatile, p.proparallel, p.proisstrict,
       has_function_privilege('public', p.oid, 'EXECUTE') AS public_may_call
  FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'jcv_logout')
 ORDER BY p.oid::regprocedure::text;

-- The key every later test uses (tokens are minted with Supabase's dev
-- secret), in a file only the server's OS user can read, as the README says.
SELECT jcv_test.write_secret_file('super-secret-jwt-token-with-at-least-32-characters-long') IS NOT NULL AS secret_file_written;
ALTER DATABASE :"DBNAME" SET jcv_logout.jwt_secret_file = 'jcv_jwt_secret';

SELECT * FROM jcv_test.login_state;
