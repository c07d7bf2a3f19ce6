"""Helpers for the runtime tests: servers in their own process group, rendered notebooks."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_SPEC = REPO / "specs" / "wine-quality" / "model.yaml"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_http(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{url} never came up; its log:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"{url} not ready after {timeout} s; log:\n{log.read_text()[-3000:]}")


def start_group(command: list[str], log: Path, env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    """Start a server in its own process group (it forks workers we must stop too)."""
    with log.open("wb") as out:
        return subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=dict(env), start_new_session=True
        )


def stop_group(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=3)  # state is thrown away: no need to wait long
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextlib.contextmanager
def mlflow_server_at(root: Path) -> Iterator[str]:
    """A real `mlflow server` (SQLite store, local artifacts, a free loopback port) in its
    own process group, stopped when the block ends; yields its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable, "-m", "mlflow", "server",
        "--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}",
        "--default-artifact-root", str(root / "artifacts"),
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
    ]  # fmt: skip
    process = start_group(command, root / "server.log", base_env(url))
    try:
        wait_for_http(f"{url}/health", process, root / "server.log", timeout=90)
        yield url
    finally:
        stop_group(process)


def base_env(tracking_uri: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLOPSGEN_", "DATABRICKS_"))}
    env.update(
        MLFLOW_TRACKING_URI=tracking_uri,
        MLFLOW_DISABLE_TELEMETRY="true",
        PYTHONUNBUFFERED="1",
        # mlflow starts helpers (uvicorn) by name: the venv's bin must come first
        PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        # no ~/.databrickscfg profile may leak into a test
        DATABRICKS_CONFIG_FILE=os.devnull,
    )
    env.pop("MLFLOW_REGISTRY_URI", None)
    return env


# ---------------------------------------------------------------- rendered notebooks


def render_tree(spec_path: Path, out: Path, text: str | None = None) -> Path:
    """Render a spec (optionally with replaced text) with mlopsgen and write the tree."""
    from mlopsgen.render import render_spec
    from mlopsgen.spec.compile import compile_spec, compile_text, folder_reader, repo_origin

    if text is None:
        result = compile_spec(spec_path)
    else:
        base = spec_path.parent
        result = compile_text(
            text,
            spec_path,
            read_file=folder_reader(base),
            origin=repo_origin(spec_path),
        )
    assert result.spec is not None, [d.format() for d in result.diagnostics]

    for artifact in render_spec(result.spec).files():
        target = out / artifact.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(artifact.text)
    return out


def task_parameters(tree: Path, job: str, task: str) -> dict[str, str]:
    """The base_parameters the rendered job passes to a task."""
    settings = json.loads((tree / "databricks" / f"{job}.json").read_text())
    for candidate in settings["tasks"]:
        if candidate["task_key"] == task:
            return dict(candidate["notebook_task"]["base_parameters"])
    raise AssertionError(f"{job}.json has no task {task}")


def run_notebook(
    tree: Path, name: str, params: Mapping[str, str], env: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run a rendered notebook as a script, as `python notebooks/<name>.py --key value ...`."""
    argv = [sys.executable, str(tree / "notebooks" / f"{name}.py")]
    for key, value in params.items():
        argv += [f"--{key}", value]
    return subprocess.run(
        argv, env=dict(env), capture_output=True, text=True, timeout=300, check=False
    )
