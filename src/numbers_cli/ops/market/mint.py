"""`nit mint`: the custody NFT of a registered asset, by the wallet that registered it.

Before anything is sent: the asset must be registered on the network (its
first Commit event read from the IntegrityRegister), the acting wallet must be
the one that registered it (that Commit's recorder), the token must not exist,
the recipient must be an address. Then the token's metadata JSON is built
(model.market.token_metadata), stored as an object of the repository (so `nit
push` publishes it to IPFS, where tokenURI points), the wallet signs the
EIP-712 MintAuthorization, and Custody.mint is sent. Finally the mint is
recorded as a commit whose tree's `nftRecord` names the token
(`action-mint-erc721-nft`). The signed mint is journalled before it is
broadcast (ops.market.recovery): if nit dies after the chain mined it but
before the record, the next `nit mint` of the asset records it and sends
nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from numbers_cli.chain import custody as custody_binding
from numbers_cli.chain.abi import DecodedEvent
from numbers_cli.chain.custody import mint_authorization, token_id
from numbers_cli.errors import MarketRefused, NetworkError, NotAllowed, NotFound
from numbers_cli.model.market import token_metadata
from numbers_cli.model.nid import Nid
from numbers_cli.model.tree import AssetTree
from numbers_cli.ops.market import chain_records
from numbers_cli.ops.market.record import Recorded
from numbers_cli.ops.market.recovery import Finish, MarketAction, market_action
from numbers_cli.ops.market.session import GetSigner, MarketSession, Outcome, check_address
from numbers_cli.ops.trees import load_tree
from numbers_cli.repo.repository import Repository

__all__ = ["MintResult", "Registration", "finish_mint", "mint", "registration"]


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
            "metadataDocument": json.loads(self.metadata_bytes) if self.metadata_bytes else None,
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
    sends nothing and records nothing. A mint that an interrupted run sent
    is finished instead (ops.market.recovery): recorded, never sent twice.
    """
    recipient_arg = check_address(to, "--to") if to else None
    with market_action(
        session,
        repo,
        ["mint", nid, recipient_arg, royalty_bps],
        get_signer=get_signer,
        push=push,
        dry_run=dry_run,
    ) as action:
        if action.recovered is not None:
            return cast(MintResult, action.recovered)
        return _mint(session, repo, nid, action, recipient_arg, royalty_bps, dry_run)


def _mint(
    session: MarketSession,
    repo: Repository | None,
    nid: Nid,
    action: MarketAction,
    to: str | None,
    royalty_bps: int,
    dry_run: bool,
) -> MintResult:
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
        event = chain_records.unrecorded_mint(session, repo, nid, reg.block)
        if event is None:
            holder = session.custody.rules(tid).holder
            raise MarketRefused(f"the custody token of {nid} is already minted (held by {holder})")
        return _record_from_chain(session, repo, nid, action, reg, event, to, royalty_bps, dry_run)
    recipient = to or actor
    metadata = _metadata(session, nid, reg, repo)
    signer = session.signer(action.get_signer)
    typed = mint_authorization(nid, recipient, network.chain_id, session.custody.address)
    signature = bytes.fromhex(signer.sign_typed_data(typed)[2:])
    call = session.custody.mint_call(
        nid, recipient, hashlib.sha256(metadata).digest(), royalty_bps, signer.address, signature
    )
    params = {
        "nid": nid,
        "recipient": recipient,
        "royaltyBps": royalty_bps,
        "metadata": metadata.decode("utf-8"),
        "registration": reg.to_json(),
        "contract": session.custody.address,
    }
    return action.perform(
        [call],
        action="mint",
        nid=nid,
        params=params,
        what="mint transaction",
        explain=custody_binding.explain,
        unsent=_result,
        finisher=finish_mint,
        dry_run=dry_run,
    )


