#!/bin/bash
# Benchmarks jcv_logout side by side with the floors and the PL/pgSQL way, in
# one run on a throwaway cluster, and writes bench/results.md.
#   bash bench/run.sh            (= make bench; ~10 minutes)
#   bash bench/run.sh --smoke    (seconds, timings not judged: what CI runs so
#                                 the bench does not rot)
# The server is PG_CONFIG's (test/pg_target.sh). On a Debian-managed server
# the extension is installed into bench/build/destdir, which the cluster loads
# it from (Debian's extension_destdir): the shared installation, which other
# builds may replace meanwhile, is never used or touched. Upstream PostgreSQL
# has no extension_destdir: on a server built from source (say /opt/pg17) the
# extension is installed into that server's own directories.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=full
case "${1:-}" in
  --smoke) mode=smoke ;;
  "") ;;
  *) echo "usage: bash bench/run.sh [--smoke]" >&2; exit 2 ;;
esac

build_dir=$PWD/bench/build
destdir=$build_dir/destdir
mkdir -p "$build_dir"

# The pure verifier (no postgres.h) and OpenSSL, timed in one process.
gcc -O2 -Wall -Wextra -Werror -Isrc -o "$build_dir/hs256_stages_bench" \
  bench/hs256_stages_bench.c $(grep -L "#include \"postgres.h\"" src/*.c) -ljansson -lcrypto -lm

[ "$mode" = full ] && bash test/install_deps.sh
. test/pg_target.sh
make -s COPT='-Wall -Wextra -Werror'
if [ -n "$PG_DEBIAN" ]; then
  rm -rf "$destdir"
  make -s install DESTDIR="$destdir" >/dev/null
  install_options=(-o extension_destdir="$destdir"
                   -o dynamic_library_path="$destdir/usr/lib/postgresql/$PG_MAJOR/lib:\$libdir")
  installed_in=$destdir
else
  make -s install >/dev/null
  install_options=()
  installed_in=$("$PG_CONFIG" --pkglibdir)
fi

if [ "$mode" = full ]; then
  out=bench/results.md
else
  out=$(mktemp --suffix=.md)
  trap 'rm -f "$out"' EXIT
fi

# Bulk loading and timing: data in memory, no checkpoints mid-run. Every
# measured transaction rolls back, so fsync never enters a figure.
bash test/virtualenv.sh "${install_options[@]}" \
  -o shared_buffers=1GB -o max_wal_size=8GB -o checkpoint_timeout=30min \
  -o maintenance_work_mem=256MB -o fsync=off -o synchronous_commit=off -o jit=off \
  /usr/bin/python3 bench/bench.py --mode "$mode" --harness "$build_dir/hs256_stages_bench" \
    --destdir "$installed_in" --out "$out" --command "bash bench/run.sh${1:+ $1}"

[ "$mode" = full ] && echo "results: $out"
exit 0
