"""No credential is ever printed, however it is malformed (issue 11).

Azure DevOps masks a secret variable only in the exact form it was stored; a token with a
stray line break used to be echoed escaped (`Invalid header value b'Bearer dapi...\\n'`), and
a token inside the host URL was printed in the plan header and in every error. Each test
plants a token and scans everything the command printed, in every form it could take.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_runner import Result
from fakes.databricks_server import FakeDatabricks

from mlopsgen.commands.console import redact

Cli = Callable[..., Result]
SECRET = "dapi0123456789abcdef0123456789abcdef"


def forms(secret: str) -> list[str]:
    """How a secret can show up in text: as is, trimmed, escaped, as bytes, partially."""
    core = secret.strip()
    return [
        core,
        secret.encode("unicode_escape").decode(),
        repr(secret)[1:-1],
        repr(secret.encode())[2:-1],
        core[:16],  # a long prefix is as good as a leak
    ]


def assert_no_secret(output: str, secret: str) -> None:
    for form in forms(secret):
        assert form not in output, f"{form!r} printed"


@pytest.mark.parametrize("suffix", ["\n", "\r\n", "  ", "\t"])
def test_a_token_with_surrounding_whitespace_is_trimmed_and_works(
    fake: FakeDatabricks, cli: Cli, spec: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    monkeypatch.setenv("DATABRICKS_TOKEN", fake.token + suffix)
    result = cli("deploy", spec, "--stage", "staging")
    assert result.exit_code == 0, result.output
    assert_no_secret(result.output, fake.token + suffix)


@pytest.mark.parametrize(
    "token", [f"{SECRET[:10]}\n{SECRET[10:]}", f"{SECRET} extra", "\x07" + SECRET]
)
def test_a_token_with_whitespace_inside_is_refused_without_echoing_it(
    cli: Cli, spec: Path, monkeypatch: pytest.MonkeyPatch, token: str
) -> None:
    monkeypatch.setenv("DATABRICKS_TOKEN", token)
    result = cli("deploy", spec, "--stage", "staging")
    assert result.exit_code == 1
    assert "DATABRICKS_TOKEN contains whitespace or control characters" in result.output
    assert_no_secret(result.output, token)
    assert_no_secret(result.output, SECRET)


@pytest.mark.parametrize("userinfo", [f"user:{SECRET}@", f"{SECRET}@", f"token:{SECRET}@"])
def test_a_token_in_the_host_url_is_refused_without_echoing_it(
    fake: FakeDatabricks, cli: Cli, spec: Path, monkeypatch: pytest.MonkeyPatch, userinfo: str
) -> None:
    host = fake.url.replace("://", f"://{userinfo}")
    for command in (
        ("deploy", spec, "--stage", "staging", "--host", host),
        ("run", spec, "--stage", "staging", "--job", "train", "--host", host),
    ):
        result = cli(*command)
        assert result.exit_code == 1
        assert "contains credentials" in result.output
        assert_no_secret(result.output, SECRET)
    monkeypatch.setenv("DATABRICKS_HOST", host)
    result = cli("deploy", spec, "--stage", "staging")
    assert result.exit_code == 1 and "contains credentials" in result.output
    assert_no_secret(result.output, SECRET)


def test_a_rejected_token_is_not_printed(
    cli: Cli, spec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABRICKS_TOKEN", SECRET + "\r\n")
    result = cli("deploy", spec, "--stage", "staging")
    assert result.exit_code == 1 and "401" in result.output
    assert_no_secret(result.output, SECRET + "\r\n")


def test_redact_removes_every_form_of_a_secret_and_url_credentials(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABRICKS_TOKEN", SECRET + "\n")
    monkeypatch.setenv("DATABRICKS_CLIENT_SECRET", "dose" + "x" * 30)
    text = (
        f"Invalid header value b'Bearer {SECRET}\\n' and {SECRET!r} and "
        f"{os.environ['DATABRICKS_CLIENT_SECRET']} at https://u:{SECRET}@adb-1.azuredatabricks.net/x"
    )
    cleaned = redact(text)
    assert_no_secret(cleaned, SECRET + "\n")
    assert "dose" + "x" * 30 not in cleaned
    assert "https://***@adb-1.azuredatabricks.net/x" in cleaned
    assert redact("a short value and nothing secret") == "a short value and nothing secret"
