"""Shared fixtures: every test runs with a clean, private environment.

Like dulwich's TestCase clearing HOME and GIT_*, we drop every NIT_* and XDG
variable, point the user config at a temp dir, and give tests a `nit(...)`
runner that calls the real CLI in-process and returns what a user would see.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.support.anvil import TEST_CHAIN_ID, Anvil, anvil_or_skip
from tests.support.ipfs_node import IpfsNode

from numbers_cli.chain import ChainClient, Network
from numbers_cli.wallet.eth_account_import import eth_account_module

# Tests compare nit's Ethereum primitives with eth-account's and import it
# directly; py_ecc (under it) raises the recursion limit to 100,000 at import,
# once per process. nit's own import puts the limit back (wallet.eth_account_import);
# importing it here, through that module, first, keeps every test worker at the
# limit a `nit` process runs with, whichever test imports eth-account next.
eth_account_module()

REPO_ROOT = Path(__file__).resolve().parents[1]
MEDIA = REPO_ROOT / "tests" / "fixtures" / "media"

# A throwaway key for signing in tests; never a real wallet.
TEST_KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
TEST_ADDRESS = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"

# Everything the CLI printed during the session (arguments, output), for the checks
# that no key and no traceback is ever printed.
CLI_TRANSCRIPT: list[tuple[tuple[str, ...], str]] = []


@pytest.fixture(autouse=True)
def isolated_env(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    for name in list(os.environ):
        if name.startswith(("NIT_", "XDG_")):  # CI stays: it turns tool skips into failures
            monkeypatch.delenv(name, raising=False)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("NIT_CONFIG_DIR", str(home / ".config" / "numbers"))
    monkeypatch.setenv("NIT_DATA_DIR", str(home / ".local" / "share" / "numbers"))
    yield home


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def ok(result: Result) -> Result:
    """The result of a command that must succeed; its output is the failure message."""
    assert result.exit_code == 0, result.output
    return result


def one_line_error(result: Result) -> str:
    """The one `nit: error:` line of a failed command (nothing on stdout, no traceback)."""
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("nit: error: "), result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def python_m(
    *args: str, cwd: Path, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    """`python -m numbers_cli ARGS` in a real process, so binary stdin/stdout stay binary."""
    done = subprocess.run(
        [sys.executable, "-m", "numbers_cli", *args],
        cwd=cwd,
        env=dict(os.environ),
        input=stdin,
        capture_output=True,
        check=False,
    )
    CLI_TRANSCRIPT.append((args, done.stderr.decode(errors="replace")))
    return done


class Nit:
    """Runs `nit ARGS` in-process, in `cwd`, like a user in a terminal-less shell."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd

    def __call__(
        self, *args: str, env: dict[str, str] | None = None, input: str | None = None
    ) -> Result:
        from numbers_cli.cli.main import cli, run

        runner = CliRunner()
        old = Path.cwd()
        os.chdir(self.cwd)
        try:
            with runner.isolation(input=input, env=env) as (out, err, _):
                code = run([str(a) for a in args])
                stdout, stderr = out.getvalue().decode(), err.getvalue().decode()
        finally:
            os.chdir(old)
        del cli
        CLI_TRANSCRIPT.append((tuple(str(a) for a in args), stdout + stderr))
        return Result(code, stdout, stderr)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    path = tmp_path / "work"
    path.mkdir()
    return path


@pytest.fixture
def nit(workdir: Path) -> Nit:
    return Nit(workdir)


@pytest.fixture
def signing_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """CI-style signing: the key comes from NIT_PRIVATE_KEY."""
    monkeypatch.setenv("NIT_PRIVATE_KEY", TEST_KEY)
    return TEST_ADDRESS


@pytest.fixture
def media(workdir: Path):  # type: ignore[no-untyped-def]
    """Copy named fixture photos into the work dir (fixtures themselves stay read-only)."""

    def copy(*names: str) -> list[Path]:
        out = []
        for name in names:
            target = workdir / name
            shutil.copyfile(MEDIA / name, target)
            out.append(target)
        return out

    return copy


@pytest.fixture
def repo(nit: Nit, workdir: Path) -> Path:
    """An initialized repository in the work dir."""
    assert nit("init").exit_code == 0
    return workdir


@pytest.fixture
def second(tmp_path: Path) -> Nit:
    """A second, fresh repository next to the work dir (another machine, same user
    config): where CARs are imported and histories fetched."""
    (tmp_path / "second").mkdir()
    other = Nit(tmp_path / "second")
    ok(other("init"))
    return other


@pytest.fixture
def private_key() -> str:
    """The throwaway signing key (TEST_KEY) itself, for subprocesses and secret checks."""
    return TEST_KEY


@pytest.fixture(autouse=True)
def no_private_key_in_cli_output() -> Iterator[None]:
    """Every CLI run of the whole suite is grepped for the test key after its test."""
    start = len(CLI_TRANSCRIPT)
    yield
    key = TEST_KEY[2:].lower()
    for _, output in CLI_TRANSCRIPT[start:]:
        assert key not in output.lower(), "a nit command printed the private key"


@pytest.fixture(autouse=True)
def no_traceback_in_cli_output() -> Iterator[None]:
    """No CLI run of the whole suite prints a traceback, unless it asked for them with -v.

    Bad input gets one `nit: error:` line; a traceback means an error escaped
    (exit 70) or was printed by hand. Covers in-process runs (`nit` fixture)
    and real processes started with `python_m`.
    """
    start = len(CLI_TRANSCRIPT)
    yield
    for args, output in CLI_TRANSCRIPT[start:]:
        if "-v" in args or "--verbose" in args:
            continue
        assert "Traceback" not in output, f"`nit {' '.join(args)}` printed a traceback:\n{output}"


# --- real nodes, shared by tests/compat, tests/chain, tests/ipfs, tests/push ---------


@pytest.fixture(scope="session")
def ipfs_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IpfsNode]:
    """One real offline js-ipfs node per test session (so one per xdist worker).

    Session scope because starting a node takes ~2 s; each xdist worker runs
    its own session, with its own repo under the worker's basetemp and its own
    OS-assigned ports, so workers never share or collide.
    """
    IpfsNode.require_tools()
    with IpfsNode(tmp_path_factory.mktemp("ipfs-node")) as node:
        yield node


@pytest.fixture(scope="session")
def anvil() -> Iterator[Anvil]:
    node = anvil_or_skip()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture(scope="session")
def bare_devnet(anvil: Anvil) -> Network:
    """The test chain without a register: for deployments and error cases."""
    return Network(name="devnet", chain_id=TEST_CHAIN_ID, rpc_url=anvil.rpc_url, contract=None)


@pytest.fixture
def devnet(anvil: Anvil, bare_devnet: Network) -> Network:
    """The test chain with a freshly deployed, initialized IntegrityRegister."""
    with ChainClient(bare_devnet) as deployer:
        address = deployer.deploy_integrity_register(anvil.keys[0])
    return dataclasses.replace(bare_devnet, contract=address)


@pytest.fixture
def chain(devnet: Network) -> Iterator[ChainClient]:
    # resend_after: anvil's pool now and then strands a pipelined transaction
    # (see test_stuck_transactions.py); re-sending it soon keeps tests quick.
    with ChainClient(devnet, poll_interval=0.02, resend_after=2.0) as client:
        yield client
