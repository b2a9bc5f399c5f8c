#!/usr/bin/python3
"""Benchmarks auth_logout against the floors and the usual PL/pgSQL way, in
one run on one cluster, and writes a markdown report. bench/run.sh calls it
inside a test/virtualenv.sh cluster (the PG* variables point at it):

    /usr/bin/python3 bench/bench.py --mode full|smoke --harness PATH --out FILE

Tokens are minted here with PyJWT (never by the extension) and reach the
functions as bind parameters or from a token table, never as SQL literals.
"""
import argparse
import dataclasses
import datetime
import json
import os
import pathlib
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time

import jwt
import psycopg
from psycopg import sql

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "test"))
import mint_jwks  # noqa: E402  (the tests' key helpers)
SECRET = "bench-secret-for-hs256-tokens-with-at-least-32-characters"
ISSUER = "https://benchmarkproject.supabase.co/auth/v1"
TOKEN_LIFETIME = 3600
GHOST_SESSION = -1          # bench.user_of/session_uuid of -1 are never inserted
KB_PER_MB = 1024
MEMORY_TARGET_KB = 1024
SCALE_TARGET = 1.5
TPS_TARGET = 0.8
CRYPTO_TARGET = 1.5
PGCRYPTO_TARGET = 5.0
ES256_KID = "bench-es256"


@dataclasses.dataclass
class Mode:
    scales: tuple          # sessions in auth.sessions at each step
    pool: int              # tokens pgbench draws from
    pgbench_run: list      # pgbench's -T / -t arguments for one run
    rounds: int            # pgbench runs per figure; the best one counts
    c_iterations: int
    sql_calls: int
    memory_refused: int
    memory_logouts: int
    cold_connections: int
    steady_calls: int


MODES = {
    "full": Mode(scales=(1_000, 100_000, 1_000_000), pool=2000, pgbench_run=["-T", "4"],
                 rounds=3, c_iterations=300_000, sql_calls=100_000,
                 memory_refused=1_000_000, memory_logouts=100_000,
                 cold_connections=15, steady_calls=200),
    "smoke": Mode(scales=(600, 1200), pool=40, pgbench_run=["-t", "20"], rounds=1,
                  c_iterations=2000, sql_calls=200, memory_refused=2000,
                  memory_logouts=100, cold_connections=2, steady_calls=5),
}

# One logout per transaction, rolled back: every transaction does the real
# work on the same data. The pool row number is a bind parameter (-M prepared).
PGBENCH_SCRIPTS = {
    "auth_logout": "SELECT public.auth_logout(t.token) FROM {pool} t WHERE t.i = :i;",
    "bare SQL (no verification)":
        "SELECT bench.bare_logout(t.user_id, t.session_id) FROM {pool} t WHERE t.i = :i;",
    "PL/pgSQL + pgcrypto": "SELECT bench.plpgsql_logout(t.token) FROM {pool} t WHERE t.i = :i;",
}
FLOOR = "bare SQL (no verification)"
PLPGSQL = "PL/pgSQL + pgcrypto"
JCV = "auth_logout"
JCV_ES256 = "auth_logout (ES256)"
JCV_LOADED = "auth_logout, library loaded before"


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def connect(**kwargs):
    return psycopg.connect(autocommit=True, **kwargs)


def psql_file(path):
    subprocess.run(["psql", "-q", "-X", "-v", "ON_ERROR_STOP=1", "-f", str(path)],
                   check=True, stdout=subprocess.DEVNULL)


def supabase_claims(sub, session_id, email, now):
    """The claims Supabase Auth puts into an access token (password login)."""
    return {
        "aud": "authenticated", "exp": now + TOKEN_LIFETIME, "iat": now, "iss": ISSUER,
        "sub": sub, "email": email, "phone": "",
        "app_metadata": {"provider": "email", "providers": ["email"]},
        "user_metadata": {"email": email, "email_verified": True,
                          "phone_verified": False, "sub": sub},
        "role": "authenticated", "aal": "aal1",
        "amr": [{"method": "password", "timestamp": now}],
        "session_id": session_id, "is_anonymous": False,
    }


