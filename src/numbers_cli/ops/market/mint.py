"""`nit mint`: the custody NFT of a registered asset, by the wallet that registered it.

Before anything is sent: the asset must be registered on the network (its
first Commit event read from the IntegrityRegister), the acting wallet must be
the one that registered it (that Commit's recorder), the token must not exist,
the recipient must be an address. Then the token's metadata JSON is built
(model.market.token_metadata), stored as an object of the repository (so `nit
push` publishes it to IPFS, where tokenURI points), the wallet signs the
EIP-712 MintAuthorization, and Custody.mint is sent. Finally the mint is
recorded as a commit whose tree's `nftRecord` names the token
(`action-mint-erc721-nft`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from numbers_cli.chain import custody as custody_binding
from numbers_cli.chain.custody import mint_authorization, token_id
from numbers_cli.errors import MarketRefused, NetworkError, NotAllowed, NotFound
from numbers_cli.model.market import ACTION_NAMES, token_metadata
from numbers_cli.model.nid import Nid
from numbers_cli.model.tree import AssetTree
from numbers_cli.ops.market.record import Recorded, record_action
from numbers_cli.ops.market.session import GetSigner, MarketSession, Outcome, check_address
from numbers_cli.ops.trees import load_tree
from numbers_cli.repo.repository import Repository

__all__ = ["MintResult", "Registration", "mint", "registration"]


@dataclass(frozen=True)
class Registration:
    """An asset's first commit on a network: who registered it, and where."""

    nid: Nid
    registrant: str  # the recorder of the first Commit event
    commit: Nid  # Nid of its commit data
    tx_hash: str
    block: int

    def to_json(self) -> dict[str, Any]:
        return {
            "registrant": self.registrant,
            "commit": self.commit,
            "tx": self.tx_hash,
            "block": self.block,
        }


@dataclass
class MintResult:
    nid: Nid
    token_id: int
    recipient: str
    royalty_bps: int
    metadata: Nid
    metadata_bytes: bytes
    token_uri: str
    registration: Registration
    outcome: Outcome
    record: Recorded | None = None
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        network = self.outcome.network
        return {
            "nid": self.nid,
            "network": network.name,
            "contract": network.custody,
            "tokenId": str(self.token_id),
            "recipient": self.recipient,
            "royaltyBps": self.royalty_bps,
            "metadata": self.metadata,
            "metadataDocument": json.loads(self.metadata_bytes),
            "tokenURI": self.token_uri,
            "registration": self.registration.to_json(),
            **self.outcome.to_json(),
            "record": self.record.to_json() if self.record else None,
            "notes": self.notes,
        }


def registration(session: MarketSession, nid: Nid) -> Registration:
    """The asset's first commit on the session's network; NotFound when there is none."""
    if not session.network.contract:
        raise NotFound(
            f"network {session.network.name} has no IntegrityRegister to check "
            f"that {nid} is registered"
        )
    blocks = session.client.get_commits(nid)
    if not blocks:
        raise NotFound(
            f"{nid} is not registered on {session.network.name}",
            hint=f"`nit push --network {session.network.name}` registers it first",
        )
    records = session.client.commit_logs(nid, blocks[:1])
    if not records:
        raise NetworkError(f"the register lists {nid} but its first Commit event is missing")
    first = records[0]
    return Registration(
        nid=nid,
        registrant=first.recorder,
        commit=Nid.of_bytes(first.commit_data.encode("utf-8")),
        tx_hash=first.tx_hash,
        block=first.block_number,
    )


def _describe(repo: Repository | None, nid: Nid) -> tuple[str, str, str | None]:
    """(name, description, encodingFormat) for the metadata, from the local tree if any."""
    name, description, encoding = f"Asset {nid}", f"Custody of the Numbers asset {nid}.", None
    if repo is None or repo.refs.head(nid) is None:
        return name, description, encoding
    tree = load_tree(repo, repo.refs.head(nid))  # type: ignore[arg-type]
    path = repo.index().path_of(nid)
    if path:
        name = Path(path).name
    if tree.get("abstract"):
        description = str(tree.get("abstract"))
    encoding = tree.get("encodingFormat")
    return name, description, str(encoding) if encoding else None


def mint(
    session: MarketSession,
    repo: Repository | None,
    nid: Nid,
    *,
    get_signer: GetSigner,
    to: str | None = None,
    royalty_bps: int = 0,
    dry_run: bool = False,
    push: bool = True,
) -> MintResult:
    """Mint `nid`'s custody token to `to` (default: the registrant); see the module docstring.

    A dry run does every check and prices the transaction; it unlocks the
    wallet to sign the authorisation (the price depends on a valid one) but
    sends nothing and records nothing.
    """
    network = session.network
    reg = registration(session, nid)
    actor = session.actor()
    if actor.lower() != reg.registrant.lower():
        raise NotAllowed(
            f"only the wallet that registered {nid} on {network.name} ({reg.registrant}) "
            f"may mint its custody token, not {actor}"
        )
    tid = token_id(nid)
    if session.custody.exists(tid):
        holder = session.custody.rules(tid).holder
        raise MarketRefused(f"the custody token of {nid} is already minted (held by {holder})")
    recipient = check_address(to, "--to") if to else actor
    name, description, encoding = _describe(repo, nid)
    metadata = token_metadata(
        nid=nid,
        name=name,
        description=description,
        network=network.name,
        chain_id=network.chain_id,
        register=network.contract,
        registration_commit=reg.commit,
        registration_tx=reg.tx_hash,
        encoding_format=encoding,
    )
    metadata_nid = Nid.of_bytes(metadata)
    signer = session.signer(get_signer)
    typed = mint_authorization(nid, recipient, network.chain_id, session.custody.address)
    signature = bytes.fromhex(signer.sign_typed_data(typed)[2:])
    call = session.custody.mint_call(
        nid, recipient, hashlib.sha256(metadata).digest(), royalty_bps, signer.address, signature
    )
    outcome = session.execute(
        [call],
        what="mint transaction",
        explain=custody_binding.explain,
        get_signer=lambda: signer,
        dry_run=dry_run,
    )
    result = MintResult(
        nid=nid,
        token_id=tid,
        recipient=recipient,
        royalty_bps=royalty_bps,
        metadata=metadata_nid,
        metadata_bytes=metadata,
        token_uri=f"ipfs://{metadata_nid}",
        registration=reg,
        outcome=outcome,
    )
    if dry_run:
        return result
    if repo is not None:
        repo.objects.put(metadata)  # what tokenURI names; published by `nit push`
    tx_hash = outcome.receipts[0].tx_hash
    nft = {"network": network.name, "contractAddress": session.custody.address, "tokenId": str(tid)}

    def add_nft(tree: AssetTree) -> dict[str, Any]:
        records = [r for r in tree.get("nftRecord") or [] if r != nft]
        return {"nftRecord": [*records, nft]}

    result.record = record_action(
        repo,
        session.config,
        signer,
        nid,
        network=network,
        tx_hash=tx_hash,
        action_name=ACTION_NAMES["mint"],
        message=f"Minted the custody NFT of {nid} to {recipient} on {network.name}.",
        attachment=metadata,
        tree_changes=add_nft,
        push=push,
    )
    if result.record is None:
        result.notes.append(
            "no local history of this asset: the mint is not recorded as a commit and its "
            f"metadata {metadata_nid} is not stored (`--json` prints it: publish it on IPFS)"
        )
    return result
