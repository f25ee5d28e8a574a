"""Reading a sweep file (TOML) into plain settings, with the line of every problem.

The standard library's ``tomllib`` parses; this module merges a ``[scale.NAME]`` table over
the rest, checks every table and key it knows, and reports the first problem as
``FILE, line N: …``. A key's line is found by scanning the text (``tomllib`` keeps no
positions): table headers, ``[[array]]`` entries and ``key =`` lines, dotted or quoted.
"""

from __future__ import annotations

import copy
import re
import tomllib
from pathlib import Path
from typing import Any

from rnntool.errors import ConfigError
from rnntool.storage.text_file import read_input_text

KeyPath = tuple  # a key path: table names, array indices and keys


class SweepFileError(ConfigError):
    """A sweep file cannot be read, or one of its settings is wrong."""


_HEADER_ARRAY = re.compile(r"^\s*\[\[\s*(.+?)\s*\]\]\s*(#.*)?$")
_HEADER = re.compile(r"^\s*\[\s*(.+?)\s*\]\s*(#.*)?$")
_KEY = re.compile(r"""^\s*((?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+)(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+))*)\s*=""")
_PART = re.compile(r"""\s*("([^"]*)"|'([^']*)'|[A-Za-z0-9_-]+)\s*""")


def _split_key(text: str) -> tuple[str, ...]:
    parts = []
    for m in _PART.finditer(text):
        token = m.group(1)
        parts.append(m.group(2) if m.group(2) is not None else
                     m.group(3) if m.group(3) is not None else token)
    return tuple(parts)


def key_lines(text: str) -> dict[KeyPath, int]:
    """Line number (1-based) of every table header and key in ``text``, by key path.

    Entries of an array of tables get their index in the path: ``("analysis", 0, "kind")``.
    """
    lines: dict[KeyPath, int] = {}
    table: KeyPath = ()
    counts: dict[KeyPath, int] = {}
    multiline = False
    for number, line in enumerate(text.splitlines(), start=1):
        if multiline:
            multiline = line.count('"""') % 2 == 0 and line.count("'''") % 2 == 0
            continue
        if m := _HEADER_ARRAY.match(line):
            base = _split_key(m.group(1))
            parent = _with_indices(base[:-1], counts)
            full = parent + (base[-1],)
            counts[full] = counts.get(full, -1) + 1
            table = full + (counts[full],)
            lines.setdefault(table, number)
        elif m := _HEADER.match(line):
            table = _with_indices(_split_key(m.group(1)), counts)
            lines.setdefault(table, number)
        elif m := _KEY.match(line):
            path = table + _split_key(m.group(1))
            lines.setdefault(path, number)
            if line.count('"""') % 2 == 1 or line.count("'''") % 2 == 1:
                multiline = True
    return lines


def _with_indices(path: KeyPath, counts: dict[KeyPath, int]) -> KeyPath:
    """A header path whose arrays of tables point at their latest entry."""
    out: KeyPath = ()
    for part in path:
        out = out + (part,)
        if out in counts:
            out = out + (counts[out],)
    return out


class SweepSource:
    """The merged settings of a sweep file and where each one was written."""

    def __init__(self, path: Path, data: dict[str, Any], origin: dict[KeyPath, KeyPath],
                 lines: dict[KeyPath, int]) -> None:
        self.path = path
        self.data = data
        self._origin = origin
        self._lines = lines

    def line(self, path: KeyPath) -> int | None:
        """The line that set ``path`` (or the nearest enclosing table's line)."""
        while path:
            source = self._origin.get(path, path)
            if source in self._lines:
                return self._lines[source]
            path = path[:-1]
        return None

    def error(self, path: KeyPath, message: str) -> SweepFileError:
        """A SweepFileError naming the file, the line and the key."""
        line = self.line(path)
        where = f"{self.path}, line {line}" if line else f"{self.path}"
        key = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in path)
        key = key.replace(".[", "[")
        return SweepFileError(f"{where}: {key}: {message}" if key else f"{where}: {message}")


def read_sweep_file(path: str | Path, scale: str | None = None) -> SweepSource:
    """Parse ``path`` and merge ``[scale.<scale>]`` over the other tables."""
    path = Path(path)
    text = read_input_text(path, "sweep file", SweepFileError)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        message = str(err)
        if m := re.search(r"\(at line (\d+), column (\d+)\)", message):
            message = message[:m.start()].strip()
            raise SweepFileError(f"{path}, line {m.group(1)}: {message} "
                                 f"(column {m.group(2)})") from None
        raise SweepFileError(f"{path}: {message}") from None
    lines = key_lines(text)
    scales = data.pop("scale", {})
    origin: dict[KeyPath, KeyPath] = {}
    source = SweepSource(path, data, origin, lines)
    if not isinstance(scales, dict):
        raise source.error(("scale",), "must be a table of [scale.NAME] tables")
    if scale is not None:
        if scale not in scales:
            known = ", ".join(sorted(scales)) or "none"
            raise SweepFileError(f"{path}: no [scale.{scale}] table (scales in this file: {known})")
        if not isinstance(scales[scale], dict):
            raise source.error(("scale", scale), "must be a table")
        _merge(data, copy.deepcopy(scales[scale]), (), ("scale", scale), origin)
    return source


def _merge(base: dict[str, Any], over: dict[str, Any], at: KeyPath, src: KeyPath,
           origin: dict[KeyPath, KeyPath]) -> None:
    """Deep-merge tables; any other value (arrays of tables included) is replaced whole."""
    for key, value in over.items():
        here, there = at + (key,), src + (key,)
        origin[here] = there
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value, here, there, origin)
            continue
        base[key] = value
        for sub, sub_src in _leaves(value, here, there):
            origin[sub] = sub_src


def _leaves(value: Any, at: KeyPath, src: KeyPath) -> list[tuple[KeyPath, KeyPath]]:
    out = []
    items = value.items() if isinstance(value, dict) else (
        enumerate(value) if isinstance(value, list) else ())
    for key, sub in items:
        out.append((at + (key,), src + (key,)))
        out.extend(_leaves(sub, at + (key,), src + (key,)))
    return out
