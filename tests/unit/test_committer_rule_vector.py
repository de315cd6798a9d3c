"""The committer rule on the spec's real commit from the Numbers network.

Its committer is a profile Nid (as the reference tool writes), so its valid
signature by 0x63B7… is tied to nobody until the profile document says so.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.unit.test_tree_commit import REAL_COMMIT

from numbers_cli.errors import ExitCode
from numbers_cli.model.commit import Commit
from numbers_cli.model.nid import Nid
from numbers_cli.ops.policy import load_policy
from numbers_cli.ops.profiles import Profile, parse_profile
from numbers_cli.ops.signatures import check_signature

SIGNER = "0x63B7076FC0A914Af543C2e5c201df6C29FCC18c5"
PROFILE = Nid("bafkreigzixvzu2tbxbvmvwcvlz2zwoagmb6c2q5egaq4lmd5sesyopmmx4")


class Known:
    """Profiles as if read from a repository holding `document` under the commit's profile Nid."""

    def __init__(self, document: dict | None) -> None:
        self.document = document

    def lookup(self, nid: Nid) -> Profile:
        if self.document is None:
            return Profile(nid, (), "not found")
        return parse_profile(nid, json.dumps(self.document).encode())


def test_the_real_commit_is_well_formed_and_untied_without_its_profile() -> None:
    check = check_signature(Commit.from_json(REAL_COMMIT), Known(None))  # type: ignore[arg-type]
    assert (check.ok, check.signer, check.code) == (False, SIGNER, ExitCode.VERIFY_UNTIED)
    assert f"not tied to the committer {PROFILE}" in check.detail


def test_a_profile_naming_the_signer_ties_it() -> None:
    check = check_signature(Commit.from_json(REAL_COMMIT), Known({"wallet": SIGNER.lower()}))  # type: ignore[arg-type]
    assert (check.ok, check.code) == (True, ExitCode.OK)


def test_a_policy_allowing_the_signer_accepts_it(tmp_path: Path) -> None:
    path = tmp_path / "numbers.toml"
    path.write_text(f'[signers]\nallow = ["{SIGNER}"]\n')
    check = check_signature(Commit.from_json(REAL_COMMIT), Known(None), load_policy(path))  # type: ignore[arg-type]
    assert check.ok and "allowed by numbers.toml [signers]" in check.detail
