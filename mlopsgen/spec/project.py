"""The project configuration and the template packs it names (issue 13).

`[tool.mlopsgen]` in the nearest `pyproject.toml` above the spec (up to the repository root)
names the packs, lowest first, and the repository's own overrides folder:

    [tool.mlopsgen]
    packs = ["contoso==1.4.*", "./platform/packs/ml"]   # installed (pinned), or a folder
    overrides = "mlopsgen-templates"                    # optional, above every pack

A pack is a folder holding `mlopsgen-pack.toml` (name, version, requires-mlopsgen,
[defaults]), optionally `policy.toml`, `patches.toml` and `templates/`. An installed pack
is found through the entry point group `mlopsgen.packs`, whose value names the package
folder: its path is looked up with `importlib.util.find_spec` of the top-level package,
which finds without importing, so no code of the pack runs (a pack is data: templates, TOML).

Every problem is one diagnostic located in the file that has it (E400 to E408; E409, the
patches' tags counted with a spec's, is reported at the spec).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from mlopsgen import __version__, layout
from mlopsgen.model import Layer
from mlopsgen.spec.diagnostics import Diagnostic, Location
from mlopsgen.spec.patches import PATCHES_FILE, read_patches
from mlopsgen.spec.toml_text import TomlFile, read_toml

if TYPE_CHECKING:
    from packaging.requirements import Requirement

    from mlopsgen.spec import policy

CONFIG_FILE = "pyproject.toml"
PACK_FILE = "mlopsgen-pack.toml"
POLICY_FILE = "policy.toml"
TEMPLATES = "templates"
ENTRY_POINT_GROUP = "mlopsgen.packs"
OVERRIDES = "overrides"  # the layer name of the repository's own folder

BAD_CONFIG = "E400"
MISSING_PACK = "E401"
WRONG_VERSION = "E402"
BAD_PACK = "E403"
_PACK_KEYS = {"name", "version", "requires-mlopsgen", "description", "defaults"}
_CONFIG_KEYS = {"packs", "overrides"}
# A package-like name: it prefixes template names (`<pack>:<template>`), so never a ':'.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class Pack(NamedTuple):
    name: str
    version: str
    file: TomlFile  # its mlopsgen-pack.toml
    defaults: Mapping[str, Any]
    rules: tuple[policy.Rule, ...]
    layer: Layer


class Project(NamedTuple):
    """What the project configuration adds to a spec; empty without one."""

    config: Path | None = None
    packs: tuple[Pack, ...] = ()
    layers: tuple[Layer, ...] = ()  # the packs', then the overrides folder's, lowest first
    problems: tuple[Diagnostic, ...] = ()


def find_config(spec_path: Path) -> Path | None:
    """The nearest pyproject.toml from the spec's folder up to the repository root."""
    folder = spec_path.resolve().parent
    for candidate in (folder, *folder.parents):
        if (candidate / CONFIG_FILE).is_file():
            return candidate / CONFIG_FILE
        if (candidate / ".git").exists():
            return None
    return None


def load_project(spec_path: Path) -> Project:
    config = find_config(spec_path)
    if config is None:
        return Project()
    stat = config.stat()
    read = _read_config(config, stat.st_mtime_ns, stat.st_size)
    if isinstance(read, Diagnostic):
        return Project(config, problems=(read,))
    tool = read.data.get("tool")
    section = tool.get("mlopsgen") if isinstance(tool, dict) else None
    if section is None:
        return Project(config)
    problems = list(_config_problems(read, section))
    if problems:
        return Project(config, problems=tuple(problems))
    return _load_layers(read, section)


@lru_cache(maxsize=64)
def _read_config(path: Path, mtime_ns: int, size: int) -> TomlFile | Diagnostic:
    """pyproject.toml, parsed once per version of the file: `check` over a thousand specs
    of one repository reads the same one (about a millisecond a parse)."""
    del mtime_ns, size  # the cache key only
    return read_toml(path, BAD_CONFIG)


