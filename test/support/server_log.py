"""The server log of the pg_virtualenv cluster a test runs in, and the text
written to it since a given offset. JCV_SERVER_LOG names the file elsewhere."""
import os
import pathlib
import subprocess
import sys


def cluster():
    """(version, name, data directory, log file) of the cluster on PGPORT."""
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


def log_since(log, offset):
    with open(log, "rb") as f:
        f.seek(offset)
        return f.read().decode("utf-8", "replace")
