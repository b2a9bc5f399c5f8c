"""The soak's traffic (test/soak.py): what each client does, in what
proportions, and which outcomes are expected of it.

Each client is a process with four connections: PostgREST's (`authenticator`,
with jcv_logout.require_session on, as README "Self-hosted Supabase /
PostgREST" sets it), a backend's (`app_backend`, calling the functions with
a token directly), Supabase Auth's (`supabase_auth_admin` over TCP with a
password and search_path auth, as GoTrue connects) and the harness's own
(a superuser, to pick sessions and to check outcomes; not counted). Every
value travels as a bind parameter (psycopg 3 binds on the server); no token
is ever spliced into SQL text. Tokens are minted by PyJWT with Supabase
Auth's claims.
"""
import array
import hashlib
import json
import os
import random
import time
import uuid

import jwt
import psycopg
from psycopg.types.json import Json

from postgrest_replay import PostgREST, SCHEMA_SEARCH_PATH

# What a client does, by weight (a draw per operation). Supabase Auth's own
# traffic dominates, as it does on a real project: every signed-in client
# refreshes its session about once an hour, logins are next, logouts rarer.
WEIGHTS = {
    # auth_logout with a live session's token, per scope: through PostgREST
    # (POST /rpc/auth_logout, the token from the Authorization header) or
    # from a backend (SELECT auth_logout($1, $2)), half each
    "logout_global": 4,
    "logout_local": 4,
    "logout_others": 2,
    # auth_logout with dead tokens, any scope: UNAUTHORIZED is the only
    # right answer. Expired: from a backend (PostgREST refuses those itself).
    # Already used: a token this client logged out before (local or global).
    "logout_expired": 2,
    "logout_used": 2,
    # auth_session_active(token) from a backend, live or dead token
    "session_active": 6,
    # PostgREST requests (GET /rpc/ping, read only) checked by
    # jcv_logout.require_session: a live session's token, a dead one
    "rest_live": 20,
    "rest_dead": 4,
    # a read under row level security with auth_session_valid() in the
    # policy, as Realtime and Storage make it (role and claims set in the
    # transaction, no require_session): the user's row, or none when dead
    "rls_read": 6,
    # Supabase Auth itself, statement for statement (supabase/auth
    # internal/tokens/service.go, internal/models, internal/api/logout.go)
    "gotrue_refresh": 30,
    "gotrue_login": 10,
    "gotrue_logout": 2,
    # its admin API banning a user for 2 s: our opt-in trigger on auth.users
    # ends the user's sessions (auth_enable_logout_triggers)
    "gotrue_ban": 1,
    # the admin functions, by service_role through PostgREST
    "admin_logout_user": 1,
    "admin_logout_session": 1,
}
# The purge is a client of its own: every PURGE_EVERY_SECONDS it ends the
# sessions idle longer than a limit that shrinks from IDLE_FROM_DAYS to
# IDLE_TO_DAYS over the run (the fixture's sessions were refreshed uniformly
# over 30 days, so every purge finds work), alternating the procedure that
# commits per batch (as pg_cron runs it) and the one-transaction function.
PURGE_EVERY_SECONDS = 5
PURGE_BATCH = 5000
IDLE_FROM_DAYS = 29.0
IDLE_TO_DAYS = 25.0
# Real traffic is skewed: HOT_SHARE of the picks go to HOT_USERS users
# (many devices, always on), so that logouts, refreshes, logins and bans of
# one user meet, whatever the number of users.
HOT_SHARE = 0.3
HOT_USERS = 100
# Supabase Auth's refresh retries a locked row for up to 5 s, every 10-30 ms.
REFRESH_RETRY_SECONDS = 5.0
REFRESH_REUSE_SECONDS = 10
BAN_SECONDS = 2

NIL = "00000000-0000-0000-0000-000000000000"
SECRET = "soak-secret-with-at-least-32-characters-long"
ISSUER = "https://soakproject.supabase.co/auth/v1"
USED_TOKENS_KEPT = 2000
LOGOUT_PAYLOAD = {"success": True, "message": "Successfully logged out"}

KINDS = sorted(WEIGHTS) + ["purge"]
KIND_CODE = {k: i for i, k in enumerate(KINDS)}


def md5_uuid(text):
    return str(uuid.UUID(hashlib.md5(text.encode()).hexdigest()))


def user_id(n):
    return md5_uuid("user%d" % n)


