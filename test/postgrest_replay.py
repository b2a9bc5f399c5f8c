#!/usr/bin/python3
"""Replays, over the real PostgreSQL protocol, what PostgREST v12 sends for
each HTTP request, and maps the database's answers to HTTP by PostgREST's
rules. PostgREST itself cannot be installed here; this is the next best
thing: the same statements, in the same order, with the same bind
parameters (psycopg 3 binds on the server, as hasql does).

    bash test/virtualenv.sh /usr/bin/python3 test/postgrest_replay.py [--transcript FILE]

Per request, as PostgREST v12 (src/PostgREST/Query.hs, Query/SqlFragment.hs,
Query/QueryBuilder.hs, Query/Statements.hs, hasql-transaction):
  begin isolation level read committed read write|read only
  select set_config('search_path', $1, true), set_config('role', $2, true),
         set_config('request.jwt.claims', $3, true), ... request.method,
         request.path, request.headers, request.cookies   (unknown-typed params)
  select "public"."auth_require_session"()               (db-pre-request, if any)
  WITH pgrst_source AS (...call...) SELECT ... body ...   (the RPC, JSON body as $1)
  commit

Prints one line per case ("name ... ok" / "name ... FAILED") and a total;
exits non-zero if any case failed. Tokens are minted by PyJWT.
"""
import argparse
import json
import os
import secrets
import subprocess
import sys
import time
import uuid

import jwt
import psycopg
from psycopg import sql
from psycopg.types.json import Json
from psycopg.types.string import TextLoader

HERE = os.path.dirname(os.path.abspath(__file__))
DATABASE = "postgrest_replay"
JWT_SECRET = "replay-secret-with-at-least-32-characters-long"
NIL_INSTANCE = "00000000-0000-0000-0000-000000000000"
SCHEMA_SEARCH_PATH = '"public", "extensions"'   # Supabase: db-schemas=public, extra: public, extensions
PRE_REQUEST = '"public"."auth_require_session"'
ANON_ROLE = "anon"
JWT_SKEW = 30      # PostgREST allows 30 s of clock skew


class Response:
    def __init__(self, status, body, headers=None):
        self.status = status
        self.body = body                  # the JSON text PostgREST would send
        self.headers = headers or {}

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "HTTP %d %s %s" % (self.status, self.headers, self.body)


def status_of_sqlstate(code, message, authenticated):
    """PostgREST v12's pgErrorStatus (src/PostgREST/Error.hs) for plain SQLSTATEs."""
    exact = {"23503": 409, "23505": 409, "25006": 405, "53400": 500, "57P01": 503,
             "P0001": 400, "42P01": 404, "42P17": 500, "42883": 404}
    if code == "42501":
        return 403 if authenticated else 401
    if code == "21000":
        return 400 if message.endswith("requires a WHERE clause") else 500
    if code in exact:
        return exact[code]
    if code.startswith("PT") and code[2:].isdigit():
        return int(code[2:])
    by_class = {"08": 503, "09": 500, "0L": 403, "0P": 403, "25": 500, "28": 403,
                "2D": 500, "38": 500, "39": 500, "3B": 500, "40": 500, "53": 503,
                "54": 500, "55": 500, "57": 500, "58": 500, "F0": 500, "HV": 500,
                "P0": 500, "XX": 500}
    return by_class.get(code[:2], 400)


def http_error(error, authenticated):
    """The HTTP response PostgREST builds from a database error."""
    diag = error.diag
    if error.sqlstate == "PGRST":
        # RAISE SQLSTATE 'PGRST': message is the JSON body, detail the status and headers
        body = json.loads(diag.message_primary)
        response = json.loads(diag.message_detail)
        return Response(response["status"],
                        json.dumps({"code": body["code"], "message": body["message"],
                                    "details": body.get("details"), "hint": body.get("hint")}),
                        response.get("headers", {}))
    status = status_of_sqlstate(error.sqlstate, diag.message_primary or "", authenticated)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    return Response(status, json.dumps({"code": error.sqlstate, "message": diag.message_primary,
                                        "details": diag.message_detail, "hint": diag.message_hint}),
                    headers)


