#!/bin/bash
# Installs what building and testing jcv_logout needs on Debian 12, as root:
# the tools, and the server packages of the PostgreSQL the tests run against
# when Debian manages it (PG_CONFIG unset: Debian 12's 15). A server that
# PG_CONFIG names elsewhere (built from source, say /opt/pg17) is used as it
# is: its suites that need Debian's packages say they are skipped.
# Idempotent: apt runs only when a package is missing.
set -euo pipefail

debian_major=15
if [ -n "${PG_CONFIG:-}" ]; then
  if [[ $PG_CONFIG =~ ^/usr/lib/postgresql/([0-9]+)/bin/pg_config$ ]]; then
    debian_major=${BASH_REMATCH[1]}
  elif bindir=$("$PG_CONFIG" --bindir 2>/dev/null) && [[ $bindir =~ ^/usr/lib/postgresql/([0-9]+)/bin$ ]]; then
    debian_major=${BASH_REMATCH[1]}   # Debian's /usr/bin/pg_config
  else
    debian_major=
  fi
fi

packages=(
  make gcc
  libjansson-dev libssl-dev
  python3-jwt python3-cryptography   # the independent token signer (PyJWT)
  python3-psycopg                    # a real client: server-side bind parameters
  clang libclang-rt-14-dev           # libFuzzer + sanitizers (fuzz/run.sh)
  valgrind                           # memcheck run (test/sanitizers.sh)
)
if [ -n "$debian_major" ]; then
  packages+=(
    "postgresql-$debian_major" "postgresql-server-dev-$debian_major" postgresql-common
    "postgresql-$debian_major-cron"    # the scheduled purge (test/pg_cron_purge.sh)
    debhelper dpkg-dev postgresql-all  # the Debian package build (pg_buildext)
  )
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
