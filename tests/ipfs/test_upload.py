"""upload_objects against the real node: exact blocks, pins, skips, resumes, failures."""

from __future__ import annotations

import contextlib
import io
import os
import socket
import threading
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.conftest import Nit
from tests.ipfs.conftest import Committed, closed_port, commit_file
from tests.support.ipfs_node import IpfsNode, IpfsNodeError

from numbers_cli.errors import ConfigError, ExitCode, IntegrityError, NetworkError
from numbers_cli.ipfs.remote import Remote
from numbers_cli.model import car
from numbers_cli.model.nid import Nid
from numbers_cli.ops.upload import RemoteState, upload_objects
from numbers_cli.repo.repository import Repository

MIB = 1024 * 1024


class Recording:
    """A Progress that remembers what it saw and can play Ctrl-C after `stop_after` bytes."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.stop_after = stop_after
        self.starts: list[tuple[str, int]] = []
        self.advanced = 0
        self.dones = 0

    def start(self, label: str, total: int) -> None:
        self.starts.append((label, total))

    def advance(self, amount: int) -> None:
        self.advanced += amount
        if self.stop_after is not None and self.advanced >= self.stop_after:
            self.stop_after = None
            raise KeyboardInterrupt

    def done(self) -> None:
        self.dones += 1


def pinned_on(node: IpfsNode, cid: str) -> bool:
    try:
        node.rpc("pin/ls", {"arg": cid, "type": "recursive", "timeout": "5s"})
    except IpfsNodeError as exc:
        assert "not pinned" in str(exc)
        return False
    return True


def record_lines(repo: Path, remote: str) -> list[str]:
    path = repo / ".numbers" / "remotes" / remote / "pinned"
    return path.read_text().splitlines() if path.exists() else []


def blocks_of_car(data: bytes) -> dict[bytes, bytes]:
    stream = io.BytesIO(data)
    car.read_header_roots(stream)
    return {cid: block for cid, block, _ in car.iter_blocks(stream)}


@pytest.fixture
def commit_random(nit: Nit, repo: Path, signing_key: str) -> Callable[[str, int], Committed]:
    """Commits a file NAME of SIZE random bytes in the test's repository (signed)."""

    def commit(name: str, size: int) -> Committed:
        return commit_file(nit, repo, name, os.urandom(size))

    return commit


@pytest.fixture
def big(commit_random: Callable[[str, int], Committed]) -> Committed:
    """A committed 3 MiB file (12 leaves and a root, stored as a pack)."""
    return commit_random("big.bin", 3 * MIB)


def test_small_file_tree_and_commit(
    repo: Path,
    repo_obj: Repository,
    commit_random: Callable[[str, int], Committed],
    ipfs_node: IpfsNode,
    node_remote: Remote,
) -> None:
    small = commit_random("small.txt", 2000)
    progress = Recording()
    results = upload_objects(repo_obj, node_remote, small.cids, progress)
    assert [r.status for r in results] == ["uploaded"] * 3
    assert [r.cid for r in results] == small.cids
    assert all(r.segments_sent == 1 for r in results)
    for cid in small.cids:
        assert ipfs_node.rpc("block/get", {"arg": cid, "timeout": "5s"}) == repo_obj.objects.get(
            cid
        )
        assert pinned_on(ipfs_node, cid)
    assert record_lines(repo, "node") == small.cids
    assert progress.dones == len(progress.starts) == 3
    assert progress.advanced == sum(total for _, total in progress.starts)


def test_multi_block_file_arrives_as_our_exact_blocks(
    repo: Path, repo_obj: Repository, big: Committed, ipfs_node: IpfsNode, node_remote: Remote
) -> None:
    (result,) = upload_objects(repo_obj, node_remote, [big.file], segment_bytes=MIB)
    assert result.status == "uploaded" and result.segments_sent == 3
    assert ipfs_node.rpc("cat", {"arg": big.file, "timeout": "10s"}) == big.path.read_bytes()
    exported = blocks_of_car(ipfs_node.rpc("dag/export", {"arg": big.file, "timeout": "10s"}))
    ours = blocks_of_car((repo / ".numbers/objects/pack" / f"{big.file}.car").read_bytes())
    assert exported == ours and len(ours) == 13
    assert pinned_on(ipfs_node, big.file)


