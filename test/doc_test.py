#!/usr/bin/python3
"""Runs the SQL and shell blocks of README.md and docs/*.md, as a reader
would, against the throwaway cluster the PG* variables name (run it through
test/virtualenv.sh), so a renamed setting or function breaks the build.
One line per block: "doc FILE:LINE (LANG) ... ok|FAILED (why)|skipped (why)".

A block runs as it is written:
- ```sql: with psql (ON_ERROR_STOP) in a database of its own made from
  Supabase Auth's schema, the fixture's users and sessions, and the extension
  with the HS secret in jcv_logout.jwt_secret_file; ALTER SYSTEM is reset
  after each block.
- ```sh: with bash -euo pipefail in a copy of the repository, as root, with
  the PG* variables pointing at the cluster.
Other languages (output, JavaScript, YAML, Dockerfile) are not run.

A comment on the line before a block's fence changes that:
  <!-- doctest: skip REASON -->   not run here (Docker compose, a hosted
                                   project, writes the host's /etc...)
  <!-- doctest: error TEXT -->    must fail with an error containing TEXT
                                   (a block with placeholders such as a
                                   shortened token)
A marker without its reason or text fails, as does an unknown one.

First, one line for the links between these pages: every relative link
names a file that exists and, after '#', a heading of that file.
"""
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
RUN_LANGS = {"sql": "sql", "sh": "sh", "bash": "sh", "shell": "sh"}
MARKER = re.compile(r"^<!--\s*doctest:\s*(\w+)\s*(.*?)\s*-->$")
FENCE_OPEN = re.compile(r"^```([\w-]*)\s*$")
TIMEOUT = 600


class Block:
    def __init__(self, path, line, lang, text, marker):
        self.path, self.line, self.lang, self.text, self.marker = path, line, lang, text, marker

    @property
    def name(self):
        return f"doc {self.path.relative_to(ROOT)}:{self.line} ({self.lang})"


def blocks_of(path):
    lines = path.read_text().splitlines()
    i = 0
    while i < len(lines):
        opened = FENCE_OPEN.match(lines[i])
        if not opened:
            i += 1
            continue
        start = i
        j = i + 1
        while j < len(lines) and lines[j].strip() != "```":
            j += 1
        before = next((lines[k].strip() for k in range(start - 1, -1, -1)
                       if lines[k].strip()), "")
        marker = MARKER.match(before)
        lang = opened.group(1).lower()
        if lang in RUN_LANGS:
            yield Block(path, start + 1, RUN_LANGS[lang], "\n".join(lines[start + 1:j]) + "\n",
                        (marker.group(1), marker.group(2)) if marker else None)
        i = j + 1


def documents():
    docs = ROOT / "docs"
    yield ROOT / "README.md"
    if docs.is_dir():
        yield from sorted(docs.rglob("*.md"))


def slug(heading):
    """The anchor GitHub gives a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors_of(path):
    found, seen, in_fence = set(), {}, False
    for line in path.read_text().splitlines():
        if line.startswith("```"):
            in_fence = not in_fence
        heading = None if in_fence else re.match(r"^#{1,6} (.*)$", line)
        if heading:
            name = slug(heading.group(1))
            found.add(name if name not in seen else f"{name}-{seen[name]}")
            seen[name] = seen.get(name, 0) + 1
    return found


def broken_links():
    broken = []
    for path in [*documents(), ROOT / "CHANGELOG.md"]:
        for target in re.findall(r"\]\(([^)\s]+)\)", path.read_text()):
            if re.match(r"^[a-z]+:", target):
                continue
            name, _, anchor = target.partition("#")
            linked = (path.parent / name).resolve() if name else path
            if not linked.exists():
                broken.append(f"{path.relative_to(ROOT)}: {target}")
            elif anchor and (linked.suffix != ".md" or anchor not in anchors_of(linked)):
                broken.append(f"{path.relative_to(ROOT)}: {target}")
    return broken


def psql(*args, **kwargs):
    return subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", *args],
                          capture_output=True, text=True, timeout=TIMEOUT, **kwargs)


# Supabase's API roles, as its databases have them before any migration.
API_ROLES = """
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'anon') THEN
    CREATE ROLE anon NOLOGIN NOINHERIT; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN
    CREATE ROLE authenticated NOLOGIN NOINHERIT; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'service_role') THEN
    CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticator') THEN
    CREATE ROLE authenticator LOGIN NOINHERIT;
    GRANT anon, authenticated, service_role TO authenticator; END IF;
