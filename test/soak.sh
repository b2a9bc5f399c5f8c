#!/bin/bash
# The soak (test/soak.py): Supabase Auth's traffic and ours for a while, then
# through crashes, on a primary and a hot standby of its own; one line per
# invariant ("... ok|FAILED").
#   bash test/soak.sh            short: ~1 minute of traffic, 8k sessions (CI)
#   bash test/soak.sh --full     1M sessions, 10 + 3 minutes (README figures)
# More: /usr/bin/python3 test/soak.py --help. The server binaries come from
# PG_CONFIG (else the pg_config on PATH); the extension must be installed there.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = --full ]; then
  shift
  set -- --preset full "$@"
fi
exec /usr/bin/python3 test/soak.py "$@"
