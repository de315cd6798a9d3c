"""`nit verify --policy`: every link holds, and the verifier's own rules too (exit 16)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import TEST_ADDRESS, Nit, one_line_error

PHOTO = "Canon_40D.jpg"


@pytest.fixture
def committed(nit: Nit, repo: Path, media, signing_key) -> None:  # type: ignore[no-untyped-def]
    media(PHOTO)
    assert nit("add", PHOTO, "--license", "cc-by-4.0").exit_code == 0
    assert nit("commit", "-m", "original").exit_code == 0


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "rules.toml"
    path.write_text(text)
    return str(path)


def test_a_policy_that_holds(nit, committed, tmp_path):
    rules = write(
        tmp_path,
        f'[signers]\nallow = ["{TEST_ADDRESS}"]\n[require]\nfields = ["license"]\nmax_age = "1d"\n',
    )
    result = nit("verify", PHOTO, "--policy", rules, "--json")
    assert result.exit_code == 0, result.output
    verdict = json.loads(result.stdout)
    assert [c["ok"] for c in verdict["policy"]] == [True, True]
    assert verdict["commits"][0]["checks"][-1]["check"] == "policy"


def test_a_signer_the_policy_does_not_allow(nit, committed, tmp_path):
    rules = write(tmp_path, '[signers]\nallow = ["0x63B7076FC0A914Af543C2e5c201df6C29FCC18c5"]\n')
    result = nit("verify", PHOTO, "--policy", rules)
    assert result.exit_code == 16, result.output
    assert f"signer {TEST_ADDRESS} is not allowed by rules.toml [signers]" in result.stdout
    assert "FAILED" in result.stdout


def test_a_licence_scoped_rule(nit, committed, tmp_path):
    rules = write(
        tmp_path,
        f'[signers]\n[[signers.rules]]\nallow = ["{TEST_ADDRESS}"]\nlicenses = ["CC-BY-4.0"]\n',
    )
    assert nit("verify", PHOTO, "--policy", rules).exit_code == 0
    assert nit("add", PHOTO, "--license", "mit").exit_code == 0
    assert nit("commit", "-m", "relicensed").exit_code == 0
    assert nit("verify", PHOTO, "--policy", rules).exit_code == 16


@pytest.mark.parametrize(
    ("rule", "says"),
    [
        ('fields = ["digitalSourceType"]', "latest tree lacks digitalSourceType"),
        ("nft = true", "latest tree records no NFT"),
        ('max_age = "0s"', "older than rules.toml [require] max_age"),
    ],
)
def test_require_rules_fail_with_16(nit, committed, tmp_path, rule, says, monkeypatch):
    if "max_age" in rule:
        import time

        now = time.time()
        monkeypatch.setattr(time, "time", lambda: now + 5)
    result = nit("verify", PHOTO, "--policy", write(tmp_path, f"[require]\n{rule}\n"))
    assert result.exit_code == 16, result.output
    assert says in result.stdout


def test_a_bad_policy_is_one_line_and_exit_8(nit, committed, tmp_path):
    result = nit("verify", PHOTO, "--policy", write(tmp_path, "[require]\nfeilds = []\n"))
    assert result.exit_code == 8
    assert "require.feilds (line 2): unknown key" in one_line_error(result)


# --- verify what you were sent (issue 10) -------------------------------------------------


def test_verify_a_received_file_outside_the_repository(nit, committed, workdir, tmp_path):
    received = tmp_path / "downloads" / "photo-from-mail.jpg"
    received.parent.mkdir()
    received.write_bytes((workdir / PHOTO).read_bytes())
    result = nit("verify", str(received), "--json")
    assert result.exit_code == 0, result.output
    verdict = json.loads(result.stdout)
    assert verdict["ok"] and verdict["content"][0]["detail"].startswith("file hashes to asset")

    received.write_bytes(received.read_bytes() + b"\0")  # not what was registered
    unknown = nit("verify", str(received))
    assert unknown.exit_code == 4
    assert "no provenance record for" in one_line_error(unknown)


def test_verify_a_file_of_another_repository(nit, committed, workdir, second, tmp_path):
    other = tmp_path / "second" / PHOTO
    other.write_bytes((workdir / PHOTO).read_bytes())
    assert second("add", PHOTO).exit_code == 0  # tracked there, not here
    assert nit("verify", str(other)).exit_code == 0
