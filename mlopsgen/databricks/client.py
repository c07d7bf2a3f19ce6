"""The workspace client (databricks-sdk's standard auth chain) and one-line error messages.

databricks-sdk is imported only inside these functions: it costs over a second and only
`deploy` and `run` need it.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

from mlopsgen.errors import MlopsgenError, UsageError

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

# The SDK retries 429/503 and connection errors for this long (its default is 300 s).
RETRY_TIMEOUT_ENV = "MLOPSGEN_RETRY_TIMEOUT_SECONDS"
# How long one HTTP request may take before the SDK gives up on it and retries (default 60 s).
HTTP_TIMEOUT_ENV = "MLOPSGEN_HTTP_TIMEOUT_SECONDS"
# Reads (idempotent) are also tried again after what the SDK does not retry: a 500 or 504,
# a gateway's HTML page, a body that is not JSON. Writes are not (see deploy and run).
READ_ATTEMPTS = 4
READ_BACKOFF_SECONDS = 0.5
_T = TypeVar("_T")


class TransientError(MlopsgenError):
    """A failure that may pass if the same idempotent request is sent again."""


# Credentials the SDK reads from the environment; a stray line break (a CRLF file, an echo)
# would end up inside an HTTP header and the error would quote it.
# The pipeline's three auth modes (issue 10), with DATABRICKS_HOST set in each.
_AUTH_HINT = (
    "Set DATABRICKS_TOKEN, run inside AzureCLI@2 (az login), or use OIDC federation "
    "(DATABRICKS_AUTH_TYPE=azure-devops-oidc, DATABRICKS_CLIENT_ID and SYSTEM_ACCESSTOKEN "
    "mapped from $(System.AccessToken) and a federation policy that trusts the pipeline), "
    "with DATABRICKS_HOST set"
)
CREDENTIAL_VARIABLES = ("DATABRICKS_TOKEN", "DATABRICKS_CLIENT_SECRET", "DATABRICKS_CLIENT_ID")


def workspace_url(override: str | None, stage_workspace: str) -> str:
    """The workspace to talk to (--host / DATABRICKS_HOST, else the stage's), checked.

    A URL carrying credentials (`https://user:token@host`) is refused without repeating it:
    it would be printed in the plan header and every error.
    """
    from urllib.parse import urlsplit

    url = (override or stage_workspace).strip().rstrip("/")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise MlopsgenError("the workspace URL (--host / DATABRICKS_HOST) is not a URL") from None
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise MlopsgenError(
            "the workspace URL (--host / DATABRICKS_HOST) contains credentials before '@': "
            "give the host alone, and the token in DATABRICKS_TOKEN"
        )
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise MlopsgenError(
            "the workspace URL (--host / DATABRICKS_HOST) must be https://<workspace host>"
        )
    return url


def clean_credentials() -> None:
    """Trim surrounding whitespace from credentials in the environment; refuse any with
    whitespace or control characters inside (never repeating the value)."""
    for name in CREDENTIAL_VARIABLES:
        value = os.environ.get(name)
        if value is None:
            continue
        trimmed = value.strip()
        if any(c.isspace() or not c.isprintable() for c in trimmed):
            raise MlopsgenError(
                f"{name} contains whitespace or control characters inside it; set it to the "
                "credential alone (its value is not shown)"
            )
        if trimmed != value:
            os.environ[name] = trimmed


def connect(host: str) -> WorkspaceClient:
    """A client for `host`; credentials come from the SDK's default chain.

    Under `AzureCLI@2` that is azure-cli auth; with `DATABRICKS_TOKEN` in the environment it
    is a personal access token. We never pick an auth type ourselves, so whatever the SDK
    supports (env, ~/.databrickscfg, OAuth M2M, Azure identities) works unchanged.
    """
    try:
        from databricks.sdk import WorkspaceClient
        from databricks.sdk.config import Config
    except ModuleNotFoundError as exc:
        raise UsageError(
            f"talking to Databricks needs the databricks extra ({exc.name} is not installed): "
            'pip install "mlopsgen[databricks]"'
        ) from None

    # The SDK logs warnings (e.g. host metadata probes) through logging's last-resort handler
    # on stderr; our own messages say what went wrong, so keep them quiet unless debugging.
    if not os.environ.get("MLOPSGEN_DEBUG"):
        logging.getLogger("databricks.sdk").addHandler(logging.NullHandler())
        logging.getLogger("databricks.sdk").propagate = False
    clean_credentials()
    raw = os.environ.get(RETRY_TIMEOUT_ENV)
    retry = _positive_int(RETRY_TIMEOUT_ENV, raw) if raw else None  # None: the SDK's default
    raw_http = os.environ.get(HTTP_TIMEOUT_ENV)
    http = _positive_int(HTTP_TIMEOUT_ENV, raw_http) if raw_http else None
    with api_errors(host, "authenticating"):
        config = Config(host=host, retry_timeout_seconds=retry, http_timeout_seconds=http)
        return WorkspaceClient(config=config)


def _positive_int(name: str, value: str) -> int:
    if not value.isdigit() or int(value) <= 0:
        raise MlopsgenError(f"{name}={value!r}: expected a positive whole number of seconds")
    return int(value)


@contextmanager
def api_errors(host: str, doing: str) -> Iterator[None]:
    """Turn SDK and network failures into one line that says what to check."""
    from databricks.sdk.errors.base import DatabricksError

    try:
        yield
    except MlopsgenError:
        raise
    except json.JSONDecodeError:  # a ValueError too: not the credentials hint below
        raise TransientError(
            f"{doing} on {host}: the workspace answered something that is not the API's JSON "
            "(a proxy or gateway page?)"
        ) from None
    except DatabricksError as exc:
        error = TransientError if _is_transient(exc) else MlopsgenError
        raise error(describe_api_error(exc, host, doing)) from None
    except TimeoutError as exc:
        raise MlopsgenError(describe_timeout(exc, host, doing)) from None
    except ValueError as exc:  # the SDK's config errors (no credentials, bad host)
        raise MlopsgenError(
            f"{doing} on {host}: {_first_sentence(str(exc))}. {_AUTH_HINT}"
        ) from None
    except OSError as exc:  # requests' connection errors are OSErrors
        raise MlopsgenError(f"{doing} on {host}: cannot reach the workspace ({exc})") from None


def _is_transient(exc: Exception) -> bool:
    from databricks.sdk.errors import DeadlineExceeded, InternalError

    garbled = str(exc).startswith("unable to parse response")  # e.g. a 502 HTML page
    return isinstance(exc, InternalError | DeadlineExceeded) or garbled


def read_retrying(host: str, doing: str, read: Callable[[], _T]) -> _T:
    """An idempotent read, sent again (a few times, backing off) after a transient failure."""
    attempt = 1
    while True:
        try:
            with api_errors(host, doing):
                return read()
        except TransientError:
            if attempt >= READ_ATTEMPTS:
                raise
            time.sleep(READ_BACKOFF_SECONDS * attempt)
            attempt += 1


def describe_api_error(exc: Exception, host: str, doing: str) -> str:
    from databricks.sdk.errors import (
        NotFound,
        PermissionDenied,
        TemporarilyUnavailable,
        TooManyRequests,
        Unauthenticated,
    )

    message = _first_sentence(str(exc))
    if isinstance(exc, Unauthenticated):
        hint = (
            "check DATABRICKS_TOKEN, or that the AzureCLI@2 service connection's identity "
            "is a user of this workspace"
        )
        return f"{doing} on {host}: not authenticated (401: {message}); {hint}"
    if isinstance(exc, PermissionDenied):
        hint = "grant the pipeline's identity access to the workspace folder and jobs"
        return f"{doing} on {host}: permission denied (403: {message}); {hint}"
    if isinstance(exc, NotFound):
        return f"{doing} on {host}: not found (404: {message}); check the stage's workspace_folder"
    if isinstance(exc, TooManyRequests):
        return f"{doing} on {host}: rate limited (429: {message}); try again later"
    if isinstance(exc, TemporarilyUnavailable):
        return f"{doing} on {host}: unavailable (503: {message}); try again later"
    if message.startswith("unable to parse response"):
        return (
            f"{doing} on {host}: the workspace answered a page that is not the API's JSON "
            "(a gateway error such as 502?); try again later"
        )
    code = getattr(exc, "error_code", None) or type(exc).__name__
    return f"{doing} on {host}: {code}: {message}"


def describe_timeout(exc: TimeoutError, host: str, doing: str) -> str:
    """The SDK gives up retrying with a TimeoutError whose cause is the last failure."""
    from databricks.sdk.errors.base import DatabricksError

    cause = exc.__cause__
    if isinstance(cause, DatabricksError):
        last = describe_api_error(cause, host, doing).removeprefix(f"{doing} on {host}: ")
        return f"{doing} on {host}: gave up retrying ({RETRY_TIMEOUT_ENV} sets how long): {last}"
    if cause is not None:
        return (
            f"{doing} on {host}: cannot reach the workspace ({type(cause).__name__}); "
            "check the stage's workspace URL (or --host / DATABRICKS_HOST) and the network"
        )
    return f"{doing} on {host}: timed out ({_first_sentence(str(exc))})"


def _first_sentence(message: str) -> str:
    """SDK messages append a config dump (token masked) and links; keep the first clause."""
    if not message.strip():
        return "no details"
    first = message.strip().splitlines()[0]
    return first.split(". Config:", 1)[0].split(", please check", 1)[0].strip()
