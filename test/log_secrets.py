#!/usr/bin/python3
"""Shows that jcv_logout never writes a token or the secret to the server
log, at the most verbose levels, errors included.

Run inside a test cluster after `make installcheck` (it uses the fixture
database the isolation suite left, isolation_regression):

    bash test/virtualenv.sh sh -c 'make installcheck && /usr/bin/python3 test/log_secrets.py'

Every token of test/tokens.sql goes through auth_logout as a bind
parameter (psycopg 3 sends parameters apart from the statement, as PostgREST
does) in every scope and both error forms, with log_min_messages and
log_min_error_statement at debug5, verbose errors and log_statement = all
with log_parameter_max_length = 0. Then the log written meanwhile is
searched for every token, every signature, the secret and the symmetric
key, also given as literals to the settings that refuse them
(jcv_logout.jwt_secret, jcv_logout.jwks) and read from
jcv_logout.jwks_file. A last check shows why log_parameter_max_length matters: at its default (-1) PostgreSQL
itself logs bind parameters with log_statement = all. Set JCV_SERVER_LOG
to the log file when not under test/virtualenv.sh.
"""
import json
import pathlib
import sys
import uuid

import psycopg

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "support"))
from server_log import log_since, server_log  # noqa: E402

SECRET = "super-secret-jwt-token-with-at-least-32-characters-long"
DATABASE = "isolation_regression"
SHORTEST_SECRET_PART = 16   # shorter signature fragments could match by chance

results = []


def report(name, ok, detail=""):
    print("%s ... %s%s" % (name, "ok" if ok else "FAILED", (" (" + detail + ")") if detail else ""))
    results.append(ok)


def verbose_session(conn):
    for setting, value in [("log_min_messages", "debug5"),
                           ("log_min_error_statement", "debug5"),
                           ("log_error_verbosity", "verbose"),
                           ("log_statement", "all"),
                           ("log_parameter_max_length", "0"),
                           ("log_parameter_max_length_on_error", "0")]:
        conn.execute("SELECT pg_catalog.set_config(%s, %s, false)", [setting, value])


def attempt(conn, sql, params):
    """One call in a transaction that is always rolled back."""
    try:
        with conn.transaction(force_rollback=True):
            conn.execute(sql, params)
    except psycopg.Error:
        pass


def exercise(conn, tokens):
    for token in tokens:
        for scope in ("global", "local", "others", "sideways"):
            attempt(conn, "SELECT auth_logout(%s, %s)", [token, scope])
        # PostgREST form, and the token read from request.headers
        attempt(conn, "SELECT set_config('request.method', 'POST', true),"
                      " set_config('request.headers', %s, true), auth_logout()",
                [json.dumps({"authorization": "Bearer " + token})])
    good = tokens[0]
    # no key configured (SUPABASE_ERROR), a failing delete (LOGOUT_ERROR)
    attempt(conn, "SELECT set_config('jcv_logout.jwt_secret_file', '', true), auth_logout(%s)", [good])
    # secrets refused in settings, given as literals: the refusal (an ERROR)
    # keeps each statement out of the log. log_statement, and debug messages
    # with log_min_error_statement, would log them before they run
    # (PostgreSQL's): those at their defaults here. ALTER SYSTEM refuses a
    # transaction block.
    for setting in ("log_statement", "log_min_messages", "log_min_error_statement"):
        conn.execute("RESET " + setting)
    for statement in ["SET jcv_logout.jwt_secret = '%s'" % SECRET,
                      "SELECT set_config('jcv_logout.jwt_secret', '%s', false)" % SECRET,
                      "SET jcv_logout.jwks = '%s'" % symmetric_set(conn).replace("'", "''")]:
        attempt(conn, statement, [])
    try:
        conn.execute("ALTER SYSTEM SET jcv_logout.jwt_secret = '%s'" % SECRET)
    except psycopg.Error:
        pass
    verbose_session(conn)
    # a symmetric key where it belongs, jcv_logout.jwks_file (chmod 600)
    conn.execute("SELECT jcv_test.write_secret_file(%s, 'jcv_log_jwks_oct', '600')", [symmetric_set(conn)])
    for name in ("jwks_hs256_oct", "jwks_hs256_oct_no_kid", "expired"):
        attempt(conn, "SELECT set_config('jcv_logout.jwks_file', 'jcv_log_jwks_oct', true),"
                      " auth_logout(jcv_test.token(%s))", [name])
    try:
        with conn.transaction(force_rollback=True):
            conn.execute("CREATE FUNCTION pg_temp.refuse() RETURNS trigger LANGUAGE plpgsql"
                         " AS $$ BEGIN RAISE EXCEPTION 'frozen'; END $$")
            conn.execute("CREATE TRIGGER frozen BEFORE DELETE ON auth.refresh_tokens"
                         " FOR EACH ROW EXECUTE FUNCTION pg_temp.refuse()")
            conn.execute("SELECT auth_logout(%s)", [good])
    except psycopg.Error:
        pass


def symmetric_set(conn):
    """The test key set holding a symmetric key (kty oct) beside public keys."""
    return conn.execute("SELECT jwks FROM jcv_test.key_sets WHERE name = 'all'").fetchone()[0]


def symmetric_key(conn):
    return next(key["k"] for key in json.loads(symmetric_set(conn))["keys"] if key["kty"] == "oct")


def leaks(text, tokens, oct_key):
    found = []
    if SECRET in text:
        found.append("the secret")
    if oct_key in text:
        found.append("the symmetric key")
    for token in tokens:
        signature = token.rsplit(".", 1)[-1]
        if token in text or (len(signature) >= SHORTEST_SECRET_PART and signature in text):
            found.append("token " + token[:12] + "…")
    return found


def main():
    log = server_log()
    with psycopg.connect(dbname=DATABASE, autocommit=True) as conn:
        tokens = [row[0] for row in conn.execute(
            "SELECT token FROM jcv_test.tokens ORDER BY name").fetchall()]
        verbose_session(conn)
        start = log.stat().st_size
        probe = "jcv-log-probe-" + str(uuid.uuid4())
        conn.execute("SELECT pg_catalog.set_config('jcv.probe', %s, false)", [probe])
        conn.execute("DO $$ BEGIN RAISE LOG '%s'; END $$" % probe)
        exercise(conn, tokens)
        text = log_since(log, start)
        report("log_verbose_log_captured", probe in text and "auth_logout($1" in text,
               "%d bytes" % len(text))
        found = leaks(text, tokens, symmetric_key(conn))
        report("log_no_token_or_secret", not found, ", ".join(found[:5]))

        # PostgreSQL's own default logs bind parameters with log_statement = all
        conn.execute("SELECT pg_catalog.set_config('log_parameter_max_length', '-1', false)")
        start = log.stat().st_size
        attempt(conn, "SELECT auth_logout(%s)", [tokens[0]])
        report("log_parameters_logged_unless_max_length_0", tokens[0] in log_since(log, start))
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