class PostgREST:
    """One PostgREST instance: a connection as `authenticator`, the JWT secret,
    the exposed schema and the db-pre-request function."""

    def __init__(self, conninfo, jwt_secret, pre_request=PRE_REQUEST):
        self.conn = psycopg.connect(conninfo, autocommit=True)
        self.conn.adapters.register_loader("json", TextLoader)   # keep the body's exact text
        self.jwt_secret = jwt_secret
        self.pre_request = pre_request

    def close(self):
        self.conn.close()

    def claims_for(self, token):
        """PostgREST's own JWT check (src/PostgREST/Auth.hs) before any SQL."""
        if token is None:
            return {"role": ANON_ROLE}, None
        try:
            claims = jwt.decode(token, self.jwt_secret, algorithms=["HS256", "HS384", "HS512"],
                                options={"verify_aud": False}, leeway=JWT_SKEW)
        except jwt.ExpiredSignatureError:
            return None, Response(401, json.dumps({"code": "PGRST301", "message": "JWT expired",
                                                   "details": None, "hint": None}),
                                  {"WWW-Authenticate": 'Bearer error="invalid_token", '
                                                       'error_description="JWT expired"'})
        except jwt.InvalidTokenError as e:
            return None, Response(401, json.dumps({"code": "PGRST301", "message": str(e),
                                                   "details": None, "hint": None}),
                                  {"WWW-Authenticate": 'Bearer error="invalid_token"'})
        claims.setdefault("role", ANON_ROLE)
        return claims, None

    @staticmethod
    def call_query(function, arg_names, arg_types=None, returns_set=False):
        """callPlanToQuery + prepareCall, answered as application/json: a
        function returning one scalar (BuiltinAggSingleJson), or a set of rows
        (returns_set: RETURNS TABLE / SETOF composite, BuiltinOvAggJson, a JSON
        array). PostgREST types each argument as the function declares it
        (arg_types; default text)."""
        fn = sql.SQL("{}.{}").format(sql.Identifier("public"), sql.Identifier(function))
        if returns_set:
            def call_it(arguments):
                return sql.SQL("{fn}({args}) pgrst_call").format(fn=fn, args=arguments)
            selected = sql.SQL("pgrst_call.*")
        else:
            def call_it(arguments):
                return sql.SQL("(SELECT {fn}({args}) pgrst_scalar) pgrst_call").format(fn=fn, args=arguments)
            selected = sql.SQL("pgrst_call.pgrst_scalar")
        if arg_names:
            cols = sql.SQL(", ").join(sql.Identifier(a) for a in arg_names)
            typed = sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(a), sql.SQL((arg_types or {}).get(a, "text")))
                for a in arg_names)
            named = sql.SQL(", ").join(
                sql.SQL("{} := pgrst_body.{}").format(sql.Identifier(a), sql.Identifier(a))
                for a in arg_names)
            call = sql.SQL(
                "FROM (SELECT %s AS json_data) pgrst_payload, "
                "LATERAL (SELECT {cols} FROM json_to_record(pgrst_payload.json_data) AS _({typed}) LIMIT 1) pgrst_body , "
                "LATERAL {call}").format(cols=cols, typed=typed, call=call_it(named))
        else:
            call = sql.SQL("FROM {call}").format(call=call_it(sql.SQL("")))
        if returns_set:
            page_total = sql.SQL("pg_catalog.count(_postgrest_t)")
            body = sql.SQL("coalesce(json_agg(_postgrest_t), '[]')")
        else:
            page_total = sql.SQL("1")
            body = sql.SQL("coalesce(json_agg(_postgrest_t.pgrst_scalar)->0, 'null')")
        return sql.SQL(
            "WITH pgrst_source AS (SELECT {selected} {call}) "
            "SELECT null::bigint AS total_result_set, {page_total} AS page_total, "
            "{body} AS body, "
            "nullif(current_setting('response.headers', true), '') AS response_headers, "
            "nullif(current_setting('response.status', true), '') AS response_status, "
            "'' AS response_inserted "
            "FROM (SELECT \"pgrst_source\".* FROM \"pgrst_source\"    ) _postgrest_t").format(
                selected=selected, call=call, page_total=page_total, body=body)

    def rpc(self, function, body=None, token=None, method="POST", extra_headers=None,
            arg_types=None, returns_set=False):
        """POST (or GET) /rpc/<function> with an optional JSON body of named
        arguments (their declared types in arg_types) and an optional Bearer
        token; returns_set for a function returning rows."""
        claims, refused = self.claims_for(token)
        if refused:
            return refused
        headers = {"accept": "*/*", "host": "localhost:3000", "user-agent": "replay/1.0",
                   "x-client-info": "supabase-js/2.45.0"}
        if token is not None:
            headers["authorization"] = "Bearer " + token
        if body is not None:
            headers["content-type"] = "application/json"
        headers.update(extra_headers or {})
        role = claims["role"]
        authenticated = role != ANON_ROLE
        mode = "read only" if method == "GET" else "read write"
        args = sorted(body) if body else []

        try:
            self.conn.execute("begin isolation level read committed " + mode)
            self.conn.execute(
                "select set_config('search_path', %s, true), set_config('role', %s, true), "
                "set_config('request.jwt.claims', %s, true), set_config('request.method', %s, true), "
                "set_config('request.path', %s, true), set_config('request.headers', %s, true), "
                "set_config('request.cookies', %s, true)",
                [SCHEMA_SEARCH_PATH, role,
                 json.dumps(claims, separators=(",", ":"), sort_keys=True),
                 method, "/rpc/" + function,
                 json.dumps(headers, separators=(",", ":"), sort_keys=True), "{}"])
            if self.pre_request:
                self.conn.execute("select " + self.pre_request + "()")
            params = [Json(body)] if args else []
            row = self.conn.execute(self.call_query(function, args, arg_types, returns_set),
                                    params).fetchone()
            self.conn.execute("commit")
        except psycopg.Error as error:
            self.conn.execute("rollback")
            return http_error(error, authenticated)
        response_headers = json.loads(row[3]) if row[3] else {}
        return Response(int(row[4]) if row[4] else 200, row[2],
                        {k: v for h in response_headers for k, v in h.items()})


