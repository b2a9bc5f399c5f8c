#!/usr/bin/python3
"""The key files (jcv_logout.jwt_secret_file, jcv_logout.jwks_file) against a
hostile file system, on a cluster of its own: what sits at the path is a
FIFO, a directory, a symbolic link swapped to something else between two
calls, a file larger than the cap, or a file that yields other bytes than
its size said while it is read. Each is refused at once with SUPABASE_ERROR
naming the reason, and the backend carries on. One line per case:
"name ... ok|FAILED (detail)".

    bash test/virtualenv.sh /usr/bin/python3 test/key_files.py

Before 1.4 a FIFO at the path hung the backend in open() beyond
pg_cancel_backend and pg_terminate_backend: a call that has not answered
within HANG_SECONDS is reported as hung, and freed by opening the FIFO for
writing, so the suite ends either way.
"""
import os
import pathlib
import subprocess
import sys
import threading
import time

import psycopg
from psycopg import sql

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATABASE = "key_files"
SECRET = "super-secret-jwt-token-with-at-least-32-characters-long"
# The caps of src/settings.c.
MAX_SECRET_FILE_BYTES = 4096
MAX_JWKS_BYTES = 256 * 1024
# A refusal takes milliseconds; a call still running after this has hung.
PROMPT_SECONDS = 2.0
HANG_SECONDS = 5.0
OK = '{"message": "Successfully logged out", "success": true}'

results = []


def report(name, ok, detail=""):
    print("%s ... %s%s" % (name, "ok" if ok else "FAILED", (" (" + detail + ")") if detail else ""))
    results.append(ok)


def connect(dbname=DATABASE):
    return psycopg.connect(dbname=dbname, autocommit=True)


