"""Which network answers for an asset's owner and licence (ops.monitor.licensing):
the order in which the networks of its nftRecord and core.network are asked.

Pure decision logic: each network's answer (holds the token / not minted there /
cannot be asked) is given; the chain side is tested on a real anvil in
test_nft_source.py."""

from __future__ import annotations

import pytest

from numbers_cli.config import Config
from numbers_cli.ops.monitor import licensing

NID = "bafkreidl7wv5j7bt2ejcqpauplgmyv2oo4f34355xq6u3klixj5wa3wmf4"


class _Answers(licensing.Licensing):
    """Licensing whose networks answer from a table: holder address, None (not minted
    there) or absent (cannot be asked)."""

    def __init__(self, answers: dict[str, str | None], default: str | None) -> None:
        super().__init__(Config.load(None, env={}), 1.0)
        self.answers, self.default, self.asked = answers, default, []

    def _holder(self, network: str, nid: str) -> object:
        self.asked.append(network)
        return self.answers.get(network, licensing._UNAVAILABLE)

    def _default_name(self) -> str | None:
        return self.default


@pytest.mark.parametrize(
    ("records", "answers", "default", "expected", "asked"),
    [
        # The latest record first; the first network holding the token wins.
        (["a", "b"], {"a": "0xA", "b": "0xB"}, "core", ("b", "0xB"), ["b"]),
        (["a", "b"], {"a": "0xA", "b": None}, "core", ("a", "0xA"), ["b", "a"]),
        # No record: core.network.
        ([], {"core": "0xC"}, "core", ("core", "0xC"), ["core"]),
        ([], {"core": None}, "core", ("core", None), ["core"]),
        ([], {}, "core", (None, None), ["core"]),  # no market there: cannot tell
        # Recorded networks all answered, none holds it: core.network, asked once.
        (["a"], {"a": None, "core": "0xC"}, "core", ("core", "0xC"), ["a", "core"]),
        (["core"], {"core": None}, "core", ("core", None), ["core"]),
        # A recorded network cannot be asked and no other holds it: cannot tell, and
        # core.network (not where the asset's market is) is not asked.
        (["gone"], {"core": "0xC"}, "core", (None, None), ["gone"]),
        (["gone", "a"], {"a": "0xA"}, "core", ("a", "0xA"), ["a"]),
        ([], {}, None, (None, None), []),  # no core.network either
    ],
)
def test_the_custody_network_is_looked_for_in_order(
    records: list[str],
    answers: dict[str, str | None],
    default: str | None,
    expected: tuple[str | None, str | None],
    asked: list[str],
) -> None:
    market = _Answers(answers, default)
    assert market.custody(NID, records) == expected
    assert market.asked == asked
    assert market.custody(NID, records) == expected and market.asked == asked  # once a scan
    if expected[0] is None and any(r not in answers for r in records):
        assert any("cannot be asked" in note for note in market.notes)


def test_ownership_falls_back_to_the_creator_wallet() -> None:
    market = _Answers({"a": None}, "a")
    owner = market.ownership(NID, "0xCreator", ["a"])
    assert (owner.owner, owner.custody, owner.network) == ("0xCreator", False, "a")
    assert market.licensed(NID, None, owner.owner, owner.network) is None  # no place owner
    assert market.licensed(NID, "0xSomeone", owner.owner, None) is None  # nothing can tell
