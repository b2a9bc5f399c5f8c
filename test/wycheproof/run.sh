#!/bin/bash
# Builds and runs the Project Wycheproof conformance test of the pure token
# code (no PostgreSQL) over every vector file in test/wycheproof/vectors/
# (copied from upstream; SOURCE there names the commit).
#   bash test/wycheproof/run.sh     prints "wycheproof_<file> ... ok|FAILED"
#   WYCHEPROOF_DIR=/path/to/vectors bash test/wycheproof/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

vectors=${WYCHEPROOF_DIR:-test/wycheproof/vectors}
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
# The pure sources: those that do not include postgres.h.
pure_sources=$(grep -L '#include "postgres.h"' src/*.c)
gcc -std=gnu99 -O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined \
  -fno-sanitize-recover=all -Isrc -Itest/support test/wycheproof/wycheproof_test.c \
  test/support/token_signing.c $pure_sources \
  -ljansson -lcrypto -o "$build/wycheproof_test"
"$build/wycheproof_test" "$vectors"
