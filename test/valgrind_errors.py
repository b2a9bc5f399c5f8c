#!/usr/bin/python3
"""Counts the valgrind memcheck errors whose stack has a frame in a module.

    valgrind_errors.py [--print] MODULE LOG...

An error block is the run of "==pid== " lines between blank ones; it is ours
when a frame names MODULE (the .so) or one of its source files, other than the
hooks that only hand every statement on to PostgreSQL (an error below those
alone is PostgreSQL's, met while planning or running a query).
"""
import pathlib
import re
import sys

SOURCES = [p.name for p in (pathlib.Path(__file__).resolve().parent.parent / "src").glob("*.c")]
PASS_THROUGH_HOOKS = {"require_session_planner", "require_session_executor_start",
                      "nesting_executor_run", "nesting_executor_finish"}


def function_of(frame):
    match = re.match(r"\s+(?:at|by) 0x[0-9A-Fa-f]+: (\S+)", frame)
    return match.group(1) if match else None


def error_blocks(text):
    block = []
    for line in text.splitlines():
        body = re.sub(r"^==\d+== ?", "", line)
        if body.strip() == "":
            if block:
                yield block
            block = []
        else:
            block.append(body)
    if block:
        yield block


def main():
    args = sys.argv[1:]
    show = args and args[0] == "--print"
    if show:
        args = args[1:]
    module, logs = args[0], args[1:]
    markers = [module + ".so"] + ["(%s:" % s for s in SOURCES]
    ours = 0
    for log in logs:
        for block in error_blocks(pathlib.Path(log).read_text(errors="replace")):
            frames = [l for l in block if re.match(r"\s+(at|by) 0x", l)]
            if any(any(m in f for m in markers) and function_of(f) not in PASS_THROUGH_HOOKS
                   for f in frames):
                ours += 1
                if show:
                    print("\n".join([log] + block) + "\n")
    if not show:
        print(ours)


if __name__ == "__main__":
    main()
