"""The one orchestrator: text -> YAML layer -> apiVersion -> JSON Schema -> semantics -> Spec.

Every layer adds located diagnostics; the spec is built only when there are no errors.
`compile_text` is pure (file existence comes in as a function); `compile_spec` does the I/O.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from mlopsgen.errors import MlopsgenError
from mlopsgen.model import Origin, Spec, build_spec
from mlopsgen.spec import schema, semantics, source
from mlopsgen.spec.diagnostics import Diagnostic, Location
from mlopsgen.spec.findings import Finding, mark_of, readable_path

SUPPORTED_API_VERSIONS = ("mlopsgen/v1",)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


@dataclass(frozen=True)
class CompileResult:
    path: Path
    spec: Spec | None  # None when any error diagnostic exists
    diagnostics: tuple[Diagnostic, ...]
    text: str

    @property
    def ok(self) -> bool:
        return self.spec is not None


def compile_spec(path: Path) -> CompileResult:
    """Read and compile the spec at `path` (as given on the command line)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise MlopsgenError(f"{path}: not UTF-8 text ({exc.reason})") from exc
    except OSError as exc:
        raise MlopsgenError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    folder = path.parent

    def file_exists(relative: str) -> bool:
        return (folder / relative).is_file()

    return compile_text(text, path, file_exists=file_exists, origin=repo_origin(path))


def compile_text(
    text: str, path: Path, *, file_exists: Callable[[str], bool], origin: Origin
) -> CompileResult:
    """Compile spec text; `file_exists` answers for paths relative to the spec folder."""
    loaded = source.load(text)
    found: list[Finding] = list(loaded.problems)
    data = loaded.data
    if data is not None:
        version = semantics.check_api_version(data, SUPPORTED_API_VERSIONS)
        if version is not None:
            found = [*found, version]  # the one sentence; nothing else is worth reading
        else:
            reported = {p.path for p in loaded.problems}
            found.extend(
                f for f in schema.validate(data, loaded.positions) if f.path not in reported
            )
            found.extend(semantics.check(data, file_exists))
    diagnostics = _locate(found, loaded, str(path))
    spec = None
    if data is not None and not any(d.severity == "error" for d in diagnostics):
        spec = build_spec(data, origin)
    return CompileResult(path=path, spec=spec, diagnostics=diagnostics, text=text)


def _locate(found: Iterable[Finding], loaded: source.Source, file: str) -> tuple[Diagnostic, ...]:
    diagnostics = set()
    for item in found:
        line, column = mark_of(item, loaded.positions)
        where = readable_path(item.path, loaded.data)
        message = _one_line(item.message)
        diagnostics.add(Diagnostic(Location(file, line, column), item.code, where, message))
    return tuple(sorted(diagnostics, key=Diagnostic.sort_key))


def _one_line(message: str) -> str:
    """Messages quote user values; a diagnostic must still be exactly one printable line."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), message)


def repo_origin(spec_path: Path) -> Origin:
    """The spec's path and folder relative to the enclosing git repository (else its folder)."""
    spec_abs = spec_path.resolve()
    folder = spec_abs.parent
    root = next((p for p in (folder, *folder.parents) if (p / ".git").exists()), folder)
    spec_rel = _as_text(spec_abs.relative_to(root).as_posix())
    return Origin(spec_path=spec_rel, spec_dir=posixpath.dirname(spec_rel) or ".")


def _as_text(path: str) -> str:
    """A path as the text the generated files show, whatever the locale.

    Under LANG=C Python decodes file names as ASCII with surrogate escapes; the bytes on
    disk are (as good as always) UTF-8, so read them as such: the headers then say `spé/`
    under every locale instead of crashing on the surrogates."""
    return os.fsencode(path).decode("utf-8", errors="replace")
