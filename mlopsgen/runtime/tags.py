"""The tags mlopsgen writes on registered models and model versions: only tags Unity Catalog
accepts, in either registry, checked before they are sent.

Unity Catalog refuses a key with any of `. , - = / :`, a key over 255 or a value over 1000
characters, and a 51st tag on one object (Microsoft Learn, "Apply tags to Unity Catalog
securable objects", https://learn.microsoft.com/azure/databricks/database-objects/tags,
"Constraints"). The service would answer 400 INVALID_PARAMETER_VALUE; refusing first gives a
message that says which mlopsgen tag and why, and leaves the object as it was.
"""

from __future__ import annotations

from collections.abc import Mapping

from .contract import TAG_KEY_MAX, TAG_KEY_RESERVED, TAG_VALUE_MAX, TAGS_PER_OBJECT_MAX
from .errors import TaskFailed
from .registry import Registry


def tag_problem(key: str, value: str, existing: Mapping[str, str]) -> str:
    """Why Unity Catalog would refuse this tag on an object holding `existing` ('' if not)."""
    reserved = "".join(sorted(set(key) & TAG_KEY_RESERVED))
    if not key.strip():
        return "the key is empty"
    if reserved:
        return f"the key contains {reserved!r} (reserved in Unity Catalog: . , - = / :)"
    if len(key) > TAG_KEY_MAX:
        return f"the key has {len(key)} characters (at most {TAG_KEY_MAX})"
    if len(value) > TAG_VALUE_MAX:
        return f"the value has {len(value)} characters (at most {TAG_VALUE_MAX})"
    if key not in existing and len(existing) >= TAGS_PER_OBJECT_MAX:
        return f"the object already holds {len(existing)} tags (at most {TAGS_PER_OBJECT_MAX})"
    return ""


def check_tag(what: str, key: str, value: str, existing: Mapping[str, str]) -> None:
    problem = tag_problem(key, value, existing)
    if problem:
        raise TaskFailed(f"refusing to set tag {key!r} on {what}: {problem}")


def set_version_tag(reg: Registry, version: str, key: str, value: str) -> None:
    """Tag a model version, after checking the tag against its current tags."""
    existing = reg.client.get_model_version(reg.name, version).tags or {}
    check_tag(f"version {version} of {reg.name}", key, value, existing)
    reg.client.set_model_version_tag(reg.name, version, key, value)


def set_model_tag(reg: Registry, key: str, value: str) -> None:
    """Tag the registered model, after checking the tag against its current tags."""
    existing = reg.client.get_registered_model(reg.name).tags or {}
    check_tag(f"model {reg.name}", key, value, existing)
    reg.client.set_registered_model_tag(reg.name, key, value)
