-- Asymmetric keys from a JSON Web Key Set (jcv_logout.jwks): every algorithm,
-- key selection, algorithm confusion, signature encodings, rotation, and sets
-- refused when they are set. Keys: test/keys/; sets and tokens (PyJWT):
-- test/mint_jwks.py. jcv_logout.jwt_secret_file stays set unless a case clears it.

-- jcv_logout.jwks holds public keys only (secrets live in files only):
-- 'all_public' is every key of the set 'all' but its symmetric one (kty oct),
-- which only jcv_logout.jwks_file may hold (its cases at the end)
INSERT INTO jcv_test.key_sets (name, jwks)
SELECT 'all_public', jsonb_build_object('keys', jsonb_agg(key ORDER BY ordinality))::text
  FROM jcv_test.key_sets, jsonb_array_elements(jwks::jsonb -> 'keys') WITH ORDINALITY AS keys (key, ordinality)
 WHERE name = 'all' AND key ->> 'kty' <> 'oct';

-- Every algorithm, each token naming (kid) the key that signed it
SELECT jcv_test.use_jwks('all_public');
SELECT name, jcv_test.dry_logout(token) AS outcome
  FROM jcv_test.tokens
 WHERE name IN ('jwks_rs256', 'jwks_rs384', 'jwks_rs512', 'jwks_ps256', 'jwks_ps384',
                'jwks_ps512', 'jwks_es256', 'jwks_es384', 'jwks_es512', 'jwks_eddsa')
 ORDER BY name;

-- A set with a symmetric key is refused when it is set, even by a superuser
-- (its statement kept out of the log); the set in force stays
SELECT jcv_test.use_jwks('all') AS symmetric_set;
SELECT jcv_test.dry_logout(jcv_test.token('jwks_es256')) AS public_set_still_in_force;

-- The secret still verifies HS tokens, with or without a kid
SELECT jcv_test.dry_logout(jcv_test.token('alice_s1')) AS secret_no_kid;
SELECT jcv_test.dry_logout(jcv_test.token('with_kid')) AS secret_kid_not_in_jwks;
SELECT jcv_test.dry_logout(jcv_test.token('jwks_hs256_secret_unknown_kid')) AS secret_other_kid;

-- Without a kid: the one key that fits the alg
SELECT name, jcv_test.dry_logout(token) AS outcome
  FROM jcv_test.tokens
 WHERE name IN ('jwks_rs256_no_kid', 'jwks_es256_no_kid', 'jwks_eddsa_no_kid')
 ORDER BY name;
SET jcv_logout.jwt_secret_file = '';
SELECT jcv_test.dry_logout(jcv_test.token('jwks_hs256_secret_unknown_kid')) AS unknown_kid_without_secret;
SELECT jcv_test.dry_logout(jcv_test.token('jwks_es256')) AS jwks_alone_is_a_key;
RESET jcv_logout.jwt_secret_file;

-- Two keys of a type: the kid picks one; without a kid, neither is guessed
SELECT jcv_test.use_jwks('two_p256');
SELECT name, jcv_test.dry_logout(token) AS outcome
  FROM jcv_test.tokens
 WHERE name IN ('jwks_es256', 'jwks_es256_p256_b', 'jwks_es256_signed_by_a_kid_b',
                'jwks_es256_no_kid', 'jwks_rs256_no_kid')
 ORDER BY name;

-- A kid the set does not have
SELECT jcv_test.use_jwks('all_public');
SELECT jcv_test.dry_logout(jcv_test.token('jwks_rs256_unknown_kid')) AS unknown_kid;

-- Algorithm confusion: the key's type, curve and alg decide, never the token
SELECT name, jcv_test.dry_logout(token) AS outcome
  FROM jcv_test.tokens
 WHERE name IN ('jwks_hs256_rsa_pem_as_secret', 'jwks_hs256_rsa_pem_as_secret_no_kid',
                'jwks_hs256_rsa_jwk_as_secret', 'jwks_hs256_ed25519_as_secret',
                'jwks_es256_naming_p384', 'jwks_es384_naming_p256',
                'jwks_rs256_naming_ec_key', 'jwks_eddsa_naming_rsa_key',
                'jwks_hs256_oct_naming_rsa_key', 'rs256')
 ORDER BY name;