class Cases:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print("%s ... ok" % name)
        else:
            self.failed += 1
            print("%s ... FAILED %s" % (name, detail))

    def expect(self, name, response, status, code=None, body=None):
        ok = response.status == status
        if code is not None:
            ok = ok and response.json().get("code") == code
        if body is not None:
            ok = ok and response.json() == body
        if status == 401 and code == "UNAUTHORIZED":
            ok = ok and response.headers.get("WWW-Authenticate") == 'Bearer error="invalid_token"'
        self.check(name, ok, repr(response))
        return response


class Prefixed:
    """Cases whose names start with another prefix than "replay"."""

    def __init__(self, cases, prefix):
        self.cases = cases
        self.prefix = prefix

    def rename(self, name):
        return self.prefix + name[len("replay"):]

    def check(self, name, ok, detail=""):
        self.cases.check(self.rename(name), ok, detail)

    def expect(self, name, response, status, code=None, body=None):
        return self.cases.expect(self.rename(name), response, status, code, body)


class Transcript:
    """The exchanges the README quotes, as a reader would see them over HTTP."""

    def __init__(self, path):
        self.path = path
        self.lines = []

    def add(self, title, request, response):
        if self.path is None:
            return
        self.lines.append("# %s\n%s\n-> HTTP %d%s\n%s\n" % (
            title, request, response.status,
            "".join("\n%s: %s" % kv for kv in response.headers.items()), response.body))

    def write(self):
        if self.path is not None:
            with open(self.path, "w") as f:
                f.write("\n".join(self.lines))


def admin():
    return psycopg.connect(dbname=DATABASE, autocommit=True)


def create_database(authenticator_password, mallory_password):
    with psycopg.connect(autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(DATABASE)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
        # Supabase's API roles (supabase/postgres roles.sql): NOLOGIN, entered by
        # PostgREST's authenticator through SET ROLE.
        conn.execute("""
          DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'anon') THEN
              CREATE ROLE anon NOLOGIN NOINHERIT; END IF;
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN
              CREATE ROLE authenticated NOLOGIN NOINHERIT; END IF;
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'service_role') THEN
              CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS; END IF;
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticator') THEN
              CREATE ROLE authenticator LOGIN NOINHERIT; END IF;
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'mallory') THEN
              CREATE ROLE mallory LOGIN; END IF;
          END $$""")
        conn.execute(sql.SQL("ALTER ROLE authenticator PASSWORD {}").format(
            sql.Literal(authenticator_password)))
        conn.execute(sql.SQL("ALTER ROLE mallory PASSWORD {}").format(sql.Literal(mallory_password)))
        conn.execute("GRANT anon, authenticated, service_role TO authenticator")
        # A plain SQL user who may do what an authenticated API user may
        conn.execute("GRANT authenticated TO mallory")

    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", DATABASE,
                    "-f", os.path.join(HERE, "gotrue_schema.sql")], check=True)
    with admin() as conn:
        conn.execute("CREATE EXTENSION jcv_logout")
        # The self-hosted Supabase convention for the key
        conn.execute(sql.SQL("ALTER DATABASE {} SET app.settings.jwt_secret = {}").format(
            sql.Identifier(DATABASE), sql.Literal(JWT_SECRET)))
        conn.execute("GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role")
        conn.execute("""
          CREATE FUNCTION public.ping() RETURNS text LANGUAGE sql STABLE AS $$ SELECT 'pong' $$;
          GRANT EXECUTE ON FUNCTION public.ping() TO anon, authenticated, service_role;
          -- A project that already has a db-pre-request calls ours from it
          CREATE FUNCTION public.my_pre_request() RETURNS void LANGUAGE plpgsql AS $$
          BEGIN
            PERFORM public.auth_require_session();
            -- ... the project's own checks ...
          END $$;""")


def set_database_setting(name, value):
    """ALTER DATABASE ... SET name = value, or RESET name when value is None."""
    with admin() as conn:
        if value is None:
            conn.execute(sql.SQL("ALTER DATABASE {} RESET {}").format(
                sql.Identifier(DATABASE), sql.SQL(name)))
        else:
            conn.execute(sql.SQL("ALTER DATABASE {} SET {} = {}").format(
                sql.Identifier(DATABASE), sql.SQL(name), sql.Literal(value)))


def create_user(email):
    user_id = str(uuid.uuid4())
    with admin() as conn:
        conn.execute(
            "INSERT INTO auth.users (instance_id, id, aud, role, email, raw_user_meta_data, created_at, updated_at)"
            " VALUES (%s, %s, 'authenticated', 'authenticated', %s, '{}', now(), now())",
            [NIL_INSTANCE, user_id, email])
    return user_id