def test_second_call_sends_nothing(
    repo_obj: Repository,
    commit_random: Callable[[str, int], Committed],
    ipfs_node: IpfsNode,
    node_remote: Remote,
) -> None:
    small = commit_random("again.txt", 3000)
    upload_objects(repo_obj, node_remote, small.cids)
    # Unpin on the node behind our back: a call that asked or sent anything would pin again.
    for cid in small.cids:
        ipfs_node.rpc("pin/rm", {"arg": cid})
    progress = Recording()
    results = upload_objects(repo_obj, node_remote, [*small.cids, small.file], progress)
    assert [r.status for r in results] == ["skipped"] * 3  # and the duplicate is dropped
    assert progress.starts == [] and progress.advanced == 0
    assert not any(pinned_on(ipfs_node, cid) for cid in small.cids)


def test_objects_the_node_already_pinned_are_not_sent(
    repo: Path, repo_obj: Repository, big: Committed, node_remote: Remote
) -> None:
    upload_objects(repo_obj, node_remote, [big.file], segment_bytes=MIB)
    (repo / ".numbers/remotes/node/pinned").unlink()  # e.g. another clone pushed it
    (result,) = upload_objects(repo_obj, node_remote, [big.file], segment_bytes=MIB)
    assert result.status == "present" and result.bytes_sent == 0
    assert record_lines(repo, "node") == [big.file]