SET jcv_logout.jwt_secret_file = '';
SELECT jcv_test.use_jwks('rotation_old');
SELECT jcv_test.dry_logout(jcv_test.token('jwks_hs256_rsa_pem_as_secret_no_kid')) AS rsa_pem_as_secret_no_secret;
SELECT jcv_test.dry_logout(jcv_test.token('alice_s1')) AS hs_token_without_hs_key;
RESET jcv_logout.jwt_secret_file;

-- A key's "alg" pins it: RS256 verifies, PS256 with the same RSA key does not
SELECT jcv_test.use_jwks('rsa_a_pinned_rs256');
SELECT name, jcv_test.dry_logout(token) AS outcome
  FROM jcv_test.tokens
 WHERE name IN ('jwks_rs256', 'jwks_rs256_no_kid', 'jwks_rs384', 'jwks_ps256')
 ORDER BY name;

-- Signatures: ECDSA is JOSE r||s of exactly the curve's size (no DER), RSA
-- exactly the modulus size, and each covers exactly its header and payload
SELECT jcv_test.use_jwks('all_public');
SELECT name, jcv_test.dry_logout(token) AS outcome
  FROM jcv_test.tokens
 WHERE name IN ('jwks_es256_der_signature', 'jwks_es256_signature_short',
                'jwks_es256_signature_long', 'jwks_es256_other_payload',
                'jwks_rs256_signature_short', 'jwks_eddsa_other_payload')
 ORDER BY name;

-- Rotation: old key alone, both, then the new key alone
SELECT jcv_test.use_jwks('rotation_old');
SELECT jcv_test.dry_logout(jcv_test.token('jwks_rs256')) AS old_key,
       jcv_test.dry_logout(jcv_test.token('jwks_rs256_rsa_b')) AS new_key;
SELECT jcv_test.use_jwks('rotation_both');
SELECT jcv_test.dry_logout(jcv_test.token('jwks_rs256')) AS old_key,
       jcv_test.dry_logout(jcv_test.token('jwks_rs256_rsa_b')) AS new_key;
SELECT jcv_test.use_jwks('rotation_new');
SELECT jcv_test.dry_logout(jcv_test.token('jwks_rs256')) AS old_key,
       jcv_test.dry_logout(jcv_test.token('jwks_rs256_rsa_b')) AS new_key;

-- SET LOCAL, then rollback: the earlier set is back in force
BEGIN;
SELECT pg_catalog.set_config('jcv_logout.jwks', jwks, true) <> '' AS set_local
  FROM jcv_test.key_sets WHERE name = 'rotation_old';
SELECT jcv_test.dry_logout(jcv_test.token('jwks_rs256_rsa_b')) AS new_key_in_transaction;
ROLLBACK;
SELECT jcv_test.dry_logout(jcv_test.token('jwks_rs256_rsa_b')) AS new_key_after_rollback;

-- Keys whose use or key_ops exclude verification are left out of the set
SELECT jcv_test.use_jwks('not_for_verification');
SELECT name, jcv_test.dry_logout(token) AS outcome
  FROM jcv_test.tokens
 WHERE name IN ('jwks_rs256_rsa_b', 'jwks_es256', 'jwks_es384')
 ORDER BY name;

-- A bad set is refused when it is set, naming the bad key; the set in
-- force stays (a typo never locks everyone out)
SELECT name, jcv_test.use_jwks(name) AS outcome
  FROM jcv_test.key_sets
 WHERE name LIKE 'bad\_%'
 ORDER BY name;
SELECT jcv_test.dry_logout(jcv_test.token('jwks_es384')) AS set_in_force_unchanged;
-- a set over 256 kB is refused before it is parsed
SELECT set_config('jcv_logout.jwks', '{"keys": [' || repeat(' ', 262144) || ']}', false);
ALTER DATABASE :"DBNAME" SET jcv_logout.jwks = '{"keys": [{"kty": "RSA", "kid": "typo", "e": "AQAB"}]}';
SELECT count(*) AS database_settings FROM pg_db_role_setting
 WHERE array_to_string(setconfig, ',') LIKE '%jcv_logout.jwks%';

