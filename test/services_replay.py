#!/usr/bin/python3
"""Supabase Realtime and Storage replayed against auth_session_valid(): the
statements each service sends, in its own shape, over the wire (psycopg 3,
bind parameters), on a cluster of its own with Supabase's API roles. A
logged-out session must make rows invisible (never an error), while a live
one keeps its access. One line per case: "name ... ok|FAILED (detail)".

Statement shapes (read from the services' sources: supabase/realtime and supabase/storage):
- Realtime, Postgres Changes: realtime.apply_rls, plpgsql, not SECURITY
  DEFINER, inside ONE statement: per subscriber set_config('role'),
  set_config('request.jwt.claims'), EXECUTE of a prepared
  "select exists(select 1 from <table> where <pk> = ...)", set_config('role', null).
- Realtime, Broadcast/Presence authorization: in a transaction, one
  statement of six set_config (role, realtime.topic, request.jwt.claims,
  request.jwt.claim.sub, request.jwt.claim.role, request.headers), a read of
  (or an insert into) realtime.messages, then ROLLBACK AND CHAIN.
- Storage: after BEGIN, one statement of nine set_config (role,
  request.jwt.claim.role, request.jwt, request.jwt.claim.sub,
  request.jwt.claims, request.headers, request.method, request.path,
  storage.operation); queries on storage.objects; the service role's scope in
  a SAVEPOINT, then the user's scope set again.

    bash test/virtualenv.sh /usr/bin/python3 test/services_replay.py
"""
import json
import pathlib
import subprocess
import sys

import psycopg
from psycopg import sql

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATABASE = "services_replay"
PASSWORD = "services-password"
ALICE = "11111111-1111-4111-8111-111111111111"
LIVE_SESSION = "aaaaaaaa-0000-4000-8000-000000000001"
LOGGED_OUT_SESSION = "aaaaaaaa-0000-4000-8000-000000000002"
POLLS = 3

results = []


def report(name, ok, detail=""):
    print("%s ... %s%s" % (name, "ok" if ok else "FAILED", (" (" + detail + ")") if detail else ""))
    results.append(ok)


def claims(session_id, role="authenticated", sub=ALICE):
    return json.dumps({"aud": "authenticated", "sub": sub, "role": role, "session_id": session_id,
                       "email": "alice@example.com", "aal": "aal1", "is_anonymous": False})


SERVICE_CLAIMS = json.dumps({"role": "service_role", "iss": "supabase"})

