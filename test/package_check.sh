#!/bin/bash
# Builds the Debian package (postgresql-N-jcv-logout for each server version
# postgresql-common manages, the pg_buildext way) from the tracked files,
# installs the .deb, and runs the regression suite against the installed
# package in a clean throwaway cluster (pg_buildext installcheck). Removes the
# package afterwards. Prints pg_regress's per-test lines for test/run_all.sh.
# A server PG_CONFIG names outside Debian's (built from source) has no
# package to build: the suite then says it is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
. test/pg_target.sh

if [ -z "$PG_DEBIAN" ]; then
  echo "debian package ... skipped (PostgreSQL $PG_MAJOR at $PG_BINDIR is not managed by" \
    "Debian's postgresql-common: pg_buildext builds only for its supported-versions)"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The test cluster's server runs as postgres: unable to read a 0700 directory,
# it would silently load the system-installed extension instead of the package's.
chmod 755 "$work"
mkdir "$work/jcv-logout"
git ls-files -z | xargs -0 tar -cf - | tar -xf - -C "$work/jcv-logout"

# nocheck: the build-time test would read extension files already installed
# on this machine before the freshly built ones; the installed .deb is tested.
(cd "$work/jcv-logout" && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b \
   >"$work/build.log" 2>&1) || {
  tail -n 40 "$work/build.log"; echo "package build ... FAILED"; exit 1; }
echo "package build ... ok"

deb=$(ls "$work"/postgresql-*-jcv-logout_*.deb)
dpkg -i "$deb" >/dev/null
status=0
(cd "$work/jcv-logout" && pg_buildext installcheck) || status=$?
dpkg -r "$(dpkg-deb -f "$deb" Package)" >/dev/null
exit $status