def _config_problems(config: TomlFile, section: Any) -> Iterator[Diagnostic]:
    table = "tool.mlopsgen"
    if not isinstance(section, dict):
        yield config.error(BAD_CONFIG, "[tool.mlopsgen] must be a table", config.mark(table))
        return
    for key in sorted(set(section) - _CONFIG_KEYS):
        msg = f"[tool.mlopsgen] has no key {key!r} (keys: packs, overrides)"
        yield config.error(BAD_CONFIG, msg, config.mark(table, key))
    packs = section.get("packs", [])
    if not isinstance(packs, list) or not all(isinstance(p, str) for p in packs):
        msg = "packs must be a list of strings: 'name==version' or a folder './path'"
        yield config.error(BAD_CONFIG, msg, config.mark(table, "packs"))
    if not isinstance(section.get("overrides", ""), str):
        msg = "overrides must be a folder path, relative to pyproject.toml"
        yield config.error(BAD_CONFIG, msg, config.mark(table, "overrides"))


def _load_layers(config: TomlFile, section: dict[str, Any]) -> Project:
    # Jinja (to parse templates) only for a project that names packs: validate stays light
    from mlopsgen.spec import pack_templates

    packs: list[Pack] = []
    problems: list[Diagnostic] = []
    lower: dict[str, dict[str, str]] = {layout.BUILTIN_LAYER: pack_templates.builtin_sources()}
    for entry in section.get("packs", []):
        found = _resolve(config, entry)
        if isinstance(found, Diagnostic):
            problems.append(found)
            continue
        pack = _read_pack(found[0], found[1])
        if isinstance(pack, Diagnostic):
            problems.append(pack)
            continue
        problems.extend(pack_problems(pack, lower))
        packs.append(pack)
        if pack.layer.templates is not None:
            lower[pack.name] = pack_templates.folder_sources(Path(pack.layer.templates))
    layers = [p.layer for p in packs]
    if "overrides" in section:
        folder = (config.path.parent / section["overrides"]).resolve()
        if not folder.is_dir():
            msg = f"overrides folder {section['overrides']} does not exist"
            where = config.mark("tool.mlopsgen", "overrides")
            problems.append(config.error(BAD_CONFIG, msg, where))
        else:
            problems.extend(pack_templates.check_layer(OVERRIDES, folder, lower))
            layers.append(Layer(OVERRIDES, "", str(folder)))
    return Project(config.path, tuple(packs), tuple(layers), tuple(problems))


def pack_project(folder: Path) -> Project:
    """A project of the one pack in `folder`, for testing the pack (`mlopsgen pack-test`)
    against specs that have no project configuration naming it."""
    from mlopsgen.spec import pack_templates

    if not (folder / PACK_FILE).is_file():
        where = Location(str(folder / PACK_FILE), 1, 1)
        return Project(problems=(Diagnostic(where, MISSING_PACK, "", f"no {PACK_FILE}"),))
    pack = _read_pack(folder.resolve(), None)
    if isinstance(pack, Diagnostic):
        return Project(problems=(pack,))
    lower = {layout.BUILTIN_LAYER: pack_templates.builtin_sources()}
    problems = tuple(pack_problems(pack, lower))
    return Project(None, (pack,), (pack.layer,), problems)


def _resolve(config: TomlFile, entry: str) -> tuple[Path, Requirement | None] | Diagnostic:
    """A pack's folder and the pin the configuration gives (None for a folder)."""
    from packaging.requirements import InvalidRequirement, Requirement

    where = config.find_text(f'"{entry}"') or config.mark("tool.mlopsgen", "packs")
    if entry.startswith((".", "/")):  # ./folder, ../folder or an absolute path
        folder = (config.path.parent / entry).resolve()
        if not (folder / PACK_FILE).is_file():
            msg = f"pack folder {entry} has no {PACK_FILE}"
            return config.error(MISSING_PACK, msg, where)
        return folder, None
    try:
        wanted = Requirement(entry)
    except InvalidRequirement as exc:
        return config.error(BAD_CONFIG, f"pack {entry!r} is not 'name==version': {exc}", where)
    if wanted.url or wanted.extras or wanted.marker:
        msg = f"pack {entry!r}: pin a pack by name and versions only (no URL, extras or markers)"
        return config.error(BAD_CONFIG, msg, where)
    installed = installed_pack(wanted.name)
    if installed is None:
        msg = (
            f"pack {wanted.name} is not installed (no entry point {wanted.name!r} in group "
            f"{ENTRY_POINT_GROUP}): pip install '{entry}'"
        )
        return config.error(MISSING_PACK, msg, where)
    return installed, wanted


