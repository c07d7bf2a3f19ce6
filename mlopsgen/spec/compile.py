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
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import NamedTuple

from mlopsgen.azure_devops import MACRO_SYNTAX
from mlopsgen.errors import MlopsgenError
from mlopsgen.model import Origin, Spec, build_spec
from mlopsgen.spec import (
    agent_limits,
    org_defaults,
    patches,
    schema,
    semantics,
    source,
)
from mlopsgen.spec.diagnostics import Diagnostic, Location, severity_of
from mlopsgen.spec.file_rules import OutsideFolder, ReadFile
from mlopsgen.spec.findings import DataPath, Finding, mark_of, readable_path
from mlopsgen.spec.project import Project, load_project

SUPPORTED_API_VERSIONS = ("mlopsgen/v1",)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class CompileResult(NamedTuple):
    path: Path
    spec: Spec | None  # None when any error diagnostic exists
    diagnostics: tuple[Diagnostic, ...]
    text: str
    # (spec path, pack) of every value only a pack's defaults supply (`mlopsgen layers`)
    defaults_from: tuple[tuple[str, str], ...] = ()

    @property
    def ok(self) -> bool:
        return self.spec is not None


def compile_spec(
    path: Path,
    project: Project | None = None,
    *,
    raw: bytes | None = None,
    reads: dict[str, bytes | None] | None = None,
) -> CompileResult:
    """Read and compile the spec at `path` (as given on the command line), with the packs
    its project configuration names (issue 13), or those of `project` (testing a pack).

    `raw`: the spec's bytes when the caller read them already; `reads` receives every file
    the compile read beside the spec, and what it found (None: no such file), for `check`'s
    record of what a verdict depends on (`check_cache`)."""
    raw = read_spec(path) if raw is None else raw
    project = load_project(path) if project is None else project
    if project.problems:  # a pack that cannot be used: nothing else is worth reading
        shown = raw.decode("utf-8", errors="replace")
        problems = tuple(sorted(project.problems, key=Diagnostic.sort_key))
        return CompileResult(path=path, spec=None, diagnostics=problems, text=shown)
    origin = repo_origin(path)._replace(layers=project.layers)
    reader = folder_reader(path.parent)
    if reads is not None:
        reader = _recording(reader, reads)
    return compile_bytes(raw, path, read_file=reader, origin=origin, project=project)


def read_spec(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise MlopsgenError(f"{path}: cannot read ({exc.strerror or exc})") from exc


def _recording(read: ReadFile, reads: dict[str, bytes | None]) -> ReadFile:
    def recorded(relative: str) -> bytes | None:
        data = read(relative)
        reads[relative] = data
        return data

    return recorded


def compile_bytes(
    raw: bytes,
    path: Path,
    *,
    origin: Origin,
    read_file: ReadFile | None = None,
    project: Project | None = None,
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
    return compile_text(text, path, read_file=read_file, origin=origin, project=project)


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
    project: Project | None = None,
) -> CompileResult:
    """Compile spec text. `read_file` answers a path relative to the spec folder with the
    file's bytes, or None when there is no such file. `file_exists` alone (callers from before
    the reader) checks that files exist but not what they hold. `project`: the packs whose
    defaults go under the spec and whose policy rules it must follow."""
    exists = file_exists or _exists_by_reading(read_file)
    loaded = source.load(text)
    found: list[Finding] = list(loaded.problems)
    packs = project.packs if project is not None else ()
    data, from_packs = org_defaults.merge(loaded.data, packs)
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
            for pack in packs:  # after the spec's own rules, in the packs' order
                # the policy code only for a project that names packs (issue 15)
                from mlopsgen.spec import policy

                found.extend(policy.evaluate(pack.rules, data))
            found.extend(patches.tag_count(data, [(p.name, p.layer.patches) for p in packs]))
    found.extend(_origin_problems(origin))
    diagnostics = _locate(found, loaded, str(path), from_packs)
    spec = None
    if data is not None and not any(d.severity == "error" for d in diagnostics):
        spec = build_spec(data, origin)
        # the last layer needs the defaulted model: what the pipeline asks of its agents
        late = _locate(agent_limits.check(spec), loaded, str(path), from_packs)
        if late:
            diagnostics = tuple(sorted((*diagnostics, *late), key=Diagnostic.sort_key))
            spec = None if any(d.severity == "error" for d in late) else spec
    supplied = tuple(
        sorted(
            (readable_path(leaf, data), owner[0])
            for path, owner in from_packs.items()
            for leaf in org_defaults.leaves(data, path)
        )
    )
    return CompileResult(path, spec, diagnostics, text, defaults_from=supplied)


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


def _locate(
    found: Iterable[Finding],
    loaded: source.Source,
    file: str,
    from_packs: Mapping[DataPath, tuple[str, Location]] | None = None,
) -> tuple[Diagnostic, ...]:
    """Each finding at its line in the spec; one about a value only a pack's defaults supply
    at the pack's file, naming the pack."""
    diagnostics = set()
    for item in found:
        line, column = mark_of(item, loaded.positions)
        where = readable_path(item.path[:-1] if item.secret_key else item.path, loaded.data)
        message = _one_line(item.message)
        where_at = Location(file, line, column)
        pack = _supplied_by(item.path, from_packs or {})
        if pack is not None:
            where_at = pack[1]
            message = f"{message} (a default of pack {pack[0]})"
        severity = item.severity or severity_of(item.code)
        diagnostics.add(Diagnostic(where_at, item.code, where, message, severity))
    return tuple(sorted(diagnostics, key=Diagnostic.sort_key))


def _supplied_by(
    path: DataPath, from_packs: Mapping[DataPath, tuple[str, Location]]
) -> tuple[str, Location] | None:
    for cut in range(1, len(path) + 1):
        if path[:cut] in from_packs:
            return from_packs[path[:cut]]
    return None


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
