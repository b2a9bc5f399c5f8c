-- Upgrade path: 1.0 + ALTER EXTENSION UPDATE (through 1.1) must equal a fresh
-- install of the current version
-- (functions, signatures, settings, grants, comments), and DROP EXTENSION
-- must leave nothing behind, not even the logout trigger or the session
-- cache's trigger.

-- Each routine of the extension as the catalog describes it
CREATE VIEW pg_temp.extension_routines AS
SELECT p.oid::regprocedure::text AS routine, p.prokind, p.prorettype::regtype AS returns,
       pg_get_function_arguments(p.oid) AS arguments, p.probin, p.prosrc,
       p.prosecdef, p.proconfig, p.provolatile, p.proparallel, p.proisstrict,
       p.proleakproof, p.procost, p.proowner = e.extowner AS owned_by_installer,
       p.proacl::text[] AS proacl, obj_description(p.oid, 'pg_proc') AS comment
  FROM pg_extension e
  JOIN pg_depend d ON d.refobjid = e.oid AND d.refclassid = 'pg_extension'::regclass
                  AND d.deptype = 'e' AND d.classid = 'pg_proc'::regclass
  JOIN pg_proc p ON p.oid = d.objid
 WHERE e.extname = 'jcv_logout';
-- Every member, whatever its kind: its catalog and identity (machine
-- names, not pg_describe_object's wording, which PostgreSQL may change)
CREATE VIEW pg_temp.extension_members AS
SELECT d.classid::regclass AS catalog,
       (pg_identify_object(d.classid, d.objid, d.objsubid)).identity AS member
  FROM pg_depend d JOIN pg_extension e ON d.refobjid = e.oid
 WHERE e.extname = 'jcv_logout' AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
   -- 17 records a table's row type and its array as members too: they come
   -- with the table
   AND NOT EXISTS (SELECT 1 FROM pg_type t LEFT JOIN pg_type el ON el.oid = t.typelem
                    WHERE d.classid = 'pg_type'::regclass AND t.oid = d.objid
                      AND (t.typrelid <> 0 OR el.typrelid <> 0));

-- With Supabase's service_role present (its grants are part of the compare)
CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;

-- DROP EXTENSION with the trigger enabled: nothing of it stays
SELECT auth_enable_logout_triggers();
DROP EXTENSION jcv_logout;
SELECT count(*) AS triggers_left FROM pg_trigger
 WHERE tgrelid IN ('auth.users'::regclass, 'auth.sessions'::regclass) AND NOT tgisinternal;
SELECT count(*) AS routines_left FROM pg_proc
 WHERE proname LIKE 'auth\_%' AND pronamespace <> 'auth'::regnamespace OR proname LIKE 'jcv\_logout%';

-- 1.0, then the update
CREATE EXTENSION jcv_logout VERSION '1.0';
SELECT extversion FROM pg_extension WHERE extname = 'jcv_logout';
ALTER EXTENSION jcv_logout UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'jcv_logout';
-- the update put the session cache's trigger in place, enabled ALWAYS
SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'auth.sessions'::regclass AND NOT tgisinternal;
CREATE TABLE pg_temp.updated_routines AS SELECT * FROM pg_temp.extension_routines;
CREATE TABLE pg_temp.updated_members AS SELECT * FROM pg_temp.extension_members;
-- the trigger works after an update too
SELECT auth_enable_logout_triggers();

-- A fresh install of the current version
DROP EXTENSION jcv_logout;
CREATE EXTENSION jcv_logout;
SELECT extversion FROM pg_extension WHERE extname = 'jcv_logout';
SELECT * FROM pg_temp.extension_members ORDER BY member;
-- the list of ended sessions: nobody but its owner (and superusers) may
-- read or write it, and pg_dump keeps its rows
SELECT ARRAY(SELECT a.grantee::regrole FROM aclexplode(c.relacl) a
              WHERE a.grantee <> c.relowner) AS granted_to_others,
       c.relrowsecurity, c.oid = ANY (e.extconfig) AS dumped
  FROM pg_class c, pg_extension e
 WHERE c.relname = 'jcv_logout_ended_sessions' AND e.extname = 'jcv_logout';

-- The differences, both ways: none
(SELECT 'only after update' AS side, * FROM pg_temp.updated_routines
 EXCEPT SELECT 'only after update', * FROM pg_temp.extension_routines)
UNION ALL
(SELECT 'only in fresh install', * FROM pg_temp.extension_routines
 EXCEPT SELECT 'only in fresh install', * FROM pg_temp.updated_routines);
(SELECT * FROM pg_temp.updated_members EXCEPT SELECT * FROM pg_temp.extension_members)
UNION ALL
(SELECT * FROM pg_temp.extension_members EXCEPT SELECT * FROM pg_temp.updated_members);
-- and the compare is not vacuous
SELECT count(*) AS routines, count(*) FILTER (WHERE prosecdef) AS security_definer,
       count(*) FILTER (WHERE comment IS NOT NULL) AS commented
  FROM pg_temp.extension_routines;
SELECT routine, proacl FROM pg_temp.extension_routines ORDER BY 1;

-- back to the install the other tests use (no Supabase roles)
DROP EXTENSION jcv_logout;
DROP ROLE service_role;
CREATE EXTENSION jcv_logout;