def sign_in(user_id, email, refreshed_ago=None, user_agent="replay/1.0", ip="127.0.0.1"):
    """What Supabase Auth writes for a password sign-in, and the access token it
    hands out (signed here by PyJWT)."""
    session_id = str(uuid.uuid4())
    with admin() as conn:
        conn.execute(
            "INSERT INTO auth.sessions (id, user_id, created_at, updated_at, aal, refreshed_at, user_agent, ip)"
            " VALUES (%s, %s, now(), now(), 'aal1',"
            "  (now() - %s::interval) AT TIME ZONE 'UTC', %s, %s)",
            [session_id, user_id, refreshed_ago, user_agent, ip])
        conn.execute(
            "INSERT INTO auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, session_id)"
            " VALUES (%s, %s, %s, false, now(), now(), %s)",
            [NIL_INSTANCE, secrets.token_urlsafe(9), user_id, session_id])
        conn.execute(
            "INSERT INTO auth.mfa_amr_claims (session_id, created_at, updated_at, authentication_method, id)"
            " VALUES (%s, now(), now(), 'password', gen_random_uuid())", [session_id])
    now = int(time.time())
    token = jwt.encode({
        "aud": "authenticated", "exp": now + 3600, "iat": now,
        "iss": "http://localhost:9999", "sub": user_id, "email": email, "phone": "",
        "app_metadata": {"provider": "email", "providers": ["email"]}, "user_metadata": {},
        "role": "authenticated", "aal": "aal1",
        "amr": [{"method": "password", "timestamp": now}],
        "session_id": session_id, "is_anonymous": False}, JWT_SECRET, algorithm="HS256")
    return session_id, token


def session_count(user_id):
    with admin() as conn:
        return conn.execute("SELECT count(*) FROM auth.sessions WHERE user_id = %s",
                            [user_id]).fetchone()[0]


def conninfo(user, password):
    return psycopg.conninfo.make_conninfo(dbname=DATABASE, user=user, password=password)


def two_devices(cases, api, transcript, prefix="replay", email="dana@example.com"):
    """The issue's scenario; case names start with prefix."""
    user = create_user(email)
    _, token_a = sign_in(user, email)
    _, token_b = sign_in(user, email)
    cases = Prefixed(cases, prefix)
    cases.check("replay_two_devices_signed_in", session_count(user) == 2)

    cases.expect("replay_device_a_request", api.rpc("ping", token=token_a), 200)
    cases.expect("replay_device_b_request", api.rpc("ping", token=token_b), 200)

    r = cases.expect("replay_device_a_logout_local",
                     api.rpc("auth_logout", {"scope": "local"}, token=token_a), 200,
                     body={"success": True, "message": "Successfully logged out"})
    transcript.add("device A: POST /rest/v1/rpc/auth_logout {\"scope\":\"local\"}",
                   "POST /rest/v1/rpc/auth_logout  Authorization: Bearer <A>  {\"scope\": \"local\"}", r)
    cases.check("replay_device_a_session_deleted", session_count(user) == 1)

    r = cases.expect("replay_device_a_next_request_401",
                     api.rpc("ping", token=token_a), 401, code="UNAUTHORIZED")
    transcript.add("device A, next request with the same (unexpired) token",
                   "POST /rest/v1/rpc/ping  Authorization: Bearer <A>", r)
    cases.check("replay_device_a_401_message",
                r.json().get("message") == "session from access token does not exist", repr(r))
    cases.expect("replay_device_a_logout_again_401",
                 api.rpc("auth_logout", {"scope": "local"}, token=token_a), 401, code="UNAUTHORIZED")
    r = cases.expect("replay_device_b_still_200", api.rpc("ping", token=token_b), 200)
    transcript.add("device B meanwhile", "POST /rest/v1/rpc/ping  Authorization: Bearer <B>", r)

    r = cases.expect("replay_device_b_logout_global",
                     api.rpc("auth_logout", token=token_b), 200,
                     body={"success": True, "message": "Successfully logged out"})
    transcript.add("device B: POST /rest/v1/rpc/auth_logout (no body: global)",
                   "POST /rest/v1/rpc/auth_logout  Authorization: Bearer <B>", r)
    cases.check("replay_all_sessions_deleted", session_count(user) == 0)
    cases.expect("replay_device_b_next_request_401", api.rpc("ping", token=token_b), 401,
                 code="UNAUTHORIZED")
    r = cases.expect("replay_anon_request_200", api.rpc("ping"), 200)
    transcript.add("anonymous request (apikey only)", "POST /rest/v1/rpc/ping", r)
    cases.check("replay_anon_body", r.json() == "pong", repr(r))


LISTED_KEYS = {"id", "created_at", "last_active_at", "user_agent", "ip", "aal", "sign_in_methods",
               "oauth_client_id", "current"}
LOGGED_OUT = {"success": True, "message": "Successfully logged out"}


def audit_count(user_id):
    with admin() as conn:
        return conn.execute("SELECT count(*) FROM auth.audit_log_entries WHERE payload->>'actor_id' = %s",
                            [user_id]).fetchone()[0]


