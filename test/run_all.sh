#!/bin/bash
# Runs every test suite of jcv_logout against a real, throwaway PostgreSQL
# cluster (pg_virtualenv) and ends with "N passed, N failed".
#   bash test/run_all.sh        (as root on Debian 12; installs what it needs)
set -uo pipefail
cd "$(dirname "$0")/.."

bash test/install_deps.sh || exit 1
make -s clean
make -s COPT='-Wall -Wextra -Werror' || exit 1
make -s install >/dev/null || exit 1

passed=0
failed=0
count() {  # count pass/fail lines of pg_regress output in $1
  local p f
  p=$(grep -Ec '^(test | +)?[a-z0-9_]+ +\.\.\. ok' "$1")
  f=$(grep -Ec '^(test | +)?[a-z0-9_]+ +\.\.\. (FAILED|failed)' "$1")
  passed=$((passed + p))
  failed=$((failed + f))
}

# The checked-in tokens are exactly what PyJWT mints from test/mint_tokens.py.
if /usr/bin/python3 test/mint_tokens.py | cmp -s - test/tokens.sql; then
  echo "tokens reproducible from test/mint_tokens.py ... ok"
  passed=$((passed + 1))
else
  echo "tokens reproducible from test/mint_tokens.py ... FAILED"
  failed=$((failed + 1))
fi

# A script that fails without printing a FAILED line still counts once.
run_counted() {  # run_counted <command...>
  local out rc
  out=$(mktemp)
  "$@" 2>&1 | tee "$out"
  rc=${PIPESTATUS[0]}
  count "$out"
  if [ "$rc" -ne 0 ] && ! grep -Eq '\.\.\. (FAILED|failed)' "$out"; then
    echo "$* ... FAILED (exit $rc)"
    failed=$((failed + 1))
  fi
  rm -f "$out"
}

# The pure token code alone: unit tests, then the fuzz targets for a bounded
# time (FUZZ_SECONDS per target; fuzz/run.sh alone defaults to 60).
run_counted bash test/unit/run.sh
FUZZ_SECONDS=${FUZZ_SECONDS:-20} run_counted bash fuzz/run.sh

log=$(mktemp)
pg_virtualenv make installcheck 2>&1 | tee "$log"
count "$log"
# pg_regress and pg_isolation_regress (ISOLATION) both print "test x ... ok".
# A suite that never ran is a failure, not a silent pass.
expected=$(make -s -f Makefile print-regress 2>/dev/null | wc -w)
ran=$(grep -Ec '^(test | +)?[a-z0-9_]+ +\.\.\. (ok|FAILED|failed)' "$log")
if [ "$ran" -lt "$expected" ]; then
  echo "pg_regress ran $ran of $expected tests"
  failed=$((failed + expected - ran))
fi
for diffs in regression.diffs output_iso/regression.diffs; do
  if [ -f "$diffs" ] && [ -s "$diffs" ]; then
    head -n 200 "$diffs"
  fi
done
rm -f "$log"

# Nothing the extension logs holds a token or the secret, at debug5.
run_counted pg_virtualenv sh -c 'make -s isolation-fixture >/dev/null && /usr/bin/python3 test/log_secrets.py'

# Every suite again under ASan/UBSan, a short one under valgrind (ends by
# reinstalling the normal build). JCV_SKIP_SANITIZERS=1 skips it locally.
if [ -z "${JCV_SKIP_SANITIZERS:-}" ]; then
  run_counted bash test/sanitizers.sh
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
