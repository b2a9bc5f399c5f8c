#!/usr/bin/python3
"""The attacks of an outside security review, replayed as they were made:
from a plain role, a pg_monitor member, PostgREST's authenticator and the
NOSUPERUSER owner of Supabase Auth's tables, on a cluster of its own
configured by the README's routes (restarted where a route needs it).
One line per case: "name ... ok|FAILED (detail)".

    bash test/virtualenv.sh /usr/bin/python3 test/security_review.py
"""
import json
import pathlib
import subprocess
import sys
import time

import psycopg
from psycopg import sql

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "support"))
from server_log import log_since, restart, server_log  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATABASE = "security_review"
SECRET = "super-secret-jwt-token-with-at-least-32-characters-long"
PASSWORD = "review-password"
ALICE = "11111111-1111-4111-8111-111111111111"
ALICE_SESSION = "aaaaaaaa-0000-4000-8000-000000000001"
# Hostile documents: the review's sizes, and 1 MB.
HOSTILE_MEMBERS = (40_000, 160_000)
HOSTILE_BYTES = 1024 * 1024
# The documented cap on request.jwt.claims and request.headers (README).
REQUEST_JSON_CAP = 65536
# The review measured 8 s and 119 s; a linear scanner with a size cap
# answers in milliseconds. A generous bound, so load on CI cannot fail it.
HOSTILE_SECONDS = 1.0

results = []


def report(name, ok, detail=""):
    print("%s ... %s%s" % (name, "ok" if ok else "FAILED", (" (" + detail + ")") if detail else ""))
    results.append(ok)


def connect(user="postgres", password=None, options=None, dbname=DATABASE):
    params = {"dbname": dbname, "user": user}
    if password:
        params["password"] = password
    if options:
        params["options"] = options
    return psycopg.connect(**params, autocommit=True)


def admin(statements):
    """As a superuser, with the library loaded (ALTER SYSTEM knows its settings only then)."""
    with connect() as conn:
        conn.execute("LOAD 'jcv_logout'")
        for statement in statements:
            conn.execute(statement)


def reload_and_wait(setting, expected):
    """pg_reload_conf(), then wait until new backends see the setting."""
    admin(["SELECT pg_reload_conf()"])
    for _ in range(100):
        with connect() as conn:
            value = conn.execute("SELECT current_setting(%s, true)", [setting]).fetchone()[0]
        if (value or "") == expected:
            return
        time.sleep(0.05)
    sys.exit("%s did not become %r after a reload" % (setting, expected))


def run(conn, statement, params=()):
    """'ok' or the SQLSTATE and message of the error the statement raised;
    what it did stays in the transaction the caller has open."""
    try:
        with conn.transaction():
            conn.execute(statement, params)
        return "ok"
    except psycopg.Error as error:
        return describe(error)


def fatal_line(text):
    lines = text.strip().splitlines()
    return next((line.strip() for line in lines if "FATAL" in line), lines[0].strip())


def describe(error):
    if error.sqlstate is None:  # the connection ended: the server's last word
        return fatal_line(str(error))
    return "%s %s" % (error.sqlstate, error.diag.message_primary)


def outcome(conn, statement, params=()):
    """As run, and whatever the statement did is rolled back."""
    try:
        with conn.transaction(force_rollback=True):
            return run(conn, statement, params)
    except psycopg.Error as error:
        return describe(error)