SCHEMA = """
-- Supabase's grants to its API roles
GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION auth.uid() TO anon, authenticated, service_role;

-- A user table, as Realtime's Postgres Changes watches it
CREATE TABLE public.todos (id int PRIMARY KEY, user_id uuid NOT NULL, title text);
INSERT INTO public.todos VALUES (1, '11111111-1111-4111-8111-111111111111', 'alice''s');
ALTER TABLE public.todos ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON public.todos FOR SELECT TO authenticated
  USING (user_id = auth.uid() AND auth_session_valid());
GRANT SELECT ON public.todos TO authenticated;

-- realtime.apply_rls, reduced to what decides visibility: per subscriber,
-- role and claims set, the prepared existence check run under RLS.
CREATE SCHEMA realtime;
CREATE FUNCTION realtime.apply_rls(row_id int, subscribers jsonb)
RETURNS TABLE (subscriber text, visible boolean)
LANGUAGE plpgsql AS $$
DECLARE
  s jsonb;
BEGIN
  EXECUTE format('PREPARE walrus_rls_stmt AS SELECT EXISTS (SELECT 1 FROM public.todos WHERE id = %L)', row_id);
  FOR s IN SELECT * FROM jsonb_array_elements(subscribers) LOOP
    PERFORM set_config('role', s ->> 'role', true);
    PERFORM set_config('request.jwt.claims', s ->> 'claims', true);
    EXECUTE 'EXECUTE walrus_rls_stmt' INTO visible;
    PERFORM set_config('role', null, true);
    subscriber := s ->> 'name';
    RETURN NEXT;
  END LOOP;
  DEALLOCATE walrus_rls_stmt;
END
$$;

-- Broadcast/Presence authorization: realtime.messages under RLS
CREATE TABLE realtime.messages (id bigserial PRIMARY KEY, topic text NOT NULL,
  extension text NOT NULL, payload jsonb, event text, private boolean DEFAULT true,
  inserted_at timestamp DEFAULT now());
INSERT INTO realtime.messages (topic, extension) VALUES ('room:1', 'broadcast');
CREATE FUNCTION realtime.topic() RETURNS text LANGUAGE sql STABLE AS
  $$ SELECT nullif(current_setting('realtime.topic', true), '')::text $$;
ALTER TABLE realtime.messages ENABLE ROW LEVEL SECURITY;
CREATE POLICY read_room ON realtime.messages FOR SELECT TO authenticated
  USING (realtime.topic() = 'room:1' AND auth_session_valid());
CREATE POLICY write_room ON realtime.messages FOR INSERT TO authenticated
  WITH CHECK (realtime.topic() = 'room:1' AND auth_session_valid());
GRANT USAGE ON SCHEMA realtime TO authenticated;
GRANT SELECT, INSERT ON realtime.messages TO authenticated;
GRANT USAGE ON SEQUENCE realtime.messages_id_seq TO authenticated;

-- Storage: buckets and objects under RLS
CREATE SCHEMA storage;
CREATE TABLE storage.buckets (id text PRIMARY KEY, name text NOT NULL, public boolean DEFAULT false);
CREATE TABLE storage.objects (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  bucket_id text REFERENCES storage.buckets, name text NOT NULL, owner_id text);
INSERT INTO storage.buckets VALUES ('avatars', 'avatars', false);
INSERT INTO storage.objects (bucket_id, name, owner_id) VALUES
  ('avatars', 'alice.png', '11111111-1111-4111-8111-111111111111'),
  ('avatars', 'bob.png', '22222222-2222-4222-8222-222222222222');
ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_objects ON storage.objects FOR SELECT TO authenticated
  USING (bucket_id = 'avatars' AND owner_id = auth.uid()::text AND auth_session_valid());
GRANT USAGE ON SCHEMA storage TO authenticated, service_role;
GRANT SELECT ON storage.objects, storage.buckets TO authenticated, service_role;
"""


