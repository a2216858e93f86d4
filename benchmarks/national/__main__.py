"""``python -m benchmarks.national {addresses,timetable} ...``: the national-scale generators.

Each subcommand imports its module lazily, so that one works without the other.
"""
from __future__ import annotations

import sys

USAGE = "usage: python -m benchmarks.national {addresses,timetable} [options] (--help for each)"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command == "addresses":
        from benchmarks.national.addresses import main as run
    elif command == "timetable":
        from benchmarks.national.timetable import main as run
    else:
        print(f"unknown subcommand {command!r}; {USAGE}", file=sys.stderr)
        return 2
    return run(rest)


if __name__ == "__main__":
    sys.exit(main())
