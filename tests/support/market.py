"""Helpers for the market contracts' tests: the test-only contracts' artifacts
(attackers, a DAO), deployments, raw calls and revert names, over a real anvil.

The contracts under test are driven through nit's own bindings and pipeline
(numbers_cli.chain); what a revert *was* is read independently here, from the
node's error data decoded against the artifact, so a wrong mapping in the
bindings' `explain` cannot hide a wrong revert.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eth_account import Account

from numbers_cli.chain import ChainClient
from numbers_cli.chain.abi import ContractAbi, contract_abi
from numbers_cli.chain.custody import mint_authorization
from numbers_cli.chain.rpc import RpcError
from numbers_cli.contracts import ContractArtifact

REPO_ROOT = Path(__file__).resolve().parents[2]
TEST_CONTRACTS = REPO_ROOT / "tests" / "support" / "contracts"


def test_abi(name: str) -> ContractAbi:
    """A test-only contract (tests/support/contracts/NAME.json, built by contracts/build.mjs)."""
    data = json.loads((TEST_CONTRACTS / f"{name}.json").read_text(encoding="utf-8"))
    return ContractAbi(
        ContractArtifact(
            name=data["contractName"],
            abi=data["abi"],
            bytecode=data["bytecode"],
            deployed_bytecode=data["deployedBytecode"],
            solc_version=data["compiler"]["version"],
            sources=data["sources"],
        )
    )


test_abi.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def address_of(key: str) -> str:
    return str(Account.from_key(key).address)


def deploy(client: ChainClient, key: str, abi: ContractAbi, *args: Any) -> str:
    receipt = client.deploy_contract(abi.creation_code(*args), key, what=f"{abi.name} deployment")
    assert receipt.contract_address is not None
    return receipt.contract_address


def deploy_market(client: ChainClient, key: str) -> tuple[str, str]:
    """(Custody, Licenses) addresses, freshly deployed."""
    custody = deploy(client, key, contract_abi("Custody"))
    licenses = deploy(client, key, contract_abi("Licenses"), custody)
    return custody, licenses


def read(client: ChainClient, abi: ContractAbi, address: str, name: str, *args: Any) -> Any:
    """One view call's result (a single value unwrapped)."""
    data = client.call_contract(address, abi.encode_call(name, *args), what=name)
    result = abi.decode_result(name, data)
    return result[0] if len(result) == 1 else result


def send(
    client: ChainClient,
    key: str,
    abi: ContractAbi,
    address: str,
    name: str,
    *args: Any,
    value: int = 0,
) -> Any:
    """Send one transaction through nit's pipeline; its receipt."""
    call: dict[str, Any] = {"to": address, "data": abi.encode_call(name, *args)}
    if value:
        call["value"] = value
    (receipt,) = client.send_calls([call], key, what=name)
    assert receipt.succeeded
    return receipt


def revert_of(
    client: ChainClient,
    sender: str,
    abi: ContractAbi,
    address: str,
    name: str,
    *args: Any,
    value: int = 0,
    decoders: tuple[ContractAbi, ...] = (),
) -> tuple[str, dict[str, Any]]:
    """(error name, arguments) the call reverts with, as the node reports it to eth_call.

    Fails the test if the call does not revert.
    """
    tx: dict[str, Any] = {
        "from": sender,
        "to": address,
        "data": "0x" + abi.encode_call(name, *args).hex(),
    }
    if value:
        tx["value"] = hex(value)
    try:
        client._rpc.call("eth_call", [tx, "latest"])
    except RpcError as exc:
        data = exc.revert_data()
        for decoder in (abi, *decoders):
            decoded = decoder.decode_error(data)
            if decoded is not None:
                return decoded.name, decoded.args
        raise AssertionError(f"{name} reverted with undecodable data {data!r}") from None
    raise AssertionError(f"{name} did not revert")


def sign_mint(key: str, nid: str, recipient: str, chain_id: int, custody: str) -> bytes:
    """The registrant's EIP-712 consent, signed with eth_account directly (not nit's Signer)."""
    from eth_account.messages import encode_typed_data

    signable = encode_typed_data(full_message=mint_authorization(nid, recipient, chain_id, custody))
    return bytes(Account.sign_message(signable, key).signature)
