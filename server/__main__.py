"""``python -m server [command] ...``: the ``brique`` command, ``serve`` included."""
from server.cli import main

if __name__ == "__main__":      # spawned workers import this module again: run nothing then
    raise SystemExit(main())
