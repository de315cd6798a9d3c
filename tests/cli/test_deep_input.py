"""Files nested without end (a config of 5,000 `[`, a JSON document of 100,000) are
one-line errors with their command's exit code, not exit 70 or a crash."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Nit, one_line_error


def test_a_config_nested_past_tomlis_limit_is_a_config_error(nit: Nit, repo: Path) -> None:
    config = repo / ".numbers" / "config.toml"
    config.write_text("a = " + "[" * 5000 + "]" * 5000 + "\n")
    failed = nit("status")
    assert failed.exit_code == 8
    assert "invalid TOML" in one_line_error(failed) and str(config) in failed.stderr


def test_a_deeply_nested_proof_bundle_is_not_a_bundle(nit: Nit, workdir: Path) -> None:
    bundle = workdir / "bundle.json"
    bundle.write_bytes(b"[" * 100_000 + b"]" * 100_000)
    failed = nit("proof", "verify", str(bundle))
    assert failed.exit_code == 18
    assert "is not a proof bundle" in one_line_error(failed)