def _metadata(
    session: MarketSession, nid: Nid, reg: Registration, repo: Repository | None
) -> bytes:
    """The token's metadata JSON as a mint from `repo` (None: without the history) builds it."""
    network = session.network
    name, description, encoding = _describe(repo, nid)
    return token_metadata(
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


def _record_from_chain(
    session: MarketSession,
    repo: Repository | None,
    nid: Nid,
    action: MarketAction,
    reg: Registration,
    event: DecodedEvent,
    to: str | None,
    royalty_bps: int,
    dry_run: bool,
) -> MintResult:
    """Record a mint the chain shows but this history lacks (ops.market.chain_records):
    what the chain did (recipient, royalty, metadata, transaction), sending nothing."""
    assert repo is not None  # unrecorded_mint found the history
    network = session.network
    token_uri = session.custody.token_uri(token_id(nid))
    candidates = [_metadata(session, nid, reg, where) for where in (repo, None)]
    metadata = chain_records.minted_metadata(repo, token_uri, candidates)
    recipient, royalty = str(event.args["recipient"]), int(event.args["royaltyBps"])
    params = {
        "nid": nid,
        "recipient": recipient,
        "royaltyBps": royalty,
        "metadata": metadata.decode("utf-8") if metadata is not None else None,
        "tokenURI": token_uri,
        "registration": reg.to_json(),
        "contract": session.custody.address,
    }
    outcome = chain_records.chain_outcome(session, action, [event], dry_run)
    doing = "the real run records it" if dry_run else "recorded it now"
    notes = [
        f"the custody token of {nid} was already minted on {network.name} but not recorded "
        f"here (tx {event.tx_hash}, to {recipient}, royalty {royalty} bps): {doing} from "
        "the chain; nothing was sent"
    ]
    asked = (to or recipient).lower() != recipient.lower() or royalty_bps != royalty
    if asked:
        notes.append("the record shows the chain's mint, not this command's --to/--royalty")
    if dry_run:
        result = _result(params, outcome)
    else:
        result = finish_mint(session, params, outcome, action.finish())
    result.notes[:0] = notes
    return result


def _result(params: Mapping[str, Any], outcome: Outcome) -> MintResult:
    nid = Nid(params["nid"])
    metadata = str(params["metadata"] or "").encode("utf-8")
    if metadata:
        metadata_nid = Nid.of_bytes(metadata)
    else:  # recorded from the chain, its document not here: what tokenURI names
        metadata_nid = Nid(str(params["tokenURI"]).removeprefix("ipfs://"))
    reg = params["registration"]
    return MintResult(
        nid=nid,
        token_id=token_id(nid),
        recipient=str(params["recipient"]),
        royalty_bps=int(params["royaltyBps"]),
        metadata=metadata_nid,
        metadata_bytes=metadata,
        token_uri=f"ipfs://{metadata_nid}",
        registration=Registration(
            nid=nid,
            registrant=str(reg["registrant"]),
            commit=Nid(reg["commit"]),
            tx_hash=str(reg["tx"]),
            block=int(reg["block"]),
        ),
        outcome=outcome,
    )


def finish_mint(
    session: MarketSession, params: Mapping[str, Any], outcome: Outcome, finish: Finish
) -> MintResult:
    """Record a mint that was mined: its metadata stored, the token added to the tree's
    nftRecord. What `nit mint` ends with, and what finishes an interrupted one."""
    result = _result(params, outcome)
    nid, metadata = result.nid, result.metadata_bytes
    if finish.repo is not None and metadata and not finish.preview:
        finish.repo.objects.put(metadata)  # what tokenURI names; published by `nit push`
    nft = {
        "network": session.network.name,
        "contractAddress": str(params["contract"]),
        "tokenId": str(result.token_id),
    }

    def add_nft(tree: AssetTree) -> dict[str, Any]:
        records = [r for r in tree.get("nftRecord") or [] if r != nft]
        return {"nftRecord": [*records, nft]}

    result.record = finish.record(
        session,
        nid,
        tx_hash=outcome.receipts[0].tx_hash,
        action="mint",
        message=f"Minted the custody NFT of {nid} to {result.recipient} on {session.network.name}.",
        attachment=metadata or None,  # else the action record, naming tokenURI
        details={"tokenId": str(result.token_id), "tokenURI": result.token_uri},
        tree_changes=add_nft,
    )
    if not metadata and result.record is not None:
        result.notes.append(
            f"the metadata document {result.metadata} (tokenURI) is not here: the record "
            "attaches the action's JSON instead"
        )
    if result.record is None and not finish.preview:
        result.notes.append(
            "no local history of this asset: the mint is not recorded as a commit and its "
            f"metadata {result.metadata} is not stored (`--json` prints it: publish it on IPFS)"
        )
    return result
