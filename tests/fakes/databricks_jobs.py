"""The Jobs API (2.1 / 2.2) part of the fake Databricks server: jobs and scripted runs."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fakes import databricks_cluster_rules as cluster_rules
from fakes.databricks_defaults import page_of_arrays, with_service_defaults
from fakes.databricks_runs import FakeRun, RunScript
from fakes.errors import ApiError, invalid
from fakes.sdk_schema import check_fields, dataclass_fields, method_fields

CREATOR = "someone@example.com"  # the identity the fake's token belongs to
PERMISSIONS = "/api/2.0/permissions/jobs/"
_PRINCIPAL_FIELDS = ("user_name", "group_name", "service_principal_name")


@dataclass
class JobsService:
    url: Callable[[], str]  # the server's base URL (known once it listens)
    page_size: int = 20  # jobs/list default page size, as the real service
    # What jobs/list leaves out of each job's settings (tasks and clusters unless
    # expand_tasks); tests add "tags" to check nobody relies on the list view for identity.
    list_hides: tuple[str, ...] = ()
    jobs: dict[int, dict[str, Any]] = field(default_factory=dict)
    runs: dict[int, FakeRun] = field(default_factory=dict)
    run_scripts: list[RunScript] = field(default_factory=list)
    _idempotency: dict[str, int] = field(default_factory=dict)  # token -> run_id
    _next_id: int = 100
    # job_id -> its direct grants: (permission level, principal field, principal name)
    grants: dict[int, set[tuple[str, str, str]]] = field(default_factory=dict)
    # the principals the workspace knows; granting anyone else is refused, as the service does
    principals: set[tuple[str, str]] = field(
        default_factory=lambda: {
            ("user_name", CREATOR),
            ("group_name", "admins"),
            ("group_name", "users"),
        }
    )

    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> dict[str, Any]:
        if path.startswith(PERMISSIONS):
            return self.permissions_route(method, path.removeprefix(PERMISSIONS), body)
        handler = _JOB_ROUTES.get((method, path))
        if handler is None:
            raise ApiError(404, "ENDPOINT_NOT_FOUND", f"No API found for '{method} {path}'")
        result: dict[str, Any] = handler(self, query, body)
        return result

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def store_job(self, settings: dict[str, Any]) -> int:
        job_id = self._new_id()
        self.jobs[job_id] = {
            "job_id": job_id,
            "creator_user_name": CREATOR,
            "created_time": 1700000000000 + job_id,
            "settings": json.loads(json.dumps(settings)),
        }
        self.grants[job_id] = {("IS_OWNER", "user_name", CREATOR)}  # every job has its owner
        return job_id

    def _job(self, job_id: Any) -> dict[str, Any]:
        job = self.jobs.get(job_id) if isinstance(job_id, int) else None
        if job is None:
            raise invalid(f"Job {job_id} does not exist.")
        return job

    def jobs_create(self, _query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        from databricks.sdk.service.jobs import JobsAPI

        _check_body(method_fields(JobsAPI.create), body)
        settings = {k: v for k, v in body.items() if k != "access_control_list"}
        _check_job_settings(settings)
        # the creator owns the job unless the list names another owner (Databricks, "Jobs
        # access control": the job creator has IS OWNER by default)
        given = self._grants(body.get("access_control_list") or [])
        if not any(level == "IS_OWNER" for level, _, _ in given):
            given.add(("IS_OWNER", "user_name", CREATOR))
        self._check_owner(given)
        job_id = self.store_job(settings)
        self.grants[job_id] = given
        return {"job_id": job_id}

    # ----- the Permissions API for jobs ----------------------------------------------------

    def permissions_route(self, method: str, job_id: str, body: Any) -> dict[str, Any]:
        """GET and PUT /api/2.0/permissions/jobs/{id} (Databricks REST API, Permissions):
        PUT replaces every direct grant; a job keeps exactly one owner, a user or a service
        principal (groups cannot own jobs); workspace admins' CAN_MANAGE is inherited."""
        from databricks.sdk.service.jobs import JobsAPI

        if not job_id.isdigit():
            raise invalid(f"{job_id} is not a job id.")
        job = self._job(int(job_id))["job_id"]
        if method == "PUT":
            _check_body(method_fields(JobsAPI.set_permissions), {"job_id": job_id, **body})
            given = self._grants(body.get("access_control_list") or [])
            self._check_owner(given)
            self.grants[job] = given
        elif method != "GET":
            raise ApiError(404, "ENDPOINT_NOT_FOUND", f"No API found for '{method}' permissions")
        return self._permissions(job)

    def _grants(self, items: list[Any]) -> set[tuple[str, str, str]]:
        from databricks.sdk.service.jobs import JobPermissionLevel

        levels = {level.value for level in JobPermissionLevel}
        found = set()
        for item in items:
            if not isinstance(item, dict):
                raise invalid("access_control_list items must be objects.")
            named = [f for f in _PRINCIPAL_FIELDS if item.get(f)]
            if len(named) != 1:
                raise invalid("Exactly one of user_name, group_name, service_principal_name.")
            level = item.get("permission_level")
            if level not in levels:
                raise invalid(f"Invalid permission level {level}.")
            principal = (named[0], item[named[0]])
            if principal not in self.principals:
                raise invalid(f"Principal: {named[0]}({item[named[0]]}) does not exist.")
            found.add((level, *principal))
        return found

    @staticmethod
    def _check_owner(grants: set[tuple[str, str, str]]) -> None:
        owners = [g for g in grants if g[0] == "IS_OWNER"]
        if len(owners) != 1:
            raise invalid("The job must have exactly one owner.")
        if owners[0][1] == "group_name":
            raise invalid("A group cannot be the owner of a job.")

    def _permissions(self, job_id: int) -> dict[str, Any]:
        by_principal: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for level, kind, name in sorted(self.grants.get(job_id, set())):
            by_principal.setdefault((kind, name), []).append(
                {"permission_level": level, "inherited": False}
            )
        admins = by_principal.setdefault(("group_name", "admins"), [])
        admins.append(
            {
                "permission_level": "CAN_MANAGE",
                "inherited": True,
                "inherited_from_object": ["/jobs/"],
            }
        )
        return {
            "object_id": f"/jobs/{job_id}",
            "object_type": "job",
            "access_control_list": [
                {kind: name, "display_name": name, "all_permissions": grants}
                for (kind, name), grants in sorted(by_principal.items())
            ],
        }

    def jobs_reset(self, _query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        from databricks.sdk.service.jobs import JobsAPI

        _check_body(method_fields(JobsAPI.reset), body)
        job = self._job(body.get("job_id"))
        if "new_settings" not in body:
            raise invalid("new_settings is required.")
        _check_job_settings(body["new_settings"])
        job["settings"] = json.loads(json.dumps(body["new_settings"]))
        return {}

    def jobs_delete(self, _query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        from databricks.sdk.service.jobs import JobsAPI

        _check_body(method_fields(JobsAPI.delete), body)
        self._job(body.get("job_id"))  # a job that does not exist is a 400, as the service
        del self.jobs[body["job_id"]]
        self.grants.pop(body["job_id"], None)
        return {}

    def jobs_get(self, query: dict[str, str], _body: Any) -> dict[str, Any]:
        q = _check_query(query, {"job_id": int, "include_trigger_state": bool, "page_token": str})
        job = self._job(q.get("job_id"))
        answer = {k: v for k, v in job.items() if k != "settings"}
        answer["run_as_user_name"] = job["creator_user_name"]
        answer["settings"] = with_service_defaults(job["settings"], job["creator_user_name"])
        return page_of_arrays(answer, q.get("page_token"))

    def jobs_list(self, query: dict[str, str], _body: Any) -> dict[str, Any]:
        types_ = {"expand_tasks": bool, "limit": int, "name": str, "offset": int, "page_token": str}
        q = _check_query(query, types_)
        limit = q.get("limit", self.page_size)
        if not 0 < limit <= 100:
            raise invalid("limit must be between 1 and 100.")
        name = q.get("name")
        found = [
            j
            for j in sorted(self.jobs.values(), key=lambda j: -int(j["job_id"]))
            if name is None or str(j["settings"].get("name", "")).lower() == name.lower()
        ]
        start = int(q.get("page_token") or q.get("offset", 0))
        page = found[start : start + limit]
        answer: dict[str, Any] = {
            "jobs": [self._base_job(j, q.get("expand_tasks", False)) for j in page]
        }
        answer["has_more"] = start + limit < len(found)
        if answer["has_more"]:
            answer["next_page_token"] = str(start + limit)
        if not page:
            del answer["jobs"]  # the real service omits empty arrays
        return answer

    def _base_job(self, job: dict[str, Any], expand_tasks: bool) -> dict[str, Any]:
        """jobs/list leaves out tasks and job clusters unless expand_tasks is set."""
        hidden = (*self.list_hides, *(() if expand_tasks else ("tasks", "job_clusters")))
        settings = with_service_defaults(job["settings"], job["creator_user_name"])
        settings = {k: v for k, v in settings.items() if k not in hidden}
        copy: dict[str, Any] = json.loads(json.dumps(job | {"settings": settings}))
        return copy

    def _start_run(
        self, job_id: int | None, name: str, tasks: list[dict[str, Any]], params: dict[str, str]
    ) -> FakeRun:
        script = self.run_scripts.pop(0) if self.run_scripts else RunScript()
        run_id = self._new_id()
        task_runs = [json.loads(json.dumps(t)) | {"run_id": self._new_id()} for t in tasks]
        run = FakeRun(run_id, job_id, name, task_runs, script, self.url(), params)
        self.runs[run_id] = run
        return run

    def jobs_run_now(self, _query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        from databricks.sdk.service.jobs import JobsAPI

        _check_body(method_fields(JobsAPI.run_now), body)
        job = self._job(body.get("job_id"))
        if body.get("idempotency_token") in self._idempotency:  # the real service's dedup
            run_id = self._idempotency[body["idempotency_token"]]
            return {"run_id": run_id, "number_in_job": run_id}
        settings = job["settings"]
        defined = {p["name"]: p.get("default", "") for p in settings.get("parameters", [])}
        params = defined | dict(body.get("job_parameters") or {})
        run = self._start_run(job["job_id"], settings.get("name", ""), settings["tasks"], params)
        self._remember(body, run)
        return {"run_id": run.run_id, "number_in_job": run.run_id}

    def _remember(self, body: dict[str, Any], run: FakeRun) -> None:
        if "idempotency_token" in body:
            self._idempotency[body["idempotency_token"]] = run.run_id

    def jobs_submit(self, _query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        from databricks.sdk.service.jobs import JobsAPI

        _check_body(method_fields(JobsAPI.submit), body)
        if not body.get("tasks"):
            raise invalid("At least one task is required.")
        refused = list(cluster_rules.problems(body))
        if refused:
            raise invalid(" ".join(refused))
        if body.get("idempotency_token") in self._idempotency:
            return {"run_id": self._idempotency[body["idempotency_token"]]}
        run = self._start_run(None, str(body.get("run_name", "Untitled")), body["tasks"], {})
        self._remember(body, run)
        return {"run_id": run.run_id}

    def _run(self, run_id: Any) -> FakeRun:
        run = self.runs.get(run_id) if isinstance(run_id, int) else None
        if run is None:
            raise invalid(f"Run {run_id} does not exist.")
        return run

    def runs_get(self, query: dict[str, str], _body: Any) -> dict[str, Any]:
        types_ = {
            "run_id": int,
            "include_history": bool,
            "include_resolved_values": bool,
            "page_token": str,
        }
        run = self._run(_check_query(query, types_).get("run_id"))
        answer = run.as_dict()
        run.advance()
        return answer

    def runs_get_output(self, query: dict[str, str], _body: Any) -> dict[str, Any]:
        run_id = _check_query(query, {"run_id": int}).get("run_id")
        for run in self.runs.values():
            for task in run.tasks:
                if task["run_id"] == run_id:
                    return run.output(task)
        run = self._run(run_id)
        if len(run.tasks) != 1:
            raise invalid(
                "Retrieving the output of runs with multiple tasks is not supported. "
                "Please retrieve the output of each individual task run instead."
            )
        return run.output(run.tasks[0])

    def runs_cancel(self, _query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        _check_body({"run_id": int}, body)
        run = self._run(body.get("run_id"))
        if not run.terminal:
            run.cancelled = True
        return {}


# Every handler takes (query, body), as `route` calls it; each reads the one its method carries
# (GET: query parameters, POST: the JSON body) and names the other with a leading underscore.
_JOB_ROUTES = {
    ("POST", "/api/2.2/jobs/create"): JobsService.jobs_create,
    ("POST", "/api/2.2/jobs/reset"): JobsService.jobs_reset,
    ("POST", "/api/2.2/jobs/delete"): JobsService.jobs_delete,
    ("GET", "/api/2.2/jobs/get"): JobsService.jobs_get,
    ("GET", "/api/2.2/jobs/list"): JobsService.jobs_list,
    ("POST", "/api/2.2/jobs/run-now"): JobsService.jobs_run_now,
    ("POST", "/api/2.2/jobs/runs/submit"): JobsService.jobs_submit,
    ("GET", "/api/2.2/jobs/runs/get"): JobsService.runs_get,
    ("GET", "/api/2.2/jobs/runs/get-output"): JobsService.runs_get_output,
    ("POST", "/api/2.2/jobs/runs/cancel"): JobsService.runs_cancel,
}


def _check_body(fields: dict[str, Any], body: Any) -> None:
    problems = check_fields(fields, body)
    if problems:
        raise invalid("; ".join(problems))


def _check_job_settings(settings: dict[str, Any]) -> None:
    from databricks.sdk.service.jobs import JobSettings

    _check_body(dataclass_fields(JobSettings), settings)
    if JobSettings.from_dict(settings).as_dict() != settings:
        raise invalid("settings do not survive a JobSettings round trip")
    refused = list(cluster_rules.problems(settings))
    if refused:
        raise invalid(" ".join(refused))


def _check_query(query: dict[str, str], types_: dict[str, type]) -> dict[str, Any]:
    """Parse query parameters strictly: unknown names and unparsable values are a 400."""
    parsed: dict[str, Any] = {}
    for key, raw in query.items():
        kind = types_.get(key)
        if kind is None:
            raise invalid(f"Unknown query parameter: {key}")
        if kind is bool:
            if raw not in ("true", "false"):
                raise invalid(f"{key}: expected true or false, got {raw!r}")
            parsed[key] = raw == "true"
        elif kind is int:
            try:
                parsed[key] = int(raw)
            except ValueError:
                raise invalid(f"{key}: expected an integer, got {raw!r}") from None
        else:
            parsed[key] = raw
    return parsed