END $$;
"""


def make_template():
    """The database each SQL block's own database is copied from."""
    psql("-d", "postgres", "-c", API_ROLES)
    psql("-d", "postgres", "-c", "DROP DATABASE IF EXISTS doctest_template",
         "-c", "CREATE DATABASE doctest_template")
    done = psql("-d", "doctest_template", "-f", "test/fixture.sql", cwd=ROOT)
    if done.returncode != 0:
        sys.exit(f"doc test fixture failed: {done.stderr.strip()}")
    done = psql("-d", "doctest_template", "-c",
                "SELECT jcv_test.write_secret_file('super-secret-jwt-token-with-at-least-32-characters-long')",
                cwd=ROOT)
    if done.returncode != 0:
        sys.exit(f"doc test secret file failed: {done.stderr.strip()}")


def run_sql(block):
    database = f"doctest_{block.line}"
    psql("-d", "postgres", "-c", f"DROP DATABASE IF EXISTS {database}",
         "-c", f"CREATE DATABASE {database} TEMPLATE doctest_template",
         "-c", f"ALTER DATABASE {database} SET jcv_logout.jwt_secret_file = 'jcv_jwt_secret'")
    try:
        done = psql("-d", database, input=block.text, cwd=ROOT)
        return done.returncode == 0, (done.stderr or done.stdout).strip()
    finally:
        psql("-d", "postgres", "-c", "ALTER SYSTEM RESET ALL", "-c", "SELECT pg_reload_conf()")
        psql("-d", "postgres", "-c", f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def run_sh(block, checkout):
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", block.text], cwd=checkout,
                          capture_output=True, text=True, timeout=TIMEOUT)
    return done.returncode == 0, (done.stderr or done.stdout).strip()


def copy_of_repository():
    """The tracked files of the repository, where sh blocks build and run."""
    checkout = pathlib.Path(tempfile.mkdtemp(prefix="jcv_doctest."))
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
    for name in listed.stdout.decode().split("\0"):
        if name and (ROOT / name).is_file():
            (checkout / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, checkout / name)
    return checkout


def last_line(text):
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1][:200] if lines else "no output"


def main():
    broken = broken_links()
    failed = 1 if broken else 0
    print("doc links between README.md, docs/ and CHANGELOG.md ... "
          + (f"FAILED ({'; '.join(broken)})" if broken else "ok"))
    blocks = [b for path in documents() for b in blocks_of(path)]
    make_template()
    checkout = copy_of_repository()
    try:
        for block in blocks:
            kind, argument = block.marker or (None, None)
            if kind is not None and (kind not in ("skip", "error") or not argument):
                print(f"{block.name} ... FAILED (marker needs skip REASON or error TEXT)")
                failed += 1
                continue
            if kind == "skip":
                print(f"{block.name} ... skipped ({argument})")
                continue
            try:
                ok, output = (run_sql(block) if block.lang == "sql" else run_sh(block, checkout))
            except subprocess.TimeoutExpired:
                ok, output = False, f"still running after {TIMEOUT} s"
            if kind == "error":
                if ok:
                    print(f"{block.name} ... FAILED (ran without the error '{argument}')")
                    failed += 1
                elif argument not in output:
                    print(f"{block.name} ... FAILED (expected '{argument}': {last_line(output)})")
                    failed += 1
                else:
                    print(f"{block.name} ... ok (fails as documented: {argument})")
            elif ok:
                print(f"{block.name} ... ok")
            else:
                print(f"{block.name} ... FAILED ({last_line(output)})")
                failed += 1
    finally:
        shutil.rmtree(checkout, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
