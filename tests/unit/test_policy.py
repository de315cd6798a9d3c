"""`--policy` files: what they may say, and one clear line for everything they may not."""

from __future__ import annotations

from pathlib import Path

import pytest

from numbers_cli.errors import ConfigError
from numbers_cli.ops.policy import load_policy, parse_duration

ANN = "0x63B7076FC0A914Af543C2e5c201df6C29FCC18c5"
BOB = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
NID = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"


def policy_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(text)
    return path


def test_signer_rules_by_default_licence_and_asset(tmp_path: Path) -> None:
    policy = load_policy(
        policy_file(
            tmp_path,
            f"""
[signers]
allow = ["{ANN}"]

[[signers.rules]]
allow = ["{BOB.lower()}"]
licenses = ["CC-BY-4.0"]
assets = ["{NID}"]
""",
        )
    )
    assert policy.restricts_signers
    assert policy.signer_rule(ANN.lower(), None, None) == "policy.toml [signers]"
    assert policy.signer_rule(BOB, NID, "CC-BY-4.0") == "policy.toml [[signers.rules]] #1"
    assert policy.signer_rule(BOB, NID, "MIT") is None  # every selector must match
    assert policy.signer_rule(BOB, "bafkreiother", "CC-BY-4.0") is None
    refused = policy.check_signer(BOB, NID, "MIT")
    assert not refused.ok and "for licence MIT" in refused.detail


def test_no_signers_table_restricts_no_signer(tmp_path: Path) -> None:
    policy = load_policy(policy_file(tmp_path, '[require]\nfields = ["license"]\n'))
    assert not policy.restricts_signers
    assert policy.signer_rule(ANN, None, None) is None


def test_require_rules(tmp_path: Path) -> None:
    policy = load_policy(
        policy_file(
            tmp_path,
            '[require]\nfields = ["license", "digitalSourceType"]\nmax_age = "2d"\nnft = true\n',
        )
    )
    tree = {"license": {"name": "MIT"}, "nftRecord": [{"tokenId": "1"}]}
    results = policy.check_asset(tree, latest_timestamp=1_000_000, now=1_000_000 + 86400)
    assert [(r.ok, r.rule) for r in results] == [
        (True, "policy.toml [require] fields"),
        (False, "policy.toml [require] fields"),
        (True, "policy.toml [require] max_age"),
        (True, "policy.toml [require] nft"),
    ]
    assert "lacks digitalSourceType" in results[1].detail
    stale = policy.check_asset(tree, latest_timestamp=0, now=3 * 86400 + 1)
    assert not stale[2].ok and "older than" in stale[2].detail
    assert not policy.check_asset({}, None)[3].ok  # no NFT recorded, no tree field


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[signers\nallow = []", "policy.toml: "),  # TOML syntax: tomli names line and column
        ('[signers]\nallow = ["0x1"]\n', "signers.allow (line 2): '0x1' is not a 0x-address"),
        ('\n\n[require]\nfield = ["license"]\n', "require.field (line 4): unknown key"),
        ('colour = "blue"\n', "colour (line 1): unknown key"),
        ('[require]\nmax_age = "soon"\n', "require.max_age (line 2): 'soon' is not a duration"),
        ("[require]\nnft = 1\n", "require.nft (line 2): must be true or false"),
        ("version = 2\n", "version (line 1): unknown policy version 2"),
        ('[[signers.rules]]\nallow = []\nassets = ["x"]\n', "signers.rules.assets (line 3)"),
        ('[[signers.rules]]\nallow = []\nwho = "x"\n', "signers.rules.who (line 3): unknown key"),
        ("signers = 3\n", "signers (line 1): must be a table"),
    ],
)
def test_mistakes_name_the_key_and_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_policy(policy_file(tmp_path, text))
    assert message in caught.value.message
    assert "\n" not in caught.value.message


def test_a_missing_policy_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_policy(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 90), (90, 90), ("45m", 2700), ("12h", 43200), ("2w", 1209600)]
)
def test_durations(text: str | int, seconds: int) -> None:
    assert parse_duration(text) == seconds
