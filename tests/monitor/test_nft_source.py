"""Scanning NFTs on a real anvil: an ERC-721 compiled from OpenZeppelin by the
project's solcjs, tokens minted with data:, http:// and broken token URIs;
images served by a local HTTP server or inline."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from eth_account import Account
from tests.conftest import TEST_ADDRESS, Nit, ok
from tests.monitor.conftest import NEGATIVES, REGISTERED, reuse
from tests.support.anvil import TEST_CHAIN_ID, Anvil
from tests.support.chain_history import use_network
from tests.support.solidity import compile_contract

from numbers_cli.chain import ChainClient, Network
from numbers_cli.chain.rpc import JsonRpc

CONTRACT = Path(__file__).parent / "contracts" / "MonitorTestToken.sol"


class _Files(BaseHTTPRequestHandler):
    files: ClassVar[dict[str, tuple[str, bytes]]] = {}

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path not in self.files:
            self.send_error(404)
            return
        kind, body = self.files[self.path]
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def web() -> Iterator[tuple[str, dict[str, tuple[str, bytes]]]]:
    files: dict[str, tuple[str, bytes]] = {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("F", (_Files,), {"files": files}))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", files
    finally:
        server.shutdown()
        server.server_close()


def _send(rpc: JsonRpc, sender: str, to: str | None, data: str) -> dict[str, Any]:
    tx: dict[str, Any] = {"from": sender, "data": data, "gas": hex(5_000_000)}
    if to:
        tx["to"] = to
    tx_hash = rpc.call("eth_sendTransaction", [tx])  # anvil's dev accounts are unlocked
    receipt = None
    for _ in range(300):  # mined within the next block
        receipt = rpc.call("eth_getTransactionReceipt", [tx_hash])
        if receipt:
            break
        time.sleep(0.05)
    assert receipt and receipt["status"] == "0x1", receipt
    return dict(receipt)


def _mint_call(to: str, token_id: int, uri: str) -> str:
    from eth_abi import encode
    from eth_utils import keccak

    selector = keccak(text="mint(address,uint256,string)")[:4]
    return "0x" + (selector + encode(["address", "uint256", "string"], [to, token_id, uri])).hex()


def _data_uri(kind: str, body: bytes) -> str:
    return f"data:{kind};base64,{base64.b64encode(body).decode()}"


def test_scan_nft_tokens(
    nit: Nit, workdir: Path, registered: dict[str, str], anvil: Anvil, web: Any
) -> None:
    artifact = compile_contract(CONTRACT)
    rpc = JsonRpc(anvil.rpc_url, timeout=30)
    deployer, holder, other = rpc.call("eth_accounts")[:3]
    contract = _send(rpc, deployer, None, str(artifact["bytecode"]))["contractAddress"]
    base, files = web
    files["/stolen.jpg"] = ("image/jpeg", reuse(REGISTERED[1], "rotate4"))
    files["/other.jpg"] = ("image/jpeg", reuse(NEGATIVES[0], "flip"))
    files["/meta/2.json"] = (
        "application/json",
        json.dumps(
            {"name": "inline", "image": _data_uri("image/jpeg", reuse(REGISTERED[0], "crop5"))}
        ).encode(),
    )
    tokens = {
        1: _data_uri(
            "application/json", json.dumps({"name": "t1", "image": f"{base}/stolen.jpg"}).encode()
        ),
        2: f"{base}/meta/2.json",
        3: "this is not a URI",
        4: _data_uri(
            "application/json", json.dumps({"name": "t4", "image": f"{base}/other.jpg"}).encode()
        ),
        5: _data_uri("application/json", b"{not json"),
    }
    for token_id, uri in tokens.items():
        _send(
            rpc, deployer, contract, _mint_call(holder if token_id != 2 else other, token_id, uri)
        )
    ok(nit("network", "add", "testchain", "--rpc", anvil.rpc_url, "--chain-id", str(TEST_CHAIN_ID)))

    sources = [f"nft://testchain/{contract}/{i}" for i in (1, 2, 3, 4, 5, 99)]
    sources.append("nft://nowhere/0x0000000000000000000000000000000000000001/1")
    sources.append("nft://testchain/not-an-address/1")
    doc = json.loads(ok(nit("monitor", "scan", *sources, "--json", "--timeout", "5")).stdout)
    findings = {f["source"]: f for f in doc["findings"]}
    assert set(findings) == {sources[0], sources[1]}
    first = findings[sources[0]]
    assert first["nid"] == registered[REGISTERED[1]] and "rotation" in first["transform"]
    assert first["placeOwner"].lower() == holder.lower()
    assert first["page"] == f"{base}/stolen.jpg"
    assert first["licensed"] is None  # no `nit license check` on this branch: cannot tell
    second = findings[sources[1]]
    assert (
        second["nid"] == registered[REGISTERED[0]] and second["placeOwner"].lower() == other.lower()
    )
    assert doc["scanned"] == 3  # tokens 1, 2 and 4
    errors = {e["source"]: e["error"] for e in doc["errors"]}
    assert set(errors) == set(sources[2:3] + sources[4:])
    assert "unsupported URI" in errors[sources[2]]
    assert "not JSON metadata" in errors[sources[4]]
    assert "ownerOf" in errors[sources[5]] or "tokenURI" in errors[sources[5]]  # reverts
    assert "unknown network" in errors[sources[6]]
    assert "nft://NETWORK/CONTRACT" in errors[sources[7]]
    rpc.close()


@pytest.fixture
def funded(anvil: Anvil, bare_devnet: Network) -> str:
    """TEST_ADDRESS (the `signing_key` wallet) with ether, to push, mint and offer."""
    with ChainClient(bare_devnet) as client:
        client.fund(anvil.keys[0], TEST_ADDRESS, 10**20)
    return TEST_ADDRESS


def test_owner_and_licence_come_from_the_market(
    nit: Nit,
    repo: Path,
    media: Any,
    devnet: Network,
    funded: str,
    signing_key: str,
    anvil: Anvil,
    web: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A minted photo re-used in someone's NFT: its owner is the custody holder, and
    `licensed` follows `nit license check` for the NFT's owner, before and after they
    buy a licence (the Custody and Licenses contracts on anvil)."""
    use_network(devnet)
    monkeypatch.setenv("NIT_NETWORK", "devnet")
    ok(nit("contracts", "deploy"))
    (photo,) = media("Canon_40D.jpg")
    ok(nit("add", str(photo)))
    ok(nit("commit", "-m", "a photo"))
    ok(nit("push", "--no-ipfs"))
    ok(nit("mint", str(photo)))
    ok(nit("license", "offer", str(photo), "--price", "0.01", "--supply", "5", "--terms", "mit"))
    ok(nit("monitor", "index"))
    nid = json.loads(ok(nit("hash", str(photo), "--json")).stdout)[0]["nid"]

    buyer_key = anvil.keys[2]
    buyer = str(Account.from_key(buyer_key).address)
    artifact = compile_contract(CONTRACT)
    rpc = JsonRpc(anvil.rpc_url, timeout=30)
    deployer = rpc.call("eth_accounts")[0]
    contract = _send(rpc, deployer, None, str(artifact["bytecode"]))["contractAddress"]
    base, files = web
    files["/copy.jpg"] = ("image/jpeg", reuse("Canon_40D.jpg", "flip"))
    uri = _data_uri("application/json", json.dumps({"image": f"{base}/copy.jpg"}).encode())
    _send(rpc, deployer, contract, _mint_call(buyer, 7, uri))
    rpc.close()
    source = f"nft://devnet/{contract}/7"

    (finding,) = json.loads(ok(nit("monitor", "scan", source, "--json")).stdout)["findings"]
    assert finding["nid"] == nid and finding["transform"] == ["flip"]
    assert (finding["owner"], finding["ownerIsCustodian"]) == (TEST_ADDRESS, True)
    assert finding["placeOwner"] == buyer and finding["licensed"] is False

    elsewhere = Nit(tmp_path / "buyer")
    (tmp_path / "buyer").mkdir()
    ok(elsewhere("license", "buy", nid, "1", env={"NIT_PRIVATE_KEY": buyer_key}))
    (finding,) = json.loads(ok(nit("monitor", "scan", source, "--json")).stdout)["findings"]
    assert finding["licensed"] is True