def mint(sub, session_id, email, exp_offset=3600, now=None):
    """An access token as Supabase Auth issues it (HS256)."""
    now = int(now or time.time())
    exp = now + exp_offset
    claims = {"aal": "aal1", "amr": [{"method": "password", "timestamp": now - 60}],
              "app_metadata": {"provider": "email", "providers": ["email"]},
              "aud": "authenticated", "email": email, "exp": exp, "iat": min(now, exp - 3600),
              "is_anonymous": False, "iss": ISSUER, "phone": "", "role": "authenticated",
              "session_id": session_id, "sub": sub, "user_metadata": {}}
    return jwt.encode(claims, SECRET, algorithm="HS256"), claims


def error_label(error):
    """SQLSTATE, or for PostgREST's protocol PGRST/<status> <code>."""
    if error.sqlstate == "PGRST":
        try:
            body = json.loads(error.diag.message_primary)
            status = json.loads(error.diag.message_detail)["status"]
            return "PGRST/%d %s" % (status, body["code"])
        except (TypeError, ValueError, KeyError):
            return "PGRST (unparsable)"
    return error.sqlstate or "connection lost"


def is_unauthorized(label):
    return label in ("PT401", "PGRST/401 UNAUTHORIZED")


class Lost(Exception):
    """The connection died (server crash); the op's outcome is unknown."""


