#!/bin/bash
# Runs inside pg_virtualenv (PG* variables point at a throwaway cluster).
set -euo pipefail

secret="demo-secret-with-at-least-32-characters-long"
user_id="6f1d7c1e-2a2b-4c3d-9e8f-0a1b2c3d4e5f"
session_id="0b5e8a52-8d5c-4f0e-a6d1-3c2b1a090807"      # device A
session_b="0b5e8a52-8d5c-4f0e-a6d1-3c2b1a09080b"       # device B, the same user

# An access token as Supabase Auth mints it for a session, signed by PyJWT (not by us).
mint() {
/usr/bin/python3 - "$secret" "$user_id" "$1" <<'PY'
import sys, time, jwt
secret, sub, sid = sys.argv[1:]
now = int(time.time())
print(jwt.encode({"aud": "authenticated", "exp": now + 3600, "iat": now, "sub": sub,
                  "email": "demo@example.com", "phone": "", "role": "authenticated",
                  "aal": "aal1", "session_id": sid, "is_anonymous": False},
                 secret, algorithm="HS256"))
PY
}
token=$(mint "$session_id")
token_b=$(mint "$session_b")

# The secret in a file that only the server's OS user can read (as ssl_key_file).
secret_file="$(psql -XAtc 'SHOW data_directory')/jwt_secret"
printf '%s\n' "$secret" >"$secret_file"
chown postgres: "$secret_file"
chmod 600 "$secret_file"

psql -q -v ON_ERROR_STOP=1 -f test/gotrue_schema.sql
psql -q -v ON_ERROR_STOP=1 <<SQL
CREATE EXTENSION jcv_logout;
-- the key's file, and the library loaded before any query (require_session)
ALTER SYSTEM SET jcv_logout.jwt_secret_file = '$secret_file';
ALTER SYSTEM SET session_preload_libraries = 'jcv_logout';
SELECT pg_reload_conf() AS reloaded \gset
INSERT INTO auth.users (instance_id, id, aud, role, email)
VALUES ('00000000-0000-0000-0000-000000000000', '$user_id', 'authenticated', 'authenticated', 'demo@example.com');
INSERT INTO auth.sessions (id, user_id, created_at, updated_at)
VALUES ('$session_id', '$user_id', now(), now()), ('$session_b', '$user_id', now(), now());
INSERT INTO auth.refresh_tokens (instance_id, token, user_id, revoked, session_id, created_at, updated_at)
VALUES ('00000000-0000-0000-0000-000000000000', 'demoRefresh1', '$user_id', false, '$session_id', now(), now()),
       ('00000000-0000-0000-0000-000000000000', 'demoRefreshB', '$user_id', false, '$session_b', now(), now());
SQL

# The token travels as a bind parameter (psycopg 3 binds on the server, as
# PostgREST does): never as a literal in SQL text, which the server may log.
/usr/bin/python3 - "$token" "$token_b" <<'PY'
import base64
import json
import sys
import psycopg

token, token_b = sys.argv[1:]
with psycopg.connect(autocommit=True) as conn:
    def counts(label):
        row = conn.execute(
            "SELECT (SELECT count(*) FROM auth.sessions),"
            " (SELECT count(*) FROM auth.refresh_tokens),"
            " (SELECT count(*) FROM auth.audit_log_entries)").fetchone()
        print(f"{label}: sessions={row[0]} refresh_tokens={row[1]} audit_rows={row[2]}")

    counts("before")
    print("SELECT auth_logout(%s, 'local')  ->",
          conn.execute("SELECT auth_logout(%s, 'local')", [token]).fetchone()[0])
    counts("after ")
    try:
        conn.execute("SELECT auth_logout(%s)", [token])
    except psycopg.Error as e:
        print(f"same token again -> SQLSTATE {e.sqlstate}: {e.diag.message_primary}")

    # The same call inside a PostgREST request (request.method set): the
    # HTTP status and body the client of POST /rest/v1/rpc/auth_logout gets.
    try:
        with conn.transaction():
            conn.execute("SELECT set_config('request.method', 'POST', true)")
            conn.execute("SELECT auth_logout(%s, 'local')", [token])
    except psycopg.Error as e:
        status = json.loads(e.diag.message_detail)["status"]
        print(f"same token again, over HTTP -> HTTP {status} {e.diag.message_primary}")

    # A token's next API request, as PostgREST runs it (claims it has
    # verified, then the query), with jcv_logout.require_session on.
    conn.execute("SET jcv_logout.require_session = on")

    def api_request(label, tok):
        payload = tok.split(".")[1]
        claims = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
        try:
            with conn.transaction():
                conn.execute("SELECT set_config('request.jwt.claims', %s, true),"
                             " set_config('request.method', 'GET', true)", [claims])
                conn.execute("SELECT 1")
        except psycopg.Error as e:
            status = json.loads(e.diag.message_detail)["status"]
            print(f"{label} -> HTTP {status} {e.diag.message_primary}")
        else:
            print(f"{label} -> passes the session check: still signed in")

    api_request("next API request", token)
    api_request("device B, next API request", token_b)
PY
