#!/bin/bash
# Runs the pg_regress suites against the extension inside a real server
# under a memory checker, on a throwaway cluster, and prints
# "<checker>_<suite> ... ok|FAILED" lines.
#   flock /tmp/jcv_logout.install.lock bash test/sanitizers.sh [valgrind|asan]
# As root, under the install lock: it installs the build it needs into
# PG_CONFIG's server (test/pg_target.sh) and puts the normal one back when it
# ends.
#
# valgrind (default, what CI runs, ~25 s): the postmaster runs under
# memcheck, which follows every forked backend (one log per process); any
# error with a frame in jcv_logout.so or our sources fails. Errors inside
# PostgreSQL itself (it is not built for valgrind) are not ours.
#
# asan: AddressSanitizer + UBSan build (make ASAN=1); an instrumented module
# in an uninstrumented postgres needs the ASan runtime first, so the
# postmaster starts with LD_PRELOAD=$(gcc -print-file-name=libasan.so) and
# detect_leaks=0 (backends free memory by context, not one by one). On
# Debian 12 this deadlocks at startup: libgpg-error's constructor (pulled in
# by libpq's dependencies) calls bindtextdomain before the preloaded
# runtime has initialised. The mode fails after 60 s with that message; the
# pure code runs under ASan/UBSan in test/unit/run.sh and fuzz/run.sh.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
. test/pg_target.sh

what=${1:-valgrind}
bindir=$PG_BINDIR
work=$(mktemp -d)
chown postgres: "$work"
port=$((55000 + RANDOM % 1000))
status=0

stop_server() {
  if [ -f "$work/data/postmaster.pid" ]; then
    runuser -u postgres -- "$bindir/pg_ctl" -D "$work/data" -m immediate -w stop >/dev/null 2>&1
  fi
}
restore_normal_build() {
  stop_server
  make -s clean
  make -s COPT='-Wall -Wextra -Werror' && make -s install >/dev/null
  rm -rf "$work"
}
trap restore_normal_build EXIT

new_cluster() {
  stop_server
  rm -rf "$work/data"
  runuser -u postgres -- "$bindir/initdb" -D "$work/data" -A trust -U postgres >/dev/null
}

wait_ready() {  # wait_ready <seconds>
  for _ in $(seq "$1"); do
    "$bindir/pg_isready" -q -h "$work" -p "$port" && return 0
    sleep 1
  done
  return 1
}

run_suites() {  # run_suites <label> <make installcheck arguments...>
  local label=$1 out
  shift
  out="$work/$label.out"
  PGHOST="$work" PGPORT="$port" PGUSER=postgres make installcheck "$@" 2>&1 | pg_regress_lines > "$out"
  grep -E '^(test | +)?[a-z0-9_]+ +\.\.\. (ok|FAILED|failed)' "$out" |
    sed -E "s/^(test | +)?([a-z0-9_]+) +\.\.\. (ok|FAILED|failed).*/${label}_\2 ... \3/"
  if grep -Eq '\.\.\. (FAILED|failed)' "$out"; then
    cat regression.diffs output_iso/regression.diffs 2>/dev/null | head -n 80
    status=1
  fi
}

if [ "$what" = asan ]; then
  make -s clean
  make -s ASAN=1 COPT='-Wall -Wextra -Werror' && make -s ASAN=1 install >/dev/null || exit 1
  new_cluster
  runuser -u postgres -- env \
    LD_PRELOAD="$(gcc -print-file-name=libasan.so)" \
    ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:log_path=$work/asan" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$work/ubsan" \
    "$bindir/postgres" -D "$work/data" -p "$port" -k "$work" -c listen_addresses='' \
    > "$work/asan_server.log" 2>&1 &
  server=$!
  if ! wait_ready 60; then
    pkill -KILL -P "$server" 2>/dev/null; kill "$server" 2>/dev/null
    echo "asan_server ... FAILED (postmaster with libasan preloaded did not start; see the header)"
    exit 1
  fi
  run_suites asan
  stop_server
  if ls "$work"/asan.* "$work"/ubsan.* >/dev/null 2>&1; then
    cat "$work"/asan.* "$work"/ubsan.* 2>/dev/null | head -n 80
    echo "asan_reports ... FAILED"
    status=1
  else
    echo "asan_reports ... ok"
  fi
fi

if [ "$what" = valgrind ]; then
  make -s clean
  make -s COPT='-Wall -Wextra -Werror -O0' && make -s install >/dev/null || exit 1
  new_cluster
  # memcheck follows every forked backend; %p gives each its own log.
  runuser -u postgres -- valgrind --quiet --tool=memcheck --trace-children=yes \
    --track-origins=no --read-var-info=no --num-callers=30 \
    --log-file="$work/valgrind.%p.log" \
    "$bindir/postgres" -D "$work/data" -p "$port" -k "$work" -c listen_addresses='' \
    > "$work/valgrind_server.log" 2>&1 &
  if ! wait_ready 120; then
    echo "valgrind ... FAILED (server did not start)"
    exit 1
  fi
  run_suites valgrind ISOLATION=
  stop_server
  # One log per process proves the backends ran under memcheck; errors
  # count when one of their frames is in our module.
  processes=$(ls "$work"/valgrind.*.log | wc -l)
  if [ "$processes" -lt 10 ]; then
    echo "valgrind_followed_backends ... FAILED (only $processes processes)"
    status=1
  fi
  ours=$(python3 test/valgrind_errors.py jcv_logout "$work"/valgrind.*.log)
  if [ "$ours" = 0 ]; then
    echo "valgrind_errors_in_jcv_logout ... ok"
  else
    python3 test/valgrind_errors.py --print jcv_logout "$work"/valgrind.*.log | head -n 80
    echo "valgrind_errors_in_jcv_logout ... FAILED ($ours)"
    status=1
  fi
fi

exit "$status"
