#!/bin/bash
# Verification cost per call, ours next to bare OpenSSL, for the test tokens
# of each key type (test/tokens.sql, keys in test/keys/). Not a test.
#   bash bench/run_verify.sh      (or: make bench-verify)
set -euo pipefail
cd "$(dirname "$0")/.."

make -s bench/verify_bench

row() {  # the value of a named row of test/tokens.sql
  sed -n "s/^('$1', '\(.*\)')[,;]\$/\1/p" test/tokens.sql
}

SECRET='super-secret-jwt-token-with-at-least-32-characters-long'
echo "OpenSSL $(openssl version | cut -d' ' -f2), $(nproc) CPUs: $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1)"
echo
./bench/verify_bench "$SECRET" "$(row all)" \
  HS256 "$(row alice_s1)" - 200000 \
  RS256 "$(row jwks_rs256)" test/keys/rsa2048_private.pem 20000 \
  PS256 "$(row jwks_ps256)" test/keys/rsa2048_private.pem 20000 \
  ES256 "$(row jwks_es256)" test/keys/p256_private.pem 10000 \
  ES384 "$(row jwks_es384)" test/keys/p384_private.pem 1000 \
  ES512 "$(row jwks_es512)" test/keys/p521_private.pem 1000 \
  EdDSA "$(row jwks_eddsa)" test/keys/ed25519_private.pem 10000
