"""What `check` verified before: an unchanged spec is not compiled and rendered again (issue 15).

`check` is a pure function of its inputs and of the bytes on disk: the same spec text, project
configuration, packs, files beside the spec, time-zone data and mlopsgen installation always
render the same tree, and the same tree compared with the same bytes always gives the same
verdict. So when a spec passed, `check` records digests of all of them, and the next `check`
that finds every one of them unchanged replays the verdict (and the spec's warnings) without
compiling or rendering. Any difference, or anything it cannot account for (a symbolic link, a
folder where a file was, an unreadable or foreign record), is a miss: the full check runs, and
decides. Only passes are recorded, so a miss can never turn a failure into a pass.

What the record covers (each is a test in tests/render/test_check_cache.py):
* the tool: Python's version, every installed distribution (the `*.dist-info` folder names on
  `sys.path`: Jinja's or PyYAML's version changes the output) and the bytes of mlopsgen's own
  code, templates and schemas (an editable install changes without a version bump);
* the spec: its bytes and its path in the repository (the generated files print it);
* the project: the configuration and the packs as `load_project` reads them, and the bytes of
  every template of their template set;
* every file the compile read beside the spec (the notebook, the smoke-test request), or that
  it found none;
* the bytes of the time-zone files of the spec's schedules, wherever zoneinfo finds them;
* the output: the real path of the output root and every generated file's bytes, the
  manifest's among them (it lists the same files, so render would delete nothing). A path with
  a symbolic link or a non-file anywhere below the root is a miss.

The records live outside the repository, in the user's cache folder (`MLOPSGEN_CACHE_DIR`, else
`$XDG_CACHE_HOME/mlopsgen`, else `~/.cache/mlopsgen`), one small file per spec and output
root: a pull request cannot commit a record that vouches for its own stale files, and a record
that cannot be read or written only costs the time of a full check. `--no-cache` (or
`MLOPSGEN_NO_CACHE=1`) always runs the full check.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlopsgen import __version__

if TYPE_CHECKING:
    from mlopsgen.model import Layer, Spec
    from mlopsgen.render.artifacts import Artifact
    from mlopsgen.spec.diagnostics import Diagnostic
    from mlopsgen.spec.project import Project

FORMAT = 1  # of a record; another value is a miss
ABSENT = "-"  # the digest of a file that is not there
_SKIPPED_FOLDERS = frozenset({"__pycache__"})
_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)  # POSIX; elsewhere the lstat of folders remains


def cache_dir(environ: Mapping[str, str]) -> Path | None:
    """Where records live; None when the cache is off (MLOPSGEN_NO_CACHE set)."""
    if environ.get("MLOPSGEN_NO_CACHE"):
        return None
    explicit = environ.get("MLOPSGEN_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "mlopsgen"


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- the tool --------------------------------------------------------------------------------
@cache
def tool_digest() -> str:
    """Python, the installed distributions and mlopsgen's own files, once per process."""
    from mlopsgen.resources import schemas_dir, templates_dir

    package = Path(__file__).resolve().parent
    return tree_digest(
        (package, templates_dir(), schemas_dir()),
        (sys.version, __version__, *installed_distributions(sys.path)),
    )


def tree_digest(folders: Iterable[Path], identity: Iterable[str]) -> str:
    """sha256 over `identity` and every file below `folders` (path and bytes, in name order)."""
    hashed = hashlib.sha256()
    for part in identity:
        hashed.update(part.encode("utf-8", "surrogateescape") + b"\0")
    for folder in folders:
        for current, folders_below, files in os.walk(folder):
            folders_below[:] = sorted(f for f in folders_below if f not in _SKIPPED_FOLDERS)
            for name in sorted(files):
                path = os.path.join(current, name)
                with open(path, "rb") as handle:
                    data = handle.read()
                hashed.update(os.fsencode(path) + b"\0" + digest(data).encode() + b"\0")
    return hashed.hexdigest()


