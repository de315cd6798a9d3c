"""The GitHub Action (actions/stamp/action.yml) run the way GitHub runs it, on a local anvil.

The test reads the composite action, takes its `stamp` step (the `install` step
is `pip install` of this checkout, already done in .venv), substitutes the
`${{ inputs.* }}` and `${{ github.action_path }}` expressions as the runner
would, and runs that step's command with bash and the variables GitHub sets
(GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_SHA, ...). Then it checks the step
outputs and the job summary, and verifies the artifacts on a second, clean
checkout (no repository, its own user config) from the statement alone. The
GitLab template runs the same script.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.conftest import REPO_ROOT, TEST_KEY, Nit, ok
from tests.stamp.conftest import make_artifacts

from numbers_cli.chain import ChainClient, Network
from numbers_cli.model.nid import Nid

ACTION_DIR = REPO_ROOT / "actions" / "stamp"
ACTION = yaml.safe_load((ACTION_DIR / "action.yml").read_text())
GITLAB = yaml.safe_load((ACTION_DIR / "gitlab-ci.yml").read_text())
EXPRESSION = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")


def expand(text: str, inputs: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "github.action_path":
            return str(ACTION_DIR)
        if name.startswith("inputs."):
            key = name.removeprefix("inputs.")
            return inputs.get(key, str(ACTION["inputs"][key].get("default", "")))
        raise AssertionError(f"expression the test does not know: {name}")

    return EXPRESSION.sub(value, text)


def run_step(step_id: str, inputs: dict[str, str], env: dict[str, str], cwd: Path):  # type: ignore[no-untyped-def]
    (step,) = [s for s in ACTION["runs"]["steps"] if s.get("id") == step_id]
    assert step["shell"] == "bash"
    step_env = {name: expand(str(v), inputs) for name, v in step.get("env", {}).items()}
    workdir = cwd / expand(step.get("working-directory", "."), inputs)
    return subprocess.run(
        ["bash", "-e", "-c", expand(step["run"], inputs)],
        cwd=workdir,
        env={**env, **step_env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if line)


@pytest.fixture
def runner(tmp_path: Path, funded: str, devnet: Network) -> dict[str, Any]:
    """A fresh runner: a workspace with built artifacts, its own HOME and config, and
    every variable the step sees on GitHub (the key in a secret-backed variable)."""
    workspace = tmp_path / "workspace"
    make_artifacts(workspace / "dist", 5)
    home = tmp_path / "runner-home"
    venv_bin = str(Path(sys.executable).parent)
    env = {
        "PATH": f"{venv_bin}{os.pathsep}{os.environ['PATH']}",  # python3 with nit installed
        "HOME": str(home),
        "NIT_CONFIG_DIR": str(home / ".config" / "numbers"),
        "NIT_DATA_DIR": str(home / ".local" / "share" / "numbers"),
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_OUTPUT": str(tmp_path / "github_output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "step_summary.md"),
        "GITHUB_SHA": "5f1e" * 10,
        "GITHUB_REF": "refs/tags/v2.0.0",
        "GITHUB_REPOSITORY": "octo/release",
        "GITHUB_WORKFLOW": "release",
        "GITHUB_JOB": "stamp",
        "GITHUB_RUN_ID": "777",
        "GITHUB_SERVER_URL": "https://github.com",
        "RUNNER_NAME": "test-runner",
        "GITHUB_TOKEN": "ghs_NOT_TO_BE_READ",
        "STAMP_KEY": TEST_KEY,
    }
    inputs = {
        "paths": "dist/",
        "network": "ci-chain",
        "rpc-url": devnet.rpc_url,
        "contract": str(devnet.contract),
        "chain-id": "31337",
        "key-secret-env": "STAMP_KEY",
        "batch-size": "100",
    }
    return {"workspace": workspace, "env": env, "inputs": inputs, "tmp": tmp_path}


def test_action_stamps_reports_and_verifies_on_a_clean_checkout(runner, devnet) -> None:
    done = run_step("stamp", runner["inputs"], runner["env"], runner["workspace"])
    assert done.returncode == 0, done.stdout + done.stderr
    assert TEST_KEY[2:] not in done.stdout + done.stderr

    out = outputs(Path(runner["env"]["GITHUB_OUTPUT"]))
    assert set(out) == set(ACTION["outputs"])
    assert out["artifacts"] == "5" and out["already-stamped"] == "false"
    assert re.fullmatch(r"0x[0-9a-f]{64}", out["root"]) and re.fullmatch(
        r"0x[0-9a-f]{64}", out["tx"]
    )
    assert float(out["gas-per-artifact"]) < 100_000 / 5
    with ChainClient(devnet) as client:
        (record,) = client.history(out["batch"])
    assert record.tx_hash == out["tx"] and record.block_number == int(out["block"])
    assert out["root"] in record.commit_data

    summary = Path(runner["env"]["GITHUB_STEP_SUMMARY"]).read_text()
    assert summary.startswith("## nit stamp")
    assert out["root"] in summary and out["tx"] in summary
    assert summary.count("| `dist/artifact-") == 5

    statement = runner["workspace"] / out["statement"]
    body = json.loads(statement.read_text())
    assert body["payloadType"] == "application/vnd.in-toto+json"

    # The build facts came from the GitHub variables; the token was never read.
    tree_text = "".join(
        p.read_text(errors="replace")
        for p in (runner["workspace"] / ".numbers").rglob("*")
        if p.is_file()
    )
    assert "NOT_TO_BE_READ" not in tree_text

    # A second, clean checkout: the artifacts and the statement, nothing else of ours.
    clean = runner["tmp"] / "clean-checkout"
    shutil.copytree(runner["workspace"] / "dist", clean / "dist")
    shutil.copy(statement, clean / "stamp.intoto.json")
    verifier_home = runner["tmp"] / "verifier"
    env = {"NIT_CONFIG_DIR": str(verifier_home), "NIT_PRIVATE_KEY": ""}
    verifier = Nit(clean)
    ok(
        verifier(
            "network", "add", "ci-chain", "--rpc", devnet.rpc_url,
            "--contract", str(devnet.contract), env=env,
        )
    )  # fmt: skip
    for artifact in sorted((clean / "dist").iterdir()):
        result = ok(
            verifier("verify", "--statement", "stamp.intoto.json", f"dist/{artifact.name}", env=env)
        )
        assert "stamped in batch " + out["batch"] in result.stdout
        assert "on chain: ci-chain tx " + out["tx"] in result.stdout
    assert not (clean / ".numbers").exists()

    # The job run again: nothing sent, the same anchors reported.
    Path(runner["env"]["GITHUB_OUTPUT"]).unlink()
    again = run_step("stamp", runner["inputs"], runner["env"], runner["workspace"])
    assert again.returncode == 0, again.stdout + again.stderr
    second = outputs(Path(runner["env"]["GITHUB_OUTPUT"]))
    assert second["already-stamped"] == "true"
    assert (second["batch"], second["tx"], second["root"]) == (out["batch"], out["tx"], out["root"])


def test_action_without_a_key_fails_with_an_annotation(runner) -> None:
    env = {k: v for k, v in runner["env"].items() if k != "STAMP_KEY"}
    done = run_step("stamp", runner["inputs"], env, runner["workspace"])
    assert done.returncode == 6
    assert done.stdout.startswith("::error title=nit stamp::no signing key: set STAMP_KEY")
    assert not Path(runner["env"]["GITHUB_OUTPUT"]).exists()


def test_action_step_installs_this_checkout() -> None:
    (install,) = [s for s in ACTION["runs"]["steps"] if s.get("id") == "install"]
    assert expand(install["run"], {}).endswith(f'"{ACTION_DIR}/../.."')
    assert (ACTION_DIR / "../../pyproject.toml").resolve().is_file()


def test_gitlab_job_runs_the_same_script(runner, devnet) -> None:
    job = GITLAB[".nit-stamp"]
    assert any("actions/stamp/stamp.py" in line for line in job["script"])
    assert job["artifacts"]["reports"]["dotenv"] == "nit-stamp.env"
    env = {k: v for k, v in runner["env"].items() if not k.startswith("GITHUB_")}
    env.update(GITLAB_CI="true", CI_PROJECT_PATH="group/app", CI_COMMIT_SHA="ab" * 20)
    env.update({f"INPUT_{k.upper().replace('-', '_')}": v for k, v in runner["inputs"].items()})
    done = subprocess.run(
        [sys.executable, str(ACTION_DIR / "stamp.py")],
        cwd=runner["workspace"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    dotenv = outputs(runner["workspace"] / "nit-stamp.env")
    assert Nid.parse(dotenv["NIT_STAMP_BATCH"]) and dotenv["NIT_STAMP_ARTIFACTS"] == "5"
    assert (runner["workspace"] / "nit-stamp-summary.md").read_text().startswith("## nit stamp")
