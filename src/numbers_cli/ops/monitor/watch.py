"""`nit monitor watch`: scan on a schedule and on new files; notify each finding once.

Every finding is keyed by (source, Nid) and appended to
`.numbers/monitor/findings.jsonl` before anyone is told, so a finding is
reported once even across restarts. A webhook that still fails after its
retries is kept in `outbox.jsonl` and tried again at the next round. Between
rounds, watched directories are polled every POLL seconds and new or changed
image files are scanned at once.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from numbers_cli.config import Config
from numbers_cli.errors import UsageError
from numbers_cli.fsio import atomic_write, make_dirs
from numbers_cli.model import json_input
from numbers_cli.monitor import notify
from numbers_cli.monitor.sources.file import image_files
from numbers_cli.ops.monitor.index import index_assets, iter_unindexed
from numbers_cli.ops.monitor.scan import scan
from numbers_cli.repo.repository import Repository

POLL = 1.0
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

Report = Callable[[str, dict[str, Any]], None]


def parse_duration(text: str) -> float:
    """Seconds in `30s`, `10m`, `2h`, `1d` or a plain number of seconds (at least 1 s)."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text)
    if not found:
        raise UsageError(f"--every {text!r}: use a number with s, m, h or d (e.g. 10m)")
    seconds = float(found.group(1)) * _UNITS[found.group(2) or "s"]
    if seconds < 1:
        raise UsageError("--every must be at least 1 second")
    return seconds


def finding_key(finding: dict[str, Any]) -> str:
    return hashlib.sha256(f"{finding['source']}\n{finding['nid']}".encode()).hexdigest()


class FindingLog:
    """findings.jsonl (what was reported) and outbox.jsonl (webhooks still owed)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.path = root / "findings.jsonl"
        self.outbox_path = root / "outbox.jsonl"
        make_dirs(root)
        self.seen: set[str] = set()
        if self.path.exists():
            for line in self.path.read_text("utf-8").splitlines():
                try:
                    self.seen.add(json_input.loads(line)["key"])
                except (ValueError, KeyError, TypeError):
                    continue  # a torn last line after a crash
        self.outbox: list[dict[str, Any]] = []
        if self.outbox_path.exists():
            for line in self.outbox_path.read_text("utf-8").splitlines():
                try:
                    self.outbox.append(json_input.loads(line))
                except ValueError:
                    continue

    def record(self, finding: dict[str, Any]) -> bool:
        """Append a new finding; False when it was reported before."""
        key = finding_key(finding)
        if key in self.seen:
            return False
        line = json.dumps(
            {"key": key, "at": int(time.time()), "finding": finding}, ensure_ascii=False
        )
        with self.path.open("a", encoding="utf-8") as f:
            f.write(line + "\n")
            f.flush()
        self.seen.add(key)
        return True

    def save_outbox(self) -> None:
        text = "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in self.outbox)
        atomic_write(self.outbox_path, text.encode())


def _snapshot(folders: list[tuple[str, Path]]) -> dict[str, tuple[int, int]]:
    """Image files of the watched folders, named as a scan of the folder names them."""
    state = {}
    for shown, folder in folders:
        for path in image_files(folder):
            try:
                st = path.stat()
            except OSError:
                continue
            state[f"{shown.rstrip('/')}/{path.relative_to(folder).as_posix()}"] = (
                st.st_mtime_ns,
                st.st_size,
            )
    return state


def _needs_indexing(repo: Repository) -> bool:
    from numbers_cli.monitor.store import CorruptIndex

    try:
        return any(True for _ in iter_unindexed(repo))
    except CorruptIndex:
        return True  # index_assets rebuilds it, and says so


def watch(
    repo: Repository,
    config: Config,
    sources: Sequence[str],
    *,
    cwd: Path,
    interval: float,
    webhooks: Sequence[str] = (),
    commands: Sequence[str] = (),
    rounds: int | None = None,
    min_score: float,
    timeout: float,
    jobs: int | None = None,
    report: Report,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Run until interrupted (or `rounds` scheduled scans); the number of new findings."""
    log = FindingLog(repo.monitor_dir)
    folders = [(s, cwd / s) for s in sources if not s.startswith("@") and (cwd / s).is_dir()]
    new = 0

    def deliver(finding: dict[str, Any]) -> None:
        for url in webhooks:
            try:
                notify.post_webhook(url, finding, sleep=sleep)
            except notify.DeliveryFailed as exc:
                log.outbox.append({"webhook": url, "finding": finding})
                report("error", {"source": finding["source"], "error": f"{exc}; will retry"})
        for command in commands:
            try:
                notify.run_command(command, finding)
            except notify.DeliveryFailed as exc:
                report("error", {"source": finding["source"], "error": str(exc)})

    def on_finding(finding: dict[str, Any]) -> None:
        nonlocal new
        if log.record(finding):
            new += 1
            report("finding", finding)
            deliver(finding)

    # Notes and errors of the last full round: a note (a network that does not answer,
    # say) or a source's error (a page that is gone) is reported when it first
    # appears, not again each round while it stays the same; again once it changes,
    # or after a full round without it (the source recovered, then failed anew).
    standing: set[str] = set()
    failing: set[tuple[str, str]] = set()

    def run(targets: Sequence[str], *, full: bool) -> None:
        nonlocal standing, failing
        result = scan(
            repo,
            config,
            targets,
            cwd=cwd,
            min_score=min_score,
            timeout=timeout,
            jobs=jobs,
            on_finding=on_finding,
        )
        for note in dict.fromkeys(result.notes):
            if note not in standing:
                report("note", {"note": note})
        standing = set(result.notes) if full else standing | set(result.notes)
        errors = {(e.get("source", ""), e.get("error", "")): e for e in result.errors}
        for key, error in errors.items():
            if key not in failing:
                report("error", error)
        failing = set(errors) if full else failing | set(errors)

    def retry_outbox() -> None:
        pending, log.outbox = log.outbox, []
        for item in pending:
            try:
                notify.post_webhook(item["webhook"], item["finding"], sleep=sleep)
            except notify.DeliveryFailed:
                log.outbox.append(item)
        log.save_outbox()

    done = 0
    while True:
        if _needs_indexing(repo):
            for note in index_assets(repo, jobs=jobs).notes:  # assets committed meanwhile
                report("note", {"note": note})
        retry_outbox()
        before = _snapshot(folders)
        run(sources, full=True)
        log.save_outbox()
        done += 1
        if rounds is not None and done >= rounds:
            return new
        deadline = clock() + interval
        while clock() < deadline:
            sleep(min(POLL, max(0.0, deadline - clock())))
            now = _snapshot(folders)
            changed = [p for p, st in now.items() if before.get(p) != st]
            before = now
            if changed:
                run(changed, full=False)
                log.save_outbox()
