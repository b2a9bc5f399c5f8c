#!/bin/bash
# Builds and runs the unit tests of the pure token code (no PostgreSQL).
#   bash test/unit/run.sh       prints "unit_<case> ... ok|FAILED"
set -euo pipefail
cd "$(dirname "$0")/../.."

build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
# The pure sources: those that do not include postgres.h.
pure_sources=$(grep -L '#include "postgres.h"' src/*.c)
gcc -std=gnu99 -O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined \
  -fno-sanitize-recover=all -Isrc -Itest/support test/unit/test_pure.c \
  test/support/token_signing.c $pure_sources \
  -ljansson -lcrypto -o "$build/test_pure"
"$build/test_pure"
