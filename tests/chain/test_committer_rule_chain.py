"""The committer rule on what a chain holds: `nit log --remote` and `nit fetch`.

Anyone can register anything under any Nid, so the chain carries commits with
a string committer (malformed, 14), with a profile committer nobody can
resolve (untied, 15), with a profile naming the signer (fine), and with a
profile naming someone else (13). Against a real anvil.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Nit, ok
from tests.support.anvil import Anvil
from tests.support.chain_history import commit_nid, made_commit, signer

from numbers_cli.chain import ChainClient, Network
from numbers_cli.model import jsjson
from numbers_cli.model.nid import Nid
from numbers_cli.repo.repository import Repository

ASSET = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"


def with_committer(commit_data: str, committer: str) -> str:
    """The same signed commit naming another committer (a forger needs no key for this)."""
    commit = jsjson.parse(commit_data)
    commit["committer"] = committer
    return jsjson.stringify(commit)


def profile(document: dict) -> tuple[str, bytes]:
    data = json.dumps(document).encode("utf-8")
    return str(Nid.of_bytes(data)), data


def register(chain: ChainClient, anvil: Anvil, *commits: str) -> None:
    chain.send_commits([(ASSET, c) for c in commits], anvil.keys[3])


def test_log_remote_flags_each_kind_and_exits_with_the_worst(
    nit: Nit, repo: Path, on_chain: Network, chain: ChainClient, anvil: Anvil
) -> None:
    key = anvil.keys[2]
    me = signer(key).address
    tied, tied_doc = profile({"wallet": me})
    elsewhere, _ = profile({"wallet": me, "kept": "nowhere"})
    Repository(repo).objects.put(tied_doc)

    good, _ = made_commit(ASSET, key, note="good")
    by_profile = with_committer(made_commit(ASSET, key, note="profile")[0], tied)
    untied = with_committer(made_commit(ASSET, key, note="untied")[0], elsewhere)
    register(chain, anvil, good, by_profile, untied)

    result = nit("log", ASSET, "--remote", "--json")
    assert result.exit_code == 15, result.output
    entries = json.loads(result.stdout)
    assert [e["signatureValid"] for e in entries] == [True, True, False]
    assert "a wallet of the committer's profile" in entries[1]["signatureDetail"]
    assert f"not tied to the committer {elsewhere}" in entries[2]["signatureDetail"]

    register(chain, anvil, with_committer(good, "mallory"))
    text = nit("log", ASSET, "--remote")
    assert text.exit_code == 14  # malformed beats untied
    assert "1 of 4" not in text.stderr and "2 of 4 listed commits" in text.stderr


def test_fetch_keeps_untied_commits_and_leaves_out_malformed_ones(
    nit: Nit, repo: Path, on_chain: Network, chain: ChainClient, anvil: Anvil
) -> None:
    key = anvil.keys[2]
    elsewhere, _ = profile({"wallet": signer(key).address, "kept": "nowhere"})
    good, _ = made_commit(ASSET, key, note="good")
    untied = with_committer(made_commit(ASSET, key, note="untied")[0], elsewhere)
    malformed = with_committer(made_commit(ASSET, key, note="forged")[0], "mallory")
    other, _ = profile({"wallet": signer(anvil.keys[4]).address})
    Repository(repo).objects.put(json.dumps({"wallet": signer(anvil.keys[4]).address}).encode())
    wrong = with_committer(made_commit(ASSET, key, note="wrong profile")[0], other)
    register(chain, anvil, good, untied, malformed, wrong)

    result = nit("fetch", ASSET, "--json")
    assert result.exit_code == 14, result.output
    report = json.loads(result.stdout)
    assert [(r["index"], r["exitCode"]) for r in report["rejected"]] == [(2, 14), (3, 13)]
    assert [(u["index"], u["exitCode"]) for u in report["untied"]] == [(1, 15)]
    assert report["fetched"] == 2

    log = json.loads(ok(nit("log", ASSET, "--json")).stdout)
    assert [c["commitCid"] for c in log] == [commit_nid(untied), commit_nid(good)]  # newest first
    assert not Repository(repo).objects.has(commit_nid(malformed))
