-- Scopes, as GoTrue's /logout?scope=: which rows go, which stay.
-- Each case runs in a transaction that is rolled back, so all start alike.

SELECT * FROM jcv_test.login_state;

-- global (the default): every session of alice, their refresh tokens and amr
-- claims by cascade, and her legacy session-less refresh tokens. Bob untouched.
BEGIN;
SELECT auth_logout(jcv_test.token('alice_s1'));
SELECT * FROM jcv_test.login_state;
-- the same token again: its session is gone
SELECT jcv_test.dry_logout(jcv_test.token('alice_s1')) AS second_logout;
SELECT jcv_test.dry_logout(jcv_test.token('alice_s2')) AS other_device_after_global;
ROLLBACK;

BEGIN;
SELECT auth_logout(jcv_test.token('alice_s1'), 'global');
SELECT count(*) AS alice_sessions FROM auth.sessions WHERE user_id = '11111111-1111-4111-8111-111111111111';
ROLLBACK;

-- local: only the token's session
BEGIN;
SELECT auth_logout(jcv_test.token('alice_s1'), 'local');
SELECT * FROM jcv_test.login_state;
SELECT jcv_test.dry_logout(jcv_test.token('alice_s1'), 'local') AS second_logout;
SELECT jcv_test.dry_logout(jcv_test.token('alice_s2'), 'local') AS other_device_still_in;
ROLLBACK;

-- others: every session but the token's, and the legacy tokens
BEGIN;
SELECT auth_logout(jcv_test.token('alice_s1'), 'others');
SELECT * FROM jcv_test.login_state;
SELECT jcv_test.dry_logout(jcv_test.token('alice_s1'), 'local') AS own_session_kept;
SELECT jcv_test.dry_logout(jcv_test.token('alice_s2'), 'local') AS other_device_out;
ROLLBACK;

-- An empty scope is global, as in GoTrue; anything else is refused before
-- any row is touched.
BEGIN;
SELECT auth_logout(jcv_test.token('alice_s1'), '');
SELECT count(*) AS alice_sessions FROM auth.sessions WHERE user_id = '11111111-1111-4111-8111-111111111111';
ROLLBACK;
SELECT jcv_test.dry_logout(jcv_test.token('alice_s1'), 'everywhere') AS unknown_scope;
SELECT jcv_test.dry_logout(jcv_test.token('alice_s1'), 'LOCAL') AS scope_is_case_sensitive;
SELECT jcv_test.dry_logout(jcv_test.token('alice_s1'), NULL) AS null_scope_is_global;

-- A token without session_id (or with the nil uuid) can only log out
-- globally, whatever scope it asks for.
BEGIN;
SELECT auth_logout(jcv_test.token('alice_no_session'), 'local');
SELECT * FROM jcv_test.login_state;
ROLLBACK;
BEGIN;
SELECT auth_logout(jcv_test.token('alice_nil_session'), 'others');
SELECT count(*) AS alice_sessions FROM auth.sessions WHERE user_id = '11111111-1111-4111-8111-111111111111';
ROLLBACK;

-- A user with no session at all: nothing to delete, still a logout
BEGIN;
SELECT auth_logout(jcv_test.token('carol_no_session'));
ROLLBACK;

-- A token naming bob's session for alice deletes nothing, in any scope
SELECT scope, jcv_test.dry_logout(jcv_test.token('alice_with_bob_session'), scope) AS outcome
  FROM unnest(ARRAY['global', 'local', 'others']) AS scope;
-- ... nor an unknown session, nor a user Supabase Auth does not know. A
-- session that has passed not_after still exists: its logout ends what the
-- scope ends, as Supabase Auth's /logout (sql/fidelity.sql has every scope).
SELECT jcv_test.dry_logout(jcv_test.token('alice_ended_session')) AS ended_session;
SELECT jcv_test.dry_logout(jcv_test.token('alice_unknown_session')) AS unknown_session;
SELECT jcv_test.dry_logout(jcv_test.token('ghost_user')) AS unknown_user;
SELECT * FROM jcv_test.login_state;

-- The audit trail: one GoTrue-style logout row per logout, its payload text
-- as Go's json.Marshal writes it (compact, keys sorted; sql/fidelity.sql
-- compares it with Go's own), actor_name from user_metadata.full_name,
-- phone before email.
BEGIN;
SELECT auth_logout(jcv_test.token('alice_s1'), 'local');
SELECT auth_logout(jcv_test.token('bob_s1'), 'local');
SELECT instance_id, payload::text, ip_address, created_at = now() AS written_now
  FROM auth.audit_log_entries ORDER BY payload->>'actor_username';
ROLLBACK;

BEGIN;
SET LOCAL jcv_logout.audit = off;
SELECT auth_logout(jcv_test.token('alice_s1'), 'local');
SELECT count(*) AS audit_rows FROM auth.audit_log_entries;
ROLLBACK;

-- A logout is part of the caller's transaction: rolled back, nothing is lost
SELECT * FROM jcv_test.login_state;
