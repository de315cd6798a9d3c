"""The chain half of `nit proof verify`: headers that hash to trusted block hashes,
and under their roots the Merkle-Patricia proofs of each commit's transaction
and receipt, whose register `Commit` event carries exactly the commit's bytes."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from numbers_cli.chain.proofs import HeaderRoots, decode_header, keccak, read_proof
from numbers_cli.errors import ExitCode, InvalidFormat
from numbers_cli.ops.proof.bundle import Bundle, ChainEvidence
from numbers_cli.ops.proof.report import Checker

__all__ = ["BlockHashes", "check_chain", "check_headers"]

#: Looks up the canonical hashes of block numbers (from a node), hash as 0x-hex lower.
BlockHashes = Callable[[list[int]], Mapping[int, str]]


def _commit_event(receipt: bytes, register: str, asset: str) -> tuple[bool, bool, list[bytes]]:
    """(succeeded, decodable, commitData of every register Commit event for `asset`)."""
    import rlp

    from numbers_cli.chain import abi_codec
    from numbers_cli.chain.register import commit_topic, nid_topic

    body = receipt[1:] if receipt[:1] and receipt[0] < 0x80 else receipt  # EIP-2718 type byte
    items = rlp.decode(body)
    if not isinstance(items, list) or len(items) != 4:
        raise InvalidFormat("receipt is not [status, gas, bloom, logs]")
    status, _gas, _bloom, logs = items
    topic0 = bytes.fromhex(commit_topic()[2:])
    topic2 = bytes.fromhex(nid_topic(asset)[2:])
    address = bytes.fromhex(register.lower().removeprefix("0x"))
    found: list[bytes] = []
    for log in logs:
        log_address, topics, data = log
        if (
            log_address == address
            and len(topics) == 3
            and topics[0] == topic0
            and topics[2] == topic2
        ):
            (raw,) = abi_codec.decode(["bytes"], data)
            found.append(bytes(raw))
    return status == b"\x01", True, found


def check_chain(
    bundle: Bundle, ev: ChainEvidence, roots: HeaderRoots | None, check: Checker
) -> None:
    """The commit's transaction and receipt, proven under its header's roots; the
    receipt succeeded and logged this commit for this asset from the bundle's register."""
    subject = f"commit #{ev.index}"
    code = ExitCode.PROOF
    if roots is None:
        check.add(subject, "header", False, "", f"no valid header for block {ev.block_hash}", code)
        return
    check.add(
        subject,
        "block",
        roots.number == ev.block,
        f"in block {ev.block}",
        f"the header is block {roots.number}, the commit claims {ev.block}",
        code,
    )
    check.add(
        subject,
        "txHash",
        "0x" + keccak(ev.tx).hex() == ev.tx_hash,
        "transaction hashes to its hash",
        "transaction bytes do not hash to its hash",
        code,
    )
    try:
        proven = read_proof(roots.transactions_root, ev.tx_index, ev.tx_proof)
        check.add(
            subject,
            "txProof",
            proven == ev.tx,
            f"transaction {ev.tx_index} proven under transactionsRoot",
            "the proven transaction is not this one",
            code,
        )
    except InvalidFormat as exc:
        check.add(subject, "txProof", False, "", f"transaction proof: {exc.message}", code)
    try:
        proven = read_proof(roots.receipts_root, ev.tx_index, ev.receipt_proof)
        ok = check.add(
            subject,
            "receiptProof",
            proven == ev.receipt,
            "receipt proven under receiptsRoot",
            "the proven receipt is not this one",
            code,
        )
    except InvalidFormat as exc:
        ok = check.add(subject, "receiptProof", False, "", f"receipt proof: {exc.message}", code)
    if not ok:
        return
    try:
        succeeded, _, events = _commit_event(ev.receipt, bundle.register, bundle.asset)
    except Exception as exc:  # rlp/abi raise assorted types on damaged bytes
        check.add(subject, "event", False, "", f"receipt is not decodable: {exc}", code)
        return
    check.add(
        subject, "status", succeeded, "transaction succeeded", "transaction failed (reverted)", code
    )
    data = bundle.objects.get(ev.commit)
    check.add(
        subject,
        "event",
        data is not None and data in events,
        f"register {bundle.register} logged this commit for {bundle.asset}",
        f"the receipt holds no Commit event of {bundle.register} for {bundle.asset} "
        "with this commit's bytes",
        code,
    )


def check_headers(
    bundle: Bundle, trusted: set[str] | None, lookup: BlockHashes | None, check: Checker
) -> dict[str, HeaderRoots]:
    """Every header hashes to its block hash, and that hash is trusted (listed, or the
    network's); returns the headers that hash right, by block hash."""
    valid: dict[str, HeaderRoots] = {}
    code = ExitCode.PROOF
    for block_hash, header in bundle.headers.items():
        try:
            roots = decode_header(header)
        except InvalidFormat as exc:
            check.add(f"block {block_hash[:12]}…", "header", False, "", exc.message, code)
            continue
        if check.add(
            f"block {roots.number}",
            "header",
            "0x" + keccak(header).hex() == block_hash,
            "header hashes to its block hash",
            f"header does not hash to {block_hash}",
            code,
        ):
            valid[block_hash] = roots
    canonical: Mapping[int, str] = {}
    if lookup is not None:
        canonical = lookup(sorted({roots.number for roots in valid.values()}))
    for block_hash, roots in valid.items():
        subject = f"block {roots.number}"
        if trusted is not None:
            check.add(
                subject,
                "trusted",
                block_hash in trusted,
                f"hash {block_hash} is trusted (--trusted-block)",
                f"hash {block_hash} is not among the trusted block hashes",
                code,
            )
        elif lookup is not None:
            check.add(
                subject,
                "trusted",
                canonical.get(roots.number) == block_hash,
                f"hash {block_hash} is the network's block {roots.number}",
                f"the network's block {roots.number} is "
                f"{canonical.get(roots.number)}, not {block_hash}",
                code,
            )
        else:
            check.add(
                subject,
                "trusted",
                False,
                "",
                "block hash not checked (give --trusted-block HASH or --network NAME)",
                code,
            )
    return valid
