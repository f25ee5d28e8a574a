"""Reading a user's text input file (group file, sweep file) with one-line errors."""

from __future__ import annotations

from pathlib import Path


def read_input_text(path: Path, what: str, error: type[Exception]) -> str:
    """The UTF-8 text of ``path``; ``error`` (e.g. GroupFileError) with a one-line message naming
    ``what`` ("group file") when it is missing, unreadable or not UTF-8."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{what} {path} not found") from None
    except (OSError, UnicodeDecodeError) as err:
        raise error(f"{path}: cannot read the {what} ({err})") from None