def installed_distributions(search_path: Sequence[str]) -> list[str]:
    """The `name-version.dist-info` (and `.egg-info`) folders on the import path: installing,
    upgrading or removing any distribution changes the list."""
    found: list[str] = []
    for entry in search_path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue  # a zip file or a missing folder on sys.path
        found.extend(
            f"{entry}/{n}" for n in sorted(names) if n.endswith((".dist-info", ".egg-info"))
        )
    return found


# --- the inputs ------------------------------------------------------------------------------
class ProjectKeys:
    """The project as the compile sees it (configuration, packs, their rules, defaults and
    patches: frozen data with a faithful repr) and its template set's bytes, hashed once per
    layer stack for one `check` (a thousand specs of one repository share it)."""

    def __init__(self) -> None:
        self._templates: dict[tuple[Layer, ...], str] = {}

    def __call__(self, project: Project) -> str:
        layers = project.layers
        if layers and layers not in self._templates:
            from mlopsgen.render.environment import template_set_hash

            self._templates[layers] = template_set_hash(layers)
        own = digest(repr(project).encode("utf-8", "surrogateescape"))
        return own + self._templates.get(layers, "")


def zone_digest(key: str) -> str:
    """The bytes of time zone `key` where zoneinfo looks: the TZPATH folders, then the tzdata
    package (Python docs, "zoneinfo: Data sources")."""
    import zoneinfo

    parts = key.split("/")
    if any(p in ("", ".", "..") for p in parts):
        return ABSENT
    for root in zoneinfo.TZPATH:
        candidate = os.path.join(root, *parts)
        if os.path.isfile(candidate):
            with open(candidate, "rb") as handle:
                return "tzpath:" + digest(handle.read())
    try:
        from importlib import resources

        data = resources.files("tzdata.zoneinfo").joinpath(*parts).read_bytes()
    except (ImportError, OSError):
        return ABSENT
    return "tzdata:" + digest(data)


def spec_zones(spec: Spec) -> list[str]:
    """The time zones the spec's schedules are converted with."""
    schedules = [spec.schedule, spec.serving.batch_schedule if spec.serving else None]
    return sorted({s.timezone for s in schedules if s is not None})


def inputs_digest(
    spec_bytes: bytes,
    spec_path: str,
    project: str,
    reads: Iterable[tuple[str, str]],
    zones: Iterable[tuple[str, str]],
) -> str:
    hashed = hashlib.sha256()
    for part in (tool_digest(), digest(spec_bytes), spec_path, project):
        hashed.update(part.encode("utf-8", "surrogateescape") + b"\0")
    for name, value in (*reads, ("", ""), *zones):
        hashed.update(f"{name}\0{value}\0".encode("utf-8", "surrogateescape"))
    return hashed.hexdigest()


# --- the output ------------------------------------------------------------------------------
def disk_digests(root: Path, paths: Iterable[str]) -> dict[str, str] | None:
    """Each path's digest (ABSENT when missing); None when any path has a symbolic link or a
    non-file in it, which `check` itself must judge. (Plain strings and os calls: pathlib
    costs more than the reads of a thousand specs' files.)"""
    base = os.fspath(root)
    found: dict[str, str] = {}
    folders: dict[str, bool] = {}  # relative folder -> a real folder (False: missing)
    for relative in paths:
        present = True
        end = relative.find("/")
        while end != -1:
            folder = relative[:end]
            state = folders.get(folder)
            if state is None:
                state = _real_folder(f"{base}/{folder}")
                if state is None:
                    return None
                folders[folder] = state
            if not state:
                present = False
                break
            end = relative.find("/", end + 1)
        value = _file_digest(f"{base}/{relative}") if present else ABSENT
        if not value:
            return None
        found[relative] = value
    return found


def _real_folder(path: str) -> bool | None:
    """True: a folder (not a link); False: nothing there; None: anything else."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return False
    except OSError:
        return None
    return True if stat.S_ISDIR(mode) else None


def _file_digest(path: str) -> str:
    """The file's digest, ABSENT when missing, "" for a link or a non-file."""
    try:
        fd = os.open(path, os.O_RDONLY | _NO_FOLLOW)
    except FileNotFoundError:
        return ABSENT
    except OSError:
        return ""  # a symbolic link (ELOOP), no permission, ...
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return ""
        hashed = hashlib.sha256()
        while chunk := os.read(fd, max(info.st_size + 1, 65536)):
            hashed.update(chunk)
        return hashed.hexdigest()
    finally:
        os.close(fd)


