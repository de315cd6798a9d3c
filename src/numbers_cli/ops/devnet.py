"""`nit devnet up | status | down`: a real local chain in one command.

`up` brings the devnet to one known state whatever it finds, so running it
twice is harmless: anvil running (started if not, with the chain saved in the
user data dir), an IntegrityRegister and nit's market contracts (Custody,
Licenses) at the addresses `[networks.devnet]` records (each deployed only
when there is no code there), the user's wallet funded,
and `[networks.devnet]` in the user config pointing at all of it. `down` stops
only the anvil that `up` started. The process handling is
`numbers_cli.chain.anvil`; this module decides what to do.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from numbers_cli.chain import ChainClient, Network, anvil, format_amount
from numbers_cli.config import Config, user_config_file
from numbers_cli.config_writer import set_table_entry
from numbers_cli.errors import ConfigError, NetworkError, UsageError, WalletError
from numbers_cli.ops import wallet as wallet_op
from numbers_cli.ops.devnet_reports import DevnetDown, DevnetStatus, DevnetUp, WalletFunding
from numbers_cli.ops.networks import NETWORKS_TABLE

__all__ = [
    "DEVNET",
    "FUND_AMOUNT_WEI",
    "FUND_BELOW_WEI",
    "DevnetDown",
    "DevnetStatus",
    "DevnetUp",
    "WalletFunding",
    "devnet_network",
    "down",
    "format_amount",
    "status",
    "up",
]

#: The network name the devnet is recorded under.
DEVNET = "devnet"
#: A wallet holding less than this is topped up by `up`...
FUND_BELOW_WEI = 10 * 10**18
#: ...with this much from anvil's first dev account (it holds 10,000 ETH).
FUND_AMOUNT_WEI = 100 * 10**18


def devnet_network(rpc_url: str, contract: str | None) -> Network:
    """The devnet as a Network: chain 31337, one confirmation (anvil mines each transaction
    into its own block at once, and a second block would never come without more traffic)."""
    return Network(
        name=DEVNET,
        chain_id=anvil.DEVNET_CHAIN_ID,
        rpc_url=rpc_url,
        contract=contract,
        confirmations=1,
    )


def _user_entry(env: Mapping[str, str] | None) -> dict[str, Any]:
    """`[networks.devnet]` of the user file alone (that is where `up` writes it)."""
    entry = Config.load(None, env).table(NETWORKS_TABLE).get(DEVNET)
    return dict(entry) if isinstance(entry, dict) else {}


def _recorded_port(entry: Mapping[str, Any]) -> int | None:
    """The port of a loopback `rpc` recorded by an earlier `up`, to come back on the same URL."""
    rpc = entry.get("rpc")
    if not isinstance(rpc, str):
        return None
    try:
        parts = urlsplit(rpc)
        port = parts.port
    except ValueError:
        return None
    return port if parts.hostname in (anvil.HOST, "localhost") else None


def _choose_port(port: int | None, entry: Mapping[str, Any]) -> int:
    if port == 0:
        return anvil.any_free_port()
    chosen = port or _recorded_port(entry) or anvil.DEFAULT_PORT
    if not 0 < chosen < 65536:
        raise UsageError(f"port {chosen} is out of range (1-65535, or 0 for any free port)")
    if not anvil.port_is_free(chosen):
        other = anvil.remote_chain_id(f"http://{anvil.HOST}:{chosen}")
        what = f"an RPC node of chain {other}" if other is not None else "another program"
        raise NetworkError(
            f"port {chosen} on {anvil.HOST} is taken by {what}, not by nit's devnet",
            hint="pick another with `nit devnet up --port N` (0: any free port)",
        )
    return chosen


def _recorded(entry: Mapping[str, Any], field: str) -> str | None:
    """An address `up` recorded earlier in `[networks.devnet]`, if any."""
    value = entry.get(field)
    return value if isinstance(value, str) else None


def _has_register(client: ChainClient) -> bool:
    """Whether the network's recorded address holds contract code."""
    if not client.network.contract:
        return False
    try:
        client.check()
    except (NetworkError, ConfigError):
        return False
    return True


def _wallet(config: Config, env: Mapping[str, str] | None) -> tuple[str, str] | str:
    """(source, address) of the key that would sign, or the reason there is none."""
    try:
        return wallet_op.active_address(config, env=env)
    except WalletError as exc:
        return exc.message


