#!/bin/bash
# Quick start: installs what is missing, builds and installs jcv_logout, then
# shows a real logout on a throwaway PostgreSQL cluster with Supabase Auth's
# schema: the payload, the rows gone, and the same token refused afterwards.
#   bash demo/try.sh        (as root on Debian 12)
set -euo pipefail
cd "$(dirname "$0")/.."

bash test/install_deps.sh
make -s COPT='-Wall -Wextra -Werror'
make -s install >/dev/null

exec bash test/virtualenv.sh bash demo/session.sh