def installed_pack(name: str) -> Path | None:
    """The folder of the installed pack `name`, found without importing any of its code."""
    import importlib.metadata  # only a project that names an installed pack pays for these
    import importlib.util

    from packaging.utils import canonicalize_name

    wanted = canonicalize_name(name)
    for point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if canonicalize_name(point.name) != wanted:
            continue
        top, *rest = point.value.split(":")[0].strip().split(".")
        found = importlib.util.find_spec(top)  # a top-level lookup imports nothing
        for location in (found.submodule_search_locations or []) if found else []:
            folder = Path(location, *rest)
            if (folder / PACK_FILE).is_file():
                return folder
    return None


def _read_pack(folder: Path, pin: Requirement | None) -> Pack | Diagnostic:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    read = read_toml(folder / PACK_FILE, BAD_PACK)
    if isinstance(read, Diagnostic):
        return read
    data = read.data
    for key in sorted(set(data) - _PACK_KEYS):
        msg = f"{PACK_FILE} has no key {key!r} (keys: {', '.join(sorted(_PACK_KEYS))})"
        return read.error(BAD_PACK, msg, read.mark("", key))
    for key in ("name", "version", "requires-mlopsgen"):
        if not isinstance(data.get(key), str) or not data[key]:
            return read.error(BAD_PACK, f'{PACK_FILE} needs {key} = "..."', read.mark("", key))
    name, version = data["name"], data["version"]
    if not _NAME.fullmatch(name):
        msg = f"pack name {name!r}: letters, digits, '.', '_' and '-', a letter or digit first"
        return read.error(BAD_PACK, msg, read.mark("", "name"))
    try:
        parsed = Version(version)
        requires = SpecifierSet(data["requires-mlopsgen"])
    except (InvalidVersion, InvalidSpecifier) as exc:
        return read.error(BAD_PACK, f"pack {name}: {exc}", read.mark("", "requires-mlopsgen"))
    if not requires.contains(__version__, prereleases=True):
        msg = (
            f"pack {name} {version} requires mlopsgen{requires}, this is mlopsgen "
            f"{__version__}: install a pack version made for it, or another mlopsgen"
        )
        return read.error(WRONG_VERSION, msg, read.mark("", "requires-mlopsgen"))
    accepted = pin.specifier if pin is not None else None
    if accepted is not None and not accepted.contains(parsed, prereleases=True):
        msg = (
            f"pack {name} {version} is installed, the project configuration pins "
            f"{pin}: pip install '{pin}'"
        )
        return read.error(WRONG_VERSION, msg, read.mark("", "version"))
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        return read.error(BAD_PACK, "[defaults] must be a table", read.mark("", "defaults"))
    from mlopsgen.spec import policy  # only for a project with packs

    rules = policy.read_rules(folder / POLICY_FILE, name)
    if isinstance(rules, Diagnostic):
        return rules
    patches = read_patches(folder / PATCHES_FILE, name)
    if isinstance(patches, Diagnostic):
        return patches
    templates = folder / TEMPLATES
    requirement = f"{pin.name}{pin.specifier}" if pin is not None else None
    folder_or_none = str(templates) if templates.is_dir() else None
    layer = Layer(name, version, folder_or_none, requirement, patches)
    return Pack(name, version, read, defaults, rules, layer)


def pack_problems(pack: Pack, lower: Mapping[str, Mapping[str, str]]) -> Iterator[Diagnostic]:
    from mlopsgen.spec import pack_templates

    if pack.name in lower or pack.name == OVERRIDES:
        msg = f"pack name {pack.name!r} is taken (by {layout.BUILTIN_LAYER}, {OVERRIDES} or a pack)"
        yield pack.file.error(BAD_PACK, msg, pack.file.mark("", "name"))
    if pack.layer.templates is not None:
        yield from pack_templates.check_layer(pack.name, Path(pack.layer.templates), lower)
