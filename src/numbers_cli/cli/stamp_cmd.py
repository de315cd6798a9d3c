"""stamp, attest: anchor many build artifacts with one registration; in-toto statements."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from numbers_cli.cli.completion import complete_network, complete_remote
from numbers_cli.cli.env import Env, pass_env, passphrase_stdin_option
from numbers_cli.cli.examples import examples
from numbers_cli.cli.progress import progress_for
from numbers_cli.cli.render import plural
from numbers_cli.errors import ExitCode, UsageError
from numbers_cli.model.names import json_path, quote_path
from numbers_cli.model.nid import short
from numbers_cli.ops.identity import get_signer
from numbers_cli.ops.session import open_repo
from numbers_cli.ops.stamp import DEFAULT_BATCH_SIZE

if TYPE_CHECKING:
    from numbers_cli.ops.stamp.run import StampReport

_STATE_TEXT = {
    "stamped": "stamped",
    "recovered": "stamped (finished)",
    "already": "already stamped",
    "duplicate": "same bytes as",
}
_BATCH_TEXT = {
    "registered": "registered",
    "recovered": "registered (sent by an interrupted stamp)",
    "found": "already on chain",
}


@click.command(
    epilog=examples(
        "nit stamp dist/*.whl dist/*.tar.gz     # one batch, one registration",
        "nit stamp -r dist --json               # every file under dist/",
        "nit stamp - --name dist.tar < dist.tar  # one artifact from standard input",
        "nit stamp -r dist --hash-only --no-ipfs   # only hashes leave the machine",
        "nit verify dist/app.tar                # stamped in batch B, leaf i of n",
    )
)
@click.argument("paths", nargs=-1, metavar="PATH...|-")
@click.option("--name", metavar="NAME", help="Name of the artifact read from standard input (-).")
@click.option("-r", "--recursive", is_flag=True, help="Stamp the files under directories.")
@click.option(
    "--hash-only/--keep-content",
    "hash_only",
    default=None,
    help="Keep the artifacts' bytes off the repository and IPFS: only Nid, sha256 and "
    "tree leave the machine (default: --hash-only when CI is set).",
)
@click.option(
    "--batch-size",
    type=int,
    default=DEFAULT_BATCH_SIZE,
    show_default=True,
    metavar="N",
    help="Most artifacts one stamp (one batch, one registration) may hold.",
)
@click.option("--again", is_flag=True, help="Stamp artifacts that were stamped before, anew.")
@click.option(
    "--network",
    metavar="NAME",
    help="Chain to register on (default: core.network).",
    shell_complete=complete_network,
)
@click.option(
    "--remote",
    metavar="NAME",
    help="IPFS remote for trees and commits (default one).",
    shell_complete=complete_remote,
)
@click.option("--no-ipfs", is_flag=True, help="Upload nothing to IPFS.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@passphrase_stdin_option
@pass_env
@click.pass_context
def stamp(
    ctx: click.Context,
    env: Env,
    paths: tuple[str, ...],
    name: str | None,
    recursive: bool,
    hash_only: bool | None,
    batch_size: int,
    again: bool,
    network: str | None,
    remote: str | None,
    no_ipfs: bool,
    as_json: bool,
) -> None:
    """Anchor build artifacts on chain: one Merkle root, one registration.

    Each artifact becomes an asset with a tree and a signed commit, as
    `nit add` + `nit commit` make them; the commits are the leaves of one
    Merkle tree, whose root the batch's own signed commit carries on chain.
    Each artifact keeps its inclusion proof in the repository. Build facts
    of GitHub Actions / GitLab CI go under `custom.build`.

    Exits 24 when every artifact was stamped before (--again stamps anew).
    Run it again after an interruption: the batch is registered exactly once.
    """
    from numbers_cli.ops.stamp import run as stamp_op

    if "-" in paths and env.passphrase_stdin:
        raise UsageError(
            "--passphrase-stdin cannot be used when the artifact is standard input (-)"
        )
    repo, config = open_repo(env.cwd)
    options = stamp_op.StampOptions(
        paths=paths,
        stdin=sys.stdin.buffer if "-" in paths else None,
        name=name,
        recursive=recursive,
        hash_only=hash_only,
        batch_size=batch_size,
        again=again,
        network=network,
        remote=remote,
        ipfs=not no_ipfs,
        cwd=env.cwd,
    )
    report = stamp_op.stamp(
        repo,
        config,
        options,
        lambda: get_signer(config, env.passphrase_source(), passphrase=env.stdin_passphrase()),
        progress_for(env.err, enabled=not as_json and bool(config.get("core.progress"))),
    )
    if as_json:
        env.json(report_json(report))
    else:
        _print(env, report)
    if report.already_stamped:
        ctx.exit(int(ExitCode.ALREADY_STAMPED))


def report_json(report: StampReport) -> dict[str, Any]:
    network = report.network
    return {
        "network": network.name,
        "chainId": network.chain_id,
        "contract": network.contract,
        "hashOnly": report.hash_only,
        "alreadyStamped": report.already_stamped,
        "batches": [
            {
                "batch": b.batch,
                "root": b.root,
                "commit": b.commit,
                "leaves": b.leaves,
                "state": b.state,
                "txHash": b.tx_hash,
                "block": b.block,
                "txUrl": network.tx_url(b.tx_hash) if b.tx_hash else None,
                "gasUsed": b.gas_used,
                "gasPerArtifact": round(b.gas_used / b.leaves, 1) if b.gas_used else None,
            }
            for b in report.batches
        ],
        "artifacts": [
            {
                "name": json_path(a.name),
                "nid": a.nid,
                "sha256": a.sha256,
                "size": a.size,
                "state": a.state,
                "commit": a.commit,
                "batch": a.batch,
                "root": a.root,
                "leafIndex": a.leaf_index,
                "leaves": a.leaves,
            }
            for a in report.artifacts
        ],
        "remote": report.remote,
        "uploaded": report.uploaded,
        "notes": report.notes,
    }


def _print(env: Env, report: StampReport) -> None:
    for note in report.notes:
        env.err.print(f"note: {note}")
    firsts = {a.nid: quote_path(a.name) for a in report.artifacts if a.state != "duplicate"}
    for a in report.artifacts:
        where = f"batch {short(a.batch)}, leaf {a.leaf_index + 1} of {a.leaves}"
        if a.state == "duplicate":
            env.out.print(
                f"{'same bytes as':<18} {firsts.get(a.nid, a.nid)}: {quote_path(a.name)}",
                markup=False,
            )
        else:
            env.out.print(
                f"{_STATE_TEXT[a.state]:<18} {quote_path(a.name)}  {short(a.nid)}  {where}",
                markup=False,
            )
    network = report.network
    for b in report.batches:
        env.out.print(
            f"batch {b.batch} ({b.leaves} artifact{'s' if b.leaves != 1 else ''}), root {b.root}"
        )
        env.out.print(
            f"  {_BATCH_TEXT.get(b.state, b.state)} on {network.name} "
            f"(chain {network.chain_id}): tx {b.tx_hash} block {b.block}"
        )
        url = network.tx_url(b.tx_hash) if b.tx_hash else None
        if url:
            env.out.print(f"  {url}")
        if b.gas_used:
            env.out.print(
                f"  gas {b.gas_used:,} for {b.leaves:,} artifact{'s' if b.leaves != 1 else ''}: "
                f"{b.gas_used / b.leaves:,.1f} per artifact"
            )
    if report.uploaded:
        env.out.print(f"IPFS {report.remote}: {plural(report.uploaded, 'object')} uploaded")
    if report.already_stamped:
        env.out.print("Nothing new to stamp (--again stamps these anew)")


@click.command(
    epilog=examples(
        "nit attest dist/app.tar -o app.intoto.json",
        "nit attest dist/*.whl --network devnet > wheels.intoto.json",
        "nit verify --statement app.intoto.json dist/app.tar",
    )
)
@click.argument("artifacts", nargs=-1, required=True, metavar="ARTIFACT...")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["in-toto"]),
    default="in-toto",
    show_default=True,
    help="Attestation format: an in-toto Statement v1 in a DSSE envelope.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write the envelope here (default: standard output).",
)
@click.option(
    "--network",
    metavar="NAME",
    help="Use the stamp registered on this network.",
    shell_complete=complete_network,
)
@passphrase_stdin_option
@pass_env
def attest(
    env: Env, artifacts: tuple[str, ...], fmt: str, output: Path | None, network: str | None
) -> None:
    """Write a signed in-toto statement about stamped artifacts (files or Nids).

    Subjects are the artifacts' names and sha256; the predicate
    (https://numbersprotocol.io/nit/stamp/v1) holds each one's Nid, commit,
    Merkle proof and batch, and where the batch was registered. The DSSE
    envelope is signed by the wallet (EIP-191 over the PAE, key id = address).
    """
    from numbers_cli.ops.networks import resolve_network
    from numbers_cli.ops.stamp.attest import attest as attest_op

    repo, config = open_repo(env.cwd)
    chosen = resolve_network(config, network) if network else None
    envelope = attest_op(
        repo,
        artifacts,
        get_signer(config, env.passphrase_source(), passphrase=env.stdin_passphrase()),
        network=chosen,
    )
    if output is None:
        env.json(envelope)
        return
    from numbers_cli.fsio import atomic_write
    from numbers_cli.model import jsjson

    atomic_write(output, (jsjson.stringify(envelope, indent=2) + "\n").encode("utf-8"))
    env.err.print(f"wrote {output} ({len(artifacts)} subject{'s' if len(artifacts) != 1 else ''})")


COMMANDS = [stamp, attest]
