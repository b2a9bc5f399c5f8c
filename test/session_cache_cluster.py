#!/usr/bin/python3
"""The session cache's cases that need the whole cluster (issue 26,
docs/design.md "The session cache: why no logout is missed"): a restart
with a transaction prepared before the library was preloaded, and changes
arriving by logical replication (a subscriber's apply worker, with a real
publication and subscription between two databases of this cluster). One
line per case: "name ... ok|FAILED (detail)".

    bash test/virtualenv.sh /usr/bin/python3 test/session_cache_cluster.py
"""
import os
import pathlib
import subprocess
import sys
import time

import psycopg
from psycopg import sql

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "support"))
from server_log import restart  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
PUBLISHER = "session_cache_publisher"
SUBSCRIBER = "session_cache_subscriber"
ALICE = "11111111-1111-4111-8111-111111111111"
BOB = "22222222-2222-4222-8222-222222222222"
ALICE_S1 = "aaaaaaaa-0000-4000-8000-000000000001"
ALICE_S2 = "aaaaaaaa-0000-4000-8000-000000000002"
BOB_S1 = "bbbbbbbb-0000-4000-8000-000000000001"
REFUSED = "PT401 UNAUTHORIZED: session from access token does not exist"
WAIT_SECONDS = 30

results = []

# One check of a session as PostgREST's hook makes it, and how many lookups
# of auth.sessions' primary key it made (none when answered from the cache).
CHECK_FUNCTION = """
CREATE FUNCTION jcv_test.counted_check(session_id uuid, user_id uuid, OUT answer text, OUT lookups bigint)
LANGUAGE plpgsql AS $$
DECLARE
  before bigint := pg_stat_get_xact_numscans('auth.sessions_pkey'::regclass);
BEGIN
  answer := jcv_test.require_session(jcv_test.claims(user_id::text, session_id::text));
  lookups := pg_stat_get_xact_numscans('auth.sessions_pkey'::regclass) - before;
END
$$;
"""


def report(name, ok, detail=""):
    print("%s ... %s%s" % (name, "ok" if ok else "FAILED", (" (" + detail + ")") if detail else ""))
    results.append(ok)


def connect(dbname="postgres"):
    return psycopg.connect(dbname=dbname, autocommit=True)


def check(conn, session_id, user_id):
    """(answer, lookups) of one check in its own transaction."""
    return tuple(conn.execute("SELECT * FROM jcv_test.counted_check(%s, %s)",
                              [session_id, user_id]).fetchone())


def setting(name):
    with connect() as conn:
        return conn.execute("SELECT current_setting(%s)", [name]).fetchone()[0]


def configure_and_restart(statements):
    with connect() as conn:
        for statement in statements:
            conn.execute(statement)
    restart()


