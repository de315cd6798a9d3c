"""Fixtures of the data tests: a throwaway PKI for C2PA, and the funded devnet of the push tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.push.conftest import funded, on_devnet  # noqa: F401 - fixtures shared with push tests
from tests.support.c2pa_certs import TestPki, make_pki


@pytest.fixture
def pki(tmp_path: Path) -> TestPki:
    return make_pki(tmp_path / "pki")


@pytest.fixture
def c2pa_signing(pki: TestPki, monkeypatch: pytest.MonkeyPatch) -> TestPki:
    """The user's C2PA signing pair, given as CI would: through the environment."""
    monkeypatch.setenv("NIT_C2PA_CERT", str(pki.chain_pem))
    monkeypatch.setenv("NIT_C2PA_KEY", str(pki.key_pem))
    return pki
