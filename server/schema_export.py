"""Write the GraphQL SDL to schema.graphql, or check that it matches the code.

    python -m server.schema_export           # write
    python -m server.schema_export --check   # exit 1 with a diff when they differ
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from strawberry.printer import print_schema

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"


def current_sdl() -> str:
    from server.graphql.schema import schema

    return print_schema(schema) + "\n"


def diff(path: Path = SCHEMA_FILE) -> str:
    """Empty when the file matches the code."""
    expected = current_sdl()
    actual = path.read_text() if path.exists() else ""
    return "".join(
        difflib.unified_diff(
            actual.splitlines(keepends=True),
            expected.splitlines(keepends=True),
            fromfile=str(path),
            tofile="schema from the code",
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server.schema_export")
    parser.add_argument("--check", action="store_true", help="fail when the file is stale")
    parser.add_argument("--path", type=Path, default=SCHEMA_FILE)
    args = parser.parse_args(argv)
    if args.check:
        changes = diff(args.path)
        if changes:
            sys.stdout.write(changes)
            print(f"\n{args.path} is stale: run `make schema`.", file=sys.stderr)
            return 1
        return 0
    args.path.write_text(current_sdl())
    return 0


if __name__ == "__main__":
    sys.exit(main())
