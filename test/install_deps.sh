#!/bin/bash
# Installs what building and testing jcv_logout needs on Debian 12, as root.
# Idempotent: apt runs only when a package is missing.
set -euo pipefail

packages=(
  make gcc
  postgresql-15 postgresql-server-dev-15 postgresql-common
  libjansson-dev libssl-dev
  python3-jwt python3-cryptography   # the independent token signer (PyJWT)
  python3-psycopg                    # a real client: server-side bind parameters
  postgresql-15-cron                 # the scheduled purge (test/pg_cron_purge.sh)
  debhelper dpkg-dev postgresql-all  # the Debian package build (pg_buildext)
  clang libclang-rt-14-dev           # libFuzzer + sanitizers (fuzz/run.sh)
  valgrind                           # memcheck run (test/sanitizers.sh)
)

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
