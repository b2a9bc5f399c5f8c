"""The test cluster a script runs in (test/virtualenv.sh): its server log,
the text written to it since a given offset, and a restart. Under
pg_virtualenv the cluster is found by PGPORT through postgresql-common;
a cluster of test/virtualenv.sh's own (a server not managed by Debian) is
named by JCV_PGDATA and JCV_SERVER_LOG. JCV_SERVER_LOG alone names the log
of any other server."""
import os
import pathlib
import subprocess
import sys


def cluster():
    """(version, name, data directory, log file) of the pg_virtualenv cluster on PGPORT."""
    port = os.environ["PGPORT"]
    for line in subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True,
                               check=True).stdout.splitlines():
        fields = line.split()
        if len(fields) >= 7 and fields[2] == port:
            return fields[0], fields[1], fields[5], pathlib.Path(fields[6])
    sys.exit("cluster on port %s not found" % port)


def server_log():
    if os.environ.get("JCV_SERVER_LOG"):
        return pathlib.Path(os.environ["JCV_SERVER_LOG"])
    return cluster()[3]


def restart():
    """Restarts the server and waits until it accepts connections."""
    data = os.environ.get("JCV_PGDATA")
    if not data:
        version, name, _, _ = cluster()
        subprocess.run(["pg_ctlcluster", version, name, "restart"], check=True)
        return
    command = ["pg_ctl", "-D", data, "-l", str(server_log()), "-w", "restart"]
    if os.geteuid() == 0:  # the server runs as postgres (test/virtualenv.sh)
        command = ["runuser", "-u", "postgres", "--"] + command
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def log_since(log, offset):
    with open(log, "rb") as f:
        f.seek(offset)
        return f.read().decode("utf-8", "replace")
