# shellcheck shell=bash
# Sourced by the test scripts: the PostgreSQL installation they build for and
# run against, chosen by PG_CONFIG as for any PGXS extension (default: the
# pg_config on PATH, on Debian 12 its PostgreSQL 15).
#   PG_CONFIG=/opt/pg17/bin/pg_config bash test/run_all.sh
# Sets and exports PG_CONFIG (absolute), PG_BINDIR and PG_MAJOR, puts
# PG_BINDIR first on PATH (psql, pg_ctl, initdb of that installation), and
# sets PG_DEBIAN=1 when Debian's postgresql-common manages that version
# (pg_virtualenv, pg_buildext, extension_destdir), else empty.

PG_CONFIG=$(command -v "${PG_CONFIG:-pg_config}") || {
  echo "pg_config not found: install PostgreSQL's server headers or set PG_CONFIG" >&2
  exit 1
}
PG_BINDIR=$("$PG_CONFIG" --bindir)
PG_MAJOR=$("$PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
PG_DEBIAN=
if [ "$PG_BINDIR" = "/usr/lib/postgresql/$PG_MAJOR/bin" ] && command -v pg_virtualenv >/dev/null; then
  PG_DEBIAN=1
fi
PATH="$PG_BINDIR:$PATH"
export PG_CONFIG PG_BINDIR PG_MAJOR PG_DEBIAN PATH

# pg_regress_lines: a filter that rewrites the per-test result lines of
# pg_regress and pg_isolation_regress to "name ... ok|FAILED" whatever the
# version prints: 15 "test name ... ok 12 ms", 16 and later TAP ("ok 1 -
# name 12 ms", "not ok 2 + name 8 ms"). Every other line passes unchanged.
pg_regress_lines() {
  sed -E -e 's/^ok +[0-9]+ +[-+] +([A-Za-z0-9_]+)( .*)?$/\1 ... ok/' \
    -e 's/^not ok +[0-9]+ +[-+] +([A-Za-z0-9_]+)( .*)?$/\1 ... FAILED/'
}
