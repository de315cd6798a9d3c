"""Finding and running Foundry's anvil for `nit devnet`: the only code in nit that spawns it.

The devnet outlives the `nit devnet up` that starts it, so anvil runs detached
(its own session, output to a log file) and everything needed to find it again
lives in one directory of the user data dir:

    <user_data_dir>/devnet/
      state.json   the chain, as anvil dumps it (`--state`: loaded on start,
                   dumped on exit and every few seconds, so a crash loses little)
      anvil.json   pid, port and binary of the running anvil (our pid file)
      anvil.log    anvil's output of the current run
      lock         flock'ed while an up or down changes any of this
      cache/       anvil's states moved out of memory (`--cache-path`; emptied at each
                   start: anvil leaves them behind when it stops)

anvil comes as a native binary (Foundry's install, npm's platform package) or
as npm's `@foundry-rs/anvil`, a `node` script running the binary as its child.
So the devnet is the process group `up` started (anvil leads a new session),
and it is recognised and stopped as a group (`devnet_group`): ours when nit
created it and a live member serves our `--state` file, whatever its program
is called; `down` signals the whole group and waits for every member.

No web3 here: readiness is a bare eth_chainId over urllib, so waiting for the
node costs nothing before the chain client is needed.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path

from numbers_cli.chain import devnet_group
from numbers_cli.chain.devnet_paths import HOST, AnvilProcess, DevnetPaths
from numbers_cli.errors import ConfigError, NetworkError
from numbers_cli.fsio import atomic_write, make_dirs

__all__ = [
    "ANVIL_ENV",
    "ANVIL_VERSION",
    "DEFAULT_PORT",
    "DEVNET_CHAIN_ID",
    "DEV_ADDRESS",
    "DEV_KEY",
    "HOST",
    "AnvilProcess",
    "DevnetPaths",
    "anvil_version",
    "find_anvil",
    "is_alive",
    "is_ours",
    "port_is_free",
    "remote_chain_id",
    "running",
    "start",
    "stop",
]

#: The anvil release nit is tested with (tools/chain pins @foundry-rs/anvil to it).
ANVIL_VERSION = "1.7.1"
#: Environment variable naming the anvil executable to use.
ANVIL_ENV = "NIT_ANVIL"
#: anvil's default chain id, and no public network's.
DEVNET_CHAIN_ID = 31337
#: Port tried when neither --port nor an earlier run says otherwise (anvil's own default).
DEFAULT_PORT = 8545
#: Private key of anvil's first dev account (mnemonic "test test ... junk"): published
#: by Foundry, funded with 10,000 ETH on every anvil chain; never a real secret.
DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
DEV_ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
#: Seconds between anvil's periodic state dumps (at most this much is lost on a crash).
STATE_INTERVAL = 5

#: `tools/chain/node_modules/.bin/anvil` of the source tree, for editable installs
#: (src/numbers_cli/chain/anvil.py → four levels up is the repository root).
REPO_ANVIL = (
    Path(__file__).resolve().parents[3] / "tools" / "chain" / "node_modules" / ".bin" / "anvil"
)

_SPAWNED, is_alive = devnet_group.SPAWNED, devnet_group.is_alive  # see devnet_group


# -- finding the binary ----------------------------------------------------------


def find_anvil(env: Mapping[str, str] | None = None, *, repo_anvil: Path = REPO_ANVIL) -> Path:
    """The anvil to run: $NIT_ANVIL, else `anvil` on PATH, else the source tree's tools/chain.

    ConfigError (with how to install it) when there is none; a $NIT_ANVIL that
    names nothing runnable is an error rather than a silent fall-back, since
    the user asked for that one.
    """
    env = os.environ if env is None else env
    override = env.get(ANVIL_ENV)
    if override:
        path = Path(override).expanduser()
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise ConfigError(f"{ANVIL_ENV}={override} is not an executable file")
        return path
    on_path = shutil.which("anvil", path=env.get("PATH"))
    if on_path:
        return Path(on_path)
    if repo_anvil.is_file() and os.access(repo_anvil, os.X_OK):
        return repo_anvil
    raise ConfigError(
        "anvil (Foundry's local EVM node) is not installed",
        hint=(
            f"`npm install @foundry-rs/anvil@{ANVIL_VERSION}` (scripts/setup does it in "
            f"tools/chain) and put it on PATH, or set {ANVIL_ENV} to the executable"
        ),
    )


def anvil_version(binary: Path) -> str | None:
    """The version an anvil binary reports ("1.7.1"), or None if it will not say."""
    try:
        result = subprocess.run(
            [str(binary), "--version"],
            capture_output=True,
            text=True,
            timeout=15,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    for line in result.stdout.splitlines():
        if "Version:" in line:
            return line.split("Version:", 1)[1].strip().split()[0]
    return None


# -- the pid file ----------------------------------------------------------------


def read_record(paths: DevnetPaths) -> AnvilProcess | None:
    """The recorded anvil, or None if there is no record (an unreadable one counts as none)."""
    try:
        data = json.loads(paths.record.read_text("utf-8"))
        return AnvilProcess(
            pid=int(data["pid"]),
            port=int(data["port"]),
            binary=str(data["binary"]),
            started_at=float(data["started_at"]),
            version=data.get("version"),
            pgid=int(data["pgid"]) if data.get("pgid") is not None else None,
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_record(paths: DevnetPaths, process: AnvilProcess) -> None:
    """Record a running anvil (atomically: a reader sees the old record or the new one)."""
    make_dirs(paths.root)
    atomic_write(paths.record, json.dumps(asdict(process), indent=2).encode("utf-8"), 0o600)


def clear_record(paths: DevnetPaths) -> None:
    paths.record.unlink(missing_ok=True)


# -- is it ours, is it alive -----------------------------------------------------


def is_ours(process: AnvilProcess, paths: DevnetPaths) -> bool:
    """Whether the recorded devnet is alive and ours: some live process of the group `up`
    created serves this devnet's state file (whatever its program: anvil, node, ...).

    That excludes a recycled pid, the user's own anvil, and the devnet of
    another data dir (see `devnet_group`).
    """
    return process.pid > 0 and devnet_group.serves(process.pid, process.pgid, paths.state)


def running(paths: DevnetPaths) -> AnvilProcess | None:
    """The recorded anvil if it is alive and ours, else None. Reads only; changes nothing."""
    record = read_record(paths)
    if record is None or not is_ours(record, paths):
        return None
    return record


# -- the node --------------------------------------------------------------------


def remote_chain_id(rpc_url: str, timeout: float = 1.0) -> int | None:
    """The chain id a node at `rpc_url` reports, or None if nothing there answers it."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []})
    request = urllib.request.Request(
        rpc_url, data=body.encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(json.load(response)["result"], 16)
    except (OSError, urllib.error.URLError, ValueError, KeyError, TypeError):
        return None


def port_is_free(port: int) -> bool:
    """Whether HOST:port can be bound now (with SO_REUSEADDR, as anvil binds)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def any_free_port() -> int:
    """A port the OS says is free on HOST (for `--port 0`)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _failure_reason(paths: DevnetPaths) -> str:
    """The line of anvil's log that says why it stopped: its last `error` line, else its last."""
    try:
        lines = [
            line.strip() for line in paths.log.read_text("utf-8", errors="replace").splitlines()
        ]
    except OSError:
        return ""
    lines = [line for line in lines if line]
    errors = [line for line in lines if "error" in line.lower()]
    found = errors[-1] if errors else lines[-1] if lines else ""
    return found.removeprefix("error: ")[:300]


#: Secrets nit reads from the environment; a long-running anvil has no use for
#: them, and its environment stays readable in /proc for as long as it runs.
_SECRET_ENV = ("NIT_PRIVATE_KEY", "NIT_PASSPHRASE")


def _child_environment() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if name not in _SECRET_ENV}