class Client:
    """One client process: draws operations and records what happened."""

    def __init__(self, index, cfg, stop_at, report):
        self.index = index
        self.cfg = cfg
        self.stop_at = stop_at
        self.report = report        # multiprocessing queue to the harness
        self.rng = random.Random(cfg["seed"] * 1000 + index)
        weights = dict(WEIGHTS, **cfg.get("weights", {}))
        self.kinds = list(weights)
        self.weights = [weights[k] for k in self.kinds]
        self.users = cfg["users"]
        self.hot = min(HOT_USERS, self.users)
        self.used_tokens = []
        self.outcomes = {}          # (kind, outcome) -> count
        self.errors = {}            # (kind, SQLSTATE or PGRST/status code) -> count
        self.unexpected = []        # a few examples
        self.logout_ms = array.array("d")  # the auth_logout statement
        self.commit_ms = array.array("d")  # its COMMIT (the WAL flush)
        self.logouts = []           # acknowledged: (xid, user, session, scope)
        self.gotrue_logouts = []    # acknowledged xids
        self.admin_revocations = []  # (xid, action)
        self.bans = []              # acknowledged xids
        self.in_flight = []         # (kind, xid, user, session, scope, time) cut by a crash
        self.suspect = []           # (pid, time, kind, label): errors to match with the log
        self.timeline = {}          # pid -> (array of start times, array of kind codes)
        self.conns = {}
        self.ops = 0

    # --- connections -------------------------------------------------------
    def connect(self):
        cfg = self.cfg
        tcp = dict(host="127.0.0.1", port=cfg["port"], dbname=cfg["dbname"],
                   password=cfg["password"], autocommit=True, connect_timeout=5)
        self.conns = {
            "rest": psycopg.connect(user="authenticator", **tcp),
            "sql": psycopg.connect(user="app_backend", **tcp),
            "gotrue": psycopg.connect(user="supabase_auth_admin", **tcp),
            "look": psycopg.connect(host=cfg["socket_dir"], port=cfg["port"], dbname=cfg["dbname"],
                                    user="postgres", autocommit=True, connect_timeout=5),
        }
        for role, conn in self.conns.items():
            pid = conn.info.backend_pid
            self.timeline.setdefault(pid, (array.array("d"), array.array("B")))
            self.report.put(("pid", self.index, role, pid))

    def reconnect(self):
        for conn in self.conns.values():
            try:
                conn.close()
            except Exception:
                pass
        while time.time() < self.stop_at:
            try:
                self.connect()
                return True
            except psycopg.OperationalError:
                time.sleep(0.2)
        return False

    def mark(self, conn, kind):
        starts, kinds = self.timeline[conn.info.backend_pid]
        starts.append(time.time())
        kinds.append(KIND_CODE[kind])

    # --- outcome bookkeeping -----------------------------------------------
    def count(self, kind, outcome, expected=True, detail=""):
        key = (kind, outcome)
        self.outcomes[key] = self.outcomes.get(key, 0) + 1
        if not expected and len(self.unexpected) < 20:
            self.unexpected.append("%s: %s %s" % (kind, outcome, detail))
        if not expected:
            self.outcomes[("unexpected", kind + ": " + outcome)] = \
                self.outcomes.get(("unexpected", kind + ": " + outcome), 0) + 1

    def error(self, kind, label):
        self.errors[(kind, label)] = self.errors.get((kind, label), 0) + 1

    def failed(self, kind, conn, error, expected_unauthorized, raced_check=None):
        """Classifies an error from our functions."""
        label = error_label(error)
        self.error(kind, label)
        if is_unauthorized(label):
            if expected_unauthorized:
                self.count(kind, label + " (dead token)")
            elif raced_check is not None and raced_check():
                self.count(kind, label + " (session ended or user banned meanwhile)")
            else:
                self.count(kind, label + " (session still there)", expected=False)
            return
        # A deadlock or a lock failure inside our functions reads as
        # LOGOUT_ERROR 500; the server log tells which (see soak.py).
        self.suspect.append((conn.info.backend_pid, time.time(), kind, label))
        self.count(kind, label)

    # --- picking users, sessions and tokens --------------------------------
    def pick_user(self):
        if self.rng.random() < HOT_SHARE:
            return self.rng.randint(1, self.hot)
        return self.rng.randint(1, self.users)

    def pick_session(self):
        """A live session, as the device holding its tokens: (session, user, email)."""
        look = self.conns["look"]
        n = self.pick_user()
        row = look.execute(
            "SELECT s.id::text, s.user_id::text, u.email FROM auth.sessions s"
            " JOIN auth.users u ON u.id = s.user_id WHERE s.user_id = %s"
            " ORDER BY random() LIMIT 1", [user_id(n)]).fetchone()
        if row is None:
            row = look.execute(
                "SELECT s.id::text, s.user_id::text, u.email FROM auth.sessions s"
                " JOIN auth.users u ON u.id = s.user_id WHERE s.id >= %s ORDER BY s.id LIMIT 1",
                [str(uuid.UUID(int=self.rng.getrandbits(128)))]).fetchone()
        return row

    def session_refusable(self, session_id, ban_refuses=False):
        """Whether a refusal of this session is right: the session is gone;
        or a ban's trigger found it held by a refresh and listed it as ended
        (jcv_logout_ended_sessions) instead of deleting it; or, for a logout
        (Supabase Auth refuses a banned user's), its user is banned, counting
        a ban that ran out in the moments since the refusal."""
        return lambda: not self.conns["look"].execute(
            "SELECT EXISTS (SELECT FROM auth.sessions s JOIN auth.users u ON u.id = s.user_id"
            " WHERE s.id = %s"
            " AND NOT EXISTS (SELECT FROM public.jcv_logout_ended_sessions e WHERE e.session_id = s.id)"
            " AND (NOT %s OR u.banned_until IS NULL OR u.banned_until < now() - interval '5 s'))",
            [session_id, ban_refuses]).fetchone()[0]

    def token_to_use(self, kind, live):
        """(session, token, claims): a fresh token of a live session, or a dead
        token (session None); None, counted, when no live session is left."""
        if not live:
            token, claims = self.dead_token()
            return None, token, claims
        picked = self.pick_session()
        if picked is None:
            self.count(kind, "no session left")
            return None
        session, user, email = picked
        token, claims = mint(user, session, email)
        return session, token, claims

    def dead_token(self):
        """A token whose session this client logged out, else one of a
        session that never existed."""
        if self.used_tokens:
            return self.rng.choice(self.used_tokens)
        n = self.pick_user()
        return mint(user_id(n), str(uuid.uuid4()), "user%d@example.com" % n)

    def keep_used(self, token_and_claims):
        if len(self.used_tokens) < USED_TOKENS_KEPT:
            self.used_tokens.append(token_and_claims)
        else:
            self.used_tokens[self.rng.randrange(USED_TOKENS_KEPT)] = token_and_claims

    # --- PostgREST ---------------------------------------------------------
    def rest(self, kind, function, claims, token, body=None, method="POST", with_xid=False, types=None):
        """One PostgREST v12 request (statements as test/postgrest_replay.py
        replays them). Returns (row or None, error or None, xid, ms)."""
        conn = self.conns["rest"]
        self.mark(conn, kind)
        headers = {"accept": "*/*", "host": "localhost:3000", "user-agent": "soak/1.0",
                   "x-client-info": "supabase-js/2.45.0"}
        if token is not None:
            headers["authorization"] = "Bearer " + token
        if body is not None:
            headers["content-type"] = "application/json"
        mode = "read only" if method == "GET" else "read write"
        args = sorted(body) if body else []
        xid = None
        try:
            conn.execute("begin isolation level read committed " + mode)
            conn.execute(
                "select set_config('search_path', %s, true), set_config('role', %s, true), "
                "set_config('request.jwt.claims', %s, true), set_config('request.method', %s, true), "
                "set_config('request.path', %s, true), set_config('request.headers', %s, true), "
                "set_config('request.cookies', %s, true)",
                [SCHEMA_SEARCH_PATH, claims.get("role", "anon"),
                 json.dumps(claims, separators=(",", ":"), sort_keys=True), method,
                 "/rpc/" + function, json.dumps(headers, separators=(",", ":"), sort_keys=True), "{}"])
            if with_xid:
                # The harness's one addition: the transaction's id, to find its audit row.
                xid = conn.execute("select pg_current_xact_id()::text::bigint").fetchone()[0]
            params = [Json(body)] if args else []
            start = time.perf_counter()
            row = conn.execute(PostgREST.call_query(function, args, types), params).fetchone()
            called = time.perf_counter()
            conn.execute("commit")
            return row, None, xid, ((called - start) * 1000, (time.perf_counter() - called) * 1000)
        except psycopg.OperationalError as error:
            raise Lost(xid) from error
        except psycopg.Error as error:
            try:
                conn.execute("rollback")
            except psycopg.OperationalError as lost:
                # the outcome is the server's to say: the caller checks xid
                raise Lost(xid) from lost
            return None, error, xid, None

    # --- operations --------------------------------------------------------
    def op_logout(self, kind):
        scope = {"logout_global": "global", "logout_local": "local",
                 "logout_others": "others"}.get(kind) or self.rng.choice(["global", "local", "others"])
        dead = kind in ("logout_expired", "logout_used")
        if kind == "logout_used":
            token, claims = self.dead_token()
            session = None
        else:
            picked = self.pick_session()
            if picked is None:
                return self.count(kind, "no session left")
            session, user, email = picked
            token, claims = mint(user, session, email,
                                 exp_offset=-self.rng.randint(1, 3600) if dead else 3600)
        channel = "sql" if kind == "logout_expired" or self.rng.random() < 0.5 else "rest"
        record = (claims["sub"], claims["session_id"], scope)
        if channel == "rest":
            try:
                row, error, xid, ms = self.rest(kind, "auth_logout", claims, token,
                                                body={"scope": scope}, with_xid=True)
                payload = row[2] if row else None
            except Lost as lost:
                self.in_flight.append((kind, lost.args[0]) + record + (time.time(),))
                raise
            conn = self.conns["rest"]
        else:
            conn = self.conns["sql"]
            self.mark(conn, kind)
            xid = None
            try:
                conn.execute("BEGIN")
                xid = conn.execute("SELECT pg_current_xact_id()::text::bigint").fetchone()[0]
                start = time.perf_counter()
                row = conn.execute("SELECT public.auth_logout(%s, %s)", [token, scope]).fetchone()
                called = time.perf_counter()
                payload = row[0]
                conn.execute("COMMIT")
                error, ms = None, ((called - start) * 1000, (time.perf_counter() - called) * 1000)
            except psycopg.OperationalError as lost:
                self.in_flight.append((kind, xid) + record + (time.time(),))
                raise Lost(xid) from lost
            except psycopg.Error as e:
                error = e
                try:
                    conn.execute("ROLLBACK")
                except psycopg.OperationalError as lost:
                    self.in_flight.append((kind, xid) + record + (time.time(),))
                    raise Lost(xid) from lost
        if error is None:
            self.count(kind, "logged out (%s)" % channel,
                       expected=not dead and payload == LOGOUT_PAYLOAD,
                       detail="dead token" if dead else "payload %r" % (payload,))
            self.logout_ms.append(ms[0])
            self.commit_ms.append(ms[1])
            self.logouts.append((xid,) + record)
            if scope != "others":
                self.keep_used((token, claims))
            return
        self.failed(kind, conn, error, expected_unauthorized=dead,
                    raced_check=None if session is None else self.session_refusable(session, True))

    def op_session_active(self, kind):
        live = self.rng.random() < 0.5
        picked = self.token_to_use(kind, live)
        if picked is None:
            return
        session, token, _ = picked
        conn = self.conns["sql"]
        self.mark(conn, kind)
        try:
            active = conn.execute("SELECT public.auth_session_active(%s)", [token]).fetchone()[0]
        except psycopg.OperationalError as lost:
            raise Lost(None) from lost
        except psycopg.Error as error:
            self.error(kind, error_label(error))
            return self.count(kind, error_label(error), expected=False)
        if active == live:
            self.count(kind, "%s as expected" % ("active" if live else "inactive"))
        elif live and self.session_refusable(session)():
            self.count(kind, "inactive (session ended meanwhile)")
        else:
            self.count(kind, "active=%s for a %s token" % (active, "live" if live else "dead"),
                       expected=False)

    def op_rest(self, kind):
        live = kind == "rest_live"
        picked = self.token_to_use(kind, live)
        if picked is None:
            return
        session, token, claims = picked
        row, error, _, _ = self.rest(kind, "ping", claims, token, method="GET")
        if error is None:
            self.count(kind, "200", expected=live, detail="a dead token got through")
            return
        self.failed(kind, self.conns["rest"], error, expected_unauthorized=not live,
                    raced_check=None if session is None else self.session_refusable(session))

    def op_rls_read(self, kind):
        live = self.rng.random() < 0.5
        picked = self.token_to_use(kind, live)
        if picked is None:
            return
        session, _, claims = picked
        conn = self.conns["sql"]
        self.mark(conn, kind)
        try:
            conn.execute("BEGIN")
            conn.execute("SELECT set_config('role', 'authenticated', true),"
                         " set_config('request.jwt.claims', %s, true)",
                         [json.dumps(claims, separators=(",", ":"))])
            rows = conn.execute("SELECT count(*) FROM public.notes").fetchone()[0]
            conn.execute("COMMIT")
        except psycopg.OperationalError as lost:
            raise Lost(None) from lost
        except psycopg.Error as error:
            self.error(kind, error_label(error))
            try:
                conn.execute("ROLLBACK")
            except psycopg.OperationalError as lost:
                raise Lost(None) from lost
            return self.count(kind, error_label(error), expected=False)
        if rows == (1 if live else 0):
            self.count(kind, "%d row%s (%s)" % (rows, "" if rows == 1 else "s", "live" if live else "dead"))
        elif live and rows == 0 and self.session_refusable(session)():
            self.count(kind, "0 rows (session ended meanwhile)")
        else:
            self.count(kind, "%d rows for a %s token" % (rows, "live" if live else "dead"), expected=False)

    def op_admin(self, kind):
        if kind == "admin_logout_user":
            function, body = "auth_logout_user", {"user_id": user_id(self.pick_user())}
        else:
            picked = self.pick_session()
            if picked is None:
                return self.count(kind, "no session left")
            function, body = "auth_logout_session", {"session_id": picked[0]}
        claims = {"iss": "supabase", "role": "service_role",
                  "exp": int(time.time()) + 3600}
        token = jwt.encode(claims, SECRET, algorithm="HS256")
        try:
            row, error, xid, _ = self.rest(kind, function, claims, token, body=body, with_xid=True,
                                           types={"user_id": "uuid", "session_id": "uuid"})
        except Lost as lost:
            self.in_flight.append((kind, lost.args[0], None, None, None, time.time()))
            raise
        if error is not None:
            self.error(kind, error_label(error))
            self.suspect.append((self.conns["rest"].info.backend_pid, time.time(), kind,
                                 error_label(error)))
            return self.count(kind, error_label(error))
        payload = json.loads(row[2]) if isinstance(row[2], str) else row[2]
        revoked = payload["sessions_revoked"] + payload["refresh_tokens_revoked"]
        if revoked:
            self.admin_revocations.append((xid, function))
        self.count(kind, "revoked" if revoked else "nothing to revoke")

    # Supabase Auth's statements. Unqualified names: search_path is auth.
    def gotrue_audit(self, conn, user, action, log_type, email):
        payload = {"action": action, "actor_id": user, "actor_username": email,
                   "actor_via_sso": False, "log_type": log_type}
        conn.execute("INSERT INTO audit_log_entries (instance_id, id, payload, created_at, ip_address)"
                     " VALUES (%s, %s, %s, now(), '')",
                     [NIL, str(uuid.uuid4()), json.dumps(payload, sort_keys=True)])

    def op_gotrue_refresh(self, kind):
        picked = self.pick_session()
        if picked is None:
            return self.count(kind, "no session left")
        look = self.conns["look"]
        row = look.execute("SELECT token FROM auth.refresh_tokens WHERE session_id = %s AND NOT revoked"
                           " ORDER BY id DESC LIMIT 1", [picked[0]]).fetchone()
        if row is None:
            return self.count(kind, "client holds no refresh token")
        refresh_token = row[0]
        conn = self.conns["gotrue"]
        self.mark(conn, kind)
        retry_start = time.time()
        try:
            while time.time() - retry_start < REFRESH_RETRY_SECONDS:
                outcome = self.gotrue_refresh_once(conn, refresh_token)
                if outcome != "retry":
                    return self.count(kind, outcome)
                time.sleep(self.rng.uniform(0.010, 0.030))
            self.count(kind, "409 too many concurrent refreshes")
        except psycopg.OperationalError as lost:
            raise Lost(None) from lost

    def gotrue_refresh_once(self, conn, refresh_token):
        # FindUserWithRefreshToken, outside a transaction
        token = conn.execute("SELECT id, user_id, session_id FROM refresh_tokens WHERE token = %s LIMIT 1",
                             [refresh_token]).fetchone()
        if token is None:
            return "400 refresh token not found"
        user = conn.execute("SELECT id, email, banned_until > now() FROM users WHERE instance_id = %s"
                            " AND id = %s LIMIT 1", [NIL, token[1]]).fetchone()
        if user[2]:
            return "400 user banned"
        if conn.execute("SELECT id FROM sessions WHERE id = %s LIMIT 1", [token[2]]).fetchone() is None:
            return "400 no valid session"
        try:
            conn.execute("BEGIN")
            locked = conn.execute("SELECT id, revoked, updated_at, parent FROM refresh_tokens"
                                  " WHERE token = %s LIMIT 1 FOR UPDATE SKIP LOCKED",
                                  [refresh_token]).fetchone()
            if locked is None:
                conn.execute("ROLLBACK")
                return "retry"
            conn.execute("SELECT id FROM users WHERE instance_id = %s AND id = %s LIMIT 1", [NIL, token[1]])
            session = conn.execute("SELECT id FROM sessions WHERE id = %s LIMIT 1 FOR UPDATE SKIP LOCKED",
                                   [token[2]]).fetchone()
            if session is None:
                conn.execute("ROLLBACK")
                return "retry"
            swap = True
            if locked[1]:
                # A revoked token: as the parent of the active one it is
                # answered with that one; within the reuse interval it is
                # swapped again; after it, the whole family is revoked.
                active = conn.execute("SELECT token, parent FROM refresh_tokens WHERE session_id = %s"
                                      " AND revoked = false ORDER BY created_at DESC LIMIT 1",
                                      [token[2]]).fetchone()
                if active is not None and active[1] == refresh_token:
                    swap = False
                elif conn.execute("SELECT now() > %s + make_interval(secs => %s)",
                                  [locked[2], REFRESH_REUSE_SECONDS]).fetchone()[0]:
                    conn.execute("UPDATE refresh_tokens SET revoked = true, updated_at = now()"
                                 " WHERE session_id = %s AND revoked = false", [token[2]])
                    conn.execute("COMMIT")
                    return "400 refresh token already used"
            self.gotrue_audit(conn, token[1], "token_refreshed", "token", user[1])
            if swap:
                # GrantRefreshTokenSwap: revoke the old token, insert its child, stamp the user
                self.gotrue_audit(conn, token[1], "token_revoked", "token", user[1])
                conn.execute("UPDATE refresh_tokens SET revoked = true, updated_at = now() WHERE id = %s",
                             [locked[0]])
                conn.execute("INSERT INTO refresh_tokens (instance_id, token, user_id, revoked, created_at,"
                             " updated_at, parent, session_id) VALUES (%s, %s, %s, false, now(), now(), %s, %s)"
                             " RETURNING id", [NIL, uuid.uuid4().hex[:12], token[1], refresh_token, token[2]])
                conn.execute("UPDATE users SET last_sign_in_at = now(), updated_at = now() WHERE id = %s",
                             [token[1]])
            # GenerateAccessToken, then UpdateOnlyRefreshInfo
            conn.execute("SELECT id, aal FROM sessions WHERE id = %s LIMIT 1", [token[2]])
            conn.execute("SELECT authentication_method, updated_at FROM mfa_amr_claims WHERE session_id = %s",
                         [token[2]])
            conn.execute("UPDATE sessions SET refreshed_at = now() AT TIME ZONE 'UTC', user_agent = %s,"
                         " ip = %s, updated_at = now() WHERE id = %s",
                         ["soak/1.0", "127.0.0.1", token[2]])
            conn.execute("COMMIT")
            return "200 refreshed"
        except psycopg.OperationalError:
            raise
        except psycopg.Error as error:
            conn.execute("ROLLBACK")
            self.error("gotrue_refresh", error_label(error))
            self.suspect.append((conn.info.backend_pid, time.time(), "gotrue_refresh", error_label(error)))
            return "error " + error_label(error)

    def op_gotrue_login(self, kind):
        n = self.pick_user()
        conn = self.conns["gotrue"]
        self.mark(conn, kind)
        email = "user%d@example.com" % n
        try:
            user = conn.execute("SELECT id, banned_until > now() FROM users WHERE instance_id = %s"
                                " AND lower(email) = %s AND aud = %s AND is_sso_user = false LIMIT 1",
                                [NIL, email, "authenticated"]).fetchone()
            if user[1]:
                return self.count(kind, "400 user banned")
            session = str(uuid.uuid4())
            conn.execute("BEGIN")
            try:
                self.gotrue_audit(conn, str(user[0]), "login", "account", email)
                conn.execute("INSERT INTO sessions (id, user_id, created_at, updated_at, factor_id, aal,"
                             " not_after, refreshed_at, user_agent, ip) VALUES (%s, %s, now(), now(), NULL,"
                             " 'aal1', NULL, NULL, %s, %s)", [session, user[0], "soak/1.0", "127.0.0.1"])
                conn.execute("INSERT INTO refresh_tokens (instance_id, token, user_id, revoked, created_at,"
                             " updated_at, parent, session_id) VALUES (%s, %s, %s, false, now(), now(), NULL, %s)"
                             " RETURNING id", [NIL, uuid.uuid4().hex[:12], str(user[0]), session])
                conn.execute("UPDATE users SET last_sign_in_at = now(), updated_at = now() WHERE id = %s",
                             [user[0]])
                conn.execute("INSERT INTO mfa_amr_claims (session_id, created_at, updated_at,"
                             " authentication_method, id) VALUES (%s, now(), now(), 'password', %s)"
                             " ON CONFLICT ON CONSTRAINT mfa_amr_claims_session_id_authentication_method_pkey"
                             " DO UPDATE SET updated_at = excluded.updated_at", [session, str(uuid.uuid4())])
                conn.execute("SELECT id, aal FROM sessions WHERE id = %s LIMIT 1", [session])
                conn.execute("COMMIT")
                self.count(kind, "200 signed in")
            except psycopg.OperationalError:
                raise
            except psycopg.Error as error:
                conn.execute("ROLLBACK")
                self.error(kind, error_label(error))
                self.suspect.append((conn.info.backend_pid, time.time(), kind, error_label(error)))
                self.count(kind, "error " + error_label(error))
        except psycopg.OperationalError as lost:
            raise Lost(None) from lost

    def op_gotrue_logout(self, kind):
        picked = self.pick_session()
        if picked is None:
            return self.count(kind, "no session left")
        session, user, email = picked
        scope = self.rng.choice(["global", "local", "others"])
        conn = self.conns["gotrue"]
        self.mark(conn, kind)
        xid = None
        try:
            # requireAuthentication: the user and the token's session
            conn.execute("SELECT id FROM users WHERE instance_id = %s AND id = %s LIMIT 1", [NIL, user])
            if conn.execute("SELECT id FROM sessions WHERE id = %s LIMIT 1", [session]).fetchone() is None:
                return self.count(kind, "403 session not found")
            conn.execute("BEGIN")
            xid = conn.execute("SELECT pg_current_xact_id()::text::bigint").fetchone()[0]
            try:
                self.gotrue_audit(conn, user, "logout", "account", email)
                if scope == "global":
                    conn.execute("DELETE FROM sessions WHERE user_id = %s", [user])
                elif scope == "local":
                    conn.execute("DELETE FROM sessions WHERE id = %s", [session])
                else:
                    conn.execute("DELETE FROM sessions WHERE id != %s AND user_id = %s", [session, user])
                conn.execute("COMMIT")
                self.gotrue_logouts.append(xid)
                self.count(kind, "204 logged out (%s)" % scope)
            except psycopg.OperationalError:
                raise
            except psycopg.Error as error:
                conn.execute("ROLLBACK")
                self.error(kind, error_label(error))
                self.suspect.append((conn.info.backend_pid, time.time(), kind, error_label(error)))
                self.count(kind, "error " + error_label(error))
        except psycopg.OperationalError as lost:
            self.in_flight.append((kind, xid, user, session, scope, time.time()))
            raise Lost(xid) from lost

    def op_gotrue_ban(self, kind):
        n = self.pick_user()
        conn = self.conns["gotrue"]
        self.mark(conn, kind)
        xid = None
        try:
            conn.execute("BEGIN")
            xid = conn.execute("SELECT pg_current_xact_id()::text::bigint").fetchone()[0]
            try:
                conn.execute("UPDATE users SET banned_until = now() + make_interval(secs => %s),"
                             " updated_at = now() WHERE id = %s", [BAN_SECONDS, user_id(n)])
                self.gotrue_audit(conn, user_id(n), "user_modified", "user", "user%d@example.com" % n)
                conn.execute("COMMIT")
                self.bans.append(xid)
                self.count(kind, "200 banned")
            except psycopg.OperationalError:
                raise
            except psycopg.Error as error:
                conn.execute("ROLLBACK")
                self.error(kind, error_label(error))
                self.suspect.append((conn.info.backend_pid, time.time(), kind, error_label(error)))
                self.count(kind, "error " + error_label(error))
        except psycopg.OperationalError as lost:
            self.in_flight.append((kind, xid, None, None, None, time.time()))
            raise Lost(xid) from lost

    def run_one(self):
        kind = self.rng.choices(self.kinds, self.weights)[0]
        if kind.startswith("logout_"):
            self.op_logout(kind)
        elif kind == "session_active":
            self.op_session_active(kind)
        elif kind.startswith("rest_"):
            self.op_rest(kind)
        elif kind.startswith("admin_"):
            self.op_admin(kind)
        elif kind == "rls_read":
            self.op_rls_read(kind)
        else:
            getattr(self, "op_" + kind)(kind)
        self.ops += 1

    def run(self):
        if not self.reconnect():
            return self.finish()
        while time.time() < self.stop_at:
            try:
                self.run_one()
            except (Lost, psycopg.OperationalError):
                self.count("connection", "lost (server crash)")
                self.error("connection", "08006 connection lost")
                if not self.reconnect():
                    break
        self.finish()

    def finish(self):
        for conn in self.conns.values():
            try:
                conn.close()
            except Exception:
                pass
        out = self.cfg["out_dir"]
        timeline = {pid: (starts.tobytes(), kinds.tobytes()) for pid, (starts, kinds) in self.timeline.items()}
        result = {"ops": self.ops, "outcomes": [[k[0], k[1], v] for k, v in self.outcomes.items()],
                  "unexpected": self.unexpected, "logouts": self.logouts,
                  "errors": [[k[0], k[1], v] for k, v in self.errors.items()],
                  "gotrue_logouts": self.gotrue_logouts, "admin_revocations": self.admin_revocations,
                  "bans": self.bans, "in_flight": self.in_flight, "suspect": self.suspect}
        with open(os.path.join(out, "client%d.json" % self.index), "w") as f:
            json.dump(result, f)
        with open(os.path.join(out, "client%d.ms" % self.index), "wb") as f:
            self.logout_ms.tofile(f)
        with open(os.path.join(out, "client%d.commit_ms" % self.index), "wb") as f:
            self.commit_ms.tofile(f)
        with open(os.path.join(out, "client%d.timeline" % self.index), "w") as f:
            json.dump({str(pid): [s.hex(), k.hex()] for pid, (s, k) in timeline.items()}, f)