# --- the records -----------------------------------------------------------------------------
def record_path(folder: Path, spec: Path, out: Path | None) -> Path:
    """One record per spec and output folder (`--out`), named by their absolute paths and the
    spec's path as given (the diagnostics print it)."""
    where = os.path.abspath(out) if out is not None else ""
    key = f"{spec}\0{os.path.abspath(spec)}\0{where}"
    name = digest(key.encode("utf-8", "surrogateescape"))
    return folder / "check" / name[:2] / f"{name}.json"


def read_record(path: Path) -> dict[str, Any] | None:
    try:
        with open(path, "rb") as handle:
            record = json.loads(handle.read())
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        return None
    return record


def write_record(path: Path, record: Mapping[str, Any]) -> None:
    """Write through a temporary file and rename; a record that cannot be written is a miss
    next time, nothing worse."""
    # ASCII: paths decoded under LANG=C carry surrogates, which JSON escapes as \udcXX
    data = json.dumps(record, sort_keys=True).encode("ascii")
    temp = path.with_name(f".{path.name}.{os.urandom(8).hex()}.tmp")
    try:
        # private, as Jinja's bytecode cache: a record holds paths and the spec's warnings
        for folder in (path.parents[2], path.parents[1], path.parent):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        with open(temp, "wb") as handle:
            handle.write(data)
        os.replace(temp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temp)


def new_record(
    *,
    inputs: str,
    reads: Sequence[tuple[str, str]],
    zones: Sequence[tuple[str, str]],
    root: Path,
    tree: Sequence[Artifact],
    name: str,
    diagnostics: Sequence[Diagnostic],
) -> dict[str, Any]:
    """What a pass vouches for: the output as the check compared it, the generated bytes,
    which equalled the disk's. The manifest is one of them, and it then lists exactly these
    files: nothing else under the root is render's to delete, nor the check's to compare."""
    files = {a.path: digest(a.text.encode("utf-8")) for a in tree}
    return {
        "format": FORMAT,
        "inputs": inputs,
        "reads": [list(r) for r in reads],
        "zones": [list(z) for z in zones],
        "root": os.path.realpath(root),
        "files": files,
        "name": name,
        "diagnostics": [d.as_dict() for d in diagnostics],
    }


def replayed(
    record: Mapping[str, Any],
    *,
    spec_bytes: bytes,
    spec_path: str,
    project: str,
    read_file: Callable[[str], bytes | None],
    root_of: Callable[[str], Path],
) -> tuple[str, list[dict[str, Any]]] | None:
    """The spec's name and diagnostics when every digest still holds, else None.

    `read_file(relative) -> bytes | None` reads beside the spec as the compile does;
    `root_of(name) -> Path` is the output root for the recorded name."""
    try:
        reads = [(str(n), _digest_or_absent(read_file(str(n)))) for n, _ in record["reads"]]
        zones = [(str(k), zone_digest(str(k))) for k, _ in record["zones"]]
        if inputs_digest(spec_bytes, spec_path, project, reads, zones) != record["inputs"]:
            return None
        name = str(record["name"])
        root = root_of(name)
        if os.path.realpath(root) != record["root"]:
            return None
        files: dict[str, str] = record["files"]
        if disk_digests(root, sorted(files)) != files:
            return None
        diagnostics = list(record["diagnostics"])
    except Exception:  # any surprise in a record is a miss: the full check decides
        return None
    return name, diagnostics


def _digest_or_absent(data: bytes | None) -> str:
    return ABSENT if data is None else digest(data)


def recorded_reads(reads: Mapping[str, bytes | None]) -> list[tuple[str, str]]:
    return sorted((name, _digest_or_absent(data)) for name, data in reads.items())