def setup():
    with connect(dbname="postgres") as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(DATABASE)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
        for role, attributes in [("review_plain", "LOGIN"), ("review_monitor", "LOGIN IN ROLE pg_monitor"),
                                 ("authenticator", "LOGIN NOINHERIT"), ("authenticated", "NOLOGIN")]:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
            conn.execute(sql.SQL("CREATE ROLE {} " + attributes + " PASSWORD {}").format(
                sql.Identifier(role), sql.Literal(PASSWORD)))
        conn.execute("GRANT authenticated TO authenticator")
    subprocess.run(["psql", "-Xq", "-v", "ON_ERROR_STOP=1", "-d", DATABASE, "-f", "test/fixture.sql"],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    admin(["ALTER ROLE supabase_auth_admin PASSWORD '%s'" % PASSWORD,
           # any login role may call, as where Supabase's API roles do not exist
           "GRANT EXECUTE ON FUNCTION auth_logout(text, text), auth_session_active(text),"
           " auth_require_session() TO PUBLIC",
           "GRANT USAGE ON SCHEMA jcv_test TO PUBLIC",
           "GRANT SELECT ON jcv_test.tokens TO PUBLIC",
           "SELECT jcv_test.write_secret_file('%s')" % SECRET,
           "ALTER SYSTEM SET jcv_logout.jwt_secret_file = 'jcv_jwt_secret'"])
    reload_and_wait("jcv_logout.jwt_secret_file", "jcv_jwt_secret")


def token(conn, name):
    return conn.execute("SELECT jcv_test.token(%s)", [name]).fetchone()[0]


def readable_settings(conn):
    """Every setting value this role can read, by every route it has."""
    values = [row[0] or "" for row in conn.execute("SELECT setting FROM pg_settings").fetchall()]
    for name in ("jcv_logout.jwt_secret", "jcv_logout.jwt_secret_file", "jcv_logout.jwks"):
        values.append(outcome(conn, "SELECT current_setting(%s, true)", [name]))
        try:
            values.append(str(conn.execute("SELECT current_setting(%s, true)", [name]).fetchone()[0]))
        except psycopg.Error:
            pass
    values += [str(row) for row in conn.execute("SELECT setconfig FROM pg_db_role_setting").fetchall()]
    return "\n".join(values)


def statement_outcome(conn, statement, params=()):
    """As outcome, outside a transaction block (ALTER SYSTEM refuses one);
    pg_stat_activity keeps the statement as the backend's last."""
    try:
        conn.execute(statement, params)
        return "ok"
    except psycopg.Error as error:
        return describe(error)


def key_custody():
    log = server_log()
    # The README's route: the secret in a file, the library not preloaded.
    for role in ("review_plain", "review_monitor"):
        with connect(role, PASSWORD) as conn:
            report("file_route_%s_reads_no_secret" % role, SECRET not in readable_settings(conn))
    with connect("review_plain", PASSWORD) as conn:
        report("file_route_logout_works", outcome(conn, "SELECT auth_logout(%s)",
                                                  [token(conn, "alice_s1")]) == "ok")
    with connect() as conn:
        files = conn.execute("SELECT name, setting FROM pg_file_settings").fetchall()
        report("file_route_pg_file_settings_holds_no_secret",
               ("jcv_logout.jwt_secret_file", "jcv_jwt_secret") in files
               and not any(SECRET in (value or "") for _, value in files))

    # The retired jcv_logout.jwt_secret by the placeholder route: a backend
    # that has not loaded the library but holds a placeholder (any SET makes
    # one) takes ALTER SYSTEM (PostgreSQL cannot check it), and after a reload every role reads the value in
    # backends that have not loaded it, and the postmaster logs it
    # (PostgreSQL's own lines: why secrets live in files). The extension
    # never uses it, even beside the file: where it loads, the value is
    # dropped (SHOW gives ********), every call is SUPABASE_ERROR naming
    # jcv_logout.jwt_secret_file, and its log line holds no value.
    start = log.stat().st_size
    with connect() as conn:
        conn.execute("SET jcv_logout.jwt_secret = ''")
        conn.execute("ALTER SYSTEM SET jcv_logout.jwt_secret = '%s'" % SECRET)
    reload_and_wait("jcv_logout.jwt_secret", SECRET)
    with connect("review_monitor", PASSWORD) as conn:
        refused = outcome(conn, "SELECT auth_logout(%s)", [token(conn, "alice_s1")])
        shown = conn.execute("SELECT current_setting('jcv_logout.jwt_secret', true)").fetchone()[0]
    report("placeholder_secret_refused", refused.startswith("PT503")
           and "jcv_logout.jwt_secret_file" in refused, refused)
    report("placeholder_secret_dropped_where_loaded", shown == "********", shown)
    lines = log_since(log, start).splitlines()
    ours = [line for line in lines if "jcv_logout.jwt_secret is retired" in line]
    dropped = [line for line in ours if "its value is not used" in line]
    report("placeholder_secret_logged_once_without_value",
           len(dropped) == 1 and not any(SECRET in line for line in ours), "%d lines" % len(dropped))
    postgresql_lines = [line for line in lines if SECRET in line]
    report("placeholder_secret_logged_only_by_postgresql_reload",
           all("parameter \"jcv_logout.jwt_secret\" changed to" in line for line in postgresql_lines),
           "%d lines" % len(postgresql_lines))

    # Where the library is loaded, ALTER SYSTEM and SET refuse it, and their
    # statements stay out of the log.
    start = log.stat().st_size
    with connect() as conn:
        conn.execute("LOAD 'jcv_logout'")
        refused = statement_outcome(conn, "ALTER SYSTEM SET jcv_logout.jwt_secret = 'system-%s'" % SECRET)
        report("loaded_alter_system_secret_refused", refused.startswith("22023")
               and "jcv_logout.jwt_secret_file" in refused, refused)
        refused = outcome(conn, "SET jcv_logout.jwt_secret = 'session-%s'" % SECRET)
        report("loaded_set_secret_refused", refused.startswith("22023"), refused)
    report("loaded_refused_statements_not_logged", SECRET not in log_since(log, start))

    # Preloaded, the server configured the old way: the postmaster drops the
    # value at start and logs it once, without the value; every call is
    # SUPABASE_ERROR naming the file setting; no role reads the secret.
    admin(["ALTER SYSTEM SET shared_preload_libraries = 'jcv_logout'"])
    start = log.stat().st_size
    restart()
    with connect("review_monitor", PASSWORD) as conn:
        report("preloaded_monitor_reads_no_secret", SECRET not in readable_settings(conn))
    with connect("review_plain", PASSWORD) as conn:
        refused = outcome(conn, "SELECT auth_logout(%s)", [token(conn, "alice_s1")])
        report("preloaded_retired_secret_refused", refused.startswith("PT503")
               and "jcv_logout.jwt_secret_file" in refused, refused)
    with connect() as conn:
        shown = conn.execute("SHOW jcv_logout.jwt_secret").fetchone()[0]
        report("preloaded_superuser_sees_marker", shown == "********", shown)
        # A secret headed for a catalog: an ERROR, its statement not logged.
        refused = outcome(conn, "ALTER DATABASE %s SET jcv_logout.jwt_secret = 'catalog-%s'"
                          % (DATABASE, SECRET))
        report("catalog_secret_refused", refused.startswith("22023"), refused)
    text = log_since(log, start)
    dropped = [line for line in text.splitlines() if "its value is not used" in line]
    report("preloaded_retired_secret_logged_once_without_value",
           len(dropped) == 1 and SECRET not in text, "%d lines" % len(dropped))

    # Back to the file route: nothing secret in any log line from its start
    # (restart, reload, first calls), nor a token written as a literal, nor
    # a token in pg_stat_activity (parameters, as PostgREST sends them).
    admin(["ALTER SYSTEM RESET jcv_logout.jwt_secret",
           "ALTER SYSTEM RESET shared_preload_libraries",
           "ALTER SYSTEM SET jcv_logout.jwt_secret_file = 'jcv_jwt_secret'"])
    start = log.stat().st_size
    restart()
    admin(["SELECT pg_reload_conf()"])
    with connect("review_plain", PASSWORD) as conn, connect("review_monitor", PASSWORD) as monitor:
        expired = token(conn, "expired")
        seen = []
        for statement, params in [
                ("SELECT auth_logout(%s)", [expired]),
                ("SELECT set_config('request.method', 'POST', false), set_config('request.headers', %s, false),"
                 " auth_logout()", [json.dumps({"authorization": "Bearer " + expired})])]:
            statement_outcome(conn, statement, params)
            seen += [row[0] or "" for row in monitor.execute(
                "SELECT query FROM pg_stat_activity WHERE pid = %s", [conn.info.backend_pid]).fetchall()]
        report("pg_stat_activity_shows_no_token",
               len(seen) == 2 and all("auth_logout(" in query and expired.rsplit(".", 1)[1] not in query
                                      for query in seen), " | ".join(seen))
        refused = outcome(conn, "SELECT auth_logout('%s')" % expired)
    text = log_since(log, start)
    leaked = [what for what, value in [("secret", SECRET), ("literal token", expired.rsplit(".", 1)[1])]
              if value in text]
    leaked += ["statement"] if "auth_logout('" in text else []
    report("file_route_log_holds_no_secret_or_token", refused.startswith("PT401") and not leaked,
           ", ".join(leaked) or refused)


PLANTS = [
    # What the owner of auth.* controls, each recording who runs it and
    # trying to become superuser when it runs as one.
    """CREATE TABLE auth.witness (who name, via text)""",
    """CREATE FUNCTION auth.escalate(via text) RETURNS void LANGUAGE plpgsql AS $$
       BEGIN
         INSERT INTO auth.witness VALUES (current_user, via);
         IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
           ALTER ROLE supabase_auth_admin SUPERUSER;
         END IF;
       END $$""",
    """CREATE FUNCTION auth.escalate_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN PERFORM auth.escalate(TG_TABLE_NAME || ' ' || TG_OP); RETURN NULL; END $$""",
    """CREATE TRIGGER escalate AFTER DELETE ON auth.sessions
       FOR EACH ROW EXECUTE FUNCTION auth.escalate_trigger()""",
    """CREATE TRIGGER escalate AFTER DELETE ON auth.refresh_tokens
       FOR EACH ROW EXECUTE FUNCTION auth.escalate_trigger()""",
    """CREATE TRIGGER escalate AFTER INSERT ON auth.audit_log_entries
       FOR EACH ROW EXECUTE FUNCTION auth.escalate_trigger()""",
    """CREATE FUNCTION auth.escalate_default() RETURNS text LANGUAGE plpgsql AS $$
       BEGIN PERFORM auth.escalate('audit_log_entries default'); RETURN ''; END $$""",
    """ALTER TABLE auth.audit_log_entries ADD COLUMN planted text DEFAULT auth.escalate_default()""",
    """CREATE FUNCTION auth.escalate_policy() RETURNS boolean LANGUAGE plpgsql AS $$
       BEGIN PERFORM auth.escalate('sessions policy'); RETURN true; END $$""",
    """CREATE POLICY escalate ON auth.sessions USING (auth.escalate_policy())""",
    """ALTER TABLE auth.sessions FORCE ROW LEVEL SECURITY""",
]


def privilege_boundary():
    with connect("supabase_auth_admin", PASSWORD) as owner:
        for statement in PLANTS:
            owner.execute(statement)
    with connect() as conn:
        alice = token(conn, "alice_s1")
        claims = json.dumps({"sub": ALICE, "session_id": ALICE_SESSION, "role": "authenticated"})
        calls = [
            ("auth_logout_global", "SELECT auth_logout(%s)", [alice]),
            ("auth_logout_local", "SELECT auth_logout(%s, 'local')", [alice]),
            ("auth_logout_others", "SELECT auth_logout(%s, 'others')", [alice]),
            ("auth_logout_user", "SELECT auth_logout_user(%s)", [ALICE]),
            ("auth_logout_session", "SELECT auth_logout_session(%s)", [ALICE_SESSION]),
            ("auth_purge_sessions", "SELECT auth_purge_sessions('1 second')", []),
            ("auth_session_active", "SELECT auth_session_active(%s)", [alice]),
            ("auth_require_session", "SELECT set_config('request.jwt.claims', %s, true),"
                                     " auth_require_session()", [claims]),
        ]
        conn.execute("SELECT auth_enable_logout_triggers()")
        for name, statement, params in calls:
            with conn.transaction(force_rollback=True):
                witnessed(conn, name, run(conn, statement, params))
    # No user traffic at all: the owner bans a user, the logout trigger fires.
    with connect("supabase_auth_admin", PASSWORD) as owner:
        with owner.transaction(force_rollback=True):
            witnessed(owner, "logout_trigger_on_ban",
                      run(owner, "UPDATE auth.users SET banned_until = now() + interval '1 day'"
                                 " WHERE id = %s", [ALICE]))
    # The batched purge commits between batches: run it for real, then look.
    with connect() as conn:
        conn.execute("DELETE FROM auth.witness")
        witnessed(conn, "auth_purge_sessions_batched",
                  run(conn, "CALL auth_purge_sessions_batched('1 second', 1)"))


def witnessed(conn, name, result):
    """One case: the call succeeded, the planted code ran, and only as the owner."""
    rows = conn.execute("SELECT DISTINCT who::text, via FROM auth.witness ORDER BY 2").fetchall()
    superuser = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = 'supabase_auth_admin'").fetchone()[0]
    runners = sorted({who for who, _ in rows})
    report("owner_code_%s_runs_as_owner" % name,
           result == "ok" and rows != [] and runners == ["supabase_auth_admin"] and not superuser,
           "%s; ran: %s; superuser: %s" % (result, ", ".join(via for _, via in rows) or "nothing", superuser))


def hostile_documents():
    def members(count, name="m%d"):
        return "{" + ",".join(('"' + name + '":%d') % (i, i) for i in range(count)) + "}"

    # member counts whose documents stay within the cap (longest member each)
    fitting = REQUEST_JSON_CAP // len('"m99999":99999,')
    colliding = REQUEST_JSON_CAP // len('"aaaaaaaa99999bbbbbbbb":99999,')
    documents = [("%dk_members" % (count // 1000), members(count), "PT401") for count in HOSTILE_MEMBERS]
    documents += [("1MB", '{"a":"' + "x" * HOSTILE_BYTES + '"}', "PT401"),
                  ("cap_sized_members", members(fitting), "ok"),
                  ("cap_sized_colliding_names", members(colliding, "aaaaaaaa%05dbbbbbbbb"), "ok")]
    with connect("review_plain", PASSWORD) as conn:
        for name, document, claims_answer in documents:
            for setting, statement, expected in [("request.jwt.claims", "SELECT auth_require_session()", claims_answer),
                                                 ("request.headers", "SELECT auth_logout()", "PT401")]:
                with conn.transaction(force_rollback=True):
                    conn.execute("SELECT set_config(%s, %s, true)", [setting, document])
                    began = time.monotonic()
                    result = run(conn, statement)
                    seconds = time.monotonic() - began
                report("hostile_%s_%s" % (setting.split(".")[-1], name),
                       result.startswith(expected) and seconds < HOSTILE_SECONDS,
                       "%d bytes, %.3f s, %s" % (len(document), seconds, result))


def connection_options():
    admin(["ALTER ROLE authenticator SET jcv_logout.require_session = on",
           "ALTER ROLE authenticator SET jcv_logout.issuer = 'https://example.supabase.co/auth/v1'",
           "ALTER ROLE authenticator SET jcv_logout.idle_timeout = '1h'"])
    options = ["-c jcv_logout.require_session=off", "-c jcv_logout.issuer=",
               "-c jcv_logout.idle_timeout=0"]
    # Not preloaded: the first call loads the library and ends the connection.
    log = server_log()
    for option in options:
        start = log.stat().st_size
        with connect("authenticator", PASSWORD, options=option) as conn:
            result = outcome(conn, "SELECT auth_session_active(NULL)")
            ended = conn.closed or conn.broken
        refused = "FATAL:  connection options may not set" in log_since(log, start)
        report("options_%s_on_demand_ends_connection" % option.split()[1].split("=")[0].split(".")[1],
               ended and refused, result)
    # session_preload_libraries (a route the README gives): refused at connection.
    admin(["ALTER SYSTEM SET session_preload_libraries = 'jcv_logout'"])
    reload_and_wait("session_preload_libraries", "jcv_logout")
    for option in options:
        try:
            with connect("authenticator", PASSWORD, options=option):
                refused = ""
        except psycopg.OperationalError as error:
            refused = str(error)
        report("options_%s_session_preload_refused" % option.split()[1].split("=")[0].split(".")[1],
               "connection options may not set" in refused, fatal_line(refused) if refused else "connected")
    with connect("authenticator", PASSWORD) as conn:
        shown = conn.execute("SELECT current_setting('jcv_logout.require_session')").fetchone()[0]
        report("options_admin_value_holds", shown == "on", shown)
    with connect(options="-c jcv_logout.require_session=off") as conn:
        shown = conn.execute("SELECT current_setting('jcv_logout.require_session')").fetchone()[0]
        report("options_superuser_may_set", shown == "off", shown)
    admin(["ALTER SYSTEM RESET session_preload_libraries"])
    reload_and_wait("session_preload_libraries", "")


def main():
    setup()
    key_custody()
    privilege_boundary()
    hostile_documents()
    connection_options()
    sys.exit(1 if False in results else 0)


if __name__ == "__main__":
    main()