def client_main(index, cfg, stop_at, report):
    client = Client(index, cfg, stop_at, report)
    try:
        client.run()
    except Exception as error:  # a fault of the harness itself: report it, keep the results
        client.count("client", "stopped by %r" % error, expected=False)
        client.finish()


def purge_main(cfg, stop_at, report, run_start, run_seconds):
    """The purge client: every PURGE_EVERY_SECONDS, as pg_cron would."""
    outcomes = {}
    timeline = {}
    suspect = []
    conn = None
    turn = 0
    next_at = time.time() + 1
    while time.time() < stop_at:
        if time.time() < next_at:
            time.sleep(min(0.2, max(0.0, next_at - time.time())))
            continue
        next_at = time.time() + PURGE_EVERY_SECONDS
        try:
            if conn is None or conn.closed:
                conn = psycopg.connect(host=cfg["socket_dir"], port=cfg["port"], dbname=cfg["dbname"],
                                       user="postgres", autocommit=True, connect_timeout=5)
                report.put(("pid", -1, "purge", conn.info.backend_pid))
            pid = conn.info.backend_pid
            starts, kinds = timeline.setdefault(pid, (array.array("d"), array.array("B")))
            starts.append(time.time())
            kinds.append(KIND_CODE["purge"])
            progress = min(1.0, (time.time() - run_start) / run_seconds)
            idle_days = IDLE_FROM_DAYS - (IDLE_FROM_DAYS - IDLE_TO_DAYS) * progress
            idle = "%f days" % idle_days
            try:
                if turn % 2 == 0:
                    conn.execute("CALL public.auth_purge_sessions_batched(%s::interval, %s)", [idle, PURGE_BATCH])
                    label = "batched purge done"
                else:
                    purged = conn.execute("SELECT public.auth_purge_sessions(%s::interval)", [idle]).fetchone()[0]
                    label = "one-transaction purge done"
                    outcomes["sessions purged by auth_purge_sessions"] = \
                        outcomes.get("sessions purged by auth_purge_sessions", 0) + purged
            except psycopg.OperationalError:
                raise
            except psycopg.Error as error:
                label = "error " + error_label(error)
                suspect.append((pid, time.time(), "purge", error_label(error)))
            outcomes[label] = outcomes.get(label, 0) + 1
            turn += 1
        except psycopg.OperationalError:
            outcomes["connection lost (server crash)"] = outcomes.get("connection lost (server crash)", 0) + 1
            conn = None
            time.sleep(0.2)
    if conn is not None:
        conn.close()
    out = cfg["out_dir"]
    with open(os.path.join(out, "purge.json"), "w") as f:
        json.dump({"outcomes": outcomes, "suspect": suspect}, f)
    with open(os.path.join(out, "purge.timeline"), "w") as f:
        json.dump({str(pid): [s.tobytes().hex(), k.tobytes().hex()] for pid, (s, k) in timeline.items()}, f)
