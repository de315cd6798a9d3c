"""Build facts from the CI environment: which repository, commit, ref, workflow,
job and run made an artifact, and on which runner.

One small table per CI service says which variable holds which fact; nothing
else of the environment is read. In particular no token or secret variable
(`GITHUB_TOKEN`, `ACTIONS_RUNTIME_TOKEN`, `CI_JOB_TOKEN`, ...) is ever looked
at: the facts end up in public trees on IPFS and on chain.

The facts go under `custom.build` of each stamped artifact's AssetTree, with
the keys of `FACTS` (docs/formats.md, "Build facts").
"""

from __future__ import annotations

import os
from collections.abc import Mapping

__all__ = ["FACTS", "SERVICES", "build_facts", "in_ci"]

#: The keys of `custom.build`, in the order they are written.
FACTS = ("ci", "repository", "commit", "ref", "workflow", "job", "runId", "runUrl", "runner")

#: Per service: the variable that says "this is it", and fact -> variable name.
#: `runUrl` of GitHub is built from three variables (see `_github_run_url`).
SERVICES: dict[str, tuple[str, dict[str, str]]] = {
    "github-actions": (
        "GITHUB_ACTIONS",
        {
            "repository": "GITHUB_REPOSITORY",
            "commit": "GITHUB_SHA",
            "ref": "GITHUB_REF",
            "workflow": "GITHUB_WORKFLOW",
            "job": "GITHUB_JOB",
            "runId": "GITHUB_RUN_ID",
            "runner": "RUNNER_NAME",
        },
    ),
    "gitlab-ci": (
        "GITLAB_CI",
        {
            "repository": "CI_PROJECT_PATH",
            "commit": "CI_COMMIT_SHA",
            "ref": "CI_COMMIT_REF_NAME",
            "workflow": "CI_PIPELINE_ID",
            "job": "CI_JOB_NAME",
            "runId": "CI_JOB_ID",
            "runUrl": "CI_JOB_URL",
            "runner": "CI_RUNNER_DESCRIPTION",
        },
    ),
}

_FALSY = {"", "0", "false", "no", "off"}


def in_ci(env: Mapping[str, str] | None = None) -> bool:
    """Whether `CI` is set to anything but a false-ish value (every CI service sets it)."""
    env = os.environ if env is None else env
    return env.get("CI", "").strip().lower() not in _FALSY


def _github_run_url(env: Mapping[str, str]) -> str | None:
    server, repository, run = (
        env.get("GITHUB_SERVER_URL"),
        env.get("GITHUB_REPOSITORY"),
        env.get("GITHUB_RUN_ID"),
    )
    if server and repository and run:
        return f"{server.rstrip('/')}/{repository}/actions/runs/{run}"
    return None


def build_facts(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The facts of the CI service we run in; `{"ci": "generic"}` under a plain `CI`;
    `{}` outside CI. Only the variables named in `SERVICES` are read."""
    env = os.environ if env is None else env
    for service, (marker, names) in SERVICES.items():
        if env.get(marker, "").strip().lower() not in _FALSY:
            facts = {"ci": service}
            for fact in FACTS[1:]:
                name = names.get(fact)
                value = env.get(name, "").strip() if name else ""
                if fact == "runUrl" and service == "github-actions":
                    value = _github_run_url(env) or ""
                if value:
                    facts[fact] = value
            return facts
    return {"ci": "generic"} if in_ci(env) else {}
