"""The step of the `nit stamp` GitHub Action (action.yml), also usable from GitLab CI.

Reads the action's inputs from INPUT_* variables, then runs nit as a user would:
`nit init` (when there is no repository yet), `nit network add` (when an RPC URL
is given), `nit stamp ... --json`, `nit attest ... -o STATEMENT`. Writes the
outputs to $GITHUB_OUTPUT, a table to $GITHUB_STEP_SUMMARY, and under GitLab
(GITLAB_CI) a dotenv report (NIT_STAMP_*) and a Markdown summary file.

Only the standard library: it runs before anything else is known to be there.
The signing key is read from the variable named by INPUT_KEY_SECRET_ENV and
handed to nit as NIT_PRIVATE_KEY; it is never printed. Exit code 24 of
`nit stamp` (every artifact stamped before) is a success here: a re-run job
reports the stamps it already has.
"""

from __future__ import annotations

import base64
import glob
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

ALREADY_STAMPED = 24


class StepError(Exception):
    """A problem with the step's inputs or a failed nit command: one annotation line."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def _input(name: str, default: str = "") -> str:
    return os.environ.get(f"INPUT_{name.upper().replace('-', '_')}", default).strip()


def _nit(args: list[str], env: dict[str, str], ok: tuple[int, ...] = (0,)) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "numbers_cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode not in ok:
        message = done.stderr.strip().splitlines()[-1:] or [f"exit code {done.returncode}"]
        raise StepError(f"nit {args[0]}: {message[0]}", done.returncode)
    if done.stderr.strip():
        print(done.stderr.strip(), file=sys.stderr)
    return done.stdout


def _paths(text: str) -> tuple[list[str], bool]:
    """Paths from spaces/new lines, globs expanded; and whether any is a directory."""
    found: list[str] = []
    for pattern in text.split():
        matches = sorted(glob.glob(pattern, recursive=True)) if glob.has_magic(pattern) else []
        if not matches:
            if not Path(pattern).exists():
                raise StepError(f"no file matches {pattern!r}", 2)
            matches = [pattern]
        found += [m for m in matches if m not in found]
    if not found:
        raise StepError("the paths input names no file", 2)
    return found, any(Path(p).is_dir() for p in found)


def _has_repository(start: Path) -> bool:
    return any((d / ".numbers" / "format").is_file() for d in [start, *start.parents])


def _env() -> dict[str, str]:
    key_env = _input("key-secret-env", "NIT_PRIVATE_KEY") or "NIT_PRIVATE_KEY"
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key_env):
        raise StepError(f"key-secret-env must name an environment variable, not {key_env!r}", 2)
    key = os.environ.get(key_env, "")
    if not key.strip():
        raise StepError(
            f"no signing key: set {key_env} from a secret, e.g. "
            f"env: {{ {key_env}: ${{{{ secrets.{key_env} }}}} }}",
            6,
        )
    env = dict(os.environ)
    env["NIT_PRIVATE_KEY"] = key
    env.setdefault("NIT_PROGRESS", "false")
    return env


def _write_outputs(path: str | None, values: dict[str, str]) -> None:
    if not path:
        return
    with open(path, "a", encoding="utf-8") as out:
        for name, value in values.items():
            out.write(f"{name}={value}\n")


def _summary(report: dict[str, Any], outputs: dict[str, str]) -> str:
    network = report["network"]
    lines = [
        "## nit stamp",
        "",
        f"**{outputs['artifacts']} artifact(s)** in batch `{outputs['batch']}` on "
        f"**{network}** (chain {report['chainId']})",
        "",
        f"- Merkle root: `{outputs['root']}`",
        "- transaction: "
        + (f"[{outputs['tx']}]({outputs['tx-url']})" if outputs["tx-url"] else f"`{outputs['tx']}`")
        + f", block {outputs['block']}",
    ]
    if outputs["gas-per-artifact"]:
        lines.append(f"- gas: {outputs['gas-per-artifact']} per artifact")
    lines.append(f"- in-toto statement: `{outputs['statement']}`")
    if outputs["already-stamped"] == "true":
        lines.append("- every artifact had been stamped before: nothing new was sent")
    lines += ["", "| artifact | sha256 | Nid | leaf | state |", "| --- | --- | --- | --- | --- |"]
    for item in report["artifacts"]:
        name = item["name"].replace("|", "\\|")
        lines.append(
            f"| `{name}` | `{item['sha256'][:16]}…` | `{item['nid']}` | "
            f"{item['leafIndex'] + 1} of {item['leaves']} | {item['state']} |"
        )
    return "\n".join(lines) + "\n"


def run() -> None:
    env = _env()
    paths, recursive = _paths(_input("paths"))
    network = _input("network", "jade") or "jade"
    if not _has_repository(Path.cwd()):
        _nit(["init"], env)
    rpc = _input("rpc-url")
    if rpc:
        add = ["network", "add", network, "--rpc", rpc]
        if _input("contract"):
            add += ["--contract", _input("contract")]
        if _input("chain-id"):
            add += ["--chain-id", _input("chain-id")]
        _nit(add, env)

    stamp = ["stamp", *paths, "--network", network, "--json"]
    stamp += ["--batch-size", _input("batch-size", "10000") or "10000"]
    stamp.append(
        "--keep-content" if _input("hash-only", "true").lower() == "false" else "--hash-only"
    )
    if recursive:
        stamp.append("-r")
    report = json.loads(_nit(stamp, env, ok=(0, ALREADY_STAMPED)))

    statement = _input("statement", "nit-stamp.intoto.json") or "nit-stamp.intoto.json"
    nids = list(dict.fromkeys(item["nid"] for item in report["artifacts"]))
    _nit(["attest", *nids, "--network", network, "-o", statement], env)
    envelope = json.loads(Path(statement).read_text("utf-8"))
    predicate = json.loads(base64.b64decode(envelope["payload"]))["predicate"]
    anchors = {b["batch"]: b["anchor"] for b in predicate["batches"]}

    registered = report["batches"][-1] if report["batches"] else None
    batch = registered["batch"] if registered else report["artifacts"][0]["batch"]
    first = next(item for item in report["artifacts"] if item["batch"] == batch)
    anchor = anchors[batch]
    outputs = {
        "batch": batch,
        "root": first["root"],
        "tx": anchor["transaction"],
        "block": str(anchor["block"]),
        "tx-url": (registered or {}).get("txUrl") or "",
        "gas-per-artifact": str((registered or {}).get("gasPerArtifact") or ""),
        "artifacts": str(first["leaves"]),
        "statement": statement,
        "already-stamped": "true" if report["alreadyStamped"] else "false",
    }
    _write_outputs(os.environ.get("GITHUB_OUTPUT"), outputs)
    summary = _summary(report, outputs)
    if os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(os.environ["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as out:
            out.write(summary)
    if os.environ.get("GITLAB_CI"):
        dotenv = os.environ.get("NIT_STAMP_DOTENV", "nit-stamp.env")
        _write_outputs(
            dotenv, {f"NIT_STAMP_{k.upper().replace('-', '_')}": v for k, v in outputs.items()}
        )
        Path("nit-stamp-summary.md").write_text(summary, "utf-8")
    print(summary)


def main() -> int:
    try:
        run()
    except StepError as exc:
        print(f"::error title=nit stamp::{exc}")
        return exc.code or 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