def setup():
    with psycopg.connect(dbname="postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(DATABASE)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
        for role, attributes in [("anon", "NOLOGIN NOINHERIT"), ("authenticated", "NOLOGIN NOINHERIT"),
                                 ("service_role", "NOLOGIN NOINHERIT BYPASSRLS"),
                                 ("supabase_storage_admin", "LOGIN NOINHERIT")]:
            if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone():
                conn.execute(sql.SQL("CREATE ROLE {} " + attributes).format(sql.Identifier(role)))
        conn.execute(sql.SQL("ALTER ROLE supabase_storage_admin PASSWORD {}").format(sql.Literal(PASSWORD)))
        conn.execute("GRANT anon, authenticated, service_role TO supabase_storage_admin")
    subprocess.run(["psql", "-Xq", "-v", "ON_ERROR_STOP=1", "-d", DATABASE, "-f", "test/fixture.sql"],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    with psycopg.connect(dbname=DATABASE, autocommit=True) as conn:
        conn.execute(SCHEMA)
        conn.execute("SELECT jcv_test.write_secret_file('super-secret-jwt-token-with-at-least-32-characters-long')")
        conn.execute(sql.SQL("ALTER DATABASE {} SET jcv_logout.jwt_secret_file = 'jcv_jwt_secret'").format(
            sql.Identifier(DATABASE)))
    # The device on the second session signs out (bind parameter, as PostgREST sends it).
    with psycopg.connect(dbname=DATABASE, autocommit=True) as conn:
        token = conn.execute("SELECT jcv_test.token('alice_s2')").fetchone()[0]
        conn.execute("SELECT auth_logout(%s, 'local')", [token])


def realtime_postgres_changes():
    subscribers = json.dumps([
        {"name": "live", "role": "authenticated", "claims": claims(LIVE_SESSION)},
        {"name": "logged_out", "role": "authenticated", "claims": claims(LOGGED_OUT_SESSION)},
        {"name": "live_again", "role": "authenticated", "claims": claims(LIVE_SESSION)},
        {"name": "logged_out_again", "role": "authenticated", "claims": claims(LOGGED_OUT_SESSION)},
    ])
    # Realtime polls as a superuser (self-hosted: supabase_admin).
    with psycopg.connect(dbname=DATABASE, autocommit=True) as conn:
        for poll in range(POLLS):
            try:
                rows = dict(conn.execute("SELECT subscriber, visible FROM realtime.apply_rls(1, %s)",
                                         [subscribers]).fetchall())
                error = ""
            except psycopg.Error as e:
                rows, error = {}, "%s %s" % (e.sqlstate, e.diag.message_primary)
            report("realtime_changes_poll_%d" % (poll + 1),
                   rows == {"live": True, "logged_out": False, "live_again": True,
                            "logged_out_again": False}, error or json.dumps(rows))


def broadcast_authorization():
    with psycopg.connect(dbname=DATABASE) as conn:
        for name, session_id, may in [("live", LIVE_SESSION, True), ("logged_out", LOGGED_OUT_SESSION, False)]:
            scope = ["authenticated", "room:1", claims(session_id), ALICE, "authenticated",
                     json.dumps({"x-client-info": "realtime"})]
            conn.execute("SELECT set_config('role', %s, true), set_config('realtime.topic', %s, true),"
                         " set_config('request.jwt.claims', %s, true),"
                         " set_config('request.jwt.claim.sub', %s, true),"
                         " set_config('request.jwt.claim.role', %s, true),"
                         " set_config('request.headers', %s, true)", scope)
            read = conn.execute("SELECT id FROM realtime.messages WHERE topic = %s"
                                " AND extension IN ('broadcast', 'presence') LIMIT 1", ["room:1"]).fetchall()
            report("broadcast_read_%s" % name, bool(read) == may, "%d row(s)" % len(read))
            try:
                with conn.transaction():
                    conn.execute("INSERT INTO realtime.messages (topic, extension, event, private)"
                                 " VALUES (%s, 'broadcast', 'authorization-check', true)", ["room:1"])
                wrote = "ok"
            except psycopg.Error as e:
                wrote = e.sqlstate
            report("broadcast_write_%s" % name, (wrote == "ok") == may and wrote in ("ok", "42501"), wrote)
            conn.execute("ROLLBACK AND CHAIN")
        conn.rollback()


def storage_scope(conn, role, claims_json, sub):
    conn.execute("SELECT set_config('role', %s, true), set_config('request.jwt.claim.role', %s, true),"
                 " set_config('request.jwt', %s, true), set_config('request.jwt.claim.sub', %s, true),"
                 " set_config('request.jwt.claims', %s, true), set_config('request.headers', %s, true),"
                 " set_config('request.method', %s, true), set_config('request.path', %s, true),"
                 " set_config('storage.operation', %s, true)",
                 [role, role, "header.payload.signature", sub, claims_json,
                  json.dumps({"authorization": "Bearer header.payload.signature"}), "GET",
                  "/object/avatars/alice.png", "storage.object.get"])


def storage():
    with psycopg.connect(dbname=DATABASE, user="supabase_storage_admin", password=PASSWORD) as conn:
        for name, session_id, own in [("live", LIVE_SESSION, ["alice.png"]), ("logged_out", LOGGED_OUT_SESSION, [])]:
            storage_scope(conn, "authenticated", claims(session_id), ALICE)
            seen = [row[0] for row in conn.execute(
                "SELECT name FROM storage.objects WHERE bucket_id = %s ORDER BY name", ["avatars"]).fetchall()]
            report("storage_%s_user_reads" % name, seen == own, ", ".join(seen) or "nothing")
            conn.execute("SAVEPOINT service_scope")
            storage_scope(conn, "service_role", SERVICE_CLAIMS, "")
            seen = [row[0] for row in conn.execute(
                "SELECT name FROM storage.objects WHERE bucket_id = %s ORDER BY name", ["avatars"]).fetchall()]
            report("storage_%s_service_role_in_savepoint" % name, seen == ["alice.png", "bob.png"],
                   ", ".join(seen))
            conn.execute("RELEASE SAVEPOINT service_scope")
            storage_scope(conn, "authenticated", claims(session_id), ALICE)
            seen = [row[0] for row in conn.execute(
                "SELECT name FROM storage.objects WHERE bucket_id = %s AND name = %s",
                ["avatars", "alice.png"]).fetchall()]
            report("storage_%s_user_again" % name, seen == own, ", ".join(seen) or "nothing")
            conn.rollback()


def main():
    setup()
    realtime_postgres_changes()
    broadcast_authorization()
    storage()
    sys.exit(1 if False in results else 0)


if __name__ == "__main__":
    main()