-- A set stored with ALTER DATABASE is parsed by each new backend
SELECT format('ALTER DATABASE %I SET jcv_logout.jwks = %L', current_database(), jwks) AS alter_jwks
  FROM jcv_test.key_sets WHERE name = 'two_p256' \gset
:alter_jwks;
\c
SELECT jcv_test.dry_logout(jcv_test.token('jwks_es256')) AS from_database_setting;
ALTER DATABASE :"DBNAME" RESET jcv_logout.jwks;
\c
-- A set with a symmetric key given before the library loaded (a placeholder,
-- which every role could read) is dropped when it loads: every logout gets
-- SUPABASE_ERROR naming jcv_logout.jwks_file until the setting is reset
SELECT jcv_test.use_jwks('all') AS placeholder_set;
SELECT jcv_test.dry_logout(jcv_test.token('jwks_es256')) AS symmetric_set_from_placeholder;
SHOW jcv_logout.jwks;
RESET jcv_logout.jwks;
SELECT jcv_test.dry_logout(jcv_test.token('alice_s1')) AS after_reset;
-- ... nor may a superuser store one in a catalog every role reads (refused
-- where the library is loaded, as it is here now)
SELECT jcv_test.dry_logout(NULL) IS NOT NULL AS library_loaded;
SELECT format('ALTER DATABASE %I SET jcv_logout.jwks = %L', current_database(), jwks) AS alter_jwks
  FROM jcv_test.key_sets WHERE name = 'all' \gset
\set VERBOSITY terse
:alter_jwks;
\set VERBOSITY default
SELECT count(*) AS stored FROM pg_db_role_setting
 WHERE array_to_string(setconfig, ',') LIKE '%jcv_logout.jwks%';

-- No key anywhere (an empty set holds none) is SUPABASE_ERROR; a set alone,
-- or the secret alone, is enough
SET jcv_logout.jwt_secret_file = '';
SELECT jcv_test.dry_logout(jcv_test.token('jwks_es256')) AS neither;
SELECT jcv_test.use_jwks('empty');
SELECT jcv_test.dry_logout(jcv_test.token('jwks_es256')) AS empty_set;
RESET jcv_logout.jwt_secret_file;
SELECT jcv_test.dry_logout(jcv_test.token('alice_s1')) AS empty_set_and_secret;
SELECT jcv_test.dry_logout(jcv_test.token('jwks_es256')) AS es256_with_empty_set;

-- The set decides who is let in: superusers only, hidden from SHOW ALL
-- (refusals as SQLSTATEs: PostgreSQL words its own differently by version)
CREATE ROLE jcv_plain_user;
GRANT USAGE ON SCHEMA jcv_test TO jcv_plain_user;
SET ROLE jcv_plain_user;
\set VERBOSITY sqlstate
SET jcv_logout.jwks = '{"keys": []}';
\set VERBOSITY default
SELECT jcv_test.visible_setting('jcv_logout.jwks') AS jwks_shown;
SELECT count(*) AS jwks_rows_visible FROM pg_settings WHERE name = 'jcv_logout.jwks';
RESET ROLE;
REVOKE USAGE ON SCHEMA jcv_test FROM jcv_plain_user;
DROP ROLE jcv_plain_user;
SELECT count(*) AS jwks_in_show_all FROM (SELECT * FROM pg_show_all_settings()) s WHERE name = 'jcv_logout.jwks';

-- Parsed keys are freed when the set changes: thousands of different sets
-- leave the backend's memory where it was
CREATE FUNCTION pg_temp.resident_kb() RETURNS bigint LANGUAGE sql AS
  $$ SELECT substring(pg_catalog.pg_read_file('/proc/self/status') FROM 'VmRSS:\s+(\d+)')::bigint $$;
SELECT jcv_test.use_jwks('all_public');
SELECT jcv_test.dry_logout(jcv_test.token('jwks_es256')) AS warm_up;
SELECT pg_temp.resident_kb() AS resident_before \gset
DO $$
DECLARE
  base text := (SELECT jwks FROM jcv_test.key_sets WHERE name = 'all_public');
BEGIN
  FOR i IN 1..3000 LOOP
    PERFORM pg_catalog.set_config('jcv_logout.jwks',
              replace(base, '"kid": "p384"', '"kid": "p384-' || i || '"'), false);
    IF i % 500 = 0 THEN
      PERFORM jcv_test.dry_logout(jcv_test.token('jwks_es256'));
    END IF;
  END LOOP;
