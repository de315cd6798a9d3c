"""Many files and files that did not change: what `add`, `commit` and `status` do.

An unchanged tracked file costs one `stat` (size, mtime, inode, as git's index
does): proven here by changing its bytes behind nit's back while keeping its
stat, which a re-read would notice. A file written in the same moment it was
recorded is not trusted that way ("racily clean"). Long lists are summarised
for people, sorted by path, and progress counts files when there are many.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from tests.conftest import MEDIA, ok

from numbers_cli.ops import add as add_op
from numbers_cli.ops import commit as commit_op
from numbers_cli.repo.repository import Repository
from numbers_cli.wallet import Signer, parse_private_key

PHOTO = "Canon_40D.jpg"


def same_stat_other_bytes(path: Path) -> None:
    """Rewrite bytes in place and put size, mtime and inode back as they were."""
    st = path.stat()
    with path.open("r+b") as f:
        f.seek(st.st_size // 2)
        f.write(b"\x00\x11\x22")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (
        st.st_size,
        st.st_mtime_ns,
        st.st_ino,
    )


def test_an_unchanged_tracked_file_is_not_read_again(nit, repo, media, signing_key):
    (photo,) = media(PHOTO)
    past = time.time() - 3600
    os.utime(photo, (past, past))
    ok(nit("add", PHOTO))
    ok(nit("commit", "-m", "x"))
    same_stat_other_bytes(photo)
    (again,) = json.loads(ok(nit("add", PHOTO, "--json")).stdout)
    assert again["kind"] == "unchanged"  # trusted the stat: the bytes were not read
    # Options still apply without reading it: an update of the same asset.
    (update,) = json.loads(ok(nit("add", PHOTO, "--license", "mit", "--json")).stdout)
    assert (update["kind"], update["nid"]) == ("update", again["nid"])
    os.utime(photo)  # the stat moved: now it is read, and the edit is seen
    (edited,) = json.loads(ok(nit("add", PHOTO, "--json")).stdout)
    assert edited["kind"] == "derive" and edited["nid"] != again["nid"]


def test_a_racily_clean_file_is_read_again(nit, repo, media, signing_key):
    """Recorded in the same moment it was written: its mtime cannot vouch for it."""
    (photo,) = media(PHOTO)  # written just now
    ok(nit("add", PHOTO))
    ok(nit("commit", "-m", "x"))
    same_stat_other_bytes(photo)
    (again,) = json.loads(ok(nit("add", PHOTO, "--json")).stdout)
    assert again["kind"] == "derive"


def make_files(folder: Path, count: int) -> list[str]:
    names = []
    for i in range(count):
        sub = folder / f"d{i % 7}"
        sub.mkdir(parents=True, exist_ok=True)
        path = sub / f"f{count - i:04d}.bin"  # created out of path order
        path.write_bytes(os.urandom(64) + i.to_bytes(4, "big"))
        names.append(path.relative_to(folder.parent).as_posix())
    return sorted(names)


def test_status_of_many_assets_is_a_summary_sorted_by_path(nit, repo, signing_key):
    names = make_files(repo / "many", 120)
    added = ok(nit("add", "many"))
    assert added.stdout.strip().splitlines() == [
        "120 files (8.0 KiB): 120 new; `nit status` lists them"
    ]
    text = ok(nit("status")).stdout
    assert "  120 assets: 120 new" in text and "nit status --long" in text
    assert len(text.splitlines()) < 6
    long = ok(nit("status", "--long")).stdout.splitlines()
    listed = [line.split()[-1] for line in long if line.startswith("  new")]
    assert listed == names  # sorted by path
    staged = json.loads(ok(nit("status", "--json")).stdout)["staged"]
    assert [s["path"] for s in staged] == names

    committed = ok(nit("commit", "-m", "x")).stdout.splitlines()
    assert committed == ["120 commits signed by " + signing_key]
    status = ok(nit("status")).stdout
    assert "120 commits of 120 assets" in status
    unpushed = json.loads(ok(nit("status", "--json")).stdout)["unpushed"]
    assert [u["path"] for u in unpushed] == names


class Recorder:
    def __init__(self) -> None:
        self.started: list[tuple[str, int, str]] = []
        self.advanced = 0

    def start(self, label: str, total: int, unit: str = "bytes") -> None:
        self.started.append((label, total, unit))

    def advance(self, amount: int) -> None:
        self.advanced += amount

    def done(self) -> None:
        pass


def test_progress_counts_files_and_commits_when_there_are_many(repo, signing_key, private_key):
    make_files(repo / "many", 250)
    shutil.copyfile(MEDIA / PHOTO, repo / PHOTO)
    store = Repository.find(repo)
    adding = Recorder()
    results = add_op.add(store, [repo / "many", repo / PHOTO], progress=adding)
    assert len(results) == 251
    assert adding.started == [("adding", 251, "files")] and adding.advanced == 251
    signing = Recorder()
    commit_op.commit(store, Signer(parse_private_key(private_key)), "x", progress=signing)
    assert signing.started == [("signing", 251, "commits")] and signing.advanced == 251


def test_progress_counts_bytes_for_a_few_files(repo):
    shutil.copyfile(MEDIA / PHOTO, repo / PHOTO)
    adding = Recorder()
    add_op.add(Repository.find(repo), [repo / PHOTO], progress=adding)
    size = (repo / PHOTO).stat().st_size
    assert adding.started == [("adding", size, "bytes")] and adding.advanced == size
