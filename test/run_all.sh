#!/bin/bash
# Runs every test suite of jcv_logout against real, throwaway PostgreSQL
# clusters and ends with "N passed, N failed" (", N skipped" when a suite
# cannot run against that server).
#   bash test/run_all.sh        (as root on Debian 12; installs what it needs)
#   PG_CONFIG=/opt/pg17/bin/pg_config bash test/run_all.sh
# The server is PG_CONFIG's, as for any PGXS extension (test/pg_target.sh):
# by default Debian 12's PostgreSQL 15, whose clusters pg_virtualenv makes;
# an installation built from source gets clusters from its own initdb and
# pg_ctl (test/virtualenv.sh).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

bash test/install_deps.sh || exit 1
. test/pg_target.sh
echo "server: $("$PG_CONFIG" --version) ($PG_CONFIG${PG_DEBIAN:+, Debian-managed})"

passed=0
failed=0
skipped=0

# run_suite NAME COMMAND...: runs a suite, shows its output, and counts its
# "… ... ok" / "… ... FAILED" / "… ... skipped (why)" result lines. A suite
# that exits non-zero without reporting a failed case counts as one failure
# of its own. A skipped suite counts neither as passed nor as failed.
run_suite() {
  local name=$1 log rc p f s
  shift
  log=$(mktemp)
  "$@" >"$log" 2>&1
  rc=$?
  cat "$log"
  p=$(grep -Ec ' \.\.\. ok( |$)' "$log")
  f=$(grep -Ec ' \.\.\. (FAILED|failed)( |$)' "$log")
  s=$(grep -Ec ' \.\.\. skipped( |$)' "$log")
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "$name exited with status $rc ... FAILED"
    f=1
  fi
  passed=$((passed + p))
  failed=$((failed + f))
  skipped=$((skipped + s))
  echo "== $name: $p passed, $f failed$([ "$s" -gt 0 ] && echo ", $s skipped")"
  rm -f "$log"
}

# pg_regress and pg_isolation_regress (ISOLATION) through a throwaway
# cluster; every test listed in REGRESS and ISOLATION must report (their
# result lines as "name ... ok|FAILED" whatever the version prints).
# "preloaded": with jcv_logout in shared_preload_libraries (the session
# cache at work), PRELOADED_REGRESS and every isolation spec again.
regression_suite() {
  local log expected ran options=() tests=()
  if [ "${1:-}" = preloaded ]; then
    options=(-o shared_preload_libraries=jcv_logout -o max_prepared_transactions=2)
    tests=(REGRESS="$(make -s print-preloaded-regress)")
  fi
  log=$(mktemp)
  bash test/virtualenv.sh "${options[@]}" make installcheck "${tests[@]}" 2>&1 | pg_regress_lines >"$log"
  cat "$log"
  for diffs in regression.diffs output_iso/regression.diffs; do
    [ -s "$diffs" ] && head -n 300 "$diffs"
  done
  expected=$(make -s print-regress "${tests[@]}" | wc -w)
  ran=$(grep -Ec ' \.\.\. (ok|FAILED|failed)( |$)' "$log")
  rm -f "$log"
  if [ "$ran" -lt "$expected" ]; then
    echo "pg_regress reported $ran of $expected tests ... FAILED"
    return 1
  fi
}

# The checked-in tokens are exactly what PyJWT mints from test/mint_tokens.py
# (randomized ECDSA/PSS signatures: verified by PyJWT over the same bytes).
tokens_reproducible() {
  if /usr/bin/python3 test/mint_tokens.py --check test/tokens.sql; then
    echo "tokens reproducible from test/mint_tokens.py ... ok"
  else
    echo "tokens reproducible from test/mint_tokens.py ... FAILED"
  fi
}

# The Debian package first: it installs, tests and removes itself (Debian's
# servers only: pg_buildext builds for the versions postgresql-common manages).
run_suite "debian package" bash test/package_check.sh

make -s clean
make -s COPT='-Wall -Wextra -Werror' || { echo "0 passed, 1 failed"; exit 1; }
make -s install >/dev/null || { echo "0 passed, 1 failed"; exit 1; }

run_suite "tokens" tokens_reproducible

# sql/fidelity.sql's inputs: its tokens (PyJWT) and the audit payloads Go's
# own encoding/json writes for Supabase Auth's map (skipped without Go).
fidelity_inputs_reproducible() {
  if /usr/bin/python3 test/mint_fidelity_tokens.py --check test/fidelity_tokens.sql; then
    echo "fidelity tokens reproducible from test/mint_fidelity_tokens.py ... ok"
  else
    echo "fidelity tokens reproducible from test/mint_fidelity_tokens.py ... FAILED"
  fi
  local go
  go=$(PATH=$PATH:/usr/local/go/bin command -v go) || go=
  if [ -z "$go" ]; then
    echo "audit payloads reproducible from test/gotrue_audit (no go) ... skipped"
  elif "$go" run test/gotrue_audit/main.go | cmp -s - test/gotrue_audit_payloads.sql; then
    echo "audit payloads reproducible from test/gotrue_audit ... ok"
  else
    echo "audit payloads reproducible from test/gotrue_audit ... FAILED"
  fi
}
run_suite "fidelity inputs" fidelity_inputs_reproducible
run_suite "META.json" /usr/bin/python3 test/check_meta.py
run_suite "pg_regress" regression_suite
run_suite "pg_regress, library preloaded" regression_suite preloaded
# A few iterations of every benchmark, so bench/ does not rot; no timing judged.
run_suite "bench smoke" bash bench/run.sh --smoke

