"""The smoke_test task: send the sample request to the version deploy_serving just served and
expect exactly one prediction per record, before any traffic or alias moves to it.

- Databricks Model Serving: the candidate's served entity itself,
  `POST /serving-endpoints/{name}/served-models/{served entity}/invocations`, where "the
  traffic settings are ignored" (Databricks docs, "Serve multiple models to a model serving
  endpoint", "Query individual models behind an endpoint"): it has no traffic yet.
- Azure ML is tested from the pipeline agent (`mlopsgen.azureml`), which reuses
  `count_records` and `count_predictions` from here.
- Any other URL (`endpoint_url`): a POST to it, as given.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from http.client import HTTPMessage
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from .contract import (
    ENDPOINT,
    ENDPOINT_URL,
    MODEL_NAME,
    REQUEST_FILE,
    TARGET,
)
from .errors import TaskFailed, clip
from .params import required

SMOKE_TEST_ATTEMPTS = 6


def count_records(request: Any) -> int:
    """How many records a scoring request holds (MLflow / Databricks / Azure ML formats)."""
    if isinstance(request, dict):
        for key in ("dataframe_split", "input_data"):
            if isinstance(request.get(key), dict) and isinstance(request[key].get("data"), list):
                return len(request[key]["data"])
        for key in ("dataframe_records", "instances", "inputs", "input_data"):
            value = request.get(key)
            if isinstance(value, list):
                return len(value)
            if isinstance(value, dict) and value:
                first = next(iter(value.values()))
                return len(first) if isinstance(first, list) else 1
    raise TaskFailed(
        "the smoke-test request has no records: expected dataframe_split, dataframe_records, "
        "instances, inputs or input_data"
    )


def count_predictions(answer: Any) -> int:
    predictions = answer.get("predictions") if isinstance(answer, dict) else answer
    if isinstance(predictions, dict) and predictions:
        first = next(iter(predictions.values()))
        return len(first) if isinstance(first, list) else 1
    if isinstance(predictions, list):
        return len(predictions)
    raise TaskFailed(f"the endpoint's answer holds no predictions: {clip(json.dumps(answer))}")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a detour: following it would send the request, and the
    workspace credentials with it, wherever its Location points."""

    def redirect_request(
        self,
        req: urllib.request.Request,  # noqa: ARG002
        fp: IO[bytes],  # noqa: ARG002
        code: int,  # noqa: ARG002
        msg: str,  # noqa: ARG002
        headers: HTTPMessage,  # noqa: ARG002
        newurl: str,  # noqa: ARG002
    ) -> urllib.request.Request | None:
        return None  # urllib then raises the 3xx as an HTTPError


_OPENER = urllib.request.build_opener(_NoRedirects)


def post_json(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    attempts: int = SMOKE_TEST_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """POST and return the body of a 200 answer; retry only on 429 and 503, with backoff;
    never follow a redirect."""
    for attempt in range(1, attempts + 1):
        request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
        try:
            with _OPENER.open(request, timeout=120) as response:
                text = response.read().decode("utf-8", "replace")
                if response.status != 200:
                    raise TaskFailed(f"{url} answered HTTP {response.status}: {clip(text)}")
                return str(text)
        except urllib.error.HTTPError as exc:
            if 300 <= exc.code < 400:
                where = exc.headers.get("Location", "?")
                raise TaskFailed(
                    f"{url} answered HTTP {exc.code}, a redirect to {where} (not followed)"
                ) from None
            text = exc.read().decode("utf-8", "replace")
            if exc.code not in (429, 503) or attempt == attempts:
                raise TaskFailed(f"{url} answered HTTP {exc.code}: {clip(text, 500)}") from None
            print(f"HTTP {exc.code} from {url}; retrying ({attempt}/{attempts})")
            sleep(min(2.0**attempt, 30.0))
        except urllib.error.URLError as exc:
            raise TaskFailed(f"cannot reach {url}: {exc.reason}") from None
    raise AssertionError("unreachable")


def _served_version(params: Mapping[str, str], dbutils: Any | None) -> str:
    """The version deploy_serving served: the same rule, so both tasks agree."""
    from .registry import open_registry
    from .serving import serving_version

    return serving_version(open_registry(params), params, dbutils)


def _databricks_request(
    params: Mapping[str, str], url: str, dbutils: Any | None
) -> tuple[str, dict[str, str], str | None]:
    """(URL, auth headers, served entity): the endpoint's own invocations URL (or none) is
    narrowed to the served entity's; auth goes only to the workspace's own host."""
    from databricks.sdk import WorkspaceClient

    from .serving import served_entity_name

    endpoint = params[ENDPOINT]
    try:
        config = WorkspaceClient().config
    except ValueError:
        if not url:
            raise
        config = None  # an explicit URL outside any configured workspace: no credentials
    host = (config.host or "").rstrip("/") if config else ""
    own = f"/serving-endpoints/{endpoint}/invocations"
    entity = None
    if not url or urlsplit(url).path == own:
        required(params, MODEL_NAME)
        entity = served_entity_name(params[MODEL_NAME], _served_version(params, dbutils))
        base = url.removesuffix(own) if url else host
        url = f"{base}/serving-endpoints/{endpoint}/served-models/{entity}/invocations"
    same_host = config is not None and url.startswith(host + "/")
    return url, dict(config.authenticate()) if config and same_host else {}, entity


def _read_request(request_file: str) -> tuple[bytes, int]:
    """The request's bytes and how many records it holds (at least one)."""
    try:
        body = Path(request_file).read_bytes()
        expected = count_records(json.loads(body))
    except (OSError, ValueError) as exc:
        raise TaskFailed(f"cannot read the smoke-test request {request_file}: {exc}") from None
    if expected == 0:  # zero predictions for zero records would prove nothing
        raise TaskFailed(f"the smoke-test request {request_file} holds no records")
    return body, expected


def _send(
    params: Mapping[str, str], dbutils: Any | None, request_file: str, body: bytes, expected: int
) -> tuple[str, str | None]:
    """The answer, and the served entity that must have given it (None: any)."""
    url = params.get(ENDPOINT_URL, "").strip()
    headers = {"Content-Type": "application/json"}
    entity = None
    if params.get(TARGET) == "databricks-serving" or not url:
        required(params, ENDPOINT)
        url, auth, entity = _databricks_request(params, url, dbutils)
        headers.update(auth)
    print(f"POST {url} ({expected} records from {request_file})")
    return post_json(url, body, headers), entity


def run_smoke_test(params: dict[str, str], dbutils: Any | None = None) -> int:
    required(params, REQUEST_FILE)
    request_file = params[REQUEST_FILE]
    body, expected = _read_request(request_file)
    text, entity = _send(params, dbutils, request_file, body, expected)
    print(f"answer: {clip(text)}")
    try:
        answer = json.loads(text)
    except ValueError:
        raise TaskFailed(f"the endpoint's answer is not JSON: {clip(text, 500)}") from None
    served = answer.get("served_model_name") if isinstance(answer, dict) else None
    if entity is not None and served not in (None, entity):  # the query response names it
        raise TaskFailed(f"the answer came from served entity {served!r}, not {entity!r}")
    got = count_predictions(answer)
    if got != expected:
        raise TaskFailed(f"expected {expected} predictions (one per record), got {got}")
    print(f"smoke test passed: {got} predictions for {expected} records")
    return got
