"""Unity Catalog's rules for registered models and model versions, as the MLflow double
enforces them (the service's own checks, written out from its documentation).

- Tags: "The following characters are not allowed in tag keys: . , - = / :", a key is at
  most 255 characters, a value at most 1000, and one securable object holds at most 50 tags
  (Microsoft Learn, "Apply tags to Unity Catalog securable objects",
  https://learn.microsoft.com/azure/databricks/database-objects/tags, "Constraints";
  registered models and model versions are among the supported securables). The service
  answers 400 INVALID_PARAMETER_VALUE ("Tag name X contains one or more of the reserved
  characters: List(., ,, -, =, /, :)").
- Registry stages do not exist in Unity Catalog (aliases replace them); MLflow's UC client
  refuses `transition_model_version_stage` and `get_latest_versions` before sending anything.
- Search results carry no tags and no aliases: MLflow's UC client builds them without either
  (`model_version_search_from_uc_proto` and `registered_model_search_from_uc_proto` in
  mlflow/utils/_unity_catalog_utils.py set `tags=[]`, `aliases=[]`), so a version's tags must
  be read with a get call.

This module does not import mlopsgen: the double must not share the runtime's own check
(tests/runtime/test_tags.py proves the two agree).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from fakes.errors import ApiError, invalid

RESERVED = ".,-=/:"
KEY_MAX = 255
VALUE_MAX = 1000
TAGS_MAX = 50
# Registry endpoints (after /api/2.0/mlflow/) that Unity Catalog has no equivalent for.
NO_STAGES = ("model-versions/transition-stage", "registered-models/get-latest-versions")
# Responses whose entries lose their tags and aliases through MLflow's UC client.
SEARCHES = {
    "model-versions/search": "model_versions",
    "registered-models/search": "registered_models",
}


def tag_error(key: str, value: str, existing: Iterable[str]) -> ApiError | None:
    """The service's answer to one tag on an object that holds `existing` keys, if a 400."""
    if any(c in RESERVED for c in key):
        return invalid(
            f"Tag name {key} contains one or more of the reserved characters: "
            "List(., ,, -, =, /, :)"
        )
    if not key or len(key) > KEY_MAX:
        return invalid(f"Tag key {key[:40]}... must be 1 to {KEY_MAX} characters long")
    if len(value) > VALUE_MAX:
        return invalid(f"Tag value of {key} exceeds the maximum length of {VALUE_MAX}")
    keys = set(existing)
    if key not in keys and len(keys) >= TAGS_MAX:
        return invalid(f"Cannot add tag {key}: an object holds at most {TAGS_MAX} tags")
    return None


def tags_of(entries: Any) -> dict[str, str]:
    """MLflow's JSON tag list [{key, value}] as a dict."""
    return {str(t["key"]): str(t.get("value", "")) for t in entries or []}


def check_tags_on_create(body: Mapping[str, Any]) -> ApiError | None:
    """Tags sent with registered-models/create or model-versions/create."""
    seen: dict[str, str] = {}
    for key, value in tags_of(body.get("tags")).items():
        error = tag_error(key, value, seen)
        if error is not None:
            return error
        seen[key] = value
    return None


def without_tags_and_aliases(route: str, answer: dict[str, Any]) -> dict[str, Any]:
    """A search answer as MLflow's UC client returns it: no tags, no aliases."""
    field = SEARCHES[route]
    stripped = [
        {k: v for k, v in entry.items() if k not in ("tags", "aliases")}
        for entry in answer.get(field, [])
    ]
    return answer | {field: stripped}


def no_stages(route: str) -> ApiError:
    return invalid(f"{route} is unsupported for models in Unity Catalog (use aliases)")
