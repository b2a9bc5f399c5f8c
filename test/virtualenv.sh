#!/bin/bash
# pg_virtualenv with a private cluster directory and a free port, so several
# throwaway clusters (suites, benchmarks, other checkouts) can run at once.
#   bash test/virtualenv.sh COMMAND...
set -euo pipefail
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
exec pg_virtualenv -t -c "-p $port" "$@"