def start(
    paths: DevnetPaths,
    binary: Path,
    port: int,
    *,
    chain_id: int = DEVNET_CHAIN_ID,
    timeout: float = 30.0,
    version: str | None = None,
) -> AnvilProcess:
    """Start anvil detached on HOST:port with the devnet's state, and wait until it answers.

    The pid file is written before waiting, so even an interrupted start can be
    stopped with `down`; but a start that fails here (exits, never answers, is
    interrupted) stops its anvil and removes the record, leaving nothing behind.
    NetworkError with anvil's last log line if it does not come up within `timeout`.
    """
    make_dirs(paths.root)
    shutil.rmtree(paths.cache, ignore_errors=True)  # the last run's: the chain is in --state
    argv = [
        str(binary),
        "--host",
        HOST,
        "--port",
        str(port),
        "--chain-id",
        str(chain_id),
        "--state",
        str(paths.state),
        "--state-interval",
        str(STATE_INTERVAL),
        "--cache-path",  # not ~/.foundry/anvil/tmp, which anvil never cleans
        str(paths.cache),
        "--color",
        "never",
    ]
    with open(paths.log, "wb") as log:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=paths.root,
            start_new_session=True,  # Ctrl-C in the terminal that ran `up` must not reach it
            close_fds=True,
            env=_child_environment(),
        )
    _SPAWNED[process.pid] = process
    record = AnvilProcess(
        pid=process.pid,
        port=port,
        binary=str(binary),
        started_at=time.time(),
        version=version,
        pgid=process.pid,  # start_new_session: it leads its own group
    )
    try:
        write_record(paths, record)
        deadline = time.monotonic() + timeout
        while True:
            code = process.poll()
            if code is not None:
                reason = _failure_reason(paths) or f"exit code {code}"
                hint = f"its log: {paths.log}"
                if paths.state.exists() and "state" in reason.lower():
                    hint += "; `nit devnet down --reset` starts the chain afresh"
                raise NetworkError(f"anvil exited while starting: {reason}", hint=hint)
            if remote_chain_id(record.rpc_url, timeout=1.0) == chain_id:
                return record
            if time.monotonic() >= deadline:
                raise NetworkError(
                    f"anvil did not answer on {record.rpc_url} within {timeout:g} s",
                    hint=f"its log: {paths.log}",
                )
            time.sleep(0.05)
    except BaseException:
        stop(record, timeout=5.0)
        clear_record(paths)
        raise


def stop(process: AnvilProcess, *, timeout: float = 15.0) -> bool:
    """SIGTERM the devnet's process group (anvil dumps its state on the way out; an npm
    wrapper forwards the signal too), wait for every member to exit, SIGKILL the group if
    one lingers. Call only for a process `is_ours` accepted.

    Returns True if something had to be killed (the last few seconds of state
    may then be lost).
    """
    return devnet_group.stop(process.pid, process.pgid, timeout=timeout)
