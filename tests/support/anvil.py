"""A real local EVM node for tests and benchmarks: Foundry's anvil from tools/chain.

Chain code is tested against a real node, never a mock of one (ARCHITECTURE.md).
anvil comes from the npm registry (`npm ci` in tools/chain, run by scripts/setup):
the `@foundry-rs/anvil-linux-amd64` package ships the binary itself, which the
tests start directly (`ANVIL_BIN`); `@foundry-rs/anvil`, what users install,
links `tools/chain/node_modules/.bin/anvil` to a `node` script that runs that
binary as its child (`ANVIL_NPM`), and `nit devnet` is tested with both.

Usable without pytest (bench/ imports it); `anvil_or_skip()` is the pytest face:
skip when anvil is not installed locally, fail when CI is set, because a CI run
that silently skipped every chain test would look green and prove nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self

from tests.support.tools import free_port, in_ci

if TYPE_CHECKING:
    from numbers_cli.chain import Network

REPO_ROOT = Path(__file__).resolve().parents[2]
_NPM = REPO_ROOT / "tools" / "chain" / "node_modules"
#: The anvil binary itself, from the platform package npm installed.
ANVIL_BIN = next(
    iter(sorted(_NPM.glob("@foundry-rs/anvil-*/bin/anvil"))),
    _NPM / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil",
)
#: npm's `@foundry-rs/anvil`: `anvil` is a node script running ANVIL_BIN as its child.
ANVIL_NPM = _NPM / ".bin" / "anvil"

#: Chain id of every test chain: anvil's default, and no public network's.
TEST_CHAIN_ID = 31337

#: Private keys of anvil's default accounts (mnemonic "test test ... junk"), in order.
DEV_KEYS: tuple[str, ...] = (
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
    "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
    "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
    "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
)

#: Default account balance anvil gives each dev account, in wei (10,000 ether).
DEV_BALANCE_WEI = 10_000 * 10**18


class AnvilUnavailable(RuntimeError):
    """anvil is not installed, or did not start."""


def anvil_binary() -> Path:
    """The anvil executable: $NIT_TEST_ANVIL if set, else the one tools/chain installs."""
    override = os.environ.get("NIT_TEST_ANVIL")
    path = Path(override) if override else ANVIL_BIN
    if not path.exists():
        raise AnvilUnavailable(
            f"anvil not found at {path}: run `npm ci` in tools/chain (scripts/setup does it)"
        )
    return path.resolve()


def anvil_npm_wrapper() -> Path:
    """The `anvil` of npm's @foundry-rs/anvil (a node wrapper), unresolved as users run it."""
    if not ANVIL_NPM.exists() or ANVIL_NPM.resolve() == ANVIL_BIN.resolve():
        raise AnvilUnavailable(
            f"npm's @foundry-rs/anvil wrapper not found at {ANVIL_NPM}: run `npm ci` in "
            "tools/chain (scripts/setup does it)"
        )
    return ANVIL_NPM


class Anvil:
    """One anvil process on a free 127.0.0.1 port; a context manager.

    Starts silent (its logs would drown test output), automining one block per
    transaction, with the ten default dev accounts funded.
    """

    def __init__(
        self,
        *,
        chain_id: int = TEST_CHAIN_ID,
        start_timeout: float = 15.0,
        extra_args: tuple[str, ...] = (),
        port: int | None = None,
    ) -> None:
        self.fixed_port = port
        self.chain_id = chain_id
        self.start_timeout = start_timeout
        self.extra_args = extra_args
        self.port: int | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._cache: str | None = None
        self.keys: tuple[str, ...] = DEV_KEYS

    @property
    def rpc_url(self) -> str:
        if self.port is None:
            raise AnvilUnavailable("anvil is not running")
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
        """Start anvil and wait (bounded) until its RPC answers eth_chainId."""
        binary = anvil_binary()
        last_error = "did not start"
        for _attempt in range(3):  # another process may grab the free port first
            # anvil moves old states to disk and leaves them there when it stops: in
            # ~/.foundry/anvil/tmp by default, which a suite and its benches filled with
            # tens of gigabytes. Each test anvil gets its own folder, removed by stop().
            self._cache = tempfile.mkdtemp(prefix="nit-test-anvil-cache-")
            self.port = self.fixed_port or free_port()
            self._process = subprocess.Popen(
                [
                    str(binary),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--chain-id",
                    str(self.chain_id),
                    "--silent",
                    "--cache-path",
                    self._cache,
                    *self.extra_args,
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            deadline = time.monotonic() + self.start_timeout
            while time.monotonic() < deadline:
                if self._process.poll() is not None:
                    stderr = self._process.stderr.read() if self._process.stderr else b""
                    last_error = f"exited with {self._process.returncode}: {stderr.decode()[-500:]}"
                    break
                if self._answers():
                    return self
                time.sleep(0.05)
            else:
                last_error = f"RPC did not answer within {self.start_timeout} s"
            self.stop()
        raise AnvilUnavailable(f"anvil {last_error}")

    def _answers(self) -> bool:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []})
        request = urllib.request.Request(
            self.rpc_url, data=body.encode(), headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=1.0) as response:
                return int(json.load(response)["result"], 16) == self.chain_id
        except (OSError, urllib.error.URLError, ValueError, KeyError):
            return False

    def rpc(self, method: str, params: list[object] | None = None) -> object:
        """A raw JSON-RPC call, for test set-up only (code under test uses numbers_cli.chain)."""
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []})
        request = urllib.request.Request(
            self.rpc_url, data=body.encode(), headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10.0) as response:
            reply = json.load(response)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def stop(self) -> None:
        """Stop anvil (terminate, then kill if it lingers) and reap it."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        if process.stderr:
            process.stderr.close()
        if self._cache is not None:
            shutil.rmtree(self._cache, ignore_errors=True)
            self._cache = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def anvil_or_skip(*, chain_id: int = TEST_CHAIN_ID, extra_args: tuple[str, ...] = ()) -> Anvil:
    """Start an Anvil for pytest: skip if it is not installed, fail under CI."""
    import pytest

    try:
        return Anvil(chain_id=chain_id, extra_args=extra_args).start()
    except AnvilUnavailable as exc:
        if in_ci():
            pytest.fail(f"{exc} (CI is set: chain tests must run)", pytrace=False)
        pytest.skip(str(exc))


def deploy_register(node: Anvil, name: str = "devnet") -> Network:
    """A Network `name` on `node` with a fresh IntegrityRegister, deployed by its first key.

    Every benchmark starts from one; numbers_cli is imported here, not at the
    top, so that a bench can set its environment before nit's first import.
    """
    from numbers_cli.chain import ChainClient, Network

    bare = Network(name, node.chain_id, node.rpc_url, None)
    with ChainClient(bare) as client:
        contract = client.deploy_integrity_register(node.keys[0])
    return Network(name, node.chain_id, node.rpc_url, contract)
