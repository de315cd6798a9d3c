"""`nit export --c2pa`: rendering of the C2PA export (the option lives on `nit export`)."""

from __future__ import annotations

from pathlib import Path

from numbers_cli.cli.env import Env
from numbers_cli.ops import c2pa_export
from numbers_cli.ops.session import open_repo


def export_c2pa(env: Env, target: str, out: Path, network: str | None, as_json: bool) -> None:
    repo, config = open_repo(env.cwd)
    done = c2pa_export.export_c2pa(repo, config, target, env.cwd / out, network=network)
    for warning in done.warnings:
        env.err.print(f"warning: {warning}", markup=False, highlight=False)
    if as_json:
        env.json(done.to_json())
        return
    where = f", tx {done.record['tx']}" if done.record.get("tx") else ""
    env.out.print(
        f"wrote {out}: C2PA manifest ({done.manifest_bytes} bytes) naming {done.asset}, "
        f"commit {done.commit}{where}",
        markup=False,
        highlight=False,
    )