def test_interrupted_upload_resumes_after_the_last_acknowledged_segment(
    repo: Path, repo_obj: Repository, big: Committed, ipfs_node: IpfsNode, node_remote: Remote
) -> None:
    with pytest.raises(KeyboardInterrupt):  # Ctrl-C in the middle of the second segment
        upload_objects(
            repo_obj, node_remote, [big.file], Recording(stop_after=3 * MIB // 2), segment_bytes=MIB
        )
    state = RemoteState(repo_obj, node_remote)
    assert state.blocks_done(big.file) == 5  # the root and 4 leaves: segment 1
    assert record_lines(repo, "node") == []
    assert not pinned_on(ipfs_node, big.file)

    progress = Recording()
    (result,) = upload_objects(repo_obj, node_remote, [big.file], progress, segment_bytes=MIB)
    assert result.status == "uploaded" and result.resumed_blocks == 5 and not result.restarted
    assert result.segments_sent == 2
    assert 2 * MIB < result.bytes_sent < 2 * MIB + 4096  # 8 leaves and the CAR framing
    assert progress.advanced == 3 * MIB == progress.starts[0][1]  # the skipped part counts too
    assert ipfs_node.rpc("cat", {"arg": big.file, "timeout": "10s"}) == big.path.read_bytes()
    assert record_lines(repo, "node") == [big.file]
    assert state.blocks_done(big.file) == 0  # the upload record is gone


class Forwarder:
    """A TCP port that forwards each new connection to `target`, which can be switched.

    So one URL can stand for a node that later loses blocks. (js-ipfs 0.66
    cannot be made to lose them itself here: after an aborted `dag/import` it
    holds its GC lock for ever, so `repo/gc` and `block/rm` hang.)
    """

    def __init__(self, target: str) -> None:
        self.target = target
        self._server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            host, port = self.target.removeprefix("http://").split(":")
            upstream = socket.create_connection((host, int(port)))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self._server.close()


def test_resumed_upload_starts_over_once_if_the_node_lost_blocks(
    repo: Path, repo_obj: Repository, big: Committed, ipfs_node: IpfsNode, fresh_node: IpfsNode
) -> None:
    forwarder = Forwarder(ipfs_node.api_url)
    remote = Remote("moving", forwarder.url, "kubo", timeout=3.0)
    try:
        with pytest.raises(KeyboardInterrupt):
            upload_objects(
                repo_obj, remote, [big.file], Recording(stop_after=3 * MIB // 2), segment_bytes=MIB
            )
        forwarder.target = fresh_node.api_url  # same URL, but segment 1 is not there
        (result,) = upload_objects(repo_obj, remote, [big.file], segment_bytes=MIB)
    finally:
        forwarder.close()
    assert result.restarted and result.resumed_blocks == 5
    assert result.segments_sent == 2 + 3  # the rest, then everything again
    assert fresh_node.rpc("cat", {"arg": big.file, "timeout": "10s"}) == big.path.read_bytes()
    assert record_lines(repo, "moving") == [big.file]


def test_node_down_is_a_network_error_and_nothing_is_recorded(
    repo: Path, repo_obj: Repository, commit_random: Callable[[str, int], Committed]
) -> None:
    small = commit_random("down.txt", 100)
    remote = Remote("down", f"http://127.0.0.1:{closed_port()}", "kubo", timeout=5.0)
    started = time.monotonic()
    with pytest.raises(NetworkError, match="cannot reach IPFS remote 'down'") as err:
        upload_objects(repo_obj, remote, small.cids)
    assert err.value.exit_code == ExitCode.NETWORK
    assert time.monotonic() - started < 5
    assert not (repo / ".numbers/remotes/down").exists()


def test_cli_reports_a_node_down_in_one_line_with_exit_9(
    nit: Nit, repo: Path, signing_key: str
) -> None:
    """The same failure through `nit cat --remote`, as a user sees it."""
    port = closed_port()
    assert nit("remote", "add", "down", f"http://127.0.0.1:{port}").exit_code == 0
    result = nit("cat", str(Nid.of_bytes(b"not here " + os.urandom(4))))
    assert result.exit_code == 9
    assert result.stderr.count("\n") == 1 and "cannot reach IPFS remote 'down'" in result.stderr


def test_a_corrupt_local_block_is_not_sent(
    repo: Path, repo_obj: Repository, big: Committed, node_remote: Remote
) -> None:
    pack = repo / ".numbers/objects/pack" / f"{big.file}.car"
    pack.chmod(0o644)
    data = bytearray(pack.read_bytes())
    data[len(data) // 2] ^= 0xFF  # inside a leaf
    pack.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match="corrupt"):
        upload_objects(repo_obj, node_remote, [big.file], segment_bytes=MIB)
    assert record_lines(repo, "node") == []


def test_memory_stays_flat_while_streaming(
    repo_obj: Repository, commit_random: Callable[[str, int], Committed], node_remote: Remote
) -> None:
    large = commit_random("eight.bin", 8 * MIB)
    tracemalloc.start()
    try:
        upload_objects(repo_obj, node_remote, [large.file], segment_bytes=4 * MIB)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * MIB, f"peak {peak / MIB:.1f} MiB for an 8 MiB upload"


def test_gateway_remotes_are_read_only(repo_obj: Repository) -> None:
    remote = Remote("gw", "https://ipfs.io", "gateway")
    with pytest.raises(ConfigError, match="read-only gateway"):
        upload_objects(repo_obj, remote, [Nid.of_bytes(b"x")])


def test_numbers_remote_refuses_multi_block_files_before_sending(
    repo_obj: Repository, big: Committed
) -> None:
    from numbers_cli.ipfs.remote import Auth

    remote = Remote(
        "capture", f"http://127.0.0.1:{closed_port()}", "numbers", Auth("token", "", "t")
    )
    with pytest.raises(ConfigError, match="re-chunks them"):
        upload_objects(repo_obj, remote, [big.file])


# --- the local record ------------------------------------------------------------------


def test_pinned_record_ignores_and_repairs_a_torn_line(
    repo_obj: Repository, node_remote: Remote
) -> None:
    first, second = Nid.of_bytes(b"first"), Nid.of_bytes(b"second")
    state = RemoteState(repo_obj, node_remote)
    state.record_pinned(first)
    with state.pinned_path.open("a") as f:
        f.write(str(second)[:20])  # a crash in the middle of the next append
    reread = RemoteState(repo_obj, node_remote)
    assert reread.is_pinned(first) and not reread.is_pinned(second)
    reread.record_pinned(second)
    assert RemoteState(repo_obj, node_remote).is_pinned(second)
    assert state.pinned_path.read_text().splitlines() == [first, str(second)[:20], second]


def test_pinned_record_belongs_to_the_remotes_url(
    repo_obj: Repository, node_remote: Remote
) -> None:
    cid = Nid.of_bytes(b"somewhere")
    RemoteState(repo_obj, node_remote).record_pinned(cid)
    assert RemoteState(repo_obj, node_remote).is_pinned(cid)
    moved = Remote(node_remote.name, "http://127.0.0.1:1", "kubo")
    assert not RemoteState(repo_obj, moved).is_pinned(cid)
