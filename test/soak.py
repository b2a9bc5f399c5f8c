#!/usr/bin/python3
"""Soak: jcv_logout under Supabase Auth's own traffic for a while, then
through crashes, on throwaway clusters of its own, and what is left after.

    bash test/soak.sh                 # short (CI): ~1 minute of traffic, small N
    bash test/soak.sh --full          # the README's figures: 1M sessions
    /usr/bin/python3 test/soak.py --help

A primary and a hot standby streaming from it, made with the initdb, pg_ctl
and pg_basebackup of PG_CONFIG (else the pg_config on PATH), the extension
installed there. The fixture (test/soak_fixture.sql): Supabase's roles,
Supabase Auth's schema (test/gotrue_schema.sql), users with several sessions
each, v1 refresh tokens, amr claims. The traffic (test/soak_workload.py,
proportions at its top): auth_logout in each scope with live, expired and
already-used tokens; auth_session_active; PostgREST requests checked by
jcv_logout.require_session; Supabase Auth's refresh rotation, login and own
/logout, its admin ban (our trigger); the admin functions; the purge.

Phase 1, steady: CLIENTS clients for STEADY seconds. Phase 2, crash: the same
traffic; at a random moment a backend running auth_logout is killed with
SIGKILL (the postmaster then resets every backend and recovers), later the
postmaster and every server process are killed with SIGKILL at once, and the
cluster is restarted; the clients reconnect and go on to the end. After each
phase, the invariants, one line each ("name ... ok|FAILED").
"""
import argparse
import array
import bisect
import collections
import json
import multiprocessing
import os
import pathlib
import platform
import random
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import jwt
import psycopg

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import soak_workload as wl  # noqa: E402

PRESETS = {
    # CI: about a minute of traffic in all; only the invariants are judged.
    "short": dict(users=2000, sessions=8000, clients=4, steady=35, crash=30),
    # The README's figures.
    "full": dict(users=250000, sessions=1000000, clients=8, steady=600, crash=180),
}
DBNAME = "soak"
# A backend's private memory may grow this much from a third into the
# steady phase to its end (caches settle in the first seconds).
MEMORY_GROWTH_LIMIT_KB = 1024
# How many live and logged-out sessions the standby is asked about.
STANDBY_SAMPLE = 500
STANDBY_REST_SAMPLE = 50
# The crash phase kills a backend, then the server, once per this many seconds.
CRASH_WINDOW_SECONDS = 60
WAIT_SECONDS = 600
# Deadlocks that the workload expects, with why; any other fails the run.
# Each: a name, the operations that meet in it (all of them must be among the
# victim's and the lock holders'), and why it happens. None since 1.4: our
# logouts take a user's sessions in the scan order of Supabase Auth's own
# /logout, and the trigger on auth.users never waits for a session
# (src/logout.c, src/admin.c).
KNOWN_DEADLOCKS = []


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_bindir():
    pg_config = os.environ.get("PG_CONFIG", "pg_config")
    return pathlib.Path(subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                                       check=True).stdout.strip())


