"""Rules for the spec's `pipeline:` section (issue 10): where the pipeline gets mlopsgen.

mlopsgen is not published on the public index, so `pip install mlopsgen` from there would
install whoever registers the name (dependency confusion) inside a step that holds the
production credentials. The package source is therefore one of: an Azure Artifacts feed, a
wheel committed to the repository, or a private index, and each is checked here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from mlopsgen.azure_devops import MACRO_SYNTAX
from mlopsgen.spec.findings import Finding
from mlopsgen.spec.shape import as_map, text

SOURCES = ("feed", "wheels", "index_url")
# Azure Artifacts feed names: no spaces, not starting with '.' or '_', at most 64 characters
# (Microsoft Learn, "Create a feed"); a project name may hold spaces. Either way no '$'.
_FEED = re.compile(r"[A-Za-z0-9-][A-Za-z0-9._-]{0,63}")
_PROJECT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9 ._-]{0,63}")
# The public index itself: installing mlopsgen by name from it is what this setting avoids.
_PUBLIC_HOSTS = ("pypi.org", "pypi.python.org", "files.pythonhosted.org", "test.pypi.org")


# Compiled on first use (here and below): only a spec that sets the key meets these patterns,
# and compiling one costs ~0.1 ms of every process that imports the rules (issue 15).
@cache
def _folder_part() -> re.Pattern[str]:
    return re.compile(r"[A-Za-z0-9_.@+-]+")


def _package(data: dict[str, Any]) -> dict[str, Any]:
    return as_map(as_map(data.get("pipeline")).get("package"))


def one_source(data: dict[str, Any]) -> Iterator[Finding]:
    if "package" not in as_map(data.get("pipeline")):
        return  # the default names one source
    package = _package(data)
    given = [k for k in SOURCES if k in package]
    if len(given) != 1:
        what = " and ".join(given) if given else "none"
        msg = f"name exactly one package source (feed, wheels or index_url), not {what}"
        yield Finding(("pipeline", "package"), "E340", msg, at="key")


def _macro(value: str) -> str | None:
    found = MACRO_SYNTAX.search(value)
    if found is None:
        return None
    return (
        f"contains '{found.group()}', Azure Pipelines macro syntax that Azure DevOps would "
        "expand in the generated pipeline; remove it"
    )


def feed_name(data: dict[str, Any]) -> Iterator[Finding]:
    feed = text(_package(data).get("feed"))
    if feed is None:
        return
    parts = feed.split("/")
    ok = (
        len(parts) <= 2
        and _FEED.fullmatch(parts[-1]) is not None
        and not parts[-1].endswith(".")
        and (len(parts) == 1 or _PROJECT.fullmatch(parts[0]) is not None)
    )
    if not ok:
        why = _macro(feed) or "must be an Azure Artifacts feed name, feed or project/feed"
        yield Finding(("pipeline", "package", "feed"), "E341", f"'{feed}' {why}")


def _outside_repository(path: str) -> str | None:
    parts = path.rstrip("/").split("/")
    inside = not path.startswith("/") and ".." not in parts and "\\" not in path
    if inside and all(_folder_part().fullmatch(p) for p in parts):
        return None
    return _macro(path) or (
        "must be a path inside the repository, relative to its root (no '..', no "
        "absolute path; letters, digits, '_', '.', '@', '+', '-' and '/')"
    )


def wheels_folder(data: dict[str, Any]) -> Iterator[Finding]:
    folder = text(_package(data).get("wheels"))
    why = None if folder is None else _outside_repository(folder)
    if why:
        yield Finding(("pipeline", "package", "wheels"), "E342", f"'{folder}' {why}")


def test_paths(data: dict[str, Any]) -> Iterator[Finding]:
    tests = as_map(as_map(data.get("pipeline")).get("tests"))
    for key in ("requirements", "path"):
        value = text(tests.get(key))
        why = None if value is None else _outside_repository(value)
        if why:
            yield Finding(("pipeline", "tests", key), "E350", f"'{value}' {why}")


def index_url(data: dict[str, Any]) -> Iterator[Finding]:
    url = text(_package(data).get("index_url"))
    if url is None:
        return
    why = _macro(url) or _url_problem(url)
    if why:
        # A URL with credentials is not echoed: the message would print the secret.
        shown = "the URL" if _has_credentials(url) else f"'{url}'"
        yield Finding(("pipeline", "package", "index_url"), "E343", f"{shown} {why}")


def _has_credentials(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return bool(parts.username or parts.password)
    except ValueError:
        return "@" in url


def _url_problem(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return "is not a URL"
    if _has_credentials(url):
        return "must not hold credentials: use feed (PipAuthenticate@1) or a pip.conf instead"
    if parts.scheme != "https" or not host or any(c.isspace() for c in url):
        return "must be an https:// URL of a package index"
    if host in _PUBLIC_HOSTS:
        return (
            "is the public index, where mlopsgen is not published: anyone could publish "
            "the name there; use your own feed or a wheel"
        )
    return None


@cache
def _pool_name() -> re.Pattern[str]:
    return re.compile(r"[A-Za-z0-9_.-][A-Za-z0-9 _.-]{0,127}")


@cache
def _vm_image() -> re.Pattern[str]:
    return re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


# The Microsoft-hosted images whose `script:` steps run in bash, as the generated steps are
# written: Ubuntu and macOS, by their YAML labels (Microsoft Learn, "Microsoft-hosted agents",
# Software; the labels follow the runner-images repository). On the Windows images a
# `script:` step runs in cmd.exe. Matched without case, as Azure DevOps matches vmImage.
@cache
def _bash_image() -> re.Pattern[str]:
    return re.compile(r"ubuntu-(latest|\d{2}\.04)|macos-(latest|\d{2})", re.IGNORECASE)


def pool(data: dict[str, Any]) -> Iterator[Finding]:
    pipeline = as_map(data.get("pipeline"))
    if "pool" not in pipeline:
        return  # the default: ubuntu-latest
    given = as_map(pipeline.get("pool"))
    kinds = [k for k in ("vm_image", "name") if k in given]
    if len(kinds) != 1:
        msg = "name exactly one of vm_image (Microsoft-hosted) or name (self-hosted pool)"
        yield Finding(("pipeline", "pool"), "E348", msg, at="key")
    for key, pattern in (("vm_image", _vm_image()), ("name", _pool_name())):
        value = text(given.get(key))
        if value is not None and not pattern.fullmatch(value.strip()):
            why = (
                _macro(value) or "must be a pool or image name: letters, digits, ' ', '_', '.', '-'"
            )
            yield Finding(("pipeline", "pool", key), "E349", f"'{value}' {why}")
        elif key == "vm_image" and value is not None and not _bash_image().fullmatch(value.strip()):
            why = (
                "is not a Microsoft-hosted Linux or macOS image (ubuntu-latest, ubuntu-24.04, "
                "ubuntu-22.04, macOS-latest, macOS-15, ...): the generated steps are bash "
                "scripts, which Windows images would run in cmd.exe; for another image use a "
                "self-hosted pool (pipeline.pool.name)"
            )
            yield Finding(("pipeline", "pool", key), "E349", f"'{value}' {why}")


# Branch names git accepts (git-check-ref-format: no "..", "@{", "//", component starting with
# "." or ending in ".lock", trailing "/" or "."), further limited to characters that need no
# quoting in the YAML and in the expression literals of the stage conditions.
@cache
def _branch_chars() -> re.Pattern[str]:
    return re.compile(r"[A-Za-z0-9._/+-]+")


def _branch_problem(branch: str) -> str | None:
    if branch.startswith("refs/"):
        return f"is a ref; give the branch name itself, e.g. '{branch.split('/', 2)[-1]}'"
    if not _branch_chars().fullmatch(branch):
        return _macro(branch) or (
            "must be a branch name of letters, digits, '.', '_', '/', '+' and '-'"
        )
    parts = branch.split("/")
    bad = (
        ".." in branch
        or branch.endswith((".", "/"))
        or branch.startswith("/")
        or any(not p or p.startswith(".") or p.endswith(".lock") for p in parts)
    )
    return "is not a branch name git accepts (git check-ref-format)" if bad else None


def release_branch(data: dict[str, Any]) -> Iterator[Finding]:
    branch = text(as_map(data.get("pipeline")).get("release_branch"))
    why = None if branch is None else _branch_problem(branch)
    if why:
        yield Finding(("pipeline", "release_branch"), "E370", f"'{branch}' {why}")


# Azure DevOps environment names as the deployment job refers to them: `environment: a.b`
# names the resource b of environment a (Microsoft Learn, "Create and target an
# environment"), so no '.'; no '$' (macro syntax), no leading or trailing space.
@cache
def _environment() -> re.Pattern[str]:
    return re.compile(r"[A-Za-z0-9_-](?:[A-Za-z0-9 _-]{0,98}[A-Za-z0-9_-])?")


def environments(data: dict[str, Any]) -> Iterator[Finding]:
    stages = data.get("stages")
    for i, stage in enumerate(stages if isinstance(stages, list) else []):
        stage = as_map(stage)
        name = text(stage.get("environment"))
        if name is not None and not _environment().fullmatch(name):
            why = _macro(name) or (
                "must be an Azure DevOps environment name: 1 to 100 letters, digits, spaces, "
                "'_' and '-' ('.' would name a resource of the environment)"
            )
            yield Finding(("stages", i, "environment"), "E374", f"'{name}' {why}")
        if name is not None and "approval" in stage:
            msg = (
                f"the stage deploys through environment '{name}', whose checks decide: this "
                "inline approval is not rendered; set the approvers as an Approvals check on "
                "the environment (mlopsgen environments lists the checks) and remove it"
            )
            yield Finding(("stages", i, "approval"), "W003", msg, at="key")


RULES = (
    one_source,
    feed_name,
    wheels_folder,
    index_url,
    pool,
    test_paths,
    release_branch,
    environments,
)