def setup():
    with connect("postgres") as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(DATABASE)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
    subprocess.run(["psql", "-Xq", "-v", "ON_ERROR_STOP=1", "-d", DATABASE, "-f", "test/fixture.sql"],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


class Files:
    """Files in the data directory, made by the server's OS user."""

    def __init__(self, conn):
        self.conn = conn
        self.data = conn.execute("SELECT current_setting('data_directory')").fetchone()[0]

    def path(self, name):
        return os.path.join(self.data, name)

    def shell(self, command):
        # The command reads COPY's one line first: one that exits before
        # reading it breaks the pipe, and COPY then fails at random.
        self.conn.execute(sql.SQL("COPY (SELECT '') TO PROGRAM {}").format(
            sql.Literal("cat >/dev/null; " + command)))

    def write(self, name, content, mode="600"):
        self.conn.execute("SELECT jcv_test.write_secret_file(%s, %s, %s)", [content, name, mode])
        return name

    def fifo(self, name):
        self.shell("rm -rf '%s' && mkfifo -m 600 '%s'" % (self.path(name), self.path(name)))
        return name

    def directory(self, name):
        self.shell("rm -rf '%s' && mkdir -m 700 '%s'" % (self.path(name), self.path(name)))
        return name

    def link(self, name, target):
        """A symbolic link to target, replacing the link atomically as a
        deployment (or Kubernetes) swaps one."""
        self.shell("ln -s '%s' '%s.new' && mv -T '%s.new' '%s'"
                   % (target, self.path(name), self.path(name), self.path(name)))
        return name


def call(conn, setting, path, token_name, fifo=None):
    """dry_logout with the key file setting pointing at path, in a thread;
    (outcome, seconds). A call still running after HANG_SECONDS is freed by
    a writer on fifo, its outcome prefixed with 'hung: '."""
    done = {}

    def run():
        try:
            done["outcome"] = conn.execute(
                "SELECT set_config(%s, %s, false), jcv_test.dry_logout(jcv_test.token(%s))",
                [setting, path, token_name]).fetchone()[1]
        except psycopg.Error as error:
            done["outcome"] = "%s %s" % (error.sqlstate, error.diag.message_primary)

    start = time.monotonic()
    worker = threading.Thread(target=run)
    worker.start()
    worker.join(HANG_SECONDS)
    if worker.is_alive():
        free_fifo(fifo)
        worker.join()
        return "hung: " + done.get("outcome", ""), time.monotonic() - start
    return done["outcome"], time.monotonic() - start


def free_fifo(path):
    if path is None:
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
    except OSError:
        pass


def refused(name, outcome, seconds, reason):
    report(name, outcome.startswith("PT503 SUPABASE_ERROR") and reason in outcome and seconds < PROMPT_SECONDS,
           "%s in %.3f s" % (outcome, seconds))


def key_file_cases(files, setting, key, mode, good_token, cap):
    """Every case for one setting: key (file mode mode) verifies good_token."""
    short = setting.split(".")[1]
    good = files.write("jcv_%s_good" % short, key, mode)
    with connect() as conn:
        outcome, seconds = call(conn, setting, good, good_token)
        report("%s_regular_file_works" % short, outcome == OK, outcome)

        # A FIFO: opened without waiting for a writer, refused unread.
        fifo = files.path(files.fifo("jcv_%s_fifo" % short))
        outcome, seconds = call(conn, setting, fifo, good_token, fifo)
        refused("%s_fifo_refused_at_once" % short, outcome, seconds, "is not a regular file")
        outcome, _ = call(conn, setting, good, good_token)
        report("%s_backend_usable_after_fifo" % short, outcome == OK, outcome)

        directory = files.path(files.directory("jcv_%s_directory" % short))
        outcome, seconds = call(conn, setting, directory, good_token)
        refused("%s_directory_refused" % short, outcome, seconds, "is not a regular file")

        # A character device: opened without blocking or becoming a
        # controlling terminal, refused unread.
        outcome, seconds = call(conn, setting, "/dev/zero", good_token)
        refused("%s_device_refused" % short, outcome, seconds, "is not a regular file")

        # A symbolic link is followed (as for ssl_key_file); swapped between
        # two calls, the checks apply to what it names now, and a swap back
        # to a key is a rotation.
        link = files.link("jcv_%s_link" % short, files.path(good))
        outcome, _ = call(conn, setting, link, good_token)
        report("%s_symlink_to_key_works" % short, outcome == OK, outcome)
        writable = files.path(files.write("jcv_%s_writable" % short, key, "666"))
        for target, case, reason in [
                (fifo, "fifo", "is not a regular file"),
                (directory, "directory", "is not a regular file"),
                ("/etc/passwd", "file_of_another_user", "is not owned by the server's OS user"),
                (writable, "file_others_may_write", "by group or others")]:
            files.link(link, target)
            outcome, seconds = call(conn, setting, link, good_token, fifo)
            refused("%s_symlink_swapped_to_%s" % (short, case), outcome, seconds, reason)
        files.link(link, files.path(good))
        outcome, _ = call(conn, setting, link, good_token)
        report("%s_symlink_swapped_back" % short, outcome == OK, outcome)

        # Larger than the cap: refused by its size, unread.
        big = files.write("jcv_%s_big" % short, "x" * (cap + 1))
        outcome, seconds = call(conn, setting, big, good_token)
        refused("%s_larger_than_cap_refused" % short, outcome, seconds, "is larger than %d bytes" % cap)

        # A file whose content is not what fstat said while it is read (a
        # writer rewriting it, a file replaced under a mount), made
        # deterministic: /proc/self/auxv is a regular file of the server's
        # OS user, mode 0400, whose size reads 0 and whose read yields the
        # backend's auxiliary vector. Before 1.4 those bytes became the key.
        outcome, seconds = call(conn, setting, "/proc/self/auxv", good_token)
        refused("%s_changed_while_read_refused" % short, outcome, seconds, "changed while it was read")
        outcome, _ = call(conn, setting, good, good_token)
        report("%s_backend_usable_after_all" % short, outcome == OK, outcome)


def main():
    setup()
    with connect() as conn:
        files = Files(conn)
        public_set = conn.execute("SELECT jwks FROM jcv_test.key_sets WHERE name = 'rotation_old'").fetchone()[0]
        key_file_cases(files, "jcv_logout.jwt_secret_file", SECRET, "600", "alice_s1", MAX_SECRET_FILE_BYTES)
        key_file_cases(files, "jcv_logout.jwks_file", public_set, "644", "jwks_rs256", MAX_JWKS_BYTES)
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
