"""The smoke_test task: send the sample request to the stage's endpoint and expect exactly one
prediction per record (Databricks Model Serving, Azure ML or any URL)."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .contract import (
    AZUREML_RESOURCE_GROUP,
    AZUREML_WORKSPACE,
    ENDPOINT,
    ENDPOINT_URL,
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


def post_json(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    attempts: int = SMOKE_TEST_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """POST and return the body of a 200 answer; retry only on 429 and 503, with backoff."""
    for attempt in range(1, attempts + 1):
        request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                text = response.read().decode("utf-8", "replace")
                if response.status != 200:
                    raise TaskFailed(f"{url} answered HTTP {response.status}: {clip(text)}")
                return str(text)
        except urllib.error.HTTPError as exc:
            text = exc.read().decode("utf-8", "replace")
            if exc.code not in (429, 503) or attempt == attempts:
                raise TaskFailed(f"{url} answered HTTP {exc.code}: {clip(text, 500)}") from None
            print(f"HTTP {exc.code} from {url}; retrying ({attempt}/{attempts})")
            sleep(min(2.0**attempt, 30.0))
        except urllib.error.URLError as exc:
            raise TaskFailed(f"cannot reach {url}: {exc.reason}") from None
    raise AssertionError("unreachable")


def _databricks_auth(url: str, endpoint: str) -> tuple[str, dict[str, str]]:
    """The invocation URL and the SDK's auth headers (only for the workspace's own host)."""
    from databricks.sdk import WorkspaceClient

    try:
        config = WorkspaceClient().config
    except ValueError:
        if url:  # an explicit URL outside any configured workspace: send no credentials
            return url, {}
        raise
    host = (config.host or "").rstrip("/")
    url = url or f"{host}/serving-endpoints/{endpoint}/invocations"
    same_host = url.startswith(host + "/")
    return url, dict(config.authenticate()) if same_host else {}


def _invoke_azureml(params: Mapping[str, str], request_file: str) -> str:
    required(params, ENDPOINT, AZUREML_RESOURCE_GROUP, AZUREML_WORKSPACE)
    command = [
        "az", "ml", "online-endpoint", "invoke", "--name", params[ENDPOINT],
        "--request-file", request_file,
        "--resource-group", params[AZUREML_RESOURCE_GROUP],
        "--workspace-name", params[AZUREML_WORKSPACE],
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise TaskFailed(f"az ml online-endpoint invoke failed: {clip(done.stderr.strip(), 500)}")
    # `az` prints the endpoint's JSON answer as a JSON string
    answer = json.loads(done.stdout)
    return answer if isinstance(answer, str) else json.dumps(answer)


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


def _send(params: Mapping[str, str], request_file: str, body: bytes, expected: int) -> str:
    """The endpoint's answer: through `az` for Azure ML without a URL, else a POST."""
    url = params.get(ENDPOINT_URL, "").strip()
    if not url and params.get(TARGET) == "azureml":
        print(f"invoking Azure ML endpoint {params.get(ENDPOINT)!r} with {request_file}")
        return _invoke_azureml(params, request_file)
    headers = {"Content-Type": "application/json"}
    if params.get(TARGET) == "databricks-serving" or not url:
        required(params, ENDPOINT)
        url, auth = _databricks_auth(url, params[ENDPOINT])
        headers.update(auth)
    print(f"POST {url} ({expected} records from {request_file})")
    return post_json(url, body, headers)


def run_smoke_test(params: dict[str, str]) -> int:
    required(params, REQUEST_FILE)
    request_file = params[REQUEST_FILE]
    body, expected = _read_request(request_file)
    text = _send(params, request_file, body, expected)
    print(f"answer: {clip(text)}")
    try:
        got = count_predictions(json.loads(text))
    except ValueError:
        raise TaskFailed(f"the endpoint's answer is not JSON: {clip(text, 500)}") from None
    if got != expected:
        raise TaskFailed(f"expected {expected} predictions (one per record), got {got}")
    print(f"smoke test passed: {got} predictions for {expected} records")
    return got