class Cluster:
    """A PostgreSQL cluster in a directory of its own, run as the postgres
    OS user when the harness is root (PostgreSQL refuses root)."""

    def __init__(self, bindir, base, name, port):
        self.bindir = bindir
        self.dir = base / name
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self.port = port
        self.dir.mkdir()
        self.chown(self.dir)

    @staticmethod
    def chown(path):
        if os.geteuid() == 0:
            shutil.chown(path, "postgres", "postgres")

    def run(self, *command, check=True):
        command = [str(c) for c in command]
        if os.geteuid() == 0:
            command = ["su", "postgres", "-s", "/bin/sh", "-c", shlex.join(command)]
        return subprocess.run(command, capture_output=True, text=True, check=check)

    def initdb(self):
        self.run(self.bindir / "initdb", "-D", self.data, "-U", "postgres", "-A", "trust",
                 "-E", "UTF8", "--locale=C")

    def configure(self, settings, hba=None):
        with open(self.data / "postgresql.conf", "a") as f:
            for name, value in settings.items():
                f.write("%s = '%s'\n" % (name, value))
        if hba is not None:
            (self.data / "pg_hba.conf").write_text(hba)

    def start(self):
        started = time.time()
        self.run(self.bindir / "pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", WAIT_SECONDS, "start")
        return time.time() - started

    def stop(self, mode="fast"):
        self.run(self.bindir / "pg_ctl", "-D", self.data, "-m", mode, "-w", "stop", check=False)

    def postmaster_pid(self):
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def processes(self):
        """The postmaster and its children."""
        postmaster = self.postmaster_pid()
        if postmaster is None:
            return []
        pids = [postmaster]
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = pathlib.Path("/proc", entry, "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == postmaster:
                    pids.append(int(entry))
        return pids

    def kill_all(self):
        """SIGKILL to the postmaster and every server process at once."""
        pids = self.processes()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.time() + 30
        while time.time() < deadline and any(pathlib.Path("/proc", str(p)).exists() for p in pids):
            time.sleep(0.05)
        return pids

    def connect(self, user="postgres", dbname=DBNAME, **kw):
        return psycopg.connect(host=str(self.dir), port=self.port, dbname=dbname, user=user,
                               autocommit=True, **kw)

    def log_size(self):
        return self.log.stat().st_size if self.log.exists() else 0

    def log_since(self, offset):
        with open(self.log, "rb") as f:
            f.seek(offset)
            return f.read().decode("utf-8", "replace")


def rss_anon_kb(pid):
    try:
        for line in pathlib.Path("/proc", str(pid), "status").read_text().splitlines():
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


class Sampler(threading.Thread):
    """Records each client backend's private memory (RssAnon) every 2 s."""

    def __init__(self, queue, stop_at):
        super().__init__(daemon=True)
        self.queue = queue
        self.stop_at = stop_at
        self.pids = {}          # pid -> role
        self.samples = collections.defaultdict(list)   # pid -> [(t, kB)]

    def run(self):
        while time.time() < self.stop_at + 1:
            while not self.queue.empty():
                message = self.queue.get()
                if message[0] == "pid":
                    self.pids[message[3]] = message[2]
            now = time.time()
            for pid in list(self.pids):
                kb = rss_anon_kb(pid)
                if kb is not None:
                    self.samples[pid].append((now, kb))
            time.sleep(2)


class Results:
    """Everything the clients of one phase recorded."""

    def __init__(self, out_dir, clients):
        self.ops = 0
        self.outcomes = collections.Counter()
        self.unexpected = []
        self.logout_ms = []
        self.commit_ms = []
        self.logouts = []
        self.gotrue_logouts = []
        self.admin_revocations = []
        self.bans = []
        self.in_flight = []
        self.suspect = []
        self.timelines = {}
        self.errors = collections.Counter()     # (kind, label) -> count
        for i in range(clients):
            data = json.loads((out_dir / ("client%d.json" % i)).read_text())
            self.ops += data["ops"]
            for kind, outcome, n in data["outcomes"]:
                self.outcomes[(kind, outcome)] += n
            self.unexpected += data["unexpected"]
            for kind, label, n in data["errors"]:
                self.errors[(kind, label)] += n
            for name in ("logouts", "gotrue_logouts", "admin_revocations", "bans", "in_flight", "suspect"):
                getattr(self, name).extend(data[name])
            ms = array.array("d")
            ms.frombytes((out_dir / ("client%d.ms" % i)).read_bytes())
            self.logout_ms += ms.tolist()
            ms = array.array("d")
            ms.frombytes((out_dir / ("client%d.commit_ms" % i)).read_bytes())
            self.commit_ms += ms.tolist()
            self.add_timeline(json.loads((out_dir / ("client%d.timeline" % i)).read_text()))
        purge = json.loads((out_dir / "purge.json").read_text())
        for outcome, n in purge["outcomes"].items():
            self.outcomes[("purge", outcome)] += n
            if outcome.startswith("error "):
                self.errors[("purge", outcome[len("error "):])] += n
        self.suspect += purge["suspect"]
        self.add_timeline(json.loads((out_dir / "purge.timeline").read_text()))

    def add_timeline(self, timeline):
        for pid, (starts, kinds) in timeline.items():
            s = array.array("d")
            s.frombytes(bytes.fromhex(starts))
            k = array.array("B")
            k.frombytes(bytes.fromhex(kinds))
            old = self.timelines.get(int(pid), ([], []))
            self.timelines[int(pid)] = (old[0] + s.tolist(), old[1] + k.tolist())

    def kind_at(self, pid, t):
        starts, kinds = self.timelines.get(pid, ([], []))
        i = bisect.bisect_right(starts, t) - 1
        return wl.KINDS[kinds[i]] if i >= 0 else "unknown (pid %d)" % pid


LOG_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) UTC \[(\d+)\] (\w+):  (.*)$")


def parse_log(text):
    """(time, pid, level, message, detail) for each entry of the server log."""
    entries = []
    for line in text.splitlines():
        m = LOG_LINE.match(line)
        if not m:
            continue
        stamp, pid, level, message = m.groups()
        t = time.mktime(time.strptime(stamp.split(".")[0], "%Y-%m-%d %H:%M:%S")) - time.timezone
        t += float("0." + stamp.split(".")[1])
        if level in ("DETAIL", "STATEMENT", "HINT", "CONTEXT") and entries and entries[-1][1] == int(pid):
            if level == "DETAIL":
                entries[-1][4] = message
            continue
        entries.append([t, int(pid), level, message, None])
    return entries


def deadlocks_in(entries, results):
    """Each deadlock the server broke: the victim's operation and those of
    the processes holding the lock it waited for (log_lock_waits)."""
    found = []
    for t, pid, level, message, detail in entries:
        m = re.match(r"process (\d+) detected deadlock while waiting for (\w+) on (.*) after", message)
        if level != "LOG" or not m:
            continue
        holders = []
        if detail:
            h = re.match(r"Process(?:es)? holding the lock: ([\d, ]+)\.", detail)
            if h:
                holders = [int(p) for p in h.group(1).split(",")]
        found.append({"time": t, "victim_pid": pid, "victim": results.kind_at(pid, t),
                      "holders": [results.kind_at(p, t) for p in holders], "lock": m.group(2)})
    return found


def classify_deadlock(d):
    """The name of the known deadlock d is, else None."""
    kinds = {d["victim"]} | set(d["holders"])
    for name, meeting, _ in KNOWN_DEADLOCKS:
        if meeting <= kinds:
            return name
    return None