# The benchmarks that are scripts of their own, each at its smallest scale:
# ran to the end and printed its figures (not judged).
bench_scripts_smoke() {
  local name figure_pattern out
  while IFS='|' read -r name figure_pattern; do
    if out=$(eval "$name" </dev/null 2>&1) && grep -Eq "$figure_pattern" <<<"$out"; then
      echo "$name ... ok"
    else
      tail -n 30 <<<"$out"
      echo "$name ... FAILED"
    fi
  done <<'BENCHES'
bash bench/run_verify.sh|^\| EdDSA \| [0-9.]+
ROUNDS=5 bash bench/devices_listing.sh|median [0-9.]+ ms
ROUNDS=5 bash bench/session_valid_policy.sh|AND \(select auth_session_valid\(\)\)` \| [0-9.]+
SESSIONS=2000 bash bench/purge.sh|auth_purge_sessions_batched
SESSIONS=2000 USERS=500 DURATION=1 ROUNDS=1 CLIENTS=1 bash bench/require_session.sh|require_session = on
BENCHES
}
run_suite "bench scripts smoke" bench_scripts_smoke

# PostgREST's requests replayed over the wire by a real client (psycopg 3),
# on a cluster of its own: it creates Supabase's API roles, which would change
# what the pg_regress suites see. One line per case.
run_suite "postgrest replay" bash test/virtualenv.sh /usr/bin/python3 test/postgrest_replay.py

# Supabase Realtime's and Storage's statements against auth_session_valid()
# in row level security policies, on a cluster of their own. One line per case.
run_suite "services replay" bash test/virtualenv.sh /usr/bin/python3 test/services_replay.py

# The session cache under real concurrency: requests in four backends while two
# connections end their sessions every way, for RACE_SECONDS (20). One line per check.
run_suite "session cache race" bash test/virtualenv.sh -o shared_preload_libraries=jcv_logout /usr/bin/python3 test/session_cache_race.py

# The session cache's cases that need the whole cluster (docs/design.md): a
# transaction prepared before the library was preloaded, committed after the
# restart; deletes and TRUNCATE arriving by logical replication between two
# databases. It restarts the server. One line per case.
run_suite "session cache, cluster" bash test/virtualenv.sh /usr/bin/python3 test/session_cache_cluster.py

# The outside security review's attacks, on a cluster of their own (it
# restarts the server with the library preloaded and back). One line per case.
run_suite "security review" bash test/virtualenv.sh /usr/bin/python3 test/security_review.py

# The key files against a hostile file system (a FIFO, a directory, a
# symbolic link swapped between calls, a file changed while it is read), on
# a cluster of its own. One line per case.
run_suite "key files" bash test/virtualenv.sh /usr/bin/python3 test/key_files.py

# The pure token code alone: unit tests, Project Wycheproof's vectors (in
# test/wycheproof/vectors/), then the fuzz targets for a bounded
# time (FUZZ_SECONDS per target; fuzz/run.sh alone defaults to 60).
run_suite "unit tests" bash test/unit/run.sh
run_suite "wycheproof" bash test/wycheproof/run.sh
FUZZ_SECONDS=${FUZZ_SECONDS:-20} run_suite "fuzzing" bash fuzz/run.sh

# The README's quick start, as a newcomer runs it: a real logout shown.
quick_start() {
  local out
  out=$(bash demo/try.sh 2>&1)
  echo "$out"
  if grep -q '^same token again -> SQLSTATE PT401' <<<"$out"; then
    echo "demo/try.sh shows a logout and the token refused after it ... ok"
  else
    echo "demo/try.sh shows a logout and the token refused after it ... FAILED"
  fi
}
run_suite "quick start" quick_start

# Every SQL and shell block of README.md and docs/ run as written, or marked
# with the reason it cannot run here (test/doc_test.py). One line per block.
run_suite "doc tests" bash test/virtualenv.sh /usr/bin/python3 test/doc_test.py

# Nothing the extension logs holds a token or the secret, at debug5.
run_suite "log secrets" bash test/virtualenv.sh sh -c 'make -s isolation-fixture >/dev/null && /usr/bin/python3 test/log_secrets.py'

# Every pg_regress suite again with the server under valgrind memcheck (ends by
# reinstalling the normal build). JCV_SKIP_SANITIZERS=1 skips it locally.
if [ -z "${JCV_SKIP_SANITIZERS:-}" ]; then
  run_suite "sanitizers" bash test/sanitizers.sh
fi

# The session check on a streaming replica (PostgREST read replicas).
run_suite "hot standby" bash test/hot_standby.sh

# The session purge as pg_cron runs it, on a cluster with pg_cron preloaded
# (where pg_cron is installed for that server).
run_suite "pg_cron purge" bash test/pg_cron_purge.sh

# Supabase Auth's traffic and ours for a minute, then through crashes, on a
# primary and a hot standby of its own: one line per invariant, no timing judged.
run_suite "soak" bash test/soak.sh

summary="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary+=", $skipped skipped"
echo "$summary"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
