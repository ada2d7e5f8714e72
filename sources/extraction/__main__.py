"""Command line: `python -m sources.extraction [--aliases FILE] [--places FILE] FILE...`.

Prints one JSON object per input, one per line: {"file", "language", "claims"}. "-" reads standard
input. An unreadable or non-UTF-8 file is reported on stderr by name and skipped; the others are
still processed and the exit status is 2. No Django settings or database are needed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping, Sequence

from sources.extraction import detect_language, extract


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.buffer.read().decode("utf-8")
    with open(path, "rb") as handle:
        return handle.read().decode("utf-8")


def _load_aliases(path: str) -> Mapping[str, Iterable[str]]:
    data = json.loads(_read(path))
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(s, str) for s in v)
        for k, v in data.items()
    ):
        raise ValueError("expected a JSON object mapping each canonical name to a list of spellings")
    return data


def _load_places(path: str) -> list[str]:
    return [line.strip() for line in _read(path).splitlines() if line.strip()]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0, or 2 when some input could not be read)."""
    parser = argparse.ArgumentParser(prog="python -m sources.extraction", description=__doc__.split("\n")[0])
    parser.add_argument("--aliases", help='JSON file: {"SANA": ["سانا", "SANA"], ...}')
    parser.add_argument("--places", help="gazetteer: a text file with one place name per line")
    parser.add_argument("files", nargs="+", help='texts to read ("-" for standard input)')
    args = parser.parse_args(argv)
    aliases: Mapping[str, Iterable[str]] | None = None
    places: list[str] | None = None
    try:
        aliases = _load_aliases(args.aliases) if args.aliases else None
        places = _load_places(args.places) if args.places else None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        print(f"error: cannot use {args.aliases or args.places}: {error}", file=sys.stderr)
        return 2
    status = 0
    for path in args.files:
        try:
            text = _read(path)
        except (OSError, UnicodeDecodeError) as error:
            name = "standard input" if path == "-" else path
            reason = (
                "not valid UTF-8" if isinstance(error, UnicodeDecodeError) else error.strerror or str(error)
            )
            print(f"error: {name}: {reason}", file=sys.stderr)
            status = 2
            continue
        claims = [claim.to_dict() for claim in extract(text, aliases=aliases, places=places)]
        line = {"file": path, "language": detect_language(text), "claims": claims}
        sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    return status


if __name__ == "__main__":
    sys.exit(main())