class Bench:
    def __init__(self, mode, harness, destdir):
        self.mode = mode
        self.harness = harness
        self.destdir = os.path.realpath(destdir)
        self.results = {}
        self.conn = None
        self.es256_key = None

    # ---- setup -------------------------------------------------------------

    def setup(self):
        psql_file(ROOT / "test" / "gotrue_schema.sql")
        psql_file(ROOT / "bench" / "variants.sql")
        with connect() as conn:
            dbname = conn.execute("SELECT current_database()").fetchone()[0]
            conn.execute("CREATE EXTENSION jcv_logout")
            self.check_build_loaded(conn)
            # jcv_logout reads the key from a file of the server's OS user
            # (mode 0600); the PL/pgSQL baselines from bench.jwt_secret.
            conn.execute(sql.SQL("COPY (SELECT {}) TO PROGRAM {}").format(
                sql.Literal(SECRET), sql.Literal("umask 077 && cat > jcv_bench_secret")))
            for setting, value in [("jcv_logout.jwt_secret_file", "jcv_bench_secret"),
                                   ("bench.jwt_secret", SECRET)]:
                conn.execute(sql.SQL("ALTER DATABASE {} SET {} = {}").format(
                    sql.Identifier(dbname), sql.Identifier(setting), sql.Literal(value)))
            # The ES256 row runs once the extension has JWKS support.
            conn.execute("LOAD 'jcv_logout'")
            # (hidden from pg_settings like every key setting; a superuser reads it)
            if conn.execute("SELECT current_setting('jcv_logout.jwks', true) IS NOT NULL").fetchone()[0]:
                self.enable_es256(conn, dbname)
        self.reconnect()

    def check_build_loaded(self, conn):
        """The server (user postgres) silently falls back to the system-wide
        installation when it cannot read the build's destdir: refuse to
        measure someone else's build."""
        conn.execute("DO $$ BEGIN PERFORM public.auth_logout('x'); "
                     "EXCEPTION WHEN OTHERS THEN NULL; END $$")
        maps = conn.execute(
            "SELECT pg_read_file('/proc/' || pg_backend_pid() || '/maps')").fetchone()[0]
        loaded = {line.split()[-1] for line in maps.splitlines() if "jcv_logout" in line}
        if not loaded or not all(path.startswith(self.destdir) for path in loaded):
            raise SystemExit(f"the cluster loaded {loaded or 'nothing'}, not the build in "
                             f"{self.destdir}: make that directory readable by user postgres")

    def enable_es256(self, conn, dbname):
        from cryptography.hazmat.primitives.asymmetric import ec
        self.es256_key = ec.generate_private_key(ec.SECP256R1())
        # The tests' JWK writer: coordinates at their full 32 bytes, as jcv_logout
        # requires (PyJWT 2.6's to_jwk drops leading zero bytes, 1 key in 128).
        jwk = mint_jwks.ec_jwk(self.es256_key, ES256_KID, "P-256", 32, alg="ES256", use="sig")
        conn.execute(sql.SQL("ALTER DATABASE {} SET jcv_logout.jwks = {}").format(
            sql.Identifier(dbname), sql.Literal(json.dumps({"keys": [jwk]}))))
        conn.execute("CREATE TABLE bench.tokens_es256 (LIKE bench.tokens INCLUDING ALL)")
        PGBENCH_SCRIPTS[JCV_ES256] = PGBENCH_SCRIPTS[JCV]
        log("jcv_logout.jwks exists: the ES256 rows run too")

    def reconnect(self):
        if self.conn is not None:
            self.conn.close()
        self.conn = connect()

    def grow(self, first, last):
        started = time.perf_counter()
        self.conn.execute("CALL bench.add_sessions(%s, %s)", [first, last])
        for table in ("users", "sessions", "refresh_tokens", "mfa_amr_claims"):
            self.conn.execute(f"VACUUM (ANALYZE) auth.{table}")
        log(f"sessions {first}..{last} added in {time.perf_counter() - started:.1f} s")

    def row_counts(self):
        return self.conn.execute("""
            SELECT (SELECT count(*) FROM auth.users), (SELECT count(*) FROM auth.sessions),
                   (SELECT count(*) FROM auth.refresh_tokens),
                   (SELECT count(*) FROM auth.refresh_tokens WHERE session_id IS NULL)
        """).fetchone()

    def mint_pool(self, sessions):
        """Tokens for `pool` sessions spread over the table, plus the ghost."""
        now = int(time.time())
        picks = [k * sessions // self.mode.pool for k in range(self.mode.pool)]
        rows = self.conn.execute("""
            SELECT n, bench.user_uuid(bench.user_of(n))::text, bench.session_uuid(n)::text,
                   'user' || bench.user_of(n) || '@example.com'
              FROM unnest(%s::bigint[]) AS n
        """, [picks]).fetchall()
        tables = {"bench.tokens": ("HS256", SECRET, {})}
        if self.es256_key is not None:
            tables["bench.tokens_es256"] = ("ES256", self.es256_key, {"kid": ES256_KID})
        for table, (alg, key, headers) in tables.items():
            self.conn.execute(f"TRUNCATE {table}")
            with self.conn.cursor().copy(f"COPY {table} (i, token, user_id, session_id) FROM STDIN") as copy:
                for i, (_, sub, sid, email) in enumerate(rows, start=1):
                    token = jwt.encode(supabase_claims(sub, sid, email, now), key,
                                       algorithm=alg, headers=headers or None)
                    copy.write_row((i, token, sub, sid))
            self.conn.execute(f"ANALYZE {table}")
        ghost = self.conn.execute(
            "SELECT bench.user_uuid(%s)::text, bench.session_uuid(%s)::text",
            [GHOST_SESSION, GHOST_SESSION]).fetchone()
        self.conn.execute("TRUNCATE bench.ghost_token")
        self.conn.execute("INSERT INTO bench.ghost_token VALUES (%s)", [
            jwt.encode(supabase_claims(ghost[0], ghost[1], "ghost@example.com", now),
                       SECRET, algorithm="HS256")])

    def check_variants_agree(self):
        """Each variant logs out the same rows, and auth_logout refuses a replay."""
        outcome = {}
        for name, call in (
                (JCV, "SELECT public.auth_logout(t.token) FROM bench.tokens t WHERE t.i = 1"),
                (FLOOR, "SELECT bench.bare_logout(t.user_id, t.session_id) FROM bench.tokens t WHERE t.i = 1"),
                (PLPGSQL, "SELECT bench.plpgsql_logout(t.token) FROM bench.tokens t WHERE t.i = 1")):
            with self.conn.transaction(force_rollback=True):
                before = self.user_rows()
                payload = self.conn.execute(call).fetchone()[0]
                outcome[name] = (before, self.user_rows(), payload)
        if len(set(json.dumps(v, default=str) for v in outcome.values())) != 1 or \
                outcome[JCV][1][:2] != (0, 0) or outcome[JCV][0][0] == 0:
            raise SystemExit(f"variants disagree: {outcome}")
        with self.conn.transaction(force_rollback=True):
            self.conn.execute("SELECT public.auth_logout(t.token) FROM bench.tokens t WHERE t.i = 1")
            try:
                with self.conn.transaction():
                    self.conn.execute("SELECT public.auth_logout(t.token) FROM bench.tokens t WHERE t.i = 1")
                raise SystemExit("auth_logout accepted a token whose session was logged out")
            except psycopg.Error as error:
                if error.sqlstate != "PT401":
                    raise

    def user_rows(self):
        """Sessions, session refresh tokens, legacy tokens, audit rows of pool user 1."""
        return self.conn.execute("""
            SELECT (SELECT count(*) FROM auth.sessions s WHERE s.user_id = t.user_id),
                   (SELECT count(*) FROM auth.refresh_tokens r WHERE r.user_id = t.user_id::text),
                   (SELECT count(*) FROM auth.refresh_tokens r
                     WHERE r.user_id = t.user_id::text AND r.session_id IS NULL),
                   (SELECT count(*) FROM auth.audit_log_entries)
              FROM bench.tokens t WHERE t.i = 1
        """).fetchone()

    # ---- measurements ------------------------------------------------------

    def pgbench(self, variant, clients):
        """One run: (TPS, average latency in ms)."""
        pool_table = "bench.tokens_es256" if variant == JCV_ES256 else "bench.tokens"
        script = ("\\set i random(1, :pool)\nBEGIN;\n"
                  + PGBENCH_SCRIPTS[variant].format(pool=pool_table) + "\nROLLBACK;\n")
        with tempfile.NamedTemporaryFile("w", suffix=".sql") as file:
            file.write(script)
            file.flush()
            out = subprocess.run(
                ["pgbench", "-n", "-M", "prepared", "-c", str(clients), "-j", str(clients),
                 "-D", f"pool={self.mode.pool}", "-f", file.name, *self.mode.pgbench_run],
                check=True, capture_output=True, text=True).stdout
        tps = float(re.search(r"tps = ([\d.]+) \(without initial", out).group(1))
        latency = float(re.search(r"latency average = ([\d.]+) ms", out).group(1))
        failed = re.search(r"number of failed transactions: (\d+)", out)
        if failed and int(failed.group(1)) != 0:
            raise SystemExit(f"pgbench {variant}: failed transactions\n{out}")
        log(f"pgbench {variant}, {clients} client(s): {tps:.0f} tps, {latency:.3f} ms")
        return tps, latency

    def best_pgbench(self, variants, clients):
        """Best of `rounds` runs of each variant, the variants taking turns so
        that load from outside the benchmark falls on all of them alike."""
        best = {}
        for _ in range(self.mode.rounds):
            for variant in variants:
                tps, latency = self.pgbench(variant, clients)
                if variant not in best or tps > best[variant][0]:
                    best[variant] = (tps, latency)
        return best

    def explain_statements(self, sessions):
        """EXPLAIN (ANALYZE, BUFFERS) of every statement auth_logout runs, with
        the generic plan its saved plans use; and which ones scan a table."""
        user, session = self.conn.execute("""
            SELECT bench.user_uuid(bench.user_of(n))::text, bench.session_uuid(n)::text
              FROM pg_catalog.generate_series(%s::bigint, 0, -1) AS n
             WHERE n %% 20 = 0 AND n %% 6 >= 3 LIMIT 1
        """, [sessions // 2]).fetchone()
        explained = []
        seq_scans = []
        for name, query, types in logout_statements() + self.cascade_statements():
            args = statement_args(name, types, user, session)
            for plan_mode in ("force_generic_plan", "force_custom_plan"):
                with self.conn.transaction(force_rollback=True):
                    self.conn.execute(f"SET LOCAL plan_cache_mode = {plan_mode}")
                    self.conn.execute(sql.SQL("PREPARE bench_stmt ({}) AS {}").format(
                        sql.SQL(", ").join(sql.SQL(t) for t in types), sql.SQL(query)))
                    plan = "\n".join(r[0] for r in self.conn.execute(
                        sql.SQL("EXPLAIN (ANALYZE, BUFFERS) EXECUTE bench_stmt ({})").format(
                            sql.SQL(", ").join(sql.Literal(a) for a in args))))
                    self.conn.execute("DEALLOCATE bench_stmt")
                scans = re.findall(r"Seq Scan on (\S+)", plan)
                if scans:
                    seq_scans.append(f"{name} ({plan_mode}: {', '.join(scans)})")
                if plan_mode == "force_generic_plan":
                    explained.append((name, query, args, plan))
        return explained, seq_scans

    def cascade_statements(self):
        """The deletes GoTrue's ON DELETE CASCADE keys run, as the FK triggers do."""
        rows = self.conn.execute("""
            SELECT c.conname, c.conrelid::regclass::text, a.attname
              FROM pg_constraint c
              JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
             WHERE c.contype = 'f' AND c.confrelid = 'auth.sessions'::regclass
               AND c.confdeltype = 'c'
             ORDER BY 1
        """).fetchall()
        return [(f"cascade {name}",
                 f"DELETE FROM ONLY {table} WHERE $1 OPERATOR(pg_catalog.=) {column}", ["uuid"])
                for name, table, column in rows]

    def c_harness(self, token, secret):
        out = subprocess.run([self.harness, secret, token, str(self.mode.c_iterations)],
                             check=True, capture_output=True, text=True).stdout
        figures = dict(line.split() for line in out.splitlines())
        return {k: float(v) / 1000 for k, v in figures.items() if k != "token_bytes"}, \
            int(figures["token_bytes"])

    def sql_verification(self):
        calls = self.mode.sql_calls
        per_call = {}
        for variant in ("none", "auth_logout", "plpgsql_logout"):
            per_call[variant] = self.conn.execute(
                "SELECT bench.refused_calls(%s, g.token, %s) FROM bench.ghost_token g",
                [variant, calls]).fetchone()[0]
        started = time.perf_counter()
        valid = self.conn.execute("""
            SELECT count(*) FROM bench.ghost_token g, pg_catalog.generate_series(1, %s) AS n,
                   LATERAL bench.pgjwt_verify(CASE WHEN n > 0 THEN g.token END, %s) AS claims
             WHERE claims IS NOT NULL
        """, [calls, SECRET]).fetchone()[0]
        per_call["pgjwt_verify"] = (time.perf_counter() - started) * 1e6 / calls
        if valid != calls:
            raise SystemExit("pgjwt_verify refused the ghost token")
        log(f"SQL-level µs per call: {per_call}")
        return per_call

    def memory(self):
        """Memory of a new backend before and after many calls."""
        conn = connect()
        refused = "SELECT bench.refused_calls('auth_logout', g.token, %s) FROM bench.ghost_token g"
        conn.execute(refused, [max(self.mode.memory_refused // 100, 1)])
        conn.execute("CALL bench.rolled_back_logouts(%s)", [self.mode.pool])
        start = conn.execute("SELECT * FROM bench.backend_memory_kb()").fetchone()
        started = time.perf_counter()
        conn.execute(refused, [self.mode.memory_refused])
        refused_seconds = time.perf_counter() - started
        after_refused = conn.execute("SELECT * FROM bench.backend_memory_kb()").fetchone()
        started = time.perf_counter()
        conn.execute("CALL bench.rolled_back_logouts(%s)", [self.mode.memory_logouts])
        logouts_seconds = time.perf_counter() - started
        after_logouts = conn.execute("SELECT * FROM bench.backend_memory_kb()").fetchone()
        conn.close()
        log(f"memory kB: {start} -> {after_refused} -> {after_logouts}")
        return start, after_refused, after_logouts, refused_seconds, logouts_seconds

    def cold_start(self):
        """First call in a new backend vs the same backend's later calls (ms)."""
        calls = {
            JCV: ("SELECT public.auth_logout(%s)", lambda t: [t[0]], "SELECT 1"),
            JCV_LOADED: ("SELECT public.auth_logout(%s)", lambda t: [t[0]], "LOAD 'jcv_logout'"),
            FLOOR: ("SELECT bench.bare_logout(%s, %s)", lambda t: [t[1], t[2]], "SELECT 1"),
            PLPGSQL: ("SELECT bench.plpgsql_logout(%s)", lambda t: [t[0]], "SELECT 1"),
        }
        tokens = self.conn.execute("SELECT token, user_id, session_id FROM bench.tokens ORDER BY i").fetchall()
        figures = {}
        for variant, (query, args, before) in calls.items():
            first, steady = [], []
            for k in range(self.mode.cold_connections):
                with psycopg.connect() as conn:
                    conn.execute(before)
                    conn.rollback()
                    for j in range(self.mode.steady_calls + 1):
                        token = tokens[(k * (self.mode.steady_calls + 1) + j) % len(tokens)]
                        started = time.perf_counter()
                        conn.execute(query, args(token)).fetchone()
                        elapsed = (time.perf_counter() - started) * 1000
                        conn.rollback()
                        (steady if j else first).append(elapsed)
            figures[variant] = (statistics.median(first), statistics.median(steady))
        log(f"cold start ms: {figures}")
        return figures

    # ---- the run -----------------------------------------------------------

    def run(self):
        self.results["load"] = [loadavg()]
        self.setup()
        scale_rows = []
        done = 0
        for sessions in self.mode.scales:
            self.grow(done, sessions - 1)
            done = sessions
            self.mint_pool(sessions)
            counts = self.row_counts()
            latency = {v: figures[1] for v, figures in self.best_pgbench((JCV, FLOOR), 1).items()}
            explained, seq_scans = self.explain_statements(sessions)
            scale_rows.append((counts, latency, seq_scans))
        self.results["scale"] = scale_rows
        self.results["explain"] = explained
        self.check_variants_agree()

        tps = {}
        for clients in (1, 2):
            for variant, figures in self.best_pgbench(list(PGBENCH_SCRIPTS), clients).items():
                tps[(variant, clients)] = figures
        self.results["tps"] = tps

        token = self.conn.execute("SELECT token FROM bench.tokens WHERE i = 1").fetchone()[0]
        self.results["c"], self.results["token_bytes"] = self.c_harness(token, SECRET)
        log(f"C harness µs: {self.results['c']}")
        self.results["sql"] = self.sql_verification()
        self.results["memory"] = self.memory()
        self.results["cold"] = self.cold_start()
        self.results["load"].append(loadavg())
        self.conn.close()


# ---- statements of src/logout.c ----------------------------------------------

ARG_TYPES = {"UUIDOID": "uuid", "TEXTOID": "text"}


def logout_statements():
    """(name, SQL, argument types) of each saved_statement in src/logout.c, so
    the EXPLAINs follow the code as it changes."""
    source = (ROOT / "src" / "logout.c").read_text()
    found = []
    for match in re.finditer(
            r"saved_statement (\w+) = \{\s*\.table = \"\w+\",\s*\.sql = ((?:\"(?:[^\"\\]|\\.)*\"\s*)+),"
            r"\s*\.nargs = (\d+),\s*\.argtypes = \{([^}]*)\}", source):
        name, literals, nargs, argtypes = match.groups()
        query = "".join(bytes(piece, "utf-8").decode("unicode_escape")
                        for piece in re.findall(r"\"((?:[^\"\\]|\\.)*)\"", literals))
        types = [ARG_TYPES[t.strip()] for t in argtypes.split(",")][:int(nargs)]
        found.append((name, query, types))
    if not found:
        raise SystemExit("no saved statements found in src/logout.c")
    return found


def statement_args(name, types, user, session):
    """Realistic parameters: the user's id, the session's id where a statement
    takes a session, the audit action."""
    if name == "delete_session" or name.startswith("cascade"):
        return [session]
    args = []
    for position, kind in enumerate(types):
        if kind == "text":
            args.append("logout")
        else:
            args.append(user if position == 0 else session)
    return args


# ---- the report --------------------------------------------------------------

def machine():
    cpu = "unknown"
    for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    with connect() as conn:
        version = conn.execute("SELECT version()").fetchone()[0]
        settings = conn.execute("""
            SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name)
              FROM pg_settings
             WHERE name IN ('shared_buffers', 'fsync', 'synchronous_commit', 'jit', 'max_wal_size')
        """).fetchone()[0]
    openssl = subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout.strip()
    jansson = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "libjansson4"],
                             capture_output=True, text=True).stdout.strip()
    return (f"{os.cpu_count()} × {cpu} (nproc {len(os.sched_getaffinity(0))}), "
            f"{platform.release()}; {version.split(' on ')[0]}; {openssl}; jansson {jansson}; "
            f"cluster: {settings}")


def loadavg():
    """The 1-minute load average: work from outside the benchmark shows here."""
    return float(pathlib.Path("/proc/loadavg").read_text().split()[0])


def verdict(ok):
    return "met" if ok else "**missed**"


def report(bench, mode_name, command, seconds):
    r = bench.results
    m = bench.mode
    out = []
    w = out.append
    w("# jcv_logout benchmarks\n")
    w(f"Command: `{command}` ({mode_name} mode, {seconds / 60:.1f} min, "
      f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC)  ")
    w(f"Machine: {machine()}  ")
    w(f"Token: HS256, {r['token_bytes']} bytes, Supabase Auth's claims (PyJWT). "
      "Scope `global` (supabase-js `signOut()`'s default).\n")
    w("Every figure comes from this one run on one cluster. Absolute times are context; "
      "the ratios are the claims. 1-minute load average before and after the run: "
      f"{r['load'][0]:.2f} / {r['load'][1]:.2f} (the run itself adds about 1; more means "
      "other work shared the cores and the TPS and latency figures are disturbed).\n")

    w("## Logout throughput\n")
    counts = r["scale"][-1][0]
    w(f"`pgbench -n -M prepared -c N -j N {' '.join(m.pgbench_run)}`, best of {m.rounds} runs "
      "taken in turns with the other variants; each "
      f"transaction is `BEGIN; SELECT <logout>(t.token) FROM bench.tokens t WHERE t.i = :i; "
      f"ROLLBACK;` over a pool of {m.pool} tokens, so each does the real lock, deletes and "
      f"audit insert. Data: {counts[1]:,} sessions, {counts[2]:,} refresh tokens.\n")
    w("| variant | TPS, 1 client | × floor | TPS, 2 clients | × floor |")
    w("|---|---:|---:|---:|---:|")
    for variant in PGBENCH_SCRIPTS:
        cells = []
        for clients in (1, 2):
            tps = r["tps"][(variant, clients)][0]
            cells += [f"{tps:,.0f}", f"{tps / r['tps'][(FLOOR, clients)][0]:.2f}"]
        w(f"| {variant} | " + " | ".join(cells) + " |")
    w("")

    c = r["c"]
    sqlv = r["sql"]
    net = {v: sqlv[v] - sqlv["none"] for v in ("auth_logout", "plpgsql_logout")}
    w("## Verification alone\n")
    w(f"C, one process (`bench/hs256_stages_bench.c`, {m.c_iterations:,} calls each): "
      "`jcv_verify_token()` from src/jwt_verify.c against OpenSSL verifying the same "
      "token's HMAC (given the decoded signature: no base64url, no JSON).\n")
    w("| what | µs per call | × OpenSSL one-shot |")
    w("|---|---:|---:|")
    for key, label in (("openssl_hmac_oneshot", "OpenSSL `HMAC()` + `CRYPTO_memcmp` (floor)"),
                       ("openssl_hmac_prekeyed", "OpenSSL, key set up once (`EVP_MAC_CTX_dup`)"),
                       ("jcv_verify_token", "**jcv_verify_token** (whole verification)"),
                       ("stage_base64url_payload", "└ of which: base64url-decode the payload"),
                       ("stage_jansson_payload", "for comparison: jansson parsing the same payload (not on the path)")):
        w(f"| {label} | {c[key]:.2f} | {c[key] / c['openssl_hmac_oneshot']:.2f} |")
    w("")
    w(f"SQL, one backend ({m.sql_calls:,} calls each): a token that verifies but whose user "
      "does not exist, refused after verification (verify, one `auth.users` lookup, raise), "
      "each call in a PL/pgSQL subtransaction (`bench.refused_calls`); net = minus the loop's "
      "own cost. `pgjwt_verify` alone in `SELECT count(*) FROM generate_series(1, N), LATERAL "
      "bench.pgjwt_verify(token, secret)` (the token made to depend on the row, so it "
      "is verified on each).\n")
    w("| what | µs per call | net µs | PL/pgSQL ÷ auth_logout (net) |")
    w("|---|---:|---:|---:|")
    w(f"| loop + subtransaction + raise only | {sqlv['none']:.2f} | | |")
    w(f"| auth_logout, refused after verification | {sqlv['auth_logout']:.2f} | "
      f"{net['auth_logout']:.2f} | |")
    w(f"| PL/pgSQL + pgcrypto, refused after verification | {sqlv['plpgsql_logout']:.2f} | "
      f"{net['plpgsql_logout']:.2f} | {net['plpgsql_logout'] / net['auth_logout']:.1f} |")
    w(f"| `bench.pgjwt_verify` alone (pgcrypto `hmac()` + jsonb) | {sqlv['pgjwt_verify']:.2f} | | |")
    w("")

    w("## Scale\n")
    w(f"Average latency of one `BEGIN; logout; ROLLBACK;` (pgbench, 1 client, "
      f"{' '.join(m.pgbench_run)}, best of {m.rounds}) as the tables grow; statements checked for sequential "
      "scans with both generic and custom plans.\n")
    w("| sessions | users | refresh tokens (session-less) | auth_logout ms | bare SQL ms | seq scans |")
    w("|---:|---:|---:|---:|---:|---|")
    for counts, latency, seq_scans in r["scale"]:
        w(f"| {counts[1]:,} | {counts[0]:,} | {counts[2]:,} ({counts[3]:,}) | "
          f"{latency[JCV]:.3f} | {latency[FLOOR]:.3f} | {'; '.join(seq_scans) or 'none'} |")
    w("")

    start, after_refused, after_logouts, refused_s, logouts_s = r["memory"]
    w("## Memory\n")
    w("A new backend, after a warm-up over the whole token pool: "
      "`bench.refused_calls('auth_logout', …)` (verify + SPI lookup + error, each in a "
      "subtransaction), then `CALL bench.rolled_back_logouts(n)` (real logouts, each in its "
      "own transaction, rolled back). Read from `/proc/<pg_backend_pid()>/status`. VmRSS = "
      "RssAnon (the backend's private memory, where a leak in jansson or OpenSSL use would "
      "show) + RssShmem (shared buffers and WAL buffers the backend has touched so far: "
      "real logouts write WAL and put each rolled-back audit row on new pages) + mapped "
      "files.\n")
    w("| step | VmRSS kB | RssAnon kB | RssShmem kB | growth VmRSS / RssAnon kB |")
    w("|---|---:|---:|---:|---:|")
    w(f"| after warm-up | {start[0]:,} | {start[1]:,} | {start[2]:,} | |")
    w(f"| + {m.memory_refused:,} refused calls ({refused_s:.0f} s) | {after_refused[0]:,} | "
      f"{after_refused[1]:,} | {after_refused[2]:,} | {after_refused[0] - start[0]:+,} / "
      f"{after_refused[1] - start[1]:+,} |")
    w(f"| + {m.memory_logouts:,} real logouts ({logouts_s:.0f} s) | {after_logouts[0]:,} | "
      f"{after_logouts[1]:,} | {after_logouts[2]:,} | {after_logouts[0] - after_refused[0]:+,} / "
      f"{after_logouts[1] - after_refused[1]:+,} |")
    w("")

    w("## Cold start\n")
    w(f"Median over {m.cold_connections} new connections (psycopg, token as a bind "
      f"parameter, after a `SELECT 1`, or `LOAD 'jcv_logout'` to separate the library's "
      f"load): the first call in the backend vs the median of its "
      f"next {m.steady_calls} calls, each rolled back; client-measured, so one round trip "
      "is included.\n")
    w("| variant | first call ms | steady ms | first ÷ steady |")
    w("|---|---:|---:|---:|")
    for variant, (first, steady) in r["cold"].items():
        w(f"| {variant} | {first:.3f} | {steady:.3f} | {first / steady:.1f} |")
    w("")

    latencies = [row[1][JCV] for row in r["scale"]]
    growth = (after_refused[0] - start[0], after_refused[1] - start[1],
              after_logouts[1] - after_refused[1])
    targets = [
        ("auth_logout TPS ≥ 0.8 × bare SQL, 1 and 2 clients",
         " / ".join(f"{r['tps'][(JCV, c)][0] / r['tps'][(FLOOR, c)][0]:.2f}" for c in (1, 2)),
         all(r["tps"][(JCV, c)][0] >= TPS_TARGET * r["tps"][(FLOOR, c)][0] for c in (1, 2))),
        ("auth_logout TPS ahead of PL/pgSQL + pgcrypto",
         " / ".join(f"{r['tps'][(JCV, c)][0] / r['tps'][(PLPGSQL, c)][0]:.2f}" for c in (1, 2)),
         all(r["tps"][(JCV, c)][0] > r["tps"][(PLPGSQL, c)][0] for c in (1, 2))),
        ("verification ≤ 1.5 × raw OpenSSL (C)",
         f"{c['jcv_verify_token'] / c['openssl_hmac_oneshot']:.2f} × one-shot, "
         f"{c['jcv_verify_token'] / c['openssl_hmac_prekeyed']:.2f} × pre-keyed",
         c["jcv_verify_token"] <= CRYPTO_TARGET * c["openssl_hmac_oneshot"]),
        ("verification ≥ 5 × faster than PL/pgSQL + pgcrypto",
         f"{net['plpgsql_logout'] / net['auth_logout']:.1f} × (refused path, SQL, net); "
         f"{sqlv['pgjwt_verify'] / c['jcv_verify_token']:.1f} × (pgjwt_verify in SQL ÷ "
         "jcv_verify_token in C)",
         net["plpgsql_logout"] >= PGCRYPTO_TARGET * net["auth_logout"]),
        (f"latency flat within 1.5 × from {r['scale'][0][0][1]:,} to {r['scale'][-1][0][1]:,} sessions",
         f"{max(latencies) / min(latencies):.2f} ×",
         max(latencies) <= SCALE_TARGET * min(latencies)),
        ("every statement uses an index at the largest scale",
         "; ".join(r["scale"][-1][2]) or "yes", not r["scale"][-1][2]),
        (f"memory growth < 1 MB: VmRSS and RssAnon over {m.memory_refused:,} calls; RssAnon "
         f"over {m.memory_logouts:,} real logouts",
         f"{growth[0]:+,} kB / {growth[1]:+,} kB; {growth[2]:+,} kB",
         max(growth) < MEMORY_TARGET_KB),
    ]
    w("## Targets\n")
    w("| target | measured | |")
    w("|---|---|---|")
    for target, measured, ok in targets:
        w(f"| {target} | {measured} | {verdict(ok)} |")
    w("")

    w("## EXPLAIN (ANALYZE, BUFFERS) of each statement auth_logout runs\n")
    w(f"At {r['scale'][-1][0][1]:,} sessions, for a user with three sessions and a legacy "
      "refresh token, generic plans (what a saved plan runs after its fifth call), each in a "
      "rolled-back transaction. Statements are read from src/logout.c; the cascades are the "
      "deletes the foreign-key triggers run for each deleted session.\n")
    for name, query, args, plan in r["explain"]:
        w(f"### {name}\n")
        w("```")
        w(query)
        w(f"-- parameters: {', '.join(args)}")
        w(plan)
        w("```\n")
    return "\n".join(out), targets


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=MODES, default="full")
    parser.add_argument("--harness", required=True)
    parser.add_argument("--destdir", required=True, help="where run.sh installed the build")
    parser.add_argument("--out", required=True)
    parser.add_argument("--command", default="bash bench/run.sh")
    options = parser.parse_args()

    started = time.perf_counter()
    bench = Bench(MODES[options.mode], options.harness, options.destdir)
    bench.run()
    text, targets = report(bench, options.mode, options.command, time.perf_counter() - started)
    pathlib.Path(options.out).write_text(text)
    for target, measured, ok in targets:
        log(f"{target}: {measured} ({'met' if ok else 'MISSED'})")
    if options.mode == "smoke":
        print("bench smoke (every variant, figure and EXPLAIN ran; timings not judged) ... ok")


if __name__ == "__main__":
    main()
