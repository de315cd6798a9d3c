"""`nit dataset verify DIR [--remote]`: does a dataset still say what its records say?

For every record of `records.jsonl` (and the card's sha256 of it, when there is
a `metadata.json`):
- the file is re-hashed: `missing` when it is gone, `changed` when its sha256
  or size is not the record's;
- the record is checked against the repository: `unregistered` when the
  asset has no such commit, `mismatch` when the commit's tree does not say what
  the record says (sha256, licence, creator), or its signature fails;
- with `--remote`, against the chain the record names: `unregistered` when
  the commit is not among the asset's on-chain commits, or was registered by
  another transaction than the record's.
Files under `files/` that no record names are `extra`. Any of these makes the
command exit 27; a record whose commit is no longer the asset's latest is only
reported (`outdated`).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from numbers_cli.config import Config
from numbers_cli.errors import DataInputError, ExitCode, InvalidFormat, NitError, NotARepository
from numbers_cli.model import croissant, json_input
from numbers_cli.model.nid import Nid
from numbers_cli.ops.progress import NoProgress, Progress
from numbers_cli.ops.signatures import check_signature
from numbers_cli.ops.trees import load_commit, tree_of
from numbers_cli.repo.repository import Repository

_WORKERS = 8  # file hashing and object reads overlap (I/O and hashlib release the GIL)
_WINDOW = 256
PROBLEMS = ("missing", "changed", "unregistered", "mismatch", "extra", "card")
_CHECKED_FIELDS = (("sha256", "assetSha256"), ("creator", "assetCreator"))


@dataclass(frozen=True)
class Finding:
    status: str  # one of PROBLEMS, or "outdated" (informative)
    nid: str | None
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "nid": self.nid, "detail": self.detail}


@dataclass
class DatasetVerdict:
    directory: str
    records: int = 0
    files_checked: int = 0
    remote: bool = False
    findings: list[Finding] = field(default_factory=list)

    @property
    def counts(self) -> Counter[str]:
        return Counter(f.status for f in self.findings)

    @property
    def ok(self) -> bool:
        return not any(f.status in PROBLEMS for f in self.findings)

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.OK if self.ok else ExitCode.DATASET_MISMATCH

    def to_json(self) -> dict[str, Any]:
        return {
            "directory": self.directory,
            "ok": self.ok,
            "exitCode": int(self.exit_code),
            "records": self.records,
            "filesChecked": self.files_checked,
            "remote": self.remote,
            "counts": dict(sorted(self.counts.items())),
            "findings": [f.to_json() for f in self.findings],
        }


def _hash_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _windows(records: Iterator[tuple[int, dict[str, Any]]]) -> Iterator[list[dict[str, Any]]]:
    """Records in groups of _WINDOW: checked in parallel, memory flat."""
    window: list[dict[str, Any]] = []
    for _, record in records:
        window.append(record)
        if len(window) == _WINDOW:
            yield window
            window = []
    if window:
        yield window


def _count_lines(path: Path) -> int:
    if not path.is_file():
        return 0
    with path.open("rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))


def _records(directory: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    path = directory / croissant.RECORDS_FILE
    if not path.is_file():
        raise DataInputError(f"{directory}: no {croissant.RECORDS_FILE}; not a nit dataset")
    with path.open("r", encoding="utf-8", errors="strict") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                value = json_input.loads(line)
            except ValueError:
                raise DataInputError(f"{path}: line {number}: not JSON") from None
            if not isinstance(value, dict) or not isinstance(value.get("nid"), str):
                raise DataInputError(f"{path}: line {number}: not a dataset record")
            yield number, value


def _check_card(directory: Path, verdict: DatasetVerdict) -> None:
    card = directory / croissant.CARD_FILE
    if not card.exists():
        return
    try:
        doc = json_input.loads(card.read_text("utf-8"))
    except (ValueError, UnicodeDecodeError):
        verdict.findings.append(Finding("card", None, f"{croissant.CARD_FILE} is not JSON"))
        return
    stated = croissant.records_sha256(doc) if isinstance(doc, dict) else None
    actual, _ = _hash_file(directory / croissant.RECORDS_FILE)
    if stated != actual:
        verdict.findings.append(
            Finding("card", None, f"{croissant.RECORDS_FILE} does not hash to the card's sha256")
        )


def _check_file(directory: Path, record: dict[str, Any]) -> Finding | None:
    name = str(record.get("file") or "")
    if name.startswith("ipfs://"):
        return None
    path = (directory / name).resolve()
    if not name or directory.resolve() not in path.parents:
        return Finding("mismatch", record["nid"], f"file {name!r} is outside the dataset")
    if not path.is_file():
        return Finding("missing", record["nid"], f"{name} is missing")
    sha256, size = _hash_file(path)
    if sha256 != record.get("sha256") or (record.get("size") not in (None, size)):
        return Finding("changed", record["nid"], f"{name} no longer hashes to the record's sha256")
    return None


def _check_repository(repo: Repository, record: dict[str, Any]) -> list[Finding]:
    nid = record["nid"]
    try:
        asset = Nid.parse(nid)
        commit_nid = Nid.parse(str(record.get("commit")))
    except InvalidFormat:
        return [Finding("mismatch", nid, "the record's Nid or commit is not a Nid")]
    history = repo.refs.history(asset)
    if commit_nid not in history:
        return [Finding("unregistered", nid, f"commit {commit_nid} is not in the asset's history")]
    try:
        commit = load_commit(repo, commit_nid)
        tree = tree_of(repo, commit).as_dict()
    except NitError as exc:
        return [Finding("mismatch", nid, f"commit or tree unreadable: {exc.message}")]
    problems = [
        f"{key} {record.get(key)!r} is not the tree's {tree_key} {tree.get(tree_key)!r}"
        for key, tree_key in _CHECKED_FIELDS
        if record.get(key) != tree.get(tree_key)
    ]
    if tree.get("assetCid") != nid:
        problems.append("the commit's tree describes another asset")
    if record.get("license") != (tree.get("license") or {}).get("name"):
        problems.append("licence differs from the tree's")
    signature = check_signature(commit)
    if not signature.ok:
        problems.append(signature.detail)
    findings = [Finding("mismatch", nid, "; ".join(problems))] if problems else []
    if history[-1] != commit_nid:
        findings.append(
            Finding("outdated", nid, f"the asset has newer commits (head {history[-1]})")
        )
    return findings


class _Remote:
    """The chains the records name, one client each, opened on first use."""

    def __init__(self, config: Config, network: str | None) -> None:
        self.config = config
        self.network = network
        self.clients: dict[str, Any] = {}

    def check(self, record: dict[str, Any]) -> Finding | None:
        from numbers_cli.ops.remote_history import connect, read_history

        nid = record["nid"]
        name = self.network or record.get("network")
        if not name:
            return Finding("unregistered", nid, "the record names no chain (never pushed)")
        if name not in self.clients:
            self.clients[name] = connect(self.config, name).__enter__()
        on_chain = read_history(self.clients[name], Nid.parse(nid))
        for item in on_chain:
            if item.commit_nid == record.get("commit"):
                if record.get("tx") and item.record.tx_hash.lower() != str(record["tx"]).lower():
                    return Finding("unregistered", nid, f"registered on {name} by another tx")
                if not item.signature.ok:
                    return Finding("mismatch", nid, f"on {name}: {item.signature.detail}")
                return None
        return Finding("unregistered", nid, f"commit {record.get('commit')} is not on {name}")

    def close(self) -> None:
        for client in self.clients.values():
            client.__exit__(None, None, None)


def verify_dataset(
    repo: Repository | None,
    config: Config,
    directory: Path,
    *,
    remote: bool = False,
    network: str | None = None,
    progress: Progress | None = None,
) -> DatasetVerdict:
    if repo is None and not remote:
        raise NotARepository(
            "checking records needs the repository they came from", hint="or use --remote"
        )
    progress = progress or NoProgress()
    verdict = DatasetVerdict(str(directory), remote=remote)
    _check_card(directory, verdict)
    named: set[str] = set()
    chain = _Remote(config, network) if remote else None
    progress.start("verifying", _count_lines(directory / croissant.RECORDS_FILE), "records")

    def local(record: dict[str, Any]) -> list[Finding]:
        """File and repository checks of one record (threads: mostly waiting on reads)."""
        found = [f for f in [_check_file(directory, record)] if f is not None]
        return found + (_check_repository(repo, record) if repo is not None else [])

    try:
        with ThreadPoolExecutor(_WORKERS, thread_name_prefix="dataset-verify") as pool:
            for window in _windows(_records(directory)):
                for record, found in zip(window, pool.map(local, window), strict=True):
                    progress.advance(1)
                    verdict.records += 1
                    named.add(str(record.get("file")))
                    if not str(record.get("file") or "").startswith("ipfs://"):
                        verdict.files_checked += 1
                    verdict.findings.extend(found)
                    if chain is not None and (on_chain := chain.check(record)) is not None:
                        verdict.findings.append(on_chain)
    finally:
        progress.done()
        if chain is not None:
            chain.close()
    files = directory / croissant.FILES_DIR
    if files.is_dir():
        for path in sorted(files.iterdir()):
            if f"{croissant.FILES_DIR}/{path.name}" not in named:
                verdict.findings.append(
                    Finding("extra", None, f"{croissant.FILES_DIR}/{path.name} is in no record")
                )
    return verdict
