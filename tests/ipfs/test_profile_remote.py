"""A profile committer that is not in the repository is resolved through the IPFS remote.

The profile document is put on the real js-ipfs node only; `nit verify` must
fetch it (re-hashed), keep it, and tie the signer to the committer with it.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_committer_rule import PHOTO, place_commit, recommitted
from tests.conftest import TEST_ADDRESS, Nit, ok
from tests.support.ipfs_node import IpfsNode

from numbers_cli.model.nid import Nid
from numbers_cli.repo.repository import Repository


def test_verify_fetches_the_profile_from_the_remote(
    nit: Nit, repo: Path, media, signing_key: str, private_key: str, ipfs_node: IpfsNode, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    media(PHOTO)
    ok(nit("add", PHOTO))
    ok(nit("commit", "-m", "original"))
    info = json.loads(ok(nit("show", PHOTO, "--json")).stdout)

    document = tmp_path / "profile.json"
    document.write_text(json.dumps({"name": "Ann Lee", "wallet": TEST_ADDRESS, "n": str(tmp_path)}))
    profile = ipfs_node.add(document)
    assert profile == Nid.of_bytes(document.read_bytes())
    place_commit(
        repo, info["asset"], recommitted(info["commit"], committer=profile, key=private_key)
    )

    # Without a remote the profile cannot be had: not tied.
    assert nit("verify", PHOTO).exit_code == 15
    assert not Repository(repo).objects.has(Nid(profile))

    ok(nit("remote", "add", "node", ipfs_node.api_url))
    result = ok(nit("verify", PHOTO))
    assert f"a wallet of the committer's profile {profile}" in result.stdout
    assert Repository(repo).objects.has(Nid(profile))  # kept, so the next verify is offline
