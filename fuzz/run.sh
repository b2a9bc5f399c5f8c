#!/bin/bash
# Builds every fuzz/fuzz_*.c target with libFuzzer, AddressSanitizer and
# UBSan (clang) against the pure sources (src/*.c without postgres.h, plus the
# tests' token signer test/support/token_signing.c) and
# runs each for FUZZ_SECONDS (default 60). Any crash, leak, sanitizer report
# or timeout fails the run; the input that caused it is kept in
# fuzz/artifacts/. Prints "fuzz ... ok" or "fuzz ... FAILED" at the end.
#   bash fuzz/run.sh                     FUZZ_SECONDS=600 bash fuzz/run.sh
# A new target is a new fuzz/fuzz_<name>.c; extra seeds go in
# fuzz/corpus/fuzz_<name>/. Every target is also seeded with the tokens of
# test/tokens.sql.
set -uo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-60}
max_len=16384
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

pure_sources=$(grep -L '#include "postgres.h"' src/*.c)
mkdir "$work/tokens"
n=0
grep -o "'eyJ[^']*'" test/tokens.sql | tr -d "'" | while read -r token; do
  n=$((n + 1))
  printf '%s' "$token" > "$work/tokens/token_$n"
done

failed=0
for source in fuzz/fuzz_*.c; do
  target=$(basename "$source" .c)
  if ! clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
      -Isrc -Itest/support "$source" test/support/token_signing.c $pure_sources -ljansson -lcrypto -o "$work/$target"; then
    echo "  $target: build failed"
    failed=1
    continue
  fi
  corpus="$work/corpus_$target"
  mkdir "$corpus"
  cp "$work"/tokens/* "$corpus"/
  if [ -d "fuzz/corpus/$target" ]; then
    cp fuzz/corpus/"$target"/* "$corpus"/
  fi
  mkdir -p fuzz/artifacts
  if "$work/$target" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="fuzz/artifacts/$target-" \
      "$corpus" > "$work/$target.log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$target.log" | grep -o '[0-9]*$')
    echo "  $target: $runs runs in ${seconds}s, no finding"
  else
    echo "  $target: FINDING (input kept in fuzz/artifacts/)"
    tail -n 60 "$work/$target.log"
    failed=1
  fi
done
rmdir fuzz/artifacts 2>/dev/null

if [ "$failed" -eq 0 ]; then
  echo "fuzz ... ok"
else
  echo "fuzz ... FAILED"
fi
exit "$failed"
