#!/usr/bin/python3
"""The session cache (src/session_cache.c) under real concurrency: requests
in several backends hammer a few sessions while other connections end them
every way Supabase Auth and jcv_logout do, and every answer is judged
against the wall-clock order the clients saw.

What is proven, for the orderings this run happened to produce (the
isolation spec specs/session_cache_across_backends.spec proves the ones it
can name): a change that ends a session (Supabase Auth's logout: its DELETE
as its own role and an audit row in one transaction; auth_logout_session();
UPDATE of not_after; a user's deletion cascading to its sessions), once its
COMMIT has returned to its client, is
seen by every request whose transaction began afterwards, in every backend,
even one that had served the session from its cache; and no request is
refused before a change that ends its session began (a delete rolled back
ends nothing, while in flight or after).

How: READERS connections with jcv_logout.require_session on make requests as
PostgREST does (BEGIN and the claims, then the query, where the hook checks
the session, then COMMIT), mostly for HOT_SESSIONS sessions, so that their
backends answer from the cache. WRITERS connections end those sessions in
turn, mostly the oldest (every backend has kept it), every NEWEST_EVERY-th
the newest (backends are still looking it up, so lookups meet the commit),
then insert fresh ones (never an id again). A RECENT_SHARE of the requests
ask for a session being changed or just ended, so that requests straddle
the commit and follow it closely; an ended session stays among the choices
for LINGER_NS, so that each backend asks for it again after the commit.
Each request records time.monotonic_ns() taken before its BEGIN was sent
and after its check answered, each change before its statement was sent and
after its COMMIT returned; one clock for all threads, so "the commit had
returned before the request began" is an order the server must respect.
pg_stat_get_xact_numscans of auth.sessions' primary key, read before and
after the check in the same transaction, says whether the cache answered.
One line per check: "name ... ok|FAILED (detail)".

    bash test/virtualenv.sh -o shared_preload_libraries=jcv_logout /usr/bin/python3 test/session_cache_race.py
    RACE_SECONDS=60 ...   (how long readers and writers run; default 20)
"""
import collections
import json
import os
import pathlib
import random
import subprocess
import sys
import threading
import time
import uuid

import psycopg
from psycopg import sql

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATABASE = "session_cache_race"
SECONDS = float(os.environ.get("RACE_SECONDS", "20"))
NIL_INSTANCE = "00000000-0000-0000-0000-000000000000"

READERS = 4
WRITERS = 2
USERS = 4                   # owners of the hot and cold sessions
HOT_SESSIONS = 16           # what requests mostly ask for, and writers end
COLD_SESSIONS = 384         # many entries in each backend's cache, rarely asked for
COLD_SHARE = 0.05
# Requests for a session being changed or ended within RECENT_NS: they meet
# the commit window and the first check after it.
RECENT_SHARE = 0.3
RECENT_NS = 5_000_000
CASCADE_SESSIONS = 3        # hot sessions of each writer's user, ended by its deletion
LINGER_NS = 200_000_000     # an ended session stays a reader's choice this long
SOON_NS = 1_000_000         # "right after the commit", reported
NEWEST_EVERY = 4            # every 4th change ends the newest session, which backends are still looking up
# Writers wait for this many requests per change: every change costs each
# reader a lookup for the replacement and one for the ended session, which
# must stay well under the requests the cache answers.
CHECKS_PER_CHANGE = 40
MAX_LOOKUP_SHARE = 0.5
RACES_PER_SECOND = 10       # changes that must race a cached session, per second of run

UNAUTHORIZED_SQLSTATE = "PT401"
UNAUTHORIZED_MESSAGE = "UNAUTHORIZED: session from access token"
SERVED, REFUSED = "served", "refused"
GOTRUE_LOGOUT = "gotrue_logout"
LOGOUT_SESSION = "logout_session"
NOT_AFTER = "not_after"
ROLLED_BACK = "rolled_back_delete"
USER_DELETED = "user_deleted"
# Each writer's turns; ROLLED_BACK ends nothing, USER_DELETED the writer's user.
TURNS = (GOTRUE_LOGOUT, LOGOUT_SESSION, NOT_AFTER, GOTRUE_LOGOUT, LOGOUT_SESSION,
         NOT_AFTER, ROLLED_BACK, GOTRUE_LOGOUT, LOGOUT_SESSION, USER_DELETED)

