"""The shipped IntegrityRegister artifact: the spec's ABI, and built from the sources we have.

The ABI test is pure (reads JSON only). The freshness test recompiles with the
pinned solcjs and needs `npm ci` in tools/chain: skipped locally without it,
failed under CI, where a stale artifact must never pass.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from tests.support.tools import in_ci

from numbers_cli.contracts import load_artifact

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACT = REPO_ROOT / "src" / "numbers_cli" / "contracts" / "IntegrityRegister.json"
BUILD_SCRIPT = REPO_ROOT / "contracts" / "build.mjs"
NODE_MODULES = REPO_ROOT / "tools" / "chain" / "node_modules"


def _args(*specs: tuple[str, str]) -> list[dict[str, Any]]:
    return [{"name": name, "type": type_} for name, type_ in specs]


def _event_args(*specs: tuple[str, str, bool]) -> list[dict[str, Any]]:
    return [{"name": name, "type": type_, "indexed": indexed} for name, type_, indexed in specs]


#: The ABI of spec/NUMBERS.md, "The IntegrityRegister contract".
SPEC_FUNCTIONS: dict[str, dict[str, Any]] = {
    "commit": {
        "inputs": _args(("assetCid", "string"), ("commitData", "string")),
        "outputs": _args(("blockNumber", "uint256")),
        "stateMutability": "nonpayable",
    },
    "getCommits": {
        "inputs": _args(("assetCid", "string")),
        "outputs": _args(("", "uint256[]")),
        "stateMutability": "view",
    },
    "registerIntegrityRecord": {
        "inputs": _args(
            ("assetCid", "string"), ("integrityData", "string"), ("signature", "bytes")
        ),
        "outputs": [],
        "stateMutability": "nonpayable",
    },
    "getRecordLogs": {
        "inputs": _args(("assetCid", "string")),
        "outputs": _args(("", "uint256[]")),
        "stateMutability": "view",
    },
    "initialize": {"inputs": [], "outputs": [], "stateMutability": "nonpayable"},
}
SPEC_EVENTS: dict[str, list[dict[str, Any]]] = {
    "Commit": _event_args(
        ("recorder", "address", True), ("assetCid", "string", True), ("commitData", "string", False)
    ),
    "Integrity": _event_args(
        ("recorder", "address", True),
        ("assetCid", "string", True),
        ("integrityData", "string", False),
        ("signature", "bytes", False),
    ),
}
#: What OpenZeppelin's Initializable adds to any contract using it; nothing else may appear.
INITIALIZABLE_EVENTS = {"Initialized": _event_args(("version", "uint64", False))}
INITIALIZABLE_ERRORS = {"InvalidInitialization", "NotInitializing"}


def _strip(arguments: list[dict[str, Any]], keys: tuple[str, ...]) -> list[dict[str, Any]]:
    return [{key: argument[key] for key in keys if key in argument} for argument in arguments]


def test_abi_functions_are_exactly_the_spec() -> None:
    abi = load_artifact("IntegrityRegister").abi
    functions = {
        item["name"]: {
            "inputs": _strip(item["inputs"], ("name", "type")),
            "outputs": _strip(item["outputs"], ("name", "type")),
            "stateMutability": item["stateMutability"],
        }
        for item in abi
        if item["type"] == "function"
    }
    assert functions == SPEC_FUNCTIONS
    assert not [item for item in abi if item["type"] in ("constructor", "fallback", "receive")]


def test_abi_events_are_the_spec_plus_initializable() -> None:
    abi = load_artifact("IntegrityRegister").abi
    events = {
        item["name"]: _strip(item["inputs"], ("name", "type", "indexed"))
        for item in abi
        if item["type"] == "event"
    }
    assert events == {**SPEC_EVENTS, **INITIALIZABLE_EVENTS}
    assert all(not item["anonymous"] for item in abi if item["type"] == "event")
    assert {item["name"] for item in abi if item["type"] == "error"} == INITIALIZABLE_ERRORS


def test_artifact_records_the_current_source() -> None:
    """Editing the .sol without rebuilding is caught even where node is missing."""
    artifact = load_artifact("IntegrityRegister")
    source = REPO_ROOT / "contracts" / "IntegrityRegister.sol"
    recorded = artifact.sources["contracts/IntegrityRegister.sol"]["sha256"]
    assert hashlib.sha256(source.read_bytes()).hexdigest() == recorded, (
        "contracts/IntegrityRegister.sol changed: run `node contracts/build.mjs`"
    )
    assert artifact.solc_version.startswith("0.8.37+")
    assert artifact.sources["@openzeppelin/contracts/proxy/utils/Initializable.sol"]["package"] == (
        "@openzeppelin/contracts@5.7.0"
    )


def test_artifact_is_deterministic_json() -> None:
    text = ARTIFACT.read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"


def _require_build_tools() -> str:
    node = shutil.which("node")
    missing = []
    if node is None:
        missing.append("node")
    if not (NODE_MODULES / "solc").is_dir():
        missing.append("tools/chain/node_modules (run `npm ci` in tools/chain)")
    if missing:
        message = "cannot rebuild the contract artifact: missing " + ", ".join(missing)
        if in_ci():
            pytest.fail(f"{message} [CI is set, so missing tools are an error]", pytrace=False)
        pytest.skip(message)
    assert node is not None
    return node


#: Every artifact contracts/build.mjs writes, by its path in the repository.
ALL_ARTIFACTS = [
    ARTIFACT,
    *(
        REPO_ROOT / "src" / "numbers_cli" / "contracts" / f"{n}.json"
        for n in ("Custody", "Licenses")
    ),
    *(
        REPO_ROOT / "tests" / "support" / "contracts" / f"{n}.json"
        for n in (
            "ReentrantPayee",
            "ReentrantBuyer",
            "VotesToken",
            "DaoGovernor",
            "TimelockController",
            "PlainERC721",
        )
    ),
]


@pytest.mark.parametrize("path", ALL_ARTIFACTS, ids=lambda p: p.stem)
def test_every_artifact_records_its_current_sources(path: Path) -> None:
    """Each source an artifact was built from still hashes to what it recorded."""
    data = json.loads(path.read_text(encoding="utf-8"))
    for unit, entry in data["sources"].items():
        base = REPO_ROOT if unit.startswith("contracts/") else NODE_MODULES
        if not (base / unit).exists():
            assert unit.startswith("@openzeppelin/"), unit
            continue  # an npm source where tools/chain is not installed: the rebuild checks it
        digest = hashlib.sha256((base / unit).read_bytes()).hexdigest()
        assert digest == entry["sha256"], f"{unit} changed: run `node contracts/build.mjs`"
    assert data["compiler"]["version"].startswith("0.8.37+")
    assert path.read_text(encoding="utf-8") == json.dumps(data, indent=2, sort_keys=True) + "\n"


def test_committed_artifacts_match_a_fresh_build(tmp_path: Path) -> None:
    node = _require_build_tools()
    result = subprocess.run(
        [node, str(BUILD_SCRIPT), "--out-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    hint = "stale artifact: run `node contracts/build.mjs` and commit the result"
    for path in ALL_ARTIFACTS:
        out = tmp_path / path.relative_to(REPO_ROOT)
        fresh = json.loads(out.read_text(encoding="utf-8"))
        committed = json.loads(path.read_text(encoding="utf-8"))
        assert committed["abi"] == fresh["abi"], f"{path.name}: {hint}"
        assert committed["bytecode"] == fresh["bytecode"], f"{path.name}: {hint}"
        assert committed["deployedBytecode"] == fresh["deployedBytecode"], f"{path.name}: {hint}"
        assert committed == fresh, f"{path.name}: {hint}"
        assert out.read_bytes() == path.read_bytes(), f"{path.name}: {hint}"
    written = {p.relative_to(tmp_path) for p in tmp_path.rglob("*.json")}
    assert written == {p.relative_to(REPO_ROOT) for p in ALL_ARTIFACTS}, (
        "an artifact is not checked"
    )
