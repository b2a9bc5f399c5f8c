-- Rows the regression tests log out of, shaped as Supabase Auth (GoTrue)
-- writes them: nil instance_id, v1 refresh tokens, amr claims per session.
-- Ids match test/mint_tokens.py.

INSERT INTO auth.users (instance_id, id, aud, role, email, phone, encrypted_password,
                        raw_user_meta_data, is_sso_user, created_at, updated_at)
VALUES
  ('00000000-0000-0000-0000-000000000000', '11111111-1111-4111-8111-111111111111',
   'authenticated', 'authenticated', 'alice@example.com', NULL, '$2a$10$alicehash',
   '{"full_name": "Alice Liddell"}', false, now(), now()),
  ('00000000-0000-0000-0000-000000000000', '22222222-2222-4222-8222-222222222222',
   'authenticated', 'authenticated', 'bob@example.com', '15550100', '$2a$10$bobhash',
   '{}', false, now(), now()),
  ('00000000-0000-0000-0000-000000000000', '33333333-3333-4333-8333-333333333333',
   'authenticated', 'authenticated', 'carol@example.com', NULL, NULL,
   '{}', true, now(), now());

INSERT INTO auth.sessions (id, user_id, created_at, updated_at, aal, not_after, refreshed_at)
VALUES
  ('aaaaaaaa-0000-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111',
   now(), now(), 'aal1', NULL, now() AT TIME ZONE 'UTC'),
  ('aaaaaaaa-0000-4000-8000-000000000002', '11111111-1111-4111-8111-111111111111',
   '2020-01-01 00:00:00+00', '2020-01-01 00:00:00+00', 'aal1', NULL, NULL),
  -- a SAML session whose not_after has passed
  ('aaaaaaaa-0000-4000-8000-000000000003', '11111111-1111-4111-8111-111111111111',
   '2020-01-01 00:00:00+00', '2020-01-01 00:00:00+00', 'aal1', '2020-01-02 00:00:00+00', NULL),
  ('bbbbbbbb-0000-4000-8000-000000000001', '22222222-2222-4222-8222-222222222222',
   now(), now(), 'aal1', NULL, NULL);

INSERT INTO auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id)
VALUES
  ('00000000-0000-0000-0000-000000000000', 'aliceS1tokA', '11111111-1111-4111-8111-111111111111',
   true, now(), now(), NULL, 'aaaaaaaa-0000-4000-8000-000000000001'),
  ('00000000-0000-0000-0000-000000000000', 'aliceS1tokB', '11111111-1111-4111-8111-111111111111',
   false, now(), now(), 'aliceS1tokA', 'aaaaaaaa-0000-4000-8000-000000000001'),
  ('00000000-0000-0000-0000-000000000000', 'aliceS2tokA', '11111111-1111-4111-8111-111111111111',
   false, now(), now(), NULL, 'aaaaaaaa-0000-4000-8000-000000000002'),
  -- legacy tokens from before sessions existed: no cascade reaches them
  ('00000000-0000-0000-0000-000000000000', 'aliceLegacy1', '11111111-1111-4111-8111-111111111111',
   false, now(), now(), NULL, NULL),
  (NULL, 'aliceLegacy2', '11111111-1111-4111-8111-111111111111',
   false, now(), now(), NULL, NULL),
  ('00000000-0000-0000-0000-000000000000', 'bobB1tokA', '22222222-2222-4222-8222-222222222222',
   false, now(), now(), NULL, 'bbbbbbbb-0000-4000-8000-000000000001'),
  ('00000000-0000-0000-0000-000000000000', 'bobLegacy1', '22222222-2222-4222-8222-222222222222',
   false, now(), now(), NULL, NULL);

INSERT INTO auth.mfa_amr_claims (session_id, created_at, updated_at, authentication_method, id)
VALUES
  ('aaaaaaaa-0000-4000-8000-000000000001', now(), now(), 'password', 'a0a0a0a0-0000-4000-8000-000000000001'),
  ('aaaaaaaa-0000-4000-8000-000000000002', now(), now(), 'password', 'a0a0a0a0-0000-4000-8000-000000000002'),
  ('bbbbbbbb-0000-4000-8000-000000000001', now(), now(), 'password', 'b0b0b0b0-0000-4000-8000-000000000001');
