"""`nit dataset export DIR`: registered assets whose terms allow a use, as an AI dataset.

DIR gets (docs/formats.md, "Datasets"):
- `files/<nid><ext>`: each asset's file, read back from the store with every
  block re-hashed (or nothing, with `--no-files`: records link `ipfs://<nid>`);
- `records.jsonl`: one flat record per asset (`model.croissant.RECORD_FIELDS`):
  Nid, sha256, file, licence, creator, AI fields, usage terms, the latest
  commit and its on-chain record;
- `metadata.json` (`--format croissant`, the default): the Croissant card,
  which states the sha256 of `records.jsonl`.

Selection: every asset with a commit; `--license` keeps those whose latest tree
has one of the licences; `--since` those whose latest commit is that recent;
`--allow USE` those whose terms plainly allow every use asked (unknown is not
permission). When the governance contract is reachable its rules win over the
tree's (`ops.usage_rules`). What is left out is counted by reason.

Streamed in windows of 256 assets, whose reads (refs, commit, tree, file)
overlap on 8 threads, records written in Nid order: memory does not grow with
the number of assets (beyond the index, which `Repository` loads whole anyway). DIR appears whole or
not at all: everything is written into a temp directory beside it and renamed;
an existing non-empty DIR is refused unless `--force`, and then replaced only
once the new one is complete.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import mimetypes
import secrets
import shutil
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from numbers_cli.config import Config
from numbers_cli.errors import IntegrityError, NitError, UsageError
from numbers_cli.fsio import fsync_dir
from numbers_cli.model import croissant, usage
from numbers_cli.model.commit import Commit
from numbers_cli.model.nid import Nid
from numbers_cli.model.tree import LICENSES, AssetTree
from numbers_cli.model.unixfs import decode_file_node
from numbers_cli.ops.networks import resolve_network
from numbers_cli.ops.progress import NoProgress, Progress
from numbers_cli.ops.trees import iter_file, load_commit, tree_of
from numbers_cli.ops.usage_rules import RulesSource, chain_rules
from numbers_cli.repo.repository import Repository

FORMATS = ("croissant", "jsonl")


@dataclass(frozen=True)
class Selection:
    licenses: tuple[str, ...] = ()  # licence names, upper case (CC-BY-4.0, MIT, ...)
    uses: tuple[str, ...] = ()  # usage term keys that must be "allowed"
    since: int | None = None  # Unix seconds

    @classmethod
    def parse(
        cls,
        licenses: list[str] | tuple[str, ...],
        allow: list[str] | tuple[str, ...],
        since: str | None,
    ) -> Selection:
        names = tuple(
            (LICENSES[name.lower()]["name"] if name.lower() in LICENSES else name).upper()
            for name in licenses
        )
        uses = tuple(usage.term_for_use(u) for item in allow for u in item.split(",") if u)
        return cls(names, uses, parse_since(since) if since else None)


def parse_since(text: str) -> int:
    """`2024-05-01` or an ISO 8601 time (no zone: UTC) as Unix seconds."""
    try:
        when = datetime.datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"--since {text!r}: expected a date like 2024-05-01") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return int(when.timestamp())


@dataclass
class DatasetReport:
    out: str
    format: str
    files: bool
    considered: int = 0
    exported: int = 0
    bytes: int = 0
    excluded: Counter[str] = field(default_factory=Counter)
    terms_from_chain: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "out": self.out,
            "format": self.format,
            "files": self.files,
            "considered": self.considered,
            "exported": self.exported,
            "bytes": self.bytes,
            "excluded": dict(sorted(self.excluded.items())),
            "onChainRules": self.terms_from_chain,
        }


def check_destination(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise UsageError(
            f"{out} exists and is not empty; nothing was written", hint="--force replaces it"
        )


class _Chain:
    """Where each asset's latest commit is on chain, from `refs/remotes` (no RPC)."""

    def __init__(self, repo: Repository, config: Config, network: str | None) -> None:
        self.repo = repo
        remotes = repo.dir / "refs" / "remotes"
        names = [network] if network else [str(config.get("core.network"))]
        if not network and remotes.is_dir():
            names += sorted(p.name for p in remotes.iterdir() if p.name not in names)
        self.networks = names
        self.chain_ids: dict[str, int | None] = {}
        self.config = config

    def record(self, asset: Nid, commit: Nid) -> dict[str, Any]:
        for name in self.networks:
            for entry in self.repo.refs.remote_history(name, asset):
                if entry.commit == commit:
                    return {
                        "network": name,
                        "chainId": self._chain_id(name),
                        "tx": entry.tx_hash,
                        "block": entry.block,
                    }
        return {"network": None, "chainId": None, "tx": None, "block": None}

    def _chain_id(self, name: str) -> int | None:
        if name not in self.chain_ids:
            try:
                self.chain_ids[name] = resolve_network(self.config, name).chain_id
            except NitError:
                self.chain_ids[name] = None
        return self.chain_ids[name]