INSERT_SESSIONS = ("INSERT INTO auth.sessions (id, user_id, created_at, updated_at, aal, refreshed_at)"
                   " SELECT id, user_id, now(), now(), 'aal1', now() AT TIME ZONE 'UTC'"
                   " FROM unnest(%s::uuid[], %s::uuid[]) AS fresh (id, user_id)")
INSERT_USERS = ("INSERT INTO auth.users (instance_id, id, aud, role, email, created_at, updated_at)"
                " SELECT %s, id, 'authenticated', 'authenticated', 'race-' || id || '@example.com', now(), now()"
                " FROM unnest(%s::uuid[]) AS fresh (id)")
AUDIT = ("INSERT INTO auth.audit_log_entries (instance_id, id, payload, created_at)"
         " VALUES (%s, gen_random_uuid(), json_build_object('action', %s::text, 'actor_id', %s::text), now())")


Read = collections.namedtuple("Read", "session begin end outcome lookups")
Change = collections.namedtuple("Change", "kind sessions start ack")


class Session:
    __slots__ = ("id", "user", "cascade", "claimed", "claims")

    def __init__(self, user, cascade=False):
        self.id = str(uuid.uuid4())
        self.user = user
        self.cascade = cascade
        self.claimed = False
        self.claims = json.dumps({"role": "authenticated", "sub": user, "session_id": self.id})


class Pool:
    """The sessions readers ask for and writers end, and the pace of both."""

    def __init__(self):
        self.lock = threading.Lock()
        self.hot = []                           # live, oldest first
        self.cold = []
        self.changing = []                      # claimed by a writer
        self.lingering = collections.deque()    # (ended session, when), oldest first
        self.checks = 0
        self.changes = 0
        self.stop = threading.Event()

    def pick(self, refused):
        with self.lock:
            self.checks += 1
            now = time.monotonic_ns()
            while self.lingering and self.lingering[0][1] < now - LINGER_NS:
                self.lingering.popleft()
            draw = random.random()
            if draw < COLD_SHARE:
                return random.choice(self.cold)
            # what this reader has seen refused tells nothing new
            if draw < COLD_SHARE + RECENT_SHARE:
                choices = [s for s in self.changing if s.id not in refused]
                choices += [s for s, when in self.lingering if when > now - RECENT_NS and s.id not in refused]
                if choices:
                    return random.choice(choices)
            choices = [s for s in self.hot if s.id not in refused]
            choices += [s for s, _ in self.lingering if s.id not in refused]
            return random.choice(choices or self.cold)

    def claim_one(self):
        """One always is: each writer holds at most one of HOT_SESSIONS."""
        with self.lock:
            self.changes += 1
            order = reversed(self.hot) if self.changes % NEWEST_EVERY == 0 else self.hot
            session = next(s for s in order if not s.claimed and not s.cascade)
            self._claim([session])
            return session

    def claim(self, sessions):
        with self.lock:
            self.changes += 1
            self._claim(sessions)

    def _claim(self, sessions):
        for session in sessions:
            session.claimed = True
            self.changing.append(session)

    def ended(self, sessions):
        with self.lock:
            for session in sessions:
                self.hot.remove(session)
                self.changing.remove(session)
                self.lingering.append((session, time.monotonic_ns()))

    def still_live(self, session):
        with self.lock:
            self.hot.remove(session)
            self.changing.remove(session)
            session.claimed = False
            self.hot.append(session)

    def publish(self, sessions):
        with self.lock:
            self.hot.extend(sessions)

    def wait_for_checks(self):
        while self.checks < CHECKS_PER_CHANGE * (self.changes + 1):
            if self.stop.wait(0.002):
                return False
        return True