def devices(cases, api, transcript):
    """Where you're signed in: supabase.rpc('auth_sessions') (GET or POST) and
    supabase.rpc('auth_logout_device', {session_id}) as PostgREST runs them."""
    user = create_user("olga@example.com")
    laptop, token_a = sign_in(user, "olga@example.com", refreshed_ago="0 seconds",
                              user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0", ip="203.0.113.7")
    phone, token_b = sign_in(user, "olga@example.com", refreshed_ago="5 minutes",
                             user_agent="MyApp/2.3 (iPhone; iOS 18.1)", ip="198.51.100.20")
    tablet, token_c = sign_in(user, "olga@example.com", refreshed_ago="3 hours",
                              user_agent="MyApp/2.3 (iPad; iOS 18.1)", ip="198.51.100.21")
    other_user = create_user("pete@example.com")
    petes_session, _ = sign_in(other_user, "pete@example.com")
    listing = {"returns_set": True}
    ending = {"arg_types": {"session_id": "uuid"}}

    r = cases.expect("replay_devices_get_listing_200",
                     api.rpc("auth_sessions", token=token_a, method="GET", **listing), 200)
    transcript.add("devices: GET /rest/v1/rpc/auth_sessions (supabase.rpc('auth_sessions', {}, { get: true }))",
                   "GET /rest/v1/rpc/auth_sessions  Authorization: Bearer <laptop>", r)
    rows = r.json() if r.status == 200 else []
    cases.check("replay_devices_listing_newest_activity_first",
                [row["id"] for row in rows] == [laptop, phone, tablet], repr(rows))
    cases.check("replay_devices_listing_current_is_the_token_s",
                [row["current"] for row in rows] == [True, False, False], repr(rows))
    cases.check("replay_devices_listing_columns_no_secrets",
                all(set(row) == LISTED_KEYS for row in rows), repr(rows))
    cases.check("replay_devices_listing_as_recorded",
                rows[:1] and rows[0]["user_agent"].startswith("Mozilla/5.0") and rows[0]["ip"] == "203.0.113.7"
                and rows[0]["aal"] == "aal1" and rows[0]["sign_in_methods"] == ["password"], repr(rows))
    r = cases.expect("replay_devices_post_listing_200",
                     api.rpc("auth_sessions", token=token_b, **listing), 200)
    cases.check("replay_devices_post_listing_current_phone",
                [(row["id"], row["current"]) for row in r.json()] == [(laptop, False), (phone, True), (tablet, False)]
                if r.status == 200 else False, repr(r))
    r = cases.expect("replay_devices_anon_listing_401",
                     api.rpc("auth_sessions", method="GET", **listing), 401, code="UNAUTHORIZED")

    # Pete's session and an unknown one: one answer, byte for byte
    audits = audit_count(user)
    foreign = cases.expect("replay_devices_foreign_session_400",
                           api.rpc("auth_logout_device", {"session_id": petes_session}, token=token_a, **ending),
                           400, code="LOGOUT_ERROR")
    unknown = cases.expect("replay_devices_unknown_session_400",
                           api.rpc("auth_logout_device", {"session_id": str(uuid.uuid4())}, token=token_a,
                                   **ending), 400, code="LOGOUT_ERROR")
    transcript.add("devices: POST /rest/v1/rpc/auth_logout_device with another user's session id",
                   "POST /rest/v1/rpc/auth_logout_device  Authorization: Bearer <laptop>  {\"session_id\": <pete's>}",
                   foreign)
    cases.check("replay_devices_foreign_same_as_unknown",
                (foreign.status, foreign.headers, foreign.body) == (unknown.status, unknown.headers, unknown.body),
                "%r / %r" % (foreign, unknown))
    cases.check("replay_devices_foreign_untouched", session_count(other_user) == 1)
    cases.check("replay_devices_no_audit_for_refusals", audit_count(user) == audits)

    cases.expect("replay_devices_phone_request_before_200", api.rpc("ping", token=token_b), 200)
    r = cases.expect("replay_devices_end_phone_200",
                     api.rpc("auth_logout_device", {"session_id": phone}, token=token_a, **ending), 200,
                     body=LOGGED_OUT)
    transcript.add("devices: the laptop signs the phone out",
                   "POST /rest/v1/rpc/auth_logout_device  Authorization: Bearer <laptop>  {\"session_id\": \"%s\"}"
                   % phone, r)
    cases.check("replay_devices_end_phone_one_audit_row", audit_count(user) == audits + 1)
    cases.check("replay_devices_end_phone_others_stay", session_count(user) == 2)
    r = cases.expect("replay_devices_phone_next_request_401", api.rpc("ping", token=token_b), 401,
                     code="UNAUTHORIZED")
    transcript.add("devices: the phone's next request with its (unexpired) token",
                   "POST /rest/v1/rpc/ping  Authorization: Bearer <phone>", r)
    cases.expect("replay_devices_laptop_still_200", api.rpc("ping", token=token_a), 200)
    cases.expect("replay_devices_tablet_still_200", api.rpc("ping", token=token_c), 200)
    r = cases.expect("replay_devices_listing_after_200",
                     api.rpc("auth_sessions", token=token_a, method="GET", **listing), 200)
    cases.check("replay_devices_listing_after_without_phone",
                [row["id"] for row in r.json()] == [laptop, tablet] if r.status == 200 else False, repr(r))
    cases.expect("replay_devices_end_phone_again_400",
                 api.rpc("auth_logout_device", {"session_id": phone}, token=token_a, **ending), 400,
                 code="LOGOUT_ERROR")

    # Sign out all others (auth_logout's scope), then this device by id
    cases.expect("replay_devices_others_200",
                 api.rpc("auth_logout", {"scope": "others"}, token=token_a), 200, body=LOGGED_OUT)
    cases.expect("replay_devices_tablet_after_others_401", api.rpc("ping", token=token_c), 401,
                 code="UNAUTHORIZED")
    r = api.rpc("auth_sessions", token=token_a, method="GET", **listing)
    cases.check("replay_devices_listing_only_this_device",
                r.status == 200 and [(row["id"], row["current"]) for row in r.json()] == [(laptop, True)], repr(r))
    cases.expect("replay_devices_end_own_200",
                 api.rpc("auth_logout_device", {"session_id": laptop}, token=token_a, **ending), 200,
                 body=LOGGED_OUT)
    cases.expect("replay_devices_own_next_request_401", api.rpc("ping", token=token_a), 401,
                 code="UNAUTHORIZED")
    cases.check("replay_devices_all_gone_three_audit_rows",
                session_count(user) == 0 and audit_count(user) == audits + 3)


def read_only_requests(cases, api):
    user = create_user("erin@example.com")
    _, token = sign_in(user, "erin@example.com")
    cases.expect("replay_get_read_only_200", api.rpc("ping", token=token, method="GET"), 200)
    cases.expect("replay_session_active_true",
                 api.rpc("auth_session_active", token=token), 200, body=True)
    api.rpc("auth_logout", token=token)
    cases.expect("replay_get_read_only_after_logout_401",
                 api.rpc("ping", token=token, method="GET"), 401, code="UNAUTHORIZED")


def session_active_for_backends(cases, api, transcript):
    """An API route or Edge Function asks with the service_role key about a
    user's token passed in the body."""
    user = create_user("finn@example.com")
    _, token = sign_in(user, "finn@example.com")
    service_key = jwt.encode({"iss": "supabase", "role": "service_role",
                              "iat": int(time.time()), "exp": int(time.time()) + 3600},
                             JWT_SECRET, algorithm="HS256")
    r = cases.expect("replay_backend_session_active_true",
                     api.rpc("auth_session_active", {"token": token}, token=service_key), 200, body=True)
    transcript.add("backend: POST /rest/v1/rpc/auth_session_active {\"token\": <user token>}",
                   "POST /rest/v1/rpc/auth_session_active  Authorization: Bearer <service_role key>", r)
    with admin() as conn:
        conn.execute("SELECT auth_logout(%s)", [token])
    r = cases.expect("replay_backend_session_active_false_after_logout",
                     api.rpc("auth_session_active", {"token": token}, token=service_key), 200, body=False)
    transcript.add("backend: the same question after the user logged out",
                   "POST /rest/v1/rpc/auth_session_active  Authorization: Bearer <service_role key>", r)
    cases.expect("replay_backend_garbage_token_false",
                 api.rpc("auth_session_active", {"token": "not-a-jwt"}, token=service_key), 200, body=False)


def errors_end_to_end(cases, api, transcript, authenticator_password):
    user = create_user("gus@example.com")
    _, token = sign_in(user, "gus@example.com")
    r = cases.expect("replay_bad_scope_400", api.rpc("auth_logout", {"scope": "sideways"}, token=token),
                     400, code="LOGOUT_ERROR")
    transcript.add("unsupported scope", "POST /rest/v1/rpc/auth_logout  {\"scope\": \"sideways\"}", r)
    cases.check("replay_bad_scope_deleted_nothing", session_count(user) == 1)
    # A token signed with another key never reaches the database: PostgREST refuses it
    forged = jwt.encode({"sub": user, "role": "authenticated", "exp": int(time.time()) + 60},
                        "not-the-project-secret-but-long-enough-000", algorithm="HS256")
    cases.expect("replay_postgrest_refuses_foreign_token", api.rpc("ping", token=forged), 401)

    # No key configured: SUPABASE_ERROR, 500, nothing deleted
    set_database_setting("app.settings.jwt_secret", None)
    keyless = PostgREST(conninfo("authenticator", authenticator_password), JWT_SECRET)
    r = cases.expect("replay_no_key_500", keyless.rpc("auth_logout", token=token), 500,
                     code="SUPABASE_ERROR")
    transcript.add("no key configured in the database", "POST /rest/v1/rpc/auth_logout", r)
    keyless.close()
    set_database_setting("app.settings.jwt_secret", JWT_SECRET)
    cases.check("replay_no_key_deleted_nothing", session_count(user) == 1)


def idle_timeout(cases, authenticator_password):
    user = create_user("hana@example.com")
    _, idle_token = sign_in(user, "hana@example.com", refreshed_ago="2 hours")
    _, fresh_token = sign_in(user, "hana@example.com", refreshed_ago="10 minutes")
    set_database_setting("jcv_logout.idle_timeout", "1h")
    api = PostgREST(conninfo("authenticator", authenticator_password), JWT_SECRET)
    r = cases.expect("replay_idle_session_401", api.rpc("ping", token=idle_token), 401,
                     code="UNAUTHORIZED")
    cases.check("replay_idle_session_message",
                r.json().get("message") == "session from access token has ended", repr(r))
    cases.expect("replay_recently_refreshed_200", api.rpc("ping", token=fresh_token), 200)
    # As Supabase Auth's /logout: the idle device may still sign out
    # everywhere; the check lets that one request reach auth_logout
    cases.expect("replay_idle_session_logout_200", api.rpc("auth_logout", token=idle_token), 200,
                 body=LOGGED_OUT)
    cases.check("replay_idle_session_logout_ended_both", session_count(user) == 0)
    cases.expect("replay_idle_session_logout_other_device_401", api.rpc("ping", token=fresh_token), 401,
                 code="UNAUTHORIZED")
    r = cases.expect("replay_idle_session_logout_again_401", api.rpc("auth_logout", token=idle_token), 401,
                     code="UNAUTHORIZED")
    cases.check("replay_idle_session_logout_again_message",
                r.json().get("message") == "session from access token does not exist", repr(r))
    # only the logout: the idle device's other calls stay refused
    _, idle_token = sign_in(user, "hana@example.com", refreshed_ago="2 hours")
    cases.expect("replay_idle_session_devices_401",
                 api.rpc("auth_sessions", token=idle_token, returns_set=True), 401, code="UNAUTHORIZED")
    api.close()
    set_database_setting("jcv_logout.idle_timeout", None)
    api = PostgREST(conninfo("authenticator", authenticator_password), JWT_SECRET)
    cases.expect("replay_idle_timeout_off_200", api.rpc("ping", token=idle_token), 200)
    api.close()


def own_pre_request(cases, authenticator_password):
    api = PostgREST(conninfo("authenticator", authenticator_password), JWT_SECRET,
                    pre_request='"public"."my_pre_request"')
    user = create_user("ivan@example.com")
    _, token = sign_in(user, "ivan@example.com")
    cases.expect("replay_own_pre_request_200", api.rpc("ping", token=token), 200)
    api.rpc("auth_logout", token=token)
    cases.expect("replay_own_pre_request_after_logout_401", api.rpc("ping", token=token), 401,
                 code="UNAUTHORIZED")
    api.close()


def require_session_setting(cases, authenticator_password):
    """PostgREST without db-pre-request; the check runs inside each request
    through jcv_logout.require_session, set for PostgREST's connections."""
    with admin() as conn:
        for setting in ("session_preload_libraries = 'jcv_logout'",
                        "jcv_logout.require_session = on"):
            conn.execute(sql.SQL("ALTER ROLE authenticator IN DATABASE {} SET " + setting).format(
                sql.Identifier(DATABASE)))
    api = PostgREST(conninfo("authenticator", authenticator_password), JWT_SECRET, pre_request=None)
    cases.check("replay_setting_on_for_postgrest",
                api.conn.execute("SHOW jcv_logout.require_session").fetchone()[0] == "on")
    two_devices(cases, api, Transcript(None), prefix="replay_setting", email="kim@example.com")

    user = create_user("lee@example.com")
    _, token = sign_in(user, "lee@example.com")
    cases.expect("replay_setting_get_200", api.rpc("ping", token=token, method="GET"), 200)
    with admin() as conn:
        conn.execute("SELECT auth_logout_user(%s)", [user])
    r = cases.expect("replay_setting_get_after_admin_logout_401",
                     api.rpc("ping", token=token, method="GET"), 401, code="UNAUTHORIZED")
    cases.check("replay_setting_401_message",
                r.json().get("message") == "session from access token does not exist", repr(r))

    _, idle_token = sign_in(user, "lee@example.com", refreshed_ago="2 hours")
    set_database_setting("jcv_logout.idle_timeout", "1h")
    idle_api = PostgREST(conninfo("authenticator", authenticator_password), JWT_SECRET, pre_request=None)
    cases.expect("replay_setting_idle_session_401", idle_api.rpc("ping", token=idle_token), 401,
                 code="UNAUTHORIZED")
    cases.expect("replay_setting_idle_session_logout_200",
                 idle_api.rpc("auth_logout", {"scope": "local"}, token=idle_token), 200, body=LOGGED_OUT)
    cases.check("replay_setting_idle_session_logout_ended_it", session_count(user) == 0)
    idle_api.close()
    set_database_setting("jcv_logout.idle_timeout", None)
    # The request's role may not switch the check off
    with admin() as conn:
        conn.execute("""
          CREATE FUNCTION public.switch_check_off() RETURNS text LANGUAGE sql AS
            $$ SELECT set_config('jcv_logout.require_session', 'off', true) $$;
          GRANT EXECUTE ON FUNCTION public.switch_check_off() TO authenticated""")
    _, token = sign_in(user, "lee@example.com")
    cases.expect("replay_setting_cannot_be_switched_off",
                 api.rpc("switch_check_off", token=token), 403, code="42501")
    api.close()
    with admin() as conn:
        conn.execute(sql.SQL("ALTER ROLE authenticator IN DATABASE {} RESET ALL").format(
            sql.Identifier(DATABASE)))


def forged_settings(cases, mallory_password):
    """A plain SQL user (not superuser, member of authenticated) forges what
    PostgREST would set, to log someone else out. Nobody is logged out."""
    victim = create_user("judy@example.com")
    victim_session, victim_token = sign_in(victim, "judy@example.com")
    victim_claims = jwt.decode(victim_token, JWT_SECRET, algorithms=["HS256"],
                               options={"verify_aud": False})
    victim_claims_json = json.dumps(victim_claims)
    # Mallory's own key: worthless unless the database trusts it
    mallory_key = "mallorys-own-secret-with-more-than-32-chars"
    forged_token = jwt.encode(victim_claims, mallory_key, algorithm="HS256")

    def attempt(setup, call, params=()):
        with psycopg.connect(conninfo("mallory", mallory_password), autocommit=True) as conn:
            try:
                conn.execute("BEGIN")
                for statement, args in setup:
                    conn.execute(statement, args)
                result = conn.execute(call, list(params)).fetchone()[0]
                conn.execute("COMMIT")
                return "ok: %r" % (result,)
            except psycopg.Error as e:
                return "error %s: %s" % (e.sqlstate, e.diag.message_primary)

    claims_only = [("SELECT set_config('request.jwt.claims', %s, true)", [victim_claims_json]),
                   ("SELECT set_config('request.method', 'POST', true)", [])]
    with_header = claims_only + [
        ("SELECT set_config('request.headers', %s, true)",
         [json.dumps({"authorization": "Bearer " + forged_token})])]
    with_own_key = with_header + [("SELECT set_config('app.settings.jwt_secret', %s, false)",
                                   [mallory_key])]

    outcomes = {
        "replay_forged_claims_logout": attempt(claims_only, "SELECT public.auth_logout()"),
        "replay_forged_header_logout": attempt(with_header, "SELECT public.auth_logout()"),
        "replay_forged_own_app_settings_key_logout": attempt(with_own_key, "SELECT public.auth_logout()"),
        "replay_forged_token_argument_logout": attempt([], "SELECT public.auth_logout(%s)", [forged_token]),
        "replay_forged_claims_session_active": attempt(claims_only, "SELECT public.auth_session_active()"),
    }
    for name, outcome in outcomes.items():
        if name.endswith("session_active"):
            cases.check(name, outcome == "ok: False", outcome)
        else:
            cases.check(name, outcome.startswith("error PGRST") or outcome.startswith("error PT401"),
                        outcome)
            cases.check(name + "_is_401",
                        "UNAUTHORIZED" in outcome, outcome)
    # The key setting is superuser-only once the module is loaded; set before
    # (a placeholder), PostgreSQL drops the value when the module loads.
    set_own_key = ("SELECT set_config('jcv_logout.jwt_secret', %s, false)", [mallory_key])
    outcome = attempt([("SELECT public.auth_session_active(NULL)", [])], *set_own_key)
    cases.check("replay_forged_cannot_set_key", outcome.startswith("error 42501"), outcome)
    outcome = attempt([set_own_key], "SELECT public.auth_logout(%s)", [forged_token])
    cases.check("replay_forged_key_set_before_load_ignored", outcome.startswith("error PT401"), outcome)
    # Forging claims at the hook can only refuse: the hook deletes nothing
    outcome = attempt(claims_only, "SELECT public.auth_require_session()::text")
    cases.check("replay_forged_claims_hook_deletes_nothing", outcome == "ok: ''", outcome)
    with admin() as conn:
        alive = conn.execute("SELECT count(*) FROM auth.sessions WHERE id = %s",
                             [victim_session]).fetchone()[0]
    cases.check("replay_forged_victim_still_signed_in", alive == 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transcript", help="write the HTTP exchanges the README quotes here")
    options = parser.parse_args()

    authenticator_password = secrets.token_hex(16)
    mallory_password = secrets.token_hex(16)
    create_database(authenticator_password, mallory_password)
    cases = Cases()
    transcript = Transcript(options.transcript)
    api = PostgREST(conninfo("authenticator", authenticator_password), JWT_SECRET)
    try:
        two_devices(cases, api, transcript)
        devices(cases, api, transcript)
        read_only_requests(cases, api)
        session_active_for_backends(cases, api, transcript)
        errors_end_to_end(cases, api, transcript, authenticator_password)
    finally:
        api.close()
    idle_timeout(cases, authenticator_password)
    own_pre_request(cases, authenticator_password)
    require_session_setting(cases, authenticator_password)
    forged_settings(cases, mallory_password)
    transcript.write()

    print("postgrest replay: %d passed, %d failed" % (cases.passed, cases.failed))
    sys.exit(1 if cases.failed else 0)


if __name__ == "__main__":
    main()
