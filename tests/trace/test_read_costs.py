"""What `nit trace --remote` and `nit proof verify` cost in round trips and imports.

Behaviour, not time (bench/bench_trace.py measures time): a trace reads a whole
generation of descendants from the chain in batched requests, so the number of
HTTP requests it makes does not grow with the number of descendants; the batched
reads give exactly what the per-asset reads give; and an offline proof check loads
no network client, no eth-abi/eth-account/web3 and no pycryptodome.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import Nit, ok
from tests.support.anvil import Anvil
from tests.support.chain_history import made_commit

from numbers_cli.chain import ChainClient, Network
from numbers_cli.chain.rpc import JsonRpc
from numbers_cli.model.nid import Nid
from numbers_cli.repo.repository import Repository


def _lineage(repo: Path, chain: ChainClient, key: str, label: str, children: int) -> list[str]:
    """A subject with `children` derived assets (parentAssetCid), all committed here and
    registered on chain, as `nit push` leaves them. [subject, *children]."""
    subject = str(Nid.of_bytes(f"subject {label}".encode()))
    items = [(subject, *made_commit(subject, key, note="the original"))]
    for k in range(children):
        child = str(Nid.of_bytes(f"child {k} of {label}".encode()))
        commit_data, tree = made_commit(
            child, key, note=f"derived {k}", tree_extra={"parentAssetCid": subject}
        )
        items.append((child, commit_data, tree))
    store = Repository(repo)
    with store.transaction() as txn:
        for asset, commit_data, tree in items:
            store.objects.put_block(Nid.of_bytes(tree), tree)
            data = commit_data.encode()
            store.objects.put_block(Nid.of_bytes(data), data)
            txn.append_commit(asset, Nid.of_bytes(data))
    chain.send_commits([(asset, commit_data) for asset, commit_data, _ in items], key)
    return [asset for asset, _, _ in items]


@pytest.fixture
def posts(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every HTTP request a JsonRpc sends (its JSON payload), in order."""
    sent: list[Any] = []
    real = JsonRpc._post

    def counted(self: JsonRpc, payload: Any) -> Any:
        sent.append(payload)
        return real(self, payload)

    monkeypatch.setattr(JsonRpc, "_post", counted)
    return sent


def test_trace_reads_a_generation_in_batches(
    nit: Nit, repo: Path, on_chain: Network, chain: ChainClient, anvil: Anvil, posts: list[Any]
) -> None:
    small = _lineage(repo, chain, anvil.keys[1], "small", 2)
    large = _lineage(repo, chain, anvil.keys[1], "large", 7)
    requests_made = {}
    for lineage in (small, large):
        posts.clear()
        result = nit("trace", lineage[0], "--remote", "--json")
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert report["ok"] and {n["nid"] for n in report["nodes"]} == set(lineage)
        for node in report["nodes"]:
            assert node["where"]["chain"] == "found"
            (version,) = node["versions"]
            assert version["verdict"] == "ok" and version["where"]["chain"]["block"] > 0
        requests_made[len(lineage)] = len(posts)
    # 2 or 7 descendants: the same requests (the subject's reads, then one batch of
    # getCommits and one of eth_getLogs for the whole generation), not 2 per asset.
    assert requests_made[len(small)] == requests_made[len(large)], requests_made
    getlogs = [p for p in posts if isinstance(p, list) and p[0]["method"] == "eth_getLogs"]
    assert [len(p) for p in getlogs] == [1, len(large) - 1]  # the subject's, the generation's


def test_batched_histories_are_the_per_asset_reads(
    repo: Path, on_chain: Network, chain: ChainClient, anvil: Anvil
) -> None:
    lineage = _lineage(repo, chain, anvil.keys[2], "batched", 4)
    for asset in lineage[1:3]:  # a second commit of two of them, in later blocks
        chain.send_commits(
            [(asset, made_commit(asset, anvil.keys[2], note="v2")[0])], anvil.keys[2]
        )
    nobody = str(Nid.of_bytes(b"never registered"))
    found = chain.commit_histories([*lineage, nobody])
    assert set(found) == {*lineage, nobody}
    assert found[nobody] == ([], [])
    for asset in lineage:
        blocks, records = found[asset]
        assert blocks == chain.get_commits(asset)
        assert records == chain.commit_logs(asset, blocks)
        assert len(records) == (2 if asset in lineage[1:3] else 1)


_OFFLINE_IMPORTS = """
import sys
from numbers_cli.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
loaded = [m for m in ("requests", "urllib3", "web3", "eth_abi", "eth_account", "Crypto",
                      "numbers_cli.chain.client", "numbers_cli.ops.proof.export",
                      "numbers_cli.ops.remote_history") if m in sys.modules]
print(code, ",".join(loaded), file=sys.stderr)
"""


def test_offline_proof_verify_loads_no_network_stack(
    nit: Nit, repo: Path, asset: str, registered: Any
) -> None:
    ok(nit("proof", "export", asset, "--no-content", "-o", "proof.json"))
    bundle = json.loads((repo / "proof.json").read_text())
    (repo / "trusted.txt").write_text("\n".join(bundle["headers"]) + "\n")
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _OFFLINE_IMPORTS,
            "proof",
            "verify",
            "proof.json",
            "--trusted-block",
            "@trusted.txt",
            "--json",
        ],
        capture_output=True,
        text=True,
        cwd=repo,
        check=False,
    )
    assert json.loads(done.stdout)["ok"], done.stdout
    assert done.stderr.strip() == "0", done.stderr  # exit 0, and nothing of the list loaded