def test_owner_and_licence_come_from_the_network_the_custody_nft_is_on(
    nit: Nit,
    repo: Path,
    media: Any,
    devnet: Network,
    funded: str,
    signing_key: str,
    anvil: Anvil,
    web: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Minted on devnet (its nftRecord says so) while core.network is another network
    with no market: owner and `licensed` are devnet's answers, not "cannot tell"; when
    the recorded network cannot be asked here, `licensed` is null and a note says why."""
    use_network(devnet)
    use_network(devnet, "plain")  # the same register, no Custody/Licenses configured
    monkeypatch.setenv("NIT_NETWORK", "devnet")
    ok(nit("contracts", "deploy"))
    (photo,) = media("Canon_40D.jpg")
    ok(nit("add", str(photo)))
    ok(nit("commit", "-m", "a photo"))
    ok(nit("push", "--no-ipfs"))
    ok(nit("mint", str(photo)))
    ok(nit("license", "offer", str(photo), "--price", "0.01", "--supply", "5", "--terms", "mit"))
    ok(nit("monitor", "index"))
    nid = json.loads(ok(nit("hash", str(photo), "--json")).stdout)[0]["nid"]
    tree = json.loads(ok(nit("show", str(photo), "--json")).stdout)
    assert [r["network"] for r in tree["assetTree"]["nftRecord"]] == ["devnet"]

    buyer_key = anvil.keys[3]
    buyer = str(Account.from_key(buyer_key).address)
    artifact = compile_contract(CONTRACT)
    rpc = JsonRpc(anvil.rpc_url, timeout=30)
    deployer = rpc.call("eth_accounts")[0]
    contract = _send(rpc, deployer, None, str(artifact["bytecode"]))["contractAddress"]
    base, files = web
    files["/copy.jpg"] = ("image/jpeg", reuse("Canon_40D.jpg", "flip"))
    uri = _data_uri("application/json", json.dumps({"image": f"{base}/copy.jpg"}).encode())
    _send(rpc, deployer, contract, _mint_call(buyer, 8, uri))
    rpc.close()
    source = f"nft://plain/{contract}/8"

    monkeypatch.setenv("NIT_NETWORK", "plain")  # the default network has no market
    doc = json.loads(ok(nit("monitor", "scan", source, "--json")).stdout)
    (finding,) = doc["findings"]
    assert (finding["owner"], finding["ownerIsCustodian"]) == (TEST_ADDRESS, True)
    assert finding["placeOwner"] == buyer and finding["licensed"] is False
    assert finding["nid"] == nid and finding["network"] == "devnet"

    elsewhere = Nit(tmp_path / "buyer")
    (tmp_path / "buyer").mkdir()
    ok(
        elsewhere(
            "license", "buy", nid, "1", env={"NIT_PRIVATE_KEY": buyer_key, "NIT_NETWORK": "devnet"}
        )
    )
    (finding,) = json.loads(ok(nit("monitor", "scan", source, "--json")).stdout)["findings"]
    assert finding["licensed"] is True and finding["network"] == "devnet"

    # The network the record names is not configured here any more: cannot tell, said so.
    ok(nit("network", "remove", "devnet"))
    doc = json.loads(ok(nit("monitor", "scan", source, "--json")).stdout)
    (finding,) = doc["findings"]
    assert finding["licensed"] is None and finding["network"] is None
    assert finding["ownerIsCustodian"] is False
    assert any("devnet" in note and "cannot be asked" in note for note in doc["notes"])
