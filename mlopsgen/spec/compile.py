"""The one orchestrator: text -> YAML layer -> apiVersion -> JSON Schema -> semantics -> Spec
-> agent limits (the one layer that reads the defaulted Spec).

Every layer adds located diagnostics; the spec is built only when there are no errors.
`compile_text` is pure (the files beside the spec come in as a reader function);
`compile_spec` does the I/O, through `folder_reader`.
"""

from __future__ import annotations

import errno
import os
import posixpath
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from mlopsgen.azure_devops import MACRO_SYNTAX
from mlopsgen.errors import MlopsgenError
from mlopsgen.model import Origin, Spec, build_spec
from mlopsgen.spec import agent_limits, schema, semantics, source
from mlopsgen.spec.diagnostics import Diagnostic, Location, severity_of
from mlopsgen.spec.file_rules import OutsideFolder, ReadFile
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
        raw = path.read_bytes()
    except OSError as exc:
        raise MlopsgenError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    return compile_bytes(raw, path, read_file=folder_reader(path.parent), origin=repo_origin(path))


def compile_bytes(
    raw: bytes, path: Path, *, origin: Origin, read_file: ReadFile | None = None
) -> CompileResult:
    """Decode the spec as UTF-8 (E010 at the first byte that is not) and compile it."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        column = len(raw[line_start : exc.start].decode("utf-8", errors="replace")) + 1
        msg = f"not UTF-8 text: byte 0x{raw[exc.start]:02X} ({exc.reason}); save the file as UTF-8"
        where = Location(str(path), line, column)
        diagnostic = Diagnostic(where, "E010", "", msg)
        shown = raw.decode("utf-8", errors="replace")
        return CompileResult(path=path, spec=None, diagnostics=(diagnostic,), text=shown)
    return compile_text(text, path, read_file=read_file, origin=origin)


def folder_reader(folder: Path) -> ReadFile:
    """Read files relative to `folder`: their bytes, or None when there is no such file.
    A path whose real location (symbolic links resolved) is outside `folder` raises
    `OutsideFolder`, which the file rules report as E302."""
    real_folder = folder.resolve()

    def read(relative: str) -> bytes | None:
        target = folder / relative
        try:
            if not target.resolve().is_relative_to(real_folder):
                raise OutsideFolder(relative)
            return target.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError, ValueError):
            return None  # ValueError: a NUL in the name; no such file can exist
        except OSError as exc:
            if exc.errno == errno.ENAMETOOLONG:
                return None  # nor one with too long a name
            raise MlopsgenError(f"{target}: cannot read ({exc.strerror or exc})") from exc

    return read


def compile_text(
    text: str,
    path: Path,
    *,
    origin: Origin,
    read_file: ReadFile | None = None,
    file_exists: Callable[[str], bool] | None = None,
) -> CompileResult:
    """Compile spec text. `read_file` answers a path relative to the spec folder with the
    file's bytes, or None when there is no such file. `file_exists` alone (callers from before
    the reader) checks that files exist but not what they hold."""
    exists = file_exists or _exists_by_reading(read_file)
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
            found.extend(semantics.check(data, exists, read_file))
    found.extend(_origin_problems(origin))
    diagnostics = _locate(found, loaded, str(path))
    spec = None
    if data is not None and not any(d.severity == "error" for d in diagnostics):
        spec = build_spec(data, origin)
        # the last layer needs the defaulted model: what the pipeline asks of its agents
        late = _locate(agent_limits.check(spec), loaded, str(path))
        if late:
            diagnostics = tuple(sorted((*diagnostics, *late), key=Diagnostic.sort_key))
            spec = None if any(d.severity == "error" for d in late) else spec
    return CompileResult(path=path, spec=spec, diagnostics=diagnostics, text=text)


def _origin_problems(origin: Origin) -> Iterator[Finding]:
    """The spec's own path is written into azure-pipelines.yml (trigger paths, working
    folders), where Azure DevOps would expand `$(`: reported here, at the top of the spec,
    rather than by the renderer (issue 11)."""
    macro = MACRO_SYNTAX.search(origin.spec_path)
    if macro:
        msg = (
            f"the spec's path '{origin.spec_path}' contains '{macro.group()}', Azure Pipelines "
            "macro syntax the generated pipeline would expand; rename the folder"
        )
        yield Finding((), "E320", msg, mark=(1, 1))


def _exists_by_reading(read_file: ReadFile | None) -> Callable[[str], bool]:
    if read_file is None:
        raise TypeError("compile_text needs read_file (or at least file_exists)")
    return lambda relative: read_file(relative) is not None


def _locate(found: Iterable[Finding], loaded: source.Source, file: str) -> tuple[Diagnostic, ...]:
    diagnostics = set()
    for item in found:
        line, column = mark_of(item, loaded.positions)
        where = readable_path(item.path[:-1] if item.secret_key else item.path, loaded.data)
        message = _one_line(item.message)
        where_at = Location(file, line, column)
        diagnostics.add(Diagnostic(where_at, item.code, where, message, severity_of(item.code)))
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


def duplicate_names(results: Iterable[CompileResult]) -> tuple[Diagnostic, ...]:
    """E375 for every valid spec whose `name` an earlier spec of the same run already has: the
    two would write each other's files and, in a shared workspace, each other's jobs (job
    names and identity tags are made from the name)."""
    first: dict[str, Path] = {}
    found: list[Diagnostic] = []
    for result in results:
        if result.spec is None:
            continue
        name = result.spec.name
        if name not in first:
            first[name] = result.path
            continue
        loaded = source.load(result.text)
        message = (
            f"'{name}' is also the name of {first[name]}: their generated files and their "
            "jobs (named after it) would overwrite each other; give each spec its own name"
        )
        found.extend(_locate([Finding(("name",), "E375", message)], loaded, str(result.path)))
    return tuple(found)
