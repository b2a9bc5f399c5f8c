-- The shared fixture of the suites that run on a cluster of their own
-- (isolation specs, hot standby, pg_cron purge): Supabase Auth's schema and
-- rows, the test helpers and tokens, the extension. Run from the repository
-- root:  psql -f test/fixture.sql
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
\i test/gotrue_schema.sql
CREATE SCHEMA jcv_test;
\i test/helpers.sql
\i test/tokens.sql
\i test/fixture_rows.sql
CREATE EXTENSION jcv_logout;
