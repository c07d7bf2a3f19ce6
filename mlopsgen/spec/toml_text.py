"""TOML files of template packs and the project configuration, read with located errors.

The standard library's `tomllib` (Python 3.11; its backport `tomli` on 3.10) returns plain
data without positions, so a problem's line is found in the text afterwards: the line that
assigns the key inside its table (or array-of-tables item), else the table's header, else
the first line. Good enough for files a platform team writes by hand, and never wrong about
the file.
"""

from __future__ import annotations

import re
import sys
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from mlopsgen.spec.diagnostics import Diagnostic, Location


# Compiled on first use: only locating a key in the file (a problem, an upgrade) needs them,
# and compiling them cost every render ~0.2 ms (issue 15).
@cache
def _at() -> re.Pattern[str]:
    return re.compile(r"\(at line (\d+), column (\d+)\)")


@cache
def _header() -> re.Pattern[str]:
    return re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")


# A named tuple: a frozen dataclass costs ~0.4 ms to create at import (issue 15).
class TomlFile(NamedTuple):
    path: Path
    text: str
    data: dict[str, Any]

    def mark(self, table: str = "", key: str | None = None, index: int = 0) -> Location:
        """Where `key` is assigned in `table` ("" for the top level; the `index`-th item of
        an array of tables), else the table's header, else line 1."""
        found, header = self._scan(table, key, index)
        return found or Location(str(self.path), header or 1, 1)

    def find(self, table: str, key: str) -> Location | None:
        """Where `key` is assigned in `table`, if it is (not as an inline table's key)."""
        return self._scan(table, key, 0)[0]

    def find_text(self, needle: str) -> Location | None:
        """The first place `needle` is written (e.g. a quoted list item), if it is."""
        for number, line in enumerate(self.text.splitlines(), start=1):
            column = line.find(needle)
            if column >= 0:
                return Location(str(self.path), number, column + 1)
        return None

    def _scan(self, table: str, key: str | None, index: int) -> tuple[Location | None, int | None]:
        current, seen, header = "", -1, None
        for number, line in enumerate(self.text.splitlines(), start=1):
            found = _header().match(line)
            if found:
                current = found.group(1).replace(" ", "").replace('"', "")
                if current == table:
                    seen += 1
                    header = number if seen == index else header
                continue
            in_table = current == table and (not table or seen == index)
            if in_table and key is not None:
                match = re.match(rf"\s*\"?{re.escape(key)}\"?\s*=", line)
                if match:
                    column = len(line) - len(line.lstrip()) + 1
                    return Location(str(self.path), number, column), header
        return None, header

    def error(self, code: str, message: str, where: Location | None = None) -> Diagnostic:
        return Diagnostic(where or Location(str(self.path), 1, 1), code, "", message)


def read_toml(path: Path, code: str) -> TomlFile | Diagnostic:
    """The file's text and data, or one diagnostic at the place the TOML parser stopped."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return Diagnostic(Location(str(path), 1, 1), code, "", f"cannot read: {exc}")
    # Imported here: most specs have no pyproject.toml or packs to read (issue 15).
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = _at().search(str(exc))
        line, column = (int(found.group(1)), int(found.group(2))) if found else (1, 1)
        message = _at().sub("", str(exc)).strip()
        return Diagnostic(Location(str(path), line, column), code, "", f"not TOML: {message}")
    return TomlFile(path, text, data)


def read_tables(
    path: Path, table: str, code: str, pack: str
) -> tuple[TomlFile, list[Any]] | Diagnostic:
    """A pack file that holds `[[table]]` entries only (policy.toml, patches.toml): the file
    and its entries, or one diagnostic (`code`) at the first thing that is not one."""
    read = read_toml(path, code)
    if isinstance(read, Diagnostic):
        return read
    items = read.data.get(table, [])
    extra = sorted(set(read.data) - {table})
    if extra or not isinstance(items, list):
        given = extra or f"{table} = ..."
        msg = f"pack {pack}: {path.name} holds [[{table}]] tables only, not {given}"
        return read.error(code, msg, read.mark("", (extra or [table])[0]))
    return read, items
