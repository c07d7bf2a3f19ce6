"""Structure-aware mutations of the example specs, for the fuzz test and benchmarks/fuzz_specs.py.

Each mutation picks a line of a real spec and does what a hurried or hostile author might:
retype its value, duplicate or drop its key, tag it, nest it deeply, make it huge, alias it,
write an impossible date, break the encoding. Driven by a `random.Random`, so the benchmark
replays a seed and hypothesis (through `st.randoms`) shrinks a failure to a small case.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = tuple(sorted(p.parent for p in (REPO / "specs").glob("*/model.yaml")))
_KEY_LINE = re.compile(r"^(\s*(?:- )?)([A-Za-z_][\w-]*):( .*)?$")


@dataclass(frozen=True)
class Case:
    folder: Path  # the example's folder: its notebooks and smoke tests are read from there
    raw: bytes
    mutations: tuple[str, ...]


def _deep(rng: random.Random) -> str:
    depth = rng.choice((10, 49, 50, 51, 489, 999, 5000))
    return "[" * depth + "]" * depth


def _values(rng: random.Random) -> list[str]:
    digits = rng.choice((17, 309, 310, 4300, 4301, 9000))
    return [
        "[1, 2]",
        "{a: 1}",
        "{}",
        "null",
        "~",
        "yes",
        "off",
        "010",
        "1:30",
        "0x1F",
        ".inf",
        "-.nan",
        "1" + "0" * digits,
        "-1" + "0" * digits,
        f"1.0e+{rng.choice((300, 308, 309, 400))}",
        str(2**1024),
        "2024-02-30",
        "2024-02-28",
        "2024-13-01 25:61:00",
        "!!int abc",
        "!!float x",
        "!!bool maybe",
        "!!timestamp x",
        "!!null x",
        "!!str 12",
        "!!binary aGVsbG8=",
        "!!map {a: 1}",
        "!!seq [1]",
        "!!set {a: null}",
        "!!omap [a: 1]",
        "!custom x",
        "!!python/object/apply:os.system ['true']",
        "&a x",
        "*a",
        "&a [*a]",
        _deep(rng),
        "{a: " * 60 + "1" + "}" * 60,
        "x" * rng.choice((40, 261, 300, 5000)),
        '"' + "x" * 300 + '"',
        '"a@x.example,b@x.example"',
        '"$(System.AccessToken)"',
        "dapi" + "0123456789abcdef" * 2,
        '"Europe"',
        '"Europe/' + "a" * 300 + '"',
        '"../outside.py"',
        '"' + "n" * 300 + '.py"',
        "'a\u2028b'",
        "'tab\there'",
        '"\\x00"',
        "|\n  multi\n  line",
        "",
    ]


def _retype(rng: random.Random, lines: list[str], i: int) -> str:
    match = _KEY_LINE.match(lines[i])
    if not match:
        return "skip"
    indent, key, _ = match.groups()
    lines[i] = f"{indent}{key}: {rng.choice(_values(rng))}"
    return f"retype {key}"


def _duplicate(_rng: random.Random, lines: list[str], i: int) -> str:
    lines.insert(i, lines[i])
    return "duplicate line"


def _drop(_rng: random.Random, lines: list[str], i: int) -> str:
    del lines[i]
    return "drop line"


def _rename(rng: random.Random, lines: list[str], i: int) -> str:
    match = _KEY_LINE.match(lines[i])
    if not match:
        return "skip"
    indent, key, rest = match.groups()
    new = rng.choice(
        (key.upper(), key[:-1], key + "s", "<<", "? " + key, "on", "1", "!!str " + key)
    )
    lines[i] = f"{indent}{new}:{rest or ''}"
    return f"rename {key}"


def _indent(rng: random.Random, lines: list[str], i: int) -> str:
    lines[i] = rng.choice((" ", "  ", "\t", "")) + lines[i].lstrip(rng.choice(("", " ")))
    return "indent"


def _insert_text(rng: random.Random, lines: list[str], i: int) -> str:
    piece = rng.choice(
        ("\u2028", "\u2029", "\x85", "\ufeff", "\x00", "\x07", "\t", "é", "\U0001f600", "\r")
    )
    line = lines[i]
    at = rng.randint(0, len(line))
    lines[i] = line[:at] + piece + line[at:]
    return f"insert U+{ord(piece):04X}"


def _document(rng: random.Random, lines: list[str], i: int) -> str:
    choice = rng.choice(("---", "...", "%YAML 1.1", "%TAG ! tag:x,2024:", "--- !!map", "- item"))
    lines.insert(i, choice)
    return f"document {choice!r}"


def _laughs(rng: random.Random, lines: list[str], i: int) -> str:
    rows = ["lol0: &l0 [lol]"]
    levels = rng.randint(2, 12)
    rows += [f"lol{k}: &l{k} [" + ", ".join([f"*l{k - 1}"] * 9) + "]" for k in range(1, levels)]
    lines[i:i] = rows
    return "billion laughs"


_LINE_MUTATIONS: tuple[Callable[[random.Random, list[str], int], str], ...] = (
    _retype,
    _retype,
    _retype,
    _duplicate,
    _drop,
    _rename,
    _indent,
    _insert_text,
    _document,
    _laughs,
)


def _bad_bytes(rng: random.Random, raw: bytes) -> bytes:
    at = rng.randint(0, len(raw))
    piece = rng.choice((b"\xff", b"\xfe\xff", b"\xc3", b"\xe2\x80", b"\xed\xa0\x80", b"\xc0\xaf"))
    return raw[:at] + piece + raw[at:]


def mutate(rng: random.Random) -> Case:
    folder = rng.choice(EXAMPLES)
    lines = (folder / "model.yaml").read_text(encoding="utf-8").splitlines()
    done = []
    for _ in range(rng.randint(1, 3)):
        if not lines:
            break
        mutation = rng.choice(_LINE_MUTATIONS)
        done.append(mutation(rng, lines, rng.randrange(len(lines))))
    raw = ("\n".join(lines) + "\n").encode("utf-8", errors="surrogatepass")
    if rng.random() < 0.05:
        raw = _bad_bytes(rng, raw)
        done.append("bad bytes")
    return Case(folder, raw, tuple(done))