def insert_sessions(conn, sessions):
    conn.execute(INSERT_SESSIONS, [[s.id for s in sessions], [s.user for s in sessions]])


def setup():
    with psycopg.connect(dbname="postgres", autocommit=True) as conn:
        libraries = conn.execute("SHOW shared_preload_libraries").fetchone()[0]
        if "jcv_logout" not in libraries:
            sys.exit("jcv_logout is not in shared_preload_libraries: the session cache is off")
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(DATABASE)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
    subprocess.run(["psql", "-Xq", "-v", "ON_ERROR_STOP=1", "-d", DATABASE, "-f", "test/fixture.sql"],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    pool = Pool()
    users = [str(uuid.uuid4()) for _ in range(USERS)]
    pool.hot = [Session(users[i % USERS]) for i in range(HOT_SESSIONS)]
    pool.cold = [Session(users[i % USERS]) for i in range(COLD_SESSIONS)]
    with psycopg.connect(dbname=DATABASE, autocommit=True) as conn:
        conn.execute(INSERT_USERS, [NIL_INSTANCE, users])
        insert_sessions(conn, pool.hot + pool.cold)
        index = conn.execute("SELECT 'auth.sessions_pkey'::regclass::oid").fetchone()[0]
    return pool, index


def reader(pool, index, log, errors):
    """Requests until stopped, each a Read in log."""
    lookups_sql = "pg_stat_get_xact_numscans(%d)" % index
    check = "SELECT 1, %s; COMMIT" % lookups_sql
    refused = set()
    with psycopg.connect(dbname=DATABASE, autocommit=True) as conn:
        conn.execute("SET jcv_logout.require_session = on")
        cur = conn.cursor()
        while not pool.stop.is_set():
            session = pool.pick(refused)
            begin = sql.SQL("BEGIN; SELECT set_config('request.jwt.claims', {}, true), " + lookups_sql).format(
                sql.Literal(session.claims))
            t_begin = time.monotonic_ns()
            cur.execute(begin)
            cur.nextset()
            before = cur.fetchone()[1]
            try:
                # the hook checks the session as this statement starts
                cur.execute(check)
                after = cur.fetchone()[1]
                t_end = time.monotonic_ns()
                log.append(Read(session.id, t_begin, t_end, SERVED, after - before))
            except psycopg.Error as e:
                t_end = time.monotonic_ns()
                if e.sqlstate != UNAUTHORIZED_SQLSTATE or not str(e).startswith(UNAUTHORIZED_MESSAGE):
                    errors.append("reader: %s %s" % (e.sqlstate, e))
                    return
                conn.execute("ROLLBACK")
                # only a lookup refuses: the cache keeps live sessions alone
                log.append(Read(session.id, t_begin, t_end, REFUSED, 1))
                refused.add(session.id)


def expect_one(errors, kind, value):
    if value not in (1, "1"):
        errors.append("%s changed %r rows, not 1" % (kind, value))
        return False
    return True


def end_sessions(conn, kind, session, cascade_user, errors):
    """Runs one turn's change; (t_start, t_ack), or None if it went wrong."""
    if kind in (GOTRUE_LOGOUT, USER_DELETED, ROLLED_BACK):
        # Supabase Auth's way: as its own role, the delete and its audit row
        # in one transaction, so the change is in flight for a round trip
        conn.execute("BEGIN")
        conn.execute("SET LOCAL ROLE supabase_auth_admin")
        t_start = time.monotonic_ns()
        if kind == USER_DELETED:
            changed = conn.execute("DELETE FROM auth.users WHERE id = %s", [cascade_user]).rowcount
        else:
            changed = conn.execute("DELETE FROM auth.sessions WHERE id = %s", [session.id]).rowcount
        conn.execute(AUDIT, [NIL_INSTANCE, "logout" if kind == GOTRUE_LOGOUT else kind, session.user])
        conn.execute("ROLLBACK" if kind == ROLLED_BACK else "COMMIT")
    else:
        t_start = time.monotonic_ns()
        if kind == LOGOUT_SESSION:
            changed = conn.execute("SELECT auth_logout_session(%s) ->> 'sessions_revoked'",
                                   [session.id]).fetchone()[0]
        else:
            changed = conn.execute("UPDATE auth.sessions SET not_after = now() WHERE id = %s",
                                   [session.id]).rowcount
    t_ack = time.monotonic_ns()
    return (t_start, t_ack) if expect_one(errors, kind, changed) else None


def new_cascade_user(conn, pool):
    user = str(uuid.uuid4())
    sessions = [Session(user, cascade=True) for _ in range(CASCADE_SESSIONS)]
    with conn.transaction():
        conn.execute(INSERT_USERS, [NIL_INSTANCE, [user]])
        insert_sessions(conn, sessions)
    pool.publish(sessions)
    return user, sessions


def writer(number, pool, log, errors):
    """Changes until stopped, each a Change in log."""
    with psycopg.connect(dbname=DATABASE, autocommit=True) as conn:
        cascade_user, cascade_sessions = new_cascade_user(conn, pool)
        turn = number
        while pool.wait_for_checks():
            kind = TURNS[turn % len(TURNS)]
            turn += 1
            if kind == USER_DELETED:
                ending = cascade_sessions
                pool.claim(ending)
            else:
                ending = [pool.claim_one()]
            times = end_sessions(conn, kind, ending[0], cascade_user, errors)
            if times is None:
                return
            log.append(Change(kind, [s.id for s in ending], *times))
            if kind == ROLLED_BACK:
                pool.still_live(ending[0])
                continue
            pool.ended(ending)
            if kind == USER_DELETED:
                cascade_user, cascade_sessions = new_cascade_user(conn, pool)
            else:
                fresh = [Session(ending[0].user)]
                insert_sessions(conn, fresh)
                pool.publish(fresh)


def run(name, target, *args):
    errors = args[-1]

    def guarded():
        try:
            target(*args)
        except Exception as e:   # a crashed backend, a lost connection: reported, not hidden
            errors.append("%s: %s: %s" % (name, type(e).__name__, e))
    thread = threading.Thread(target=guarded, name=name)
    thread.start()
    return thread


def report(name, ok, detail):
    print("%s ... %s (%s)" % (name, "ok" if ok else "FAILED", detail))
    return ok


def us(ns):
    return "%+.0f us" % (ns / 1000)


def describe_stale(r, read, change, reads_of):
    earlier = [x for x in reads_of[(r, read.session)] if x.end < read.begin]
    last = earlier[-1] if earlier else None
    return ("reader %d served session %s %s (%d lookups), its BEGIN sent %s after the %s's COMMIT returned"
            " (change sent at %s, request answered at %s, relative to the ack); its previous request for it: %s"
            % (r, read.session, "from its cache" if read.lookups == 0 else "after a lookup", read.lookups,
               us(read.begin - change.ack), change.kind, us(change.start - change.ack), us(read.end - change.ack),
               "none" if last is None else "%s at %s, %d lookups" % (last.outcome, us(last.begin - change.ack),
                                                                      last.lookups)))


def analyse(reads, changes, errors):
    ending = {}                                 # session -> the change that ended it
    rollbacks = collections.defaultdict(list)
    kinds = collections.Counter()
    for change in changes:
        kinds[change.kind] += 1
        for session in change.sessions:
            if change.kind == ROLLED_BACK:
                rollbacks[session].append(change)
            else:
                ending[session] = change
    reads_of = collections.defaultdict(list)    # (reader, session) -> its requests, in order
    for r, log in enumerate(reads):
        for read in log:
            reads_of[(r, read.session)].append(read)
    all_reads = [(r, read) for r, log in enumerate(reads) for read in log]
    results = []

    after_ack = 0
    soon_after = 0
    stale = []
    for r, read in all_reads:
        change = ending.get(read.session)
        if change and read.begin > change.ack:
            after_ack += 1
            soon_after += read.begin - change.ack < SOON_NS
            if read.outcome == SERVED:
                stale.append(describe_stale(r, read, change, reads_of))
    results.append(report(
        "no_request_served_after_commit_ack", not stale,
        "%d of %d requests began after their session's ending COMMIT returned (%d within %d us), %d served%s"
        % (after_ack, len(all_reads), soon_after, SOON_NS // 1000, len(stale),
           "".join("; " + s for s in stale[:5]))))

    def overlapping_rollbacks(read):
        return [c for c in rollbacks.get(read.session, ()) if c.start < read.end and read.begin < c.ack]

    refused = [read for _, read in all_reads if read.outcome == REFUSED]
    unexplained = []
    for r, read in all_reads:
        change = ending.get(read.session)
        if read.outcome == REFUSED and (change is None or change.start >= read.end):
            unexplained.append("reader %d refused live session %s (request %s..%s after the change began%s)"
                               % (r, read.session, us(read.begin - change.start) if change else "-",
                                  us(read.end - change.start) if change else "-",
                                  "; a rolled-back delete in flight" if overlapping_rollbacks(read) else ""))
    during_rollback = sum(1 for _, read in all_reads if overlapping_rollbacks(read))
    results.append(report(
        "live_sessions_served", not unexplained,
        "%d served, %d refused, %d refusals before any change ending the session began;"
        " %d requests overlapped one of %d rolled-back deletes%s"
        % (len(all_reads) - len(refused), len(refused), len(unexplained), during_rollback,
           kinds[ROLLED_BACK], "".join("; " + s for s in unexplained[:5]))))

    lookups = sum(read.lookups for _, read in all_reads)
    share = lookups / len(all_reads) if all_reads else 1
    results.append(report(
        "cache_was_used", share < MAX_LOOKUP_SHARE,
        "%d primary key lookups for %d session checks, %.0f%%; at most %.0f%% allowed"
        % (lookups, len(all_reads), 100 * share, 100 * MAX_LOOKUP_SHARE)))

    # A race that counts: a backend served the session from its cache before
    # the change began and asked again after its COMMIT returned.
    raced = 0
    in_flight = 0
    for session, change in ending.items():
        won = False
        for r in range(len(reads)):
            mine = reads_of.get((r, session), ())
            in_flight += sum(1 for x in mine if x.begin < change.ack and change.start < x.end)
            won = won or (any(x.lookups == 0 and x.outcome == SERVED and x.end < change.start for x in mine) and
                          any(x.begin > change.ack for x in mine))
        raced += won
    needed = int(RACES_PER_SECOND * SECONDS)
    results.append(report(
        "enough_races", raced >= needed,
        "%d sessions ended by %d changes (%s), %d of them served from a backend's cache before the change"
        " and asked of it again after the COMMIT returned (at least %d needed); %d requests in flight"
        " with the change"
        % (len(ending), sum(kinds.values()) - kinds[ROLLED_BACK],
           ", ".join("%s %d" % kv for kv in sorted(kinds.items()) if kv[0] != ROLLED_BACK),
           raced, needed, in_flight)))

    results.append(report("no_other_errors", not errors,
                          "; ".join(errors[:5]) if errors else "every answer served or UNAUTHORIZED"))
    return all(results)


def main():
    pool, index = setup()
    reads = [[] for _ in range(READERS)]
    changes = []
    errors = []
    threads = [run("reader %d" % r, reader, pool, index, reads[r], errors) for r in range(READERS)]
    threads += [run("writer %d" % w, writer, w, pool, changes, errors) for w in range(WRITERS)]
    pool.stop.wait(SECONDS)
    pool.stop.set()
    for thread in threads:
        thread.join()
    sys.exit(0 if analyse(reads, changes, errors) else 1)


if __name__ == "__main__":
    main()