END
$$;
-- (under valgrind, whose own shadow memory grows with every allocation,
-- the bound is not meaningful: the plain runs check it)
SELECT pg_catalog.pg_read_file('/proc/self/maps') LIKE '%vgpreload%'
       OR pg_temp.resident_kb() - :resident_before < 4096 AS grew_less_than_4mb;
SELECT jcv_test.dry_logout(jcv_test.token('jwks_es384')) AS p384_kid_renamed_by_last_set;
RESET jcv_logout.jwks;

-- jcv_logout.jwks_file: Supabase's published set deployed as a file of the
-- server's OS user, read again as soon as it changes (rotation, no reload)
SELECT jcv_test.write_secret_file(jwks, 'jcv_jwks_public', '644') IS NOT NULL AS public_set_written
  FROM jcv_test.key_sets WHERE name = 'rotation_old';
SET jcv_logout.jwks_file = 'jcv_jwks_public';
SELECT jcv_test.dry_logout(jcv_test.token('jwks_rs256')) AS from_file;
SELECT jcv_test.dry_logout(jcv_test.token('jwks_rs256_rsa_b')) AS new_key_not_yet;
SELECT jcv_test.write_secret_file(jwks, 'jcv_jwks_public', '644') IS NOT NULL AS rotated_set_written
  FROM jcv_test.key_sets WHERE name = 'rotation_new';
SELECT jcv_test.dry_logout(jcv_test.token('jwks_rs256_rsa_b')) AS new_key_after_rotation;
-- a set others may write is refused; so is one with a symmetric key that
-- others may read, and one that is not a key set
SELECT jcv_test.write_secret_file(jwks, 'jcv_jwks_writable', '664') IS NOT NULL AS written
  FROM jcv_test.key_sets WHERE name = 'rotation_old';
SET jcv_logout.jwks_file = 'jcv_jwks_writable';
SELECT jcv_test.dry_logout(jcv_test.token('jwks_rs256')) AS group_writable;
SELECT jcv_test.write_secret_file(jwks, 'jcv_jwks_oct', '644') IS NOT NULL AS written
  FROM jcv_test.key_sets WHERE name = 'all';
SET jcv_logout.jwks_file = 'jcv_jwks_oct';
SELECT jcv_test.dry_logout(jcv_test.token('jwks_es256')) AS symmetric_key_readable_by_others;
SELECT jcv_test.write_secret_file(jwks, 'jcv_jwks_oct', '600') IS NOT NULL AS written
  FROM jcv_test.key_sets WHERE name = 'all';
SELECT jcv_test.dry_logout(jcv_test.token('jwks_hs256_oct')) AS symmetric_key_owner_only;
-- the symmetric key beside public keys: the key's type decides, never the
-- token; without a kid an HS token uses the secret first, then the oct key
SELECT name, jcv_test.dry_logout(token) AS outcome
  FROM jcv_test.tokens
 WHERE name IN ('jwks_hs512_oct', 'jwks_hs256_oct_no_kid', 'jwks_hs256_oct_naming_rsa_key',
                'jwks_es256', 'jwks_rs256')
 ORDER BY name;
SET jcv_logout.jwt_secret_file = '';
SELECT jcv_test.dry_logout(jcv_test.token('jwks_hs256_oct_no_kid')) AS oct_no_kid_without_secret;
RESET jcv_logout.jwt_secret_file;
SELECT jcv_test.write_secret_file(jwks, 'jcv_jwks_bad', '600') IS NOT NULL AS written
  FROM jcv_test.key_sets WHERE name = 'bad_rsa_1024';
SET jcv_logout.jwks_file = 'jcv_jwks_bad';
SELECT jcv_test.dry_logout(jcv_test.token('jwks_rs256')) AS not_usable;
-- one home for the set: the setting and the file together are refused
SET jcv_logout.jwks_file = 'jcv_jwks_public';
SELECT jcv_test.use_jwks('two_p256');
SELECT jcv_test.dry_logout(jcv_test.token('jwks_es256')) AS both_set;
RESET jcv_logout.jwks;
RESET jcv_logout.jwks_file;