class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, ok, detail=""):
        print("%s ... %s%s" % (name, "ok" if ok else "FAILED", (" (" + detail + ")") if detail else ""),
              flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed += 1


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


class Soak:
    def __init__(self, options):
        self.o = options
        self.bindir = pg_bindir()
        self.base = pathlib.Path(tempfile.mkdtemp(prefix="jcv_soak."))
        os.chmod(self.base, 0o755)
        self.password = uuid.uuid4().hex
        self.report = Report()
        self.rng = random.Random(options.seed)
        # Everything acknowledged so far, over every phase: a crash must lose none.
        self.acknowledged = {"logouts": [], "gotrue_logouts": [], "admin_revocations": [], "bans": []}
        self.in_flight = []
        self.figures = {}
        self.primary = None
        self.standby = None
        # (time of the fault, first xid the recovered server hands out):
        # xids that never reached the WAL before a crash are handed out again
        self.recoveries = []

    # --- clusters ------------------------------------------------------------
    def setup(self):
        o = self.o
        self.primary = Cluster(self.bindir, self.base, "primary", free_port())
        self.primary.initdb()
        self.primary.configure({
            "listen_addresses": "127.0.0.1", "port": self.primary.port,
            "unix_socket_directories": self.primary.dir,
            "max_connections": 4 * o.clients + 30,
            "shared_buffers": o.shared_buffers, "max_wal_size": "4GB", "wal_keep_size": "2GB",
            "log_line_prefix": "%m [%p] ", "log_timezone": "UTC", "lc_messages": "C",
            "log_lock_waits": "on", "deadlock_timeout": "1s",
            # the session cache at work in every request backend (README)
            "shared_preload_libraries": "jcv_logout",
            # the key in a file of the server's OS user, mode 0600 (README, Configure)
            "jcv_logout.jwt_secret_file": "jcv_jwt_secret",
        }, hba="local all all trust\nlocal replication all trust\n"
               "host all all 127.0.0.1/32 scram-sha-256\n")
        secret = self.primary.data / "jcv_jwt_secret"
        secret.write_text(wl.SECRET)
        os.chmod(secret, 0o600)
        Cluster.chown(secret)
        self.primary.start()
        with self.primary.connect(dbname="postgres") as conn:
            conn.execute("CREATE DATABASE " + DBNAME)
            self.figures["server"] = conn.execute("SELECT version()").fetchone()[0]
        started = time.time()
        subprocess.run([str(self.bindir / "psql"), "-X", "-q", "-h", str(self.primary.dir),
                        "-p", str(self.primary.port), "-U", "postgres", "-d", DBNAME,
                        "-v", "users=%d" % o.users, "-v", "sessions=%d" % o.sessions,
                        "-v", "password=" + self.password, "-f", "test/soak_fixture.sql"],
                       cwd=ROOT, check=True)
        with self.primary.connect() as conn:
            conn.execute("LOAD 'jcv_logout'")
            # PostgREST's role: the session check inside each request (README)
            conn.execute("ALTER ROLE authenticator SET session_preload_libraries = 'jcv_logout'")
            conn.execute("ALTER ROLE authenticator SET jcv_logout.require_session = on")
            counts = conn.execute("SELECT (SELECT count(*) FROM auth.users), (SELECT count(*) FROM auth.sessions),"
                                  " (SELECT count(*) FROM auth.refresh_tokens)").fetchone()
        self.figures["fixture"] = counts
        self.figures["load_seconds"] = time.time() - started
        print("fixture: %d users, %d sessions, %d refresh tokens (%.0f s)" % (counts + (time.time() - started,)),
              flush=True)
        self.setup_standby()

    def setup_standby(self):
        self.standby = Cluster(self.bindir, self.base, "standby", free_port())
        self.standby.run(self.bindir / "pg_basebackup", "-h", self.primary.dir, "-p", self.primary.port,
                         "-U", "postgres", "-D", self.standby.data, "-R", "-X", "stream", "-c", "fast")
        self.standby.configure({"listen_addresses": "", "port": self.standby.port,
                                "unix_socket_directories": self.standby.dir, "hot_standby": "on"})
        self.standby.start()

    def cleanup(self):
        for cluster in (self.standby, self.primary):
            if cluster is not None:
                cluster.stop("immediate")
        if not self.o.keep:
            shutil.rmtree(self.base, ignore_errors=True)
        else:
            print("kept: %s" % self.base)

    # --- a phase of traffic ------------------------------------------------------
    def run_phase(self, name, seconds, faults=None):
        o = self.o
        out = self.base / name
        out.mkdir()
        cfg = dict(port=self.primary.port, socket_dir=str(self.primary.dir), dbname=DBNAME,
                   password=self.password, users=o.users, out_dir=str(out), seed=o.seed + len(name),
                   weights=o.weights)
        log_offset = self.primary.log_size()
        postmaster = self.primary.postmaster_pid()
        queue = multiprocessing.Queue()
        start = time.time()
        stop_at = start + seconds
        processes = [multiprocessing.Process(target=wl.client_main, args=(i, cfg, stop_at, queue))
                     for i in range(o.clients)]
        processes.append(multiprocessing.Process(
            target=wl.purge_main, args=(cfg, stop_at, queue, self.run_start, self.run_seconds)))
        for p in processes:
            p.start()
        sampler = Sampler(queue, stop_at)
        sampler.start()
        fault_log = []
        if faults:
            faults(start, seconds, fault_log)
        for p in processes:
            p.join(timeout=max(1, stop_at - time.time()) + 120)
            if p.is_alive():
                p.terminate()
        elapsed = time.time() - start
        sampler.join(timeout=5)
        results = Results(out, o.clients)
        entries = parse_log(self.primary.log_since(log_offset))
        return results, entries, sampler, elapsed, postmaster, fault_log

    # --- faults ------------------------------------------------------------------
    def crash_faults(self, start, seconds, fault_log):
        """In each CRASH_WINDOW_SECONDS of the phase (at least one): kills a
        backend inside auth_logout, then the whole server, and restarts it."""
        windows = max(1, seconds // CRASH_WINDOW_SECONDS)
        width = seconds / windows
        self.figures["kills"] = []
        for window in range(windows):
            begin = start + window * width
            self.kill_backend(start, begin + width * self.rng.uniform(0.15, 0.3), fault_log)
            self.kill_server(start, begin + width * self.rng.uniform(0.45, 0.7), fault_log)

    def kill_backend(self, start, at, fault_log):
        """SIGKILL to a backend running auth_logout: the postmaster resets
        every backend and recovers by itself."""
        time.sleep(max(0, at - time.time()))
        victim = self.backend_in_logout()
        if victim is None:
            fault_log.append("t=%.1fs: no backend was inside auth_logout; none killed" % (time.time() - start))
            return
        killed_at = time.time()
        log_offset = self.primary.log_size()
        os.kill(victim, signal.SIGKILL)
        fault_log.append("t=%.1fs: SIGKILL to backend %d inside auth_logout" % (killed_at - start, victim))
        self.note_recovery(killed_at, log_offset)
        fault_log.append("t=%.1fs: the postmaster had reset every backend and recovered"
                         % (time.time() - start))

    def backend_in_logout(self):
        """A backend running auth_logout (polled for up to 2 s), or None."""
        with self.primary.connect() as conn:
            for _ in range(200):
                row = conn.execute("SELECT pid FROM pg_stat_activity WHERE state = 'active'"
                                   " AND query ~ 'auth_logout\"?[(]' AND pid <> pg_backend_pid()"
                                   " LIMIT 1").fetchone()
                if row:
                    return row[0]
                time.sleep(0.01)
        return None

    def kill_server(self, start, at, fault_log):
        """SIGKILL to the postmaster and every server process at once (while
        a backend runs auth_logout, if one does within 2 s), then a restart."""
        time.sleep(max(0, at - time.time()))
        in_logout = self.backend_in_logout()
        log_offset = self.primary.log_size()
        # Noted before the kill: kill_all returns once every process is gone,
        # and a client that saw its connection drop meanwhile must still be
        # judged against this crash's recovery, not the one before.
        killed_at = time.time()
        pids = self.primary.kill_all()
        fault_log.append("t=%.1fs: SIGKILL to the postmaster and %d server processes%s"
                         % (killed_at - start, len(pids) - 1,
                            ", backend %d inside auth_logout" % in_logout if in_logout else ""))
        time.sleep(1)
        recovery = self.primary.start()
        self.note_recovery(killed_at, log_offset)
        fault_log.append("t=%.1fs: restarted, crash recovery and start took %.1f s"
                         % (time.time() - start, recovery))
        self.figures["kills"].append((killed_at - start, recovery))

    def note_recovery(self, fault_time, log_offset):
        """Waits for the server to have recovered from the fault (its log says
        so) and notes the next xid of its end-of-recovery checkpoint."""
        deadline = time.time() + WAIT_SECONDS
        while time.time() < deadline:
            if "database system is ready to accept connections" not in self.primary.log_since(log_offset):
                time.sleep(0.02)
                continue
            try:
                with self.primary.connect() as conn:
                    if conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]:
                        raise psycopg.OperationalError("still recovering")
                    epoch, xid = conn.execute("SELECT next_xid FROM pg_control_checkpoint()").fetchone()[0].split(":")
                    self.recoveries.append((fault_time, (int(epoch) << 32) + int(xid)))
                    return
            except psycopg.OperationalError:
                time.sleep(0.02)
        raise RuntimeError("the server did not come back in %d s" % WAIT_SECONDS)

    def recovered_next_xid(self, lost_at):
        """The first xid handed out after the crash that cut an operation."""
        cuts = [next_xid for fault_time, next_xid in self.recoveries if fault_time <= lost_at]
        return cuts[-1] if cuts else None

    # --- invariants ----------------------------------------------------------------
    def judge(self, phase, results, entries, sampler, elapsed, postmaster, fault_log, crashed):
        r = self.report
        for key in self.acknowledged:
            self.acknowledged[key] += getattr(results, key)
        self.in_flight += results.in_flight

        with self.primary.connect() as conn:
            # 1. No refresh token (nor amr claim) outlives its session
            orphans = conn.execute(
                "SELECT (SELECT count(*) FROM auth.refresh_tokens r WHERE r.session_id IS NOT NULL"
                "         AND NOT EXISTS (SELECT FROM auth.sessions s WHERE s.id = r.session_id)),"
                "       (SELECT count(*) FROM auth.mfa_amr_claims m"
                "         WHERE NOT EXISTS (SELECT FROM auth.sessions s WHERE s.id = m.session_id))").fetchone()
            r.check("%s: no refresh token or amr claim for a deleted session" % phase, orphans == (0, 0),
                    "%d refresh tokens, %d amr claims" % orphans)

            # 2. In-flight operations cut by the crash: all or nothing
            in_flight_committed = {}
            if crashed:
                statuses = collections.Counter()
                half_done = []
                for kind, xid, user, session, scope, lost_at in results.in_flight:
                    if xid is None:
                        statuses["%s: no transaction yet" % kind] += 1
                        continue
                    next_xid = self.recovered_next_xid(lost_at)
                    if next_xid is not None and xid >= next_xid:
                        # it never wrote WAL, so nothing of it survived; its
                        # xid now belongs to a transaction after the restart
                        statuses["%s: nothing in the WAL" % kind] += 1
                        continue
                    status = conn.execute("SELECT pg_xact_status(%s::text::xid8)", [str(xid)]).fetchone()[0]
                    statuses["%s: %s" % (kind, status)] += 1
                    audit = conn.execute("SELECT count(*) FROM auth.audit_log_entries WHERE xmin::text::bigint = %s"
                                         " AND payload->>'action' = 'logout'", [xid % 2 ** 32]).fetchone()[0]
                    gone = session is None or not conn.execute(
                        "SELECT EXISTS (SELECT FROM auth.sessions WHERE id = %s)", [session]).fetchone()[0]
                    if status == "committed":
                        in_flight_committed[xid % 2 ** 32] = kind
                        # a logout leaves its audit row and no session; an
                        # admin call or a ban one row at most (none when it
                        # found nothing to revoke)
                        complete = (audit == 1 and (scope == "others" or gone)) if session else audit <= 1
                        if not complete:
                            half_done.append((kind, xid, status, audit, gone))
                    elif status == "aborted":
                        if audit != 0:
                            half_done.append((kind, xid, status, audit, gone))
                    else:
                        half_done.append((kind, xid, status, audit, gone))
                self.figures["in_flight"] = dict(statuses)
                r.check("%s: every logout cut by the crash is all or nothing" % phase, not half_done,
                        "; ".join("%s=%d" % kv for kv in sorted(statuses.items())) +
                        ("; half done: %r" % half_done[:5] if half_done else ""))

            # 3. Exactly one audit row per acknowledged logout (and admin revocation), none stray
            rows = collections.Counter()
            for xmin, trait in conn.execute(
                    "SELECT xmin::text::bigint, payload->'traits'->>'jcv_logout_action'"
                    "  FROM auth.audit_log_entries WHERE payload->>'action' = 'logout'"):
                rows[(xmin, trait)] += 1
            ack = self.acknowledged
            problems = []
            ours = collections.Counter(x[0] % 2 ** 32 for x in ack["logouts"])
            theirs = collections.Counter(x % 2 ** 32 for x in ack["gotrue_logouts"])
            for xid, n in ours.items():
                if n != 1 or rows[(xid, None)] != 1:
                    problems.append("auth_logout xid %d: %d audit rows" % (xid, rows[(xid, None)]))
            for xid in theirs:
                if rows[(xid, None)] != 1:
                    problems.append("Supabase Auth logout xid %d: %d audit rows" % (xid, rows[(xid, None)]))
            admin = {x[0] % 2 ** 32: x[1] for x in ack["admin_revocations"]}
            for xid, function in admin.items():
                if rows[(xid, function)] != 1:
                    problems.append("%s xid %d: %d audit rows" % (function, xid, rows[(xid, function)]))
            bans = {x % 2 ** 32 for x in ack["bans"]}
            for (xmin, trait), n in rows.items():
                if trait is None and xmin not in ours and xmin not in theirs and xmin not in in_flight_committed:
                    problems.append("stray logout audit row, xid %d" % xmin)
                elif trait == "user_banned" and (xmin not in bans or n != 1):
                    problems.append("trigger audit rows for xid %d: %d" % (xmin, n))
                elif trait in ("auth_logout_user", "auth_logout_session") and xmin not in admin \
                        and xmin not in in_flight_committed:
                    problems.append("stray %s audit row, xid %d" % (trait, xmin))
            r.check("%s: exactly one audit row per acknowledged logout, none stray" % phase, not problems,
                    "%d auth_logout, %d Supabase Auth /logout, %d admin; %s"
                    % (len(ours), len(theirs), len(admin), "; ".join(problems[:5]) or "all present"))

            # 4. What each acknowledged logout removed stays removed
            local_global = [x for x in ack["logouts"] if x[3] != "others"]
            left = conn.execute("SELECT count(*) FROM auth.sessions WHERE id = ANY(%s::uuid[])",
                                [[x[2] for x in local_global]]).fetchone()[0]
            legacy = conn.execute("SELECT count(*) FROM auth.refresh_tokens WHERE session_id IS NULL"
                                  " AND user_id = ANY(%s)",
                                  [[x[1] for x in ack["logouts"] if x[3] != "local"]]).fetchone()[0]
            r.check("%s: sessions and legacy tokens of acknowledged logouts stay deleted" % phase,
                    left == 0 and legacy == 0, "%d sessions, %d legacy refresh tokens left" % (left, legacy))

        # 5. Errors: only those the workload expects
        deadlocks = deadlocks_in(entries, results)
        explained = set()
        for s in results.suspect:
            pid, t, kind, label = s
            for d in deadlocks:
                if d["victim_pid"] == pid and abs(d["time"] - t) < 5:
                    explained.add(tuple(s))
                    break
        unexplained = [s for s in results.suspect if tuple(s) not in explained]
        if not crashed:
            unexplained += [["-", 0, "connection", "lost"]] * results.outcomes[("connection", "lost (server crash)")]
        errors = collections.Counter()
        for (kind, label), n in results.errors.items():
            errors[label] += n
        unexpected = [u for u in results.unexpected] + \
            ["%s %s near %s" % (s[2], s[3], time.strftime("%H:%M:%S", time.gmtime(s[1]))) for s in unexplained]
        unexpected_count = sum(n for (k, _), n in results.outcomes.items() if k == "unexpected") + len(unexplained)
        details = "; ".join("%s: %d" % kv for kv in sorted(errors.items())) or "no errors"
        if unexplained:
            details += "; unexplained: " + "; ".join(unexpected[:5])
            details += self.log_context(entries, unexplained)
        elif unexpected:
            details += "; unexpected: " + "; ".join(unexpected[:5])
        r.check("%s: every error is one the workload expects" % phase, unexpected_count == 0, details)

        # 6. Deadlocks: none among our functions; known ones reported by name
        pairs = collections.Counter()
        known = collections.Counter()
        bad = []
        for d in deadlocks:
            pair = "%s (victim) / %s" % (d["victim"], ",".join(d["holders"]) or "?")
            pairs[pair] += 1
            name = classify_deadlock(d)
            if name is None:
                bad.append(pair)
            else:
                known[name] += 1
        r.check("%s: no deadlock among our functions" % phase, not bad,
                "%d deadlocks%s%s" % (len(deadlocks), ": " if pairs else "",
                                      "; ".join("%s x%d" % kv for kv in sorted(pairs.items())) +
                                      "".join("; %d %s" % (n, name) for name, n in sorted(known.items()))))

        # 7. The server: alive and never crashed (steady), recovered (crash)
        crash_lines = [e for e in entries if e[2] in ("PANIC",) or "terminated by signal" in e[3]
                       or "was terminated by" in e[3]]
        try:
            with self.primary.connect() as conn:
                alive = conn.execute("SELECT 1").fetchone()[0] == 1
        except psycopg.Error:
            alive = False
        if crashed:
            recovered = any("database system was interrupted" in e[3] or "database system was not properly shut down" in e[3]
                            for e in entries) and any("redo done" in e[3] or "redo is not required" in e[3] for e in entries)
            r.check("%s: the server recovered and answers" % phase, alive and recovered,
                    "; ".join(fault_log))
        else:
            r.check("%s: the server stayed up, no backend crashed" % phase,
                    alive and not crash_lines and self.primary.postmaster_pid() == postmaster,
                    "; ".join(e[3] for e in crash_lines[:3]) or "postmaster %d, %.0f s" % (postmaster, elapsed))

        # 8. Backend memory flat (steady phase: one backend per connection all along)
        if not crashed:
            growth = {}
            for pid, samples in sampler.samples.items():
                if len(samples) < 3:
                    continue
                base_t = samples[0][0] + (samples[-1][0] - samples[0][0]) / 3
                base = next(kb for t, kb in samples if t >= base_t)
                growth[pid] = (samples[-1][1] - base, sampler.pids[pid], base, samples[-1][1])
            worst = max(growth.values(), default=(0, "-", 0, 0))
            self.figures["memory"] = (worst, len(growth))
            r.check("%s: backend memory flat" % phase,
                    bool(growth) and worst[0] <= MEMORY_GROWTH_LIMIT_KB,
                    "%d backends; largest growth from a third of the run to its end: %+d kB (%s, %d -> %d kB)"
                    % ((len(growth),) + worst))

        # 9. The standby agrees with the primary once it has caught up
        self.check_standby(phase)

        logouts = [x for x in results.logouts]
        self.figures[phase] = {
            "seconds": elapsed, "requests": results.ops, "logouts": len(logouts),
            "p50": percentile(results.logout_ms, 50), "p99": percentile(results.logout_ms, 99),
            "commit_p50": percentile(results.commit_ms, 50), "commit_p99": percentile(results.commit_ms, 99),
            "errors": dict(errors), "errors_by_kind": results.errors, "deadlocks": dict(pairs),
            "outcomes": results.outcomes,
            "unexpected": unexpected_count,
        }
        print("%s: %d requests in %.0f s (%.0f/s); %d logouts (%.1f/s), auth_logout p50 %.2f ms, p99 %.2f ms;"
              " its commit p50 %.2f ms, p99 %.2f ms"
              % (phase, results.ops, elapsed, results.ops / elapsed, len(logouts), len(logouts) / elapsed,
                 percentile(results.logout_ms, 50), percentile(results.logout_ms, 99),
                 percentile(results.commit_ms, 50), percentile(results.commit_ms, 99)), flush=True)

    def log_context(self, entries, unexplained):
        lines = []
        for s in unexplained[:3]:
            for t, pid, level, message, detail in entries:
                if pid == s[0] and level in ("ERROR", "LOG") and abs(t - s[1]) < 5:
                    lines.append("%s %s%s" % (level, message, (" / " + detail) if detail else ""))
        return (" | server log: " + " | ".join(lines[:6])) if lines else ""

    def check_standby(self, phase):
        r = self.report
        with self.primary.connect() as primary:
            lsn = primary.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
            live = primary.execute(
                "SELECT s.id::text, s.user_id::text, u.email FROM auth.sessions s JOIN auth.users u ON u.id = s.user_id"
                " ORDER BY random() LIMIT %s", [STANDBY_SAMPLE]).fetchall()
        dead_pool = [x for x in self.acknowledged["logouts"] if x[3] != "others"]
        dead = random.Random(1).sample(dead_pool, min(STANDBY_SAMPLE, len(dead_pool)))
        deadline = time.time() + WAIT_SECONDS
        caught_up = False
        waited = time.time()
        while time.time() < deadline:
            try:
                with self.standby.connect() as standby:
                    if standby.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn]).fetchone()[0]:
                        caught_up = True
                        break
            except psycopg.OperationalError:
                pass
            time.sleep(0.2)
        waited = time.time() - waited
        if not caught_up:
            return r.check("%s: the standby agrees with the primary" % phase, False,
                           "not caught up in %d s" % WAIT_SECONDS)
        tokens = [wl.mint(user, session, email)[0] for session, user, email in live] + \
                 [wl.mint(user, session, "user@example.com")[0] for _, user, session, _ in dead]
        expected = [True] * len(live) + [False] * len(dead)

        def session_checks(cluster):
            with cluster.connect() as conn:
                active = [row[0] for row in conn.execute(
                    "SELECT public.auth_session_active(t) FROM unnest(%s::text[]) WITH ORDINALITY AS x(t, i)"
                    " ORDER BY i", [tokens])]
            statuses = []
            picks = list(range(min(STANDBY_REST_SAMPLE, len(live)))) + \
                list(range(len(live), len(live) + min(STANDBY_REST_SAMPLE, len(dead))))
            with cluster.connect(user="authenticator") as conn:
                for i in picks:
                    claims = jwt.decode(tokens[i], options={"verify_signature": False})
                    statuses.append(rest_status(conn, tokens[i], claims))
            # and a read under row level security with auth_session_valid()
            with cluster.connect(user="app_backend") as conn:
                for i in picks:
                    claims = jwt.decode(tokens[i], options={"verify_signature": False})
                    conn.execute("BEGIN READ ONLY")
                    conn.execute("SELECT set_config('role', 'authenticated', true),"
                                 " set_config('request.jwt.claims', %s, true)", [json.dumps(claims)])
                    statuses.append(conn.execute("SELECT count(*) FROM public.notes").fetchone()[0])
                    conn.execute("COMMIT")
            return active, statuses

        on_primary = session_checks(self.primary)
        on_standby = session_checks(self.standby)
        agree = on_primary == on_standby and on_primary[0] == expected
        r.check("%s: the standby agrees with the primary" % phase, agree,
                "caught up in %.1f s; auth_session_active on %d live and %d logged-out sessions, "
                "%d PostgREST requests under jcv_logout.require_session and as many reads under "
                "auth_session_valid(): %s"
                % (waited, len(live), len(dead), len(on_primary[1]) // 2,
                   "identical" if on_primary == on_standby else "DIFFERENT"))
        self.figures.setdefault("standby", []).append((phase, waited, len(live), len(dead), len(on_primary[1]) // 2,
                                                       agree))

    # --- the whole run -----------------------------------------------------------
    def run(self):
        o = self.o
        self.figures["load_before"] = os.getloadavg()
        self.setup()
        self.run_start = time.time()
        self.run_seconds = o.steady + o.crash
        results = self.run_phase("steady", o.steady)
        self.judge("steady", *results, crashed=False)
        if o.crash > 0:
            results = self.run_phase("crash", o.crash, faults=self.crash_faults)
            self.judge("crash", *results, crashed=True)
        self.figures["load_after"] = os.getloadavg()
        if o.report:
            self.write_report(pathlib.Path(o.report))

    def write_report(self, path):
        """The figures, in markdown, as the README quotes them."""
        o = self.o
        f = self.figures
        memory_kb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30
        lines = ["Command: `bash test/soak.sh %s`" % " ".join(sys.argv[1:]),
                 "Machine: %d CPUs (%s), %.0f GB; %s; seed %d" % (
                     os.cpu_count(), cpu_model(), memory_kb, f["server"].split(",")[0], o.seed),
                 "Load average: %.2f before, %.2f after (other jobs on the machine show here)"
                 % (f["load_before"][0], f["load_after"][0]),
                 "Fixture: %d users, %d sessions, %d refresh tokens (loaded in %.0f s); %d clients + the purge"
                 % (f["fixture"] + (f["load_seconds"], o.clients)), "",
                 "| phase | seconds | requests | requests/s | auth_logout calls that logged out | per second "
                 "| auth_logout p50 / p99 | its commit p50 / p99 | unexpected errors |",
                 "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for phase in ("steady", "crash"):
            if phase in f:
                p = f[phase]
                lines.append("| %s | %.0f | %d | %.0f | %d | %.1f | %.2f / %.2f ms | %.2f / %.2f ms | %d |"
                             % (phase, p["seconds"], p["requests"], p["requests"] / p["seconds"], p["logouts"],
                                p["logouts"] / p["seconds"], p["p50"], p["p99"], p["commit_p50"],
                                p["commit_p99"], p["unexpected"]))
        for phase in ("steady", "crash"):
            if phase not in f:
                continue
            p = f[phase]
            lines += ["", "%s, errors by SQLSTATE and operation:" % phase]
            for (kind, label), n in sorted(p["errors_by_kind"].items()):
                lines.append("- %s: %s x%d" % (kind, label, n))
            lines.append("%s, deadlocks: %s" % (phase, "; ".join(
                "%s x%d" % kv for kv in sorted(p["deadlocks"].items())) or "none"))
            lines += ["", "<details><summary>%s: every outcome</summary>" % phase, "", "```"]
            for (kind, outcome), n in sorted(p["outcomes"].items()):
                lines.append("%s: %s: %d" % (kind, outcome, n))
            lines += ["```", "</details>"]
        if "in_flight" in f:
            lines += ["", "crash: operations cut in flight: %s"
                      % "; ".join("%s %d" % kv for kv in sorted(f["in_flight"].items()))]
        for at, recovery in f.get("kills", []):
            lines.append("crash: the server killed at %.0f s of %.0f; crash recovery and start: %.1f s"
                         % (at, o.crash, recovery))
        if "memory" in f:
            (growth, role, before, after), backends = f["memory"]
            lines.append("memory: %d backends; largest RssAnon growth from a third of the steady phase to "
                         "its end %+d kB (%s, %d -> %d kB)" % (backends, growth, role, before, after))
        for phase, waited, live, dead, rest, agree in f.get("standby", []):
            lines.append("standby after %s: caught up in %.1f s; %d live and %d logged-out sessions, %d PostgREST "
                         "requests, %d reads under auth_session_valid(): %s"
                         % (phase, waited, live, dead, rest, rest, "same answers" if agree else "DIFFERENT"))
        lines += ["", "%d passed, %d failed" % (self.report.passed, self.report.failed)]
        path.write_text("\n".join(lines) + "\n")
        print("report: %s" % path)


def cpu_model():
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()

def rest_status(conn, token, claims):
    """The HTTP status PostgREST would answer GET /rpc/ping with (read only)."""
    from postgrest_replay import PostgREST, SCHEMA_SEARCH_PATH
    headers = {"authorization": "Bearer " + token, "host": "localhost:3000"}
    try:
        conn.execute("begin isolation level read committed read only")
        conn.execute("select set_config('search_path', %s, true), set_config('role', %s, true),"
                     " set_config('request.jwt.claims', %s, true), set_config('request.method', %s, true),"
                     " set_config('request.path', %s, true), set_config('request.headers', %s, true),"
                     " set_config('request.cookies', %s, true)",
                     [SCHEMA_SEARCH_PATH, claims["role"], json.dumps(claims, separators=(",", ":"), sort_keys=True),
                      "GET", "/rpc/ping", json.dumps(headers, separators=(",", ":"), sort_keys=True), "{}"])
        conn.execute(PostgREST.call_query("ping", []))
        conn.execute("commit")
        return 200
    except psycopg.Error as error:
        conn.execute("rollback")
        return wl.error_label(error)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", choices=sorted(PRESETS), default="short")
    parser.add_argument("--users", type=int)
    parser.add_argument("--sessions", type=int)
    parser.add_argument("--clients", type=int)
    parser.add_argument("--steady", type=int, help="seconds of steady traffic")
    parser.add_argument("--crash", type=int, help="seconds of traffic through the crashes (0: none)")
    parser.add_argument("--shared-buffers", default=None)
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100000)
    parser.add_argument("--weight", action="append", default=[], metavar="KIND=N",
                        help="change one weight of test/soak_workload.py's WEIGHTS")
    parser.add_argument("--report", help="write the figures (markdown) here")
    parser.add_argument("--keep", action="store_true", help="keep the clusters' directory")
    o = parser.parse_args()
    for name, value in PRESETS[o.preset].items():
        if getattr(o, name) is None:
            setattr(o, name, value)
    o.weights = {}
    for item in o.weight:
        kind, _, n = item.partition("=")
        if kind not in wl.WEIGHTS:
            parser.error("unknown kind %s (one of %s)" % (kind, ", ".join(sorted(wl.WEIGHTS))))
        o.weights[kind] = int(n)
    if o.shared_buffers is None:
        o.shared_buffers = "1GB" if o.sessions >= 500000 else "128MB"
    print("soak: seed %d, %d users, %d sessions, %d clients, %d s steady + %d s crash"
          % (o.seed, o.users, o.sessions, o.clients, o.steady, o.crash), flush=True)
    soak = Soak(o)
    try:
        soak.run()
    finally:
        soak.cleanup()
    print("soak: %d passed, %d failed" % (soak.report.passed, soak.report.failed))
    sys.exit(1 if soak.report.failed else 0)


if __name__ == "__main__":
    main()