def up(
    config: Config,
    *,
    port: int | None = None,
    env: Mapping[str, str] | None = None,
    start_timeout: float = 30.0,
    fund: bool = True,
) -> DevnetUp:
    """Bring the devnet up (see the module docstring); idempotent.

    `config` is the configuration in force where nit runs (it says which wallet
    to fund). `port`: where to listen if anvil has to be started (0: any free
    port; default: the port of the last run, else 8545); UsageError if the
    devnet already runs on another port.
    """
    env = os.environ if env is None else env
    paths = anvil.DevnetPaths.for_env(env)
    notes: list[str] = []
    with paths.locked():
        entry = _user_entry(env)
        process = anvil.running(paths)
        started = False
        if process is not None:
            if port and port != process.port:
                raise UsageError(
                    f"the devnet already runs on port {process.port}",
                    hint="`nit devnet down` first to move it to another port",
                )
            if anvil.remote_chain_id(process.rpc_url, timeout=5.0) != anvil.DEVNET_CHAIN_ID:
                raise NetworkError(
                    f"the devnet's anvil (pid {process.pid}) runs but does not answer on "
                    f"{process.rpc_url}",
                    hint=f"`nit devnet down`, then `nit devnet up`; its log: {paths.log}",
                )
        else:
            anvil.clear_record(paths)  # stale: its process is gone or not ours
            binary = anvil.find_anvil(env)
            version = anvil.anvil_version(binary)
            if version != anvil.ANVIL_VERSION:
                notes.append(
                    f"{binary} is anvil {version or '(unknown version)'}; "
                    f"nit is tested with {anvil.ANVIL_VERSION}"
                )
            chosen = _choose_port(port, entry)
            process = anvil.start(paths, binary, chosen, timeout=start_timeout, version=version)
            started = True

        network = devnet_network(process.rpc_url, _recorded(entry, "contract"))
        deployed = False
        funding: WalletFunding | None = None
        from numbers_cli.ops.market.deploy import deploy_market, market_deployed

        network = dataclasses.replace(
            network, custody=_recorded(entry, "custody"), licenses=_recorded(entry, "licenses")
        )
        with ChainClient(network, timeout=10.0, poll_interval=0.02) as client:
            if not _has_register(client):
                contract = client.deploy_integrity_register(anvil.DEV_KEY)
                network = dataclasses.replace(network, contract=contract)
                deployed = True
            market_new = not market_deployed(client)
            if market_new:
                custody, licenses = deploy_market(client, anvil.DEV_KEY)
                network = dataclasses.replace(network, custody=custody, licenses=licenses)
            if fund:
                who = _wallet(config, env)
                if isinstance(who, str):
                    notes.append(f"no wallet funded: {who}; then run `nit devnet up` again")
                else:
                    source, address = who
                    balance = client.balance(address)
                    sent = 0
                    if balance < FUND_BELOW_WEI:
                        client.fund(anvil.DEV_KEY, address, FUND_AMOUNT_WEI)
                        sent = FUND_AMOUNT_WEI
                        balance = client.balance(address)
                    funding = WalletFunding(source, address, balance, sent)

        wanted = {
            **entry,
            "rpc": network.rpc_url,
            "chain_id": network.chain_id,
            "contract": network.contract,
            "custody": network.custody,
            "licenses": network.licenses,
            "confirmations": 1,
        }
        written = wanted != entry
        if written:
            set_table_entry("user", NETWORKS_TABLE, DEVNET, wanted, env=env)
        if str(config.get("core.network")) != DEVNET:
            notes.append(
                f"core.network is {config.get('core.network')}: "
                "use `nit push --network devnet` to push here"
            )
        return DevnetUp(
            started=started,
            process=process,
            network=network,
            deployed=deployed,
            config_written=written,
            config_path=user_config_file(env),
            wallet=funding,
            paths=paths,
            notes=notes,
            market_deployed=market_new,
        )


def status(config: Config, *, env: Mapping[str, str] | None = None) -> DevnetStatus:
    """The devnet's process, node and register, read without changing anything."""
    env = os.environ if env is None else env
    paths = anvil.DevnetPaths.for_env(env)
    process = anvil.running(paths)
    report = DevnetStatus(running=process is not None, paths=paths, process=process)
    if process is None:
        if anvil.read_record(paths) is not None:
            report.notes.append("a stale pid file is left from an earlier run; `up` clears it")
        return report
    recorded = _user_entry(env).get("contract")
    report.contract = recorded if isinstance(recorded, str) else None
    network = devnet_network(process.rpc_url, report.contract)
    try:
        with ChainClient(network, timeout=5.0) as client:
            report.chain_id = client.chain_id()
            if report.chain_id != anvil.DEVNET_CHAIN_ID:
                report.problem = (
                    f"the node at {process.rpc_url} serves chain id {report.chain_id}, "
                    f"not {anvil.DEVNET_CHAIN_ID}"
                )
                return report
            report.block_number = client.block_number()
            report.contract_deployed = _has_register(client) if report.contract else False
            who = _wallet(config, env)
            if isinstance(who, str):
                report.notes.append(f"no wallet: {who}")
            else:
                report.wallet = WalletFunding(who[0], who[1], client.balance(who[1]))
    except NetworkError as exc:
        report.problem = exc.message
    if report.problem is None and not report.contract_deployed:
        report.notes.append("no IntegrityRegister on the devnet yet; `nit devnet up` deploys one")
    return report


def down(
    *, env: Mapping[str, str] | None = None, reset: bool = False, timeout: float = 15.0
) -> DevnetDown:
    """Stop the devnet's anvil, and nothing else; harmless when it is not running.

    Only the process group the pid file names, created by `up` and serving our
    state file, is signalled (see `chain.devnet_group`); a pid file naming
    anything else is stale and is removed. `reset` also deletes the saved chain
    (the next `up` starts afresh and deploys a new register).
    """
    env = os.environ if env is None else env
    paths = anvil.DevnetPaths.for_env(env)
    with paths.locked():
        record = anvil.read_record(paths)
        result: DevnetDown
        if record is None:
            result = DevnetDown(stopped=False, note="the devnet is not running")
        elif not anvil.is_ours(record, paths):
            anvil.clear_record(paths)
            what = "has exited" if not anvil.is_alive(record.pid) else "is not the devnet's anvil"
            result = DevnetDown(
                stopped=False,
                pid=record.pid,
                note=f"pid {record.pid} {what}; left it alone and removed the stale pid file",
            )
        else:
            killed = anvil.stop(record, timeout=timeout)
            anvil.clear_record(paths)
            result = DevnetDown(stopped=True, pid=record.pid, killed=killed)
        if reset:
            paths.state.unlink(missing_ok=True)
            result = dataclasses.replace(result, reset=True)
        return result
