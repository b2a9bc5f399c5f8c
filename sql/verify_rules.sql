-- Every verification rule: each token (minted by PyJWT, test/mint_tokens.py)
-- and what auth_logout answers. Nothing is deleted here: dry_logout rolls back.

-- Accepted tokens (iss is not checked unless jcv_logout.issuer is set; iat
-- is never a reason to refuse, as in Supabase Auth; a session past not_after
-- is still ended, as by its /logout)
SELECT name, jcv_test.dry_logout(token) AS outcome
  FROM jcv_test.tokens
 WHERE name IN ('alice_s1', 'hs384', 'hs512', 'with_kid', 'typ_lower_case',
                'exp_fraction', 'nbf_past', 'aud_array_with_ours', 'iss_missing',
                'alice_upper_case_ids', 'alice_no_session', 'alice_nil_session',
                'iss_other', 'iat_future', 'alice_ended_session')
 ORDER BY name;

-- Refused tokens: every one is UNAUTHORIZED (SQLSTATE PT401)
SELECT name, jcv_test.dry_logout(token) AS outcome
  FROM jcv_test.tokens
 WHERE name NOT IN ('alice_s1', 'hs384', 'hs512', 'with_kid', 'typ_lower_case',
                    'exp_fraction', 'nbf_past', 'aud_array_with_ours', 'iss_missing',
                    'alice_upper_case_ids', 'alice_no_session', 'alice_nil_session', 'iss_other',
                    'iat_future', 'alice_ended_session',
                    'alice_s2', 'bob_s1', 'carol_no_session')
   AND name NOT LIKE 'jwks\_%'  -- asymmetric keys: sql/jwks.sql
   AND name NOT LIKE 'hostile\_%'
 ORDER BY name;

-- Hostile input (the README's "Bad input" table). Each token is correctly
-- signed, so the answer is what parsing and the claim rules make of it. The
-- cap is raised so that the deeply nested ones reach the JSON parser.
SET jcv_logout.max_token_bytes = '64kB';
SELECT name, jcv_test.dry_logout(token) AS outcome
  FROM jcv_test.tokens
 WHERE name LIKE 'hostile\_%'
 ORDER BY name;
RESET jcv_logout.max_token_bytes;
SELECT jcv_test.dry_logout(jcv_test.token('hostile_nested_10000')) AS nested_over_default_cap;

-- Not a token at all
SELECT jcv_test.dry_logout(NULL) AS null_without_request_headers;
SELECT jcv_test.dry_logout('') AS empty_string;
SELECT jcv_test.dry_logout('Bearer ') AS bearer_without_token;
SELECT jcv_test.dry_logout(repeat('a', 1024 * 1024)) AS one_megabyte;
SELECT jcv_test.dry_logout(repeat('eyJh', 3000) || '.' || repeat('eyJh', 3000) || '.' || 'c2ln') AS oversized_jws;
SELECT jcv_test.dry_logout(' ' || jcv_test.token('alice_s1')) AS leading_space;
SELECT jcv_test.dry_logout(jcv_test.token('alice_s1') || E'\n') AS trailing_newline;
SELECT jcv_test.dry_logout('..') AS only_dots;
SELECT jcv_test.dry_logout('a.b.c') AS one_char_parts;
SELECT jcv_test.dry_logout('é' || jcv_test.token('alice_s1')) AS non_ascii_prefix;
SELECT jcv_test.dry_logout(replace(jcv_test.token('alice_s1'), '.', E'.\u200b')) AS zero_width_space;
SELECT jcv_test.dry_logout(E'Bearer\t' || jcv_test.token('alice_s1')) AS bearer_tab;

-- The scheme of a raw Authorization header value is stripped, in any case
SELECT jcv_test.dry_logout('Bearer ' || jcv_test.token('alice_s1')) AS bearer_prefix;
SELECT jcv_test.dry_logout('bEaReR   ' || jcv_test.token('alice_s1')) AS bearer_mixed_case;
SELECT jcv_test.dry_logout('Basic ' || jcv_test.token('alice_s1')) AS basic_scheme;

-- Leeway (seconds of clock skew) lets expired and not-yet-valid tokens through
SET jcv_logout.leeway = 0;
SELECT jcv_test.dry_logout(jcv_test.token('expired')) AS expired_no_leeway;
SET jcv_logout.leeway = 2000000000;
SELECT jcv_test.dry_logout(jcv_test.token('expired')) AS expired_within_leeway;
SELECT jcv_test.dry_logout(jcv_test.token('nbf_future')) AS nbf_within_leeway;
RESET jcv_logout.leeway;

-- Audience: configurable, and empty disables the check
SET jcv_logout.audience = 'anon-service';
SELECT jcv_test.dry_logout(jcv_test.token('aud_other')) AS aud_configured;
SELECT jcv_test.dry_logout(jcv_test.token('alice_s1')) AS aud_default_refused;
SET jcv_logout.audience = '';
SELECT jcv_test.dry_logout(jcv_test.token('aud_missing')) AS aud_unchecked;
RESET jcv_logout.audience;

-- Issuer: unchecked by default, exact match when set
SET jcv_logout.issuer = 'https://jcvlogout.supabase.co/auth/v1';
SELECT jcv_test.dry_logout(jcv_test.token('alice_s1')) AS iss_matches;
SELECT jcv_test.dry_logout(jcv_test.token('iss_other')) AS iss_other;
SELECT jcv_test.dry_logout(jcv_test.token('iss_missing')) AS iss_missing;
SET jcv_logout.issuer = 'https://jcvlogout.supabase.co/auth/v1/';
SELECT jcv_test.dry_logout(jcv_test.token('alice_s1')) AS iss_trailing_slash_differs;
RESET jcv_logout.issuer;

-- Size cap is applied before parsing
SET jcv_logout.max_token_bytes = 256;
SELECT jcv_test.dry_logout(jcv_test.token('alice_s1')) AS over_cap;
RESET jcv_logout.max_token_bytes;

-- Session time box (GOTRUE_SESSIONS_TIMEBOX): measured from created_at. A
-- logout still ends a session past it, as Supabase Auth's /logout does (the
-- session check refuses it: sql/session_check.sql, sql/fidelity.sql).
SET jcv_logout.session_timebox = '1d';
SELECT jcv_test.dry_logout(jcv_test.token('alice_s1')) AS young_session;
SELECT jcv_test.dry_logout(jcv_test.token('alice_s2')) AS session_past_timebox;
RESET jcv_logout.session_timebox;
SELECT jcv_test.dry_logout(jcv_test.token('alice_s2')) AS no_timebox;

-- Settings that decide who is let in are not for ordinary roles (refusals
-- as SQLSTATEs, 42501: PostgreSQL words its own differently by version)
CREATE ROLE jcv_plain_user;
GRANT USAGE ON SCHEMA jcv_test TO jcv_plain_user;
SET ROLE jcv_plain_user;
\set VERBOSITY sqlstate
SET jcv_logout.leeway = 2000000000;
SET jcv_logout.audience = '';
SET jcv_logout.jwt_secret = 'mine';
\set VERBOSITY default
SELECT jcv_test.visible_setting('jcv_logout.jwt_secret') AS secret_shown;
SELECT count(*) AS secret_rows_visible FROM pg_settings WHERE name = 'jcv_logout.jwt_secret';
RESET ROLE;
REVOKE USAGE ON SCHEMA jcv_test FROM jcv_plain_user;
DROP ROLE jcv_plain_user;
SELECT count(*) AS secret_in_show_all FROM (SELECT * FROM pg_show_all_settings()) s WHERE name = 'jcv_logout.jwt_secret';
