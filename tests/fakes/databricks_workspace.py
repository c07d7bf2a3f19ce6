"""The Workspace API part of the fake Databricks server: folders, notebooks and files."""

from __future__ import annotations

import base64
import binascii
import posixpath
from dataclasses import dataclass, field
from typing import Any

from fakes.errors import ApiError, invalid, not_found
from fakes.sdk_schema import check_fields, method_fields

NOTEBOOK_HEADER = b"# Databricks notebook source"


@dataclass
class WorkspaceObject:
    path: str
    object_type: str  # DIRECTORY | NOTEBOOK | FILE
    object_id: int
    content: bytes = b""
    language: str | None = None

    def info(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "path": self.path,
            "object_type": self.object_type,
            "object_id": self.object_id,
        }
        if self.language is not None:
            info["language"] = self.language
        if self.object_type == "FILE":
            info["size"] = len(self.content)
        return info


@dataclass
class WorkspaceTree:
    objects: dict[str, WorkspaceObject] = field(
        default_factory=lambda: {"/": WorkspaceObject("/", "DIRECTORY", 1)}
    )
    _next_id: int = 1000

    def content(self, path: str) -> str:
        """Test helper: the text stored at `path`."""
        return self.objects[path].content.decode()

    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> dict[str, Any]:
        from databricks.sdk.service.workspace import WorkspaceAPI

        action = path.removeprefix("/api/2.0/workspace/")
        if (method, action) == ("POST", "mkdirs"):
            _check(method_fields(WorkspaceAPI.mkdirs), body)
            return self.mkdirs(_absolute(body.get("path")))
        if (method, action) == ("POST", "import"):
            _check(method_fields(WorkspaceAPI.import_), body)
            return self.import_(body)
        if (method, action) == ("POST", "delete"):
            _check(method_fields(WorkspaceAPI.delete), body)
            return self.delete(_absolute(body.get("path")), bool(body.get("recursive", False)))
        if (method, action) == ("GET", "get-status"):
            _check_query(query, {"path"})
            return self._get(query.get("path")).info()
        if (method, action) == ("GET", "export"):
            _check_query(query, {"path", "format", "direct_download"})
            return self.export(query)
        if (method, action) == ("GET", "list"):
            _check_query(query, {"path", "notebooks_modified_after"})
            return self.list(query.get("path"))
        raise ApiError(404, "ENDPOINT_NOT_FOUND", f"No API found for '{method} {path}'")

    def _get(self, path: Any) -> WorkspaceObject:
        obj = self.objects.get(_absolute(path))
        if obj is None:
            raise not_found(f"Path ({path}) doesn't exist.")
        return obj

    def _add(self, path: str, object_type: str, content: bytes, language: str | None) -> None:
        old = self.objects.get(path)
        self._next_id += 1
        object_id = old.object_id if old else self._next_id
        self.objects[path] = WorkspaceObject(path, object_type, object_id, content, language)

    def mkdirs(self, path: str) -> dict[str, Any]:
        parts = [p for p in path.split("/") if p]
        for i in range(1, len(parts) + 1):
            current = "/" + "/".join(parts[:i])
            existing = self.objects.get(current)
            if existing is None:
                self._add(current, "DIRECTORY", b"", None)
            elif existing.object_type != "DIRECTORY":
                raise ApiError(400, "RESOURCE_ALREADY_EXISTS", f"Path ({current}) already exists.")
        return {}

    def delete(self, path: str, recursive: bool) -> dict[str, Any]:
        """As the Workspace API documents workspace/delete: a missing path is
        RESOURCE_DOES_NOT_EXIST, and a directory that is not empty is DIRECTORY_NOT_EMPTY
        unless `recursive` is set (docs.databricks.com, REST API, Workspace, Delete)."""
        obj = self._get(path)
        below = [p for p in self.objects if p.startswith(path.rstrip("/") + "/")]
        if obj.object_type == "DIRECTORY" and below and not recursive:
            raise ApiError(400, "DIRECTORY_NOT_EMPTY", f"Folder ({path}) is not empty.")
        for item in [path, *below]:
            del self.objects[item]
        return {}

    def import_(self, body: dict[str, Any]) -> dict[str, Any]:
        path = _absolute(body.get("path"))
        content = _decode(body.get("content"))
        fmt = body.get("format", "SOURCE")
        language = body.get("language")
        if fmt not in ("SOURCE", "AUTO"):
            raise invalid(f"This fake only imports SOURCE and AUTO, not {fmt}.")
        if fmt == "SOURCE" and language is None:
            raise invalid("The language field is required when importing a single SOURCE file.")
        is_notebook = fmt == "SOURCE" or content.startswith(NOTEBOOK_HEADER)
        if fmt == "AUTO" and is_notebook:
            path, extension = posixpath.splitext(path)
            language = language or {".py": "PYTHON", ".sql": "SQL"}.get(extension, "PYTHON")
        # The real service does not create parents on import: RESOURCE_DOES_NOT_EXIST
        # "The parent folder (...) does not exist." (databricks/cli#5763 made its own test
        # server as strict); callers run workspace/mkdirs first.
        parent = self.objects.get(posixpath.dirname(path))
        if parent is None or parent.object_type != "DIRECTORY":
            raise not_found(f"The parent folder ({posixpath.dirname(path)}) does not exist.")
        if path in self.objects and not body.get("overwrite", False):
            raise ApiError(400, "RESOURCE_ALREADY_EXISTS", f"Path ({path}) already exists.")
        kind = "NOTEBOOK" if is_notebook else "FILE"
        self._add(path, kind, content, language if is_notebook else None)
        return {}

    def export(self, query: dict[str, str]) -> dict[str, Any]:
        obj = self._get(query.get("path"))
        fmt = query.get("format", "SOURCE")
        if obj.object_type == "DIRECTORY":
            raise invalid("Exporting a directory needs the DBC or SOURCE (zip) format.")
        if fmt not in ("SOURCE", "AUTO", "RAW"):
            raise invalid(f"This fake only exports SOURCE, AUTO and RAW, not {fmt}.")
        content = obj.content
        if obj.object_type == "NOTEBOOK" and not content.startswith(NOTEBOOK_HEADER):
            # A notebook exported as SOURCE always starts with the header line, whether or
            # not the imported source had one.
            content = NOTEBOOK_HEADER + b"\n" + content
        file_type = "py" if obj.object_type == "NOTEBOOK" else ""
        return {"content": base64.b64encode(content).decode(), "file_type": file_type}

    def list(self, path: Any) -> dict[str, Any]:
        folder = self._get(path)
        if folder.object_type != "DIRECTORY":
            return {"objects": [folder.info()]}
        children = [
            o.info()
            for p, o in sorted(self.objects.items())
            if p != folder.path and posixpath.dirname(p) == folder.path
        ]
        return {"objects": children} if children else {}


def _absolute(path: Any) -> str:
    if not isinstance(path, str) or not path.startswith("/"):
        raise invalid(f"Path ({path}) must be an absolute path.")
    normalized = posixpath.normpath(path)
    return "/" if normalized == "//" else normalized


def _decode(content: Any) -> bytes:
    if not isinstance(content, str):
        raise invalid("content must be a base64 string.")
    try:
        return base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError):
        raise invalid("content is not valid base64.") from None


def _check(fields: dict[str, Any], body: Any) -> None:
    problems = check_fields(fields, body)
    if problems:
        raise invalid("; ".join(problems))


def _check_query(query: dict[str, str], allowed: set[str]) -> None:
    unknown = sorted(set(query) - allowed)
    if unknown:
        raise invalid(f"Unknown query parameter: {', '.join(unknown)}")
