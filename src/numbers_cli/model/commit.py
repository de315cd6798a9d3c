"""Commit: the signed record of one change, as stored on chain.

A commit is kept as an ordered mapping (the key order is part of the bytes put
on chain). Local storage keeps the compact `JSON.stringify(commit)` form, and
its Nid is the commit's id in `nit log` and `nit show`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from numbers_cli.errors import InvalidFormat, MalformedCommit
from numbers_cli.model import jsjson
from numbers_cli.model.nid import Nid, is_nid
from numbers_cli.model.signature import is_address

# The reference tool's action table, in its order (later rows win on a shared Nid).
ACTIONS: tuple[tuple[str, str], ...] = (
    ("action-initial-registration", "bafkreicptxn6f752c4pvb6gqwro7s7wb336idkzr6wmolkifj3aafhvwii"),
    (
        "action-initial-registration-avalanche",
        "bafkreiavifzn7ntlb6p2lr55k3oezo6pofwvknecukc5auhng4miowcte4",
    ),
    (
        "action-initial-registration-jade",
        "bafkreicptxn6f752c4pvb6gqwro7s7wb336idkzr6wmolkifj3aafhvwii",
    ),
    (
        "action-initial-registration-iota",
        "bafkreibnyl3ohbx76rzxmdzfyayvztjcqgjv745wh4t3z6a4ung43xd554",
    ),
    ("action-commit", "bafkreiceiqfe4w4g4j46rsi4h4tbqu35ivewfxm4q743tfmegscpg7d63m"),
    ("action-mint-erc721-nft", "bafkreiakk6le5wgbl3zz3acybd2wfc2y32mpmxj4kbjjjskom7cy2akwly"),
    (
        "action-mint-erc721-nft-avalanche",
        "bafkreibro4v4vsibvr47uwhkj6gqpc5rfvvq5ykfzzz4jnzvm23zwoh2gq",
    ),
    (
        "action-mint-erc721-nft-ethereum",
        "bafkreighzhmelvwlntigjq6ushun4mz36x6cq5nztkvcac47bdxz2ipeca",
    ),
    ("action-mint-erc721-nft-jade", "bafkreiakk6le5wgbl3zz3acybd2wfc2y32mpmxj4kbjjjskom7cy2akwly"),
    (
        "action-mint-erc721-nft-polygon",
        "bafkreigdxfmwhhepusyhaoidyzy6bv7jzpc5liqohyc6numgvvbfwabn6a",
    ),
    (
        "action-mint-erc721-nft-thundercore",
        "bafkreih7gzxeukcnosbotvpq7hw6htlxoi2dzzm2nnkskloazgw2sbh55i",
    ),
)
ACTION_NIDS: dict[str, str] = dict(ACTIONS)
ACTION_NAMES: dict[str, str] = {nid: name for name, nid in ACTIONS}  # later rows win

# Numbers action types, by what happened to the asset.
ACTION_FOR_KIND = {
    "new": "action-initial-registration",
    "update": "action-commit",
    "derive": "action-initial-registration",
}

FIELD_ORDER = (
    "assetTreeCid",
    "assetTreeSha256",
    "assetTreeSignature",
    "author",
    "committer",
    "provider",
    "timestampCreated",
    "action",
    "actionResult",
    "abstract",
    "attachment",
)
REQUIRED = ("assetTreeCid", "assetTreeSha256", "assetTreeSignature", "committer")
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def action_name_for(action: str | None) -> str:
    """The reference tool's rule: known action Nid → its name, else action-commit."""
    return ACTION_NAMES.get(action or "", "action-commit")


def gateway_url(cid: str) -> str:
    return f"https://{cid}.ipfs.dweb.link"


@dataclass(frozen=True)
class Commit:
    fields: tuple[tuple[str, Any], ...]

    @classmethod
    def new(cls, values: Mapping[str, Any], *, validate: bool = True) -> Commit:
        """A commit in the canonical order; `validate=False` as for `AssetTree.new`."""
        known = [(k, values[k]) for k in FIELD_ORDER if values.get(k) is not None]
        extra = [(k, v) for k, v in values.items() if k not in FIELD_ORDER and v is not None]
        commit = cls(tuple(known + extra))
        if validate:
            commit.validate()
        return commit

    @classmethod
    def from_json(cls, data: str | bytes) -> Commit:
        """Parse and validate; anything that is not a well-formed commit is MalformedCommit."""
        try:
            value = jsjson.parse(data)
        except InvalidFormat as exc:
            raise MalformedCommit(f"not a Numbers commit: {exc.message}") from None
        if not isinstance(value, dict):
            raise MalformedCommit("a Commit must be a JSON object")
        commit = cls(tuple(value.items()))
        commit.validate()
        return commit

    def as_dict(self) -> dict[str, Any]:
        return dict(self.fields)

    def get(self, key: str, default: Any = None) -> Any:
        return self.as_dict().get(key, default)

    @property
    def tree_cid(self) -> Nid:
        return Nid(self.get("assetTreeCid"))

    def with_action_name(self) -> Commit:
        """Apply the actionName rule: absent → derived from `action`, appended last."""
        if "actionName" in self.as_dict():
            return self
        return Commit((*self.fields, ("actionName", action_name_for(self.get("action")))))

    def to_chain(self) -> str:
        """The `commitData` string sent to IntegrityRegister.commit."""
        return jsjson.stringify(self.with_action_name().as_dict())

    def to_bytes(self) -> bytes:
        """Stored form: the compact on-chain string, so the local id matches chain data."""
        return self.to_chain().encode("utf-8")

    def nid(self) -> Nid:
        return Nid.of_bytes(self.to_bytes())

    @property
    def committer(self) -> str:
        return str(self.get("committer"))

    def validate(self) -> None:
        """The format's rules; a commit that breaks one proves nothing, whoever signed it.

        The committer is what a signature is checked against, so it must be
        something a signer can be tied to: an address (lower-case or EIP-55), or
        the Nid of a profile document naming the wallets that sign for it.
        """
        values = self.as_dict()
        for key in REQUIRED:
            if not values.get(key):
                raise MalformedCommit(f"Commit lacks required field {key!r}")
        sig = values["assetTreeSignature"]
        if not (isinstance(sig, str) and sig.startswith("0x") and len(sig) == 132):
            raise MalformedCommit("assetTreeSignature must be 65 bytes of 0x-hex")
        if not is_nid(values["assetTreeCid"]):
            raise MalformedCommit(f"assetTreeCid {values['assetTreeCid']!r} is not a Nid")
        sha = values["assetTreeSha256"]
        if not (isinstance(sha, str) and _SHA256_HEX.fullmatch(sha)):
            raise MalformedCommit("assetTreeSha256 must be 64 lower-case hex digits")
        committer = values["committer"]
        if not (is_address(committer) or is_nid(committer)):
            raise MalformedCommit(
                f"committer {committer!r} is neither a 0x-address"
                " (lower-case or checksummed) nor a Nid"
            )
        ts = values.get("timestampCreated")
        if ts is not None and (not isinstance(ts, int) or isinstance(ts, bool)):
            raise MalformedCommit("timestampCreated must be an integer (Unix seconds)")
