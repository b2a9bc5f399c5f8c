#!/usr/bin/python3
"""Checks META.json against the PGXN Meta Spec 1.0.0's required fields and
types, and that its versions agree with jcv_logout.control and the
install scripts. Prints one "name ... ok|FAILED" line per check."""
import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SEMVER = re.compile(r"^\d+\.\d+\.\d+$")
LICENSES = {"agpl_3", "apache_1_1", "apache_2_0", "artistic_1", "artistic_2", "bsd",
            "freebsd", "gfdl_1_2", "gfdl_1_3", "gpl_1", "gpl_2", "gpl_3", "lgpl_2_1",
            "lgpl_3_0", "mit", "mozilla_1_0", "mozilla_1_1", "openssl", "perl_5",
            "postgresql", "qpl_1_0", "ssleay", "sun", "zlib", "open_source",
            "restricted", "unrestricted", "unknown"}

meta = json.loads((ROOT / "META.json").read_text())
control = (ROOT / "jcv_logout.control").read_text()
default_version = re.search(r"default_version\s*=\s*'([^']+)'", control).group(1)
# Install scripts the Makefile builds (DATA_built) count as present.
built = re.search(r"^DATA_built\s*=\s*(.*)$", (ROOT / "Makefile").read_text(), re.M)
built_files = set(built.group(1).split()) if built else set()

checks = {
    "required keys": all(k in meta for k in
                         ("name", "abstract", "version", "maintainer", "license",
                          "provides", "meta-spec")),
    "name": re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", meta.get("name", "")) is not None,
    "version is semver": bool(SEMVER.match(meta.get("version", ""))),
    "license": meta.get("license") in LICENSES,
    "maintainer": isinstance(meta.get("maintainer"), (str, list)) and bool(meta["maintainer"]),
    "meta-spec 1.0.0": meta.get("meta-spec", {}).get("version") == "1.0.0",
    "provides versions are semver": all(
        SEMVER.match(p.get("version", "")) and p.get("file") and ((ROOT / p["file"]).exists() or p["file"] in built_files)
        for p in meta.get("provides", {}).values()),
    "release_status": meta.get("release_status", "stable") in {"stable", "testing", "unstable"},
    "version matches control default_version":
        meta["version"].rsplit(".", 1)[0] == default_version
        and meta["provides"]["jcv_logout"]["file"] == f"jcv_logout--{default_version}.sql",
}

for name, ok in checks.items():
    print(f"META.json {name} ... {'ok' if ok else 'FAILED'}")
sys.exit(0 if all(checks.values()) else 1)