def create_database(name):
    with connect() as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    subprocess.run(["psql", "-Xq", "-v", "ON_ERROR_STOP=1", "-d", name, "-f", "test/fixture.sql"],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    with connect(name) as conn:
        conn.execute(CHECK_FUNCTION)


def wait_for(conn, query, params, expected):
    """Polls query until it returns expected; False after WAIT_SECONDS."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if conn.execute(query, params).fetchone()[0] == expected:
            return True
        time.sleep(0.05)
    return False


def prepared_before_preloading():
    """Issue 26, finding 2: a delete prepared while the library was not
    preloaded (its trigger then does nothing) commits after a restart with
    it preloaded: no backend may have kept the session meanwhile."""
    with connect(PUBLISHER) as conn:
        conn.execute("BEGIN")
        conn.execute("DELETE FROM auth.sessions WHERE id = %s", [BOB_S1])
        conn.execute("PREPARE TRANSACTION 'jcv_before_preloading'")
    configure_and_restart(["ALTER SYSTEM SET shared_preload_libraries = 'jcv_logout'"])
    report("prepared_before_preloading_library_preloaded",
           "jcv_logout" in setting("shared_preload_libraries"))
    with connect(PUBLISHER) as reader:
        first = check(reader, BOB_S1, BOB)
        second = check(reader, BOB_S1, BOB)
        report("prepared_before_preloading_alive_while_prepared",
               first[0] == "passes" and second[0] == "passes", "%r, %r" % (first, second))
        report("prepared_before_preloading_not_kept", second[1] == 1, "second check's lookups: %d" % second[1])
        with connect(PUBLISHER) as other:
            other.execute("COMMIT PREPARED 'jcv_before_preloading'")
        after = check(reader, BOB_S1, BOB)
        report("prepared_before_preloading_commit_seen", after[0] == REFUSED, repr(after))
        # with the prepared transaction gone, sessions are kept again
        check(reader, ALICE_S2, ALICE)
        again = check(reader, ALICE_S2, ALICE)
        report("prepared_before_preloading_cache_back", again == ("passes", 0), repr(again))
    with connect(PUBLISHER) as fresh:
        report("prepared_before_preloading_new_backend", check(fresh, BOB_S1, BOB)[0] == REFUSED)


def published_tables(conn):
    """auth.sessions and every table whose foreign keys reach it (TRUNCATE … CASCADE truncates them all)."""
    return [row[0] for row in conn.execute("""
        WITH RECURSIVE reached(relid) AS (
          SELECT 'auth.sessions'::regclass::oid
          UNION
          SELECT c.conrelid FROM pg_constraint c JOIN reached r ON c.confrelid = r.relid
           WHERE c.contype = 'f')
        SELECT relid::regclass::text FROM reached ORDER BY 1""").fetchall()]


def logical_replication():
    """Deletes and TRUNCATE of auth.sessions applied by a subscriber's apply
    worker (session_replication_role = replica, TRUNCATE without row
    triggers): a backend of the subscriber that kept the session sees both."""
    host = os.environ.get("PGHOST", "localhost")
    conninfo = "host=%s port=%s user=%s password=%s dbname=%s" % (
        host, os.environ["PGPORT"], os.environ.get("PGUSER", "postgres"),
        os.environ.get("PGPASSWORD", ""), PUBLISHER)
    with connect(PUBLISHER) as publisher, connect(SUBSCRIBER) as subscriber:
        tables = published_tables(publisher)
        publisher.execute(sql.SQL("CREATE PUBLICATION jcv_sessions FOR TABLE {}").format(
            sql.SQL(", ").join(sql.SQL(t) for t in tables)))
        # the slot first: CREATE SUBSCRIPTION cannot make one in its own cluster
        publisher.execute("SELECT pg_create_logical_replication_slot('jcv_sessions', 'pgoutput')")
        subscriber.execute(sql.SQL("CREATE SUBSCRIPTION jcv_sessions CONNECTION {} PUBLICATION jcv_sessions"
                                   " WITH (create_slot = false, slot_name = 'jcv_sessions', copy_data = false)")
                           .format(sql.Literal(conninfo)))
        # the same sessions on both sides, then one inserted through replication
        for session_id, user_id in [(ALICE_S1, ALICE), ("cccccccc-0000-4000-8000-000000000026", ALICE)]:
            publisher.execute("DELETE FROM auth.sessions WHERE id = %s", [session_id])
            publisher.execute(
                "INSERT INTO auth.sessions (id, user_id, created_at, updated_at, aal, refreshed_at)"
                " VALUES (%s, %s, now(), now(), 'aal1', now() AT TIME ZONE 'UTC')", [session_id, user_id])
        arrived = wait_for(subscriber, "SELECT count(*) FROM auth.sessions WHERE id = %s",
                           ["cccccccc-0000-4000-8000-000000000026"], 1)
        report("replication_insert_applied", arrived)
        if not arrived:
            return

        with connect(SUBSCRIBER) as reader:
            check(reader, ALICE_S1, ALICE)
            kept = check(reader, ALICE_S1, ALICE)
            report("replication_session_kept_on_subscriber", kept == ("passes", 0), repr(kept))
            publisher.execute("DELETE FROM auth.sessions WHERE id = %s", [ALICE_S1])
            applied = wait_for(subscriber, "SELECT count(*) FROM auth.sessions WHERE id = %s", [ALICE_S1], 0)
            after = check(reader, ALICE_S1, ALICE)
            report("replication_delete_seen", applied and after[0] == REFUSED, repr(after))

            session = "cccccccc-0000-4000-8000-000000000026"
            check(reader, session, ALICE)
            kept = check(reader, session, ALICE)
            report("replication_truncate_session_kept", kept == ("passes", 0), repr(kept))
            publisher.execute("TRUNCATE auth.sessions CASCADE")
            applied = wait_for(subscriber, "SELECT count(*) FROM auth.sessions", [], 0)
            after = check(reader, session, ALICE)
            report("replication_truncate_seen", applied and after[0] == REFUSED, repr(after))

        subscriber.execute("ALTER SUBSCRIPTION jcv_sessions DISABLE")
        subscriber.execute("ALTER SUBSCRIPTION jcv_sessions SET (slot_name = NONE)")
        subscriber.execute("DROP SUBSCRIPTION jcv_sessions")
        publisher.execute("SELECT pg_drop_replication_slot('jcv_sessions')")
        publisher.execute("DROP PUBLICATION jcv_sessions")


def main():
    configure_and_restart(["ALTER SYSTEM RESET shared_preload_libraries",
                           "ALTER SYSTEM SET max_prepared_transactions = 4",
                           "ALTER SYSTEM SET wal_level = logical"])
    create_database(PUBLISHER)
    create_database(SUBSCRIBER)
    prepared_before_preloading()
    logical_replication()
    configure_and_restart(["ALTER SYSTEM RESET shared_preload_libraries",
                           "ALTER SYSTEM RESET max_prepared_transactions",
                           "ALTER SYSTEM RESET wal_level"])
    sys.exit(1 if False in results or not results else 0)


if __name__ == "__main__":
    main()
