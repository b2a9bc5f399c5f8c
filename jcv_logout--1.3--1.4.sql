/* jcv_logout--1.3--1.4.sql: logout as Supabase Auth v2.196 does it */

\echo Use "ALTER EXTENSION jcv_logout UPDATE TO '1.4'" to load this file. \quit

-- The session cache's event trigger counts only ALTER TABLE and CREATE
-- TRIGGER that locked auth.sessions (ShareUpdateExclusiveLock or stronger,
-- held once the command has run: so on ddl_command_end), not every one of
-- any table: any role could switch every backend's cache off with one held
-- open (issue 26, docs/design.md).
DROP EVENT TRIGGER jcv_logout_table_altered;
CREATE EVENT TRIGGER jcv_logout_table_altered ON ddl_command_end
  WHEN TAG IN ('ALTER TABLE', 'CREATE TRIGGER')
  EXECUTE FUNCTION jcv_logout_table_altered();
ALTER EVENT TRIGGER jcv_logout_table_altered ENABLE ALWAYS;

COMMENT ON FUNCTION jcv_logout_table_altered() IS
'Event trigger on ALTER TABLE and CREATE TRIGGER: tells the session cache of every backend that the triggers of auth.sessions may change';