def _extension(path: str | None, mime: str) -> str:
    if path and PurePosixPath(path).suffix:
        return PurePosixPath(path).suffix.lower()
    return mimetypes.guess_extension(mime) or ""


def _size(repo: Repository, nid: Nid) -> int | None:
    try:
        block = repo.objects.get(nid)
    except NitError:
        return None
    return len(block) if nid.is_raw else decode_file_node(block).filesize


def _copy(repo: Repository, nid: Nid, target: Path, sha256: str) -> int:
    """Write the asset's verified bytes to `target`; the whole must hash to the tree's sha256."""
    digest = hashlib.sha256()
    size = 0
    with target.open("xb") as out:
        for piece in iter_file(repo, nid):
            digest.update(piece)
            out.write(piece)
            size += len(piece)
    if digest.hexdigest() != sha256:
        raise IntegrityError(f"{nid}: stored content does not hash to the tree's assetSha256")
    return size


def record_of(
    nid: Nid,
    commit_nid: Nid,
    commit: Commit,
    tree: AssetTree,
    terms: dict[str, str],
    terms_source: str,
    file: str,
    size: int | None,
    chain: dict[str, Any],
) -> dict[str, Any]:
    """One `records.jsonl` line, keys in `model.croissant.RECORD_KEYS` order."""
    lic = tree.get("license") or {}
    values: dict[str, Any] = {
        "nid": nid,
        "file": file,
        "sha256": tree.get("assetSha256"),
        "size": size,
        "encodingFormat": tree.get("encodingFormat"),
        "license": lic.get("name"),
        "licenseDocument": lic.get("document"),
        "creator": tree.get("assetCreator"),
        "abstract": tree.get("abstract"),
        "generatedBy": tree.get("generatedBy"),
        "generatedThrough": tree.get("generatedThrough"),
        "digitalSourceType": tree.get("digitalSourceType"),
        "parentAssetCid": tree.get("parentAssetCid"),
        **{key: terms.get(key) for key in usage.TERMS},
        "termsSource": terms_source,
        "commit": commit_nid,
        "assetTreeCid": commit.tree_cid,
        "committer": commit.get("committer"),
        "commitTimestamp": commit.get("timestampCreated"),
        **chain,
    }
    return {key: values.get(key) for key in croissant.RECORD_KEYS}


def _reason(
    tree: AssetTree, commit: Commit, selection: Selection, terms: dict[str, str]
) -> str | None:
    """Why an asset is left out, or None to keep it."""
    if selection.licenses:
        name = str((tree.get("license") or {}).get("name") or "").upper()
        if name not in selection.licenses:
            return "license"
    if selection.since is not None and int(commit.get("timestampCreated") or 0) < selection.since:
        return "since"
    refused = usage.refusals(terms, list(selection.uses))
    if refused:
        return f"terms:{refused[0]}"
    return None


def export_dataset(
    repo: Repository,
    config: Config,
    out: Path,
    *,
    selection: Selection | None = None,
    fmt: str = "croissant",
    files: bool = True,
    force: bool = False,
    network: str | None = None,
    rules: RulesSource | None = None,
    progress: Progress | None = None,
) -> DatasetReport:
    """Write the dataset (see the module doc); `rules` defaults to the chain's, if any."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown dataset format {fmt!r}; use {' or '.join(FORMATS)}")
    selection = selection or Selection()
    progress = progress or NoProgress()
    check_destination(out, force)
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = out.parent / f".{out.name}.{secrets.token_hex(4)}.tmp"
    temp.mkdir()
    owned = None
    try:
        owned = chain_rules(config, network) if rules is None else None
        rules = rules if rules is not None else owned
        report = DatasetReport(str(out), fmt, files, terms_from_chain=rules is not None)
        licenses = _write_records(
            repo, config, temp, selection, files, network, rules, report, progress
        )
        if fmt == "croissant":
            _write_card(temp, out.name, licenses, report)
        _replace(temp, out)
    finally:
        shutil.rmtree(temp, ignore_errors=True)
        if owned is not None:
            owned.close()
    return report


_WORKERS = 8  # reads of objects and files overlap (I/O releases the GIL)
_WINDOW = 256  # assets in flight: memory stays flat whatever the number of assets


@dataclass(frozen=True)
class _Outcome:
    considered: bool
    reason: str | None = None
    line: dict[str, Any] | None = None
    size: int = 0


def _write_records(
    repo: Repository,
    config: Config,
    temp: Path,
    selection: Selection,
    files: bool,
    network: str | None,
    rules: RulesSource | None,
    report: DatasetReport,
    progress: Progress,
) -> set[str]:
    chain = _Chain(repo, config, network)
    paths = {t.nid: p for p, t in repo.index().tracked.items()}
    rules_lock = threading.Lock()  # a RulesSource talks to one chain client
    licenses: set[str] = set()
    if files:
        (temp / croissant.FILES_DIR).mkdir()

    def one(nid: Nid) -> _Outcome:
        history = repo.refs.history(nid)
        if not history:
            return _Outcome(False)
        commit = load_commit(repo, history[-1])
        tree = tree_of(repo, commit)
        with rules_lock:
            on_chain = rules.usage_terms(nid) if rules is not None else None
        terms = usage.merged(usage.of_tree(tree.as_dict()), on_chain)
        reason = _reason(tree, commit, selection, terms)
        if reason is None and files and not repo.objects.has(nid):
            reason = "no-file"  # a history fetched without its file
        if reason is not None:
            return _Outcome(True, reason)
        mime = str(tree.get("encodingFormat"))
        if files:
            name = f"{croissant.FILES_DIR}/{nid}{_extension(paths.get(nid), mime)}"
            size: int | None = _copy(repo, nid, temp / name, str(tree.get("assetSha256")))
        else:
            name, size = f"ipfs://{nid}", _size(repo, nid)
        source = "chain" if on_chain else "tree"
        record = chain.record(nid, history[-1])
        line = record_of(nid, history[-1], commit, tree, terms, source, name, size, record)
        return _Outcome(True, None, line, size or 0)

    assets = repo.refs.assets()
    progress.start("exporting", len(assets), "assets")
    try:
        with (
            (temp / croissant.RECORDS_FILE).open("w", encoding="utf-8") as records,
            ThreadPoolExecutor(_WORKERS, thread_name_prefix="dataset") as pool,
        ):
            for at in range(0, len(assets), _WINDOW):
                for outcome in pool.map(one, assets[at : at + _WINDOW]):
                    progress.advance(1)
                    report.considered += outcome.considered
                    if outcome.reason is not None:
                        report.excluded[outcome.reason] += 1
                    if outcome.line is None:
                        continue
                    records.write(json.dumps(outcome.line, ensure_ascii=False) + "\n")
                    report.exported += 1
                    report.bytes += outcome.size
                    licence = outcome.line["licenseDocument"] or outcome.line["license"]
                    if licence:
                        licenses.add(str(licence))
    finally:
        progress.done()
    return licenses


def _write_card(temp: Path, name: str, licenses: set[str], report: DatasetReport) -> None:
    digest = hashlib.sha256()
    with (temp / croissant.RECORDS_FILE).open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    doc = croissant.card(
        name=name,
        description=(
            f"{report.exported} registered assets exported by nit (Numbers Protocol): "
            "each record names the asset's Nid, sha256, licence, usage terms, latest commit "
            "and its on-chain registration"
        ),
        records_sha256=digest.hexdigest(),
        licenses=licenses,
        date_published=datetime.datetime.now(datetime.UTC).date().isoformat(),
        version="1.0.0",
        url=f"urn:nit:dataset:{digest.hexdigest()}",
    )
    (temp / croissant.CARD_FILE).write_text(json.dumps(doc, indent=2) + "\n", "utf-8")


def _replace(temp: Path, out: Path) -> None:
    """Move the finished dataset into place; an old one goes only once the new one is there."""
    old: Path | None = None
    if out.exists():
        old = out.parent / f".{out.name}.{secrets.token_hex(4)}.old"
        out.rename(old)
    try:
        temp.rename(out)
    except BaseException:
        if old is not None:
            old.rename(out)
        raise
    fsync_dir(out.parent)
    if old is not None:
        with contextlib.suppress(OSError):
            shutil.rmtree(old)
