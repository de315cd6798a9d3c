"""`nit import --max-size`: a CAR from a pipe (a gateway's `?format=car`, say) is
bounded by what the caller expects; past it, one line, and nothing is kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.cli.test_car import add_commit, big  # noqa: F401  (fixture)
from tests.conftest import Nit, ok, python_m
from tests.support.store_damage import snapshot


@pytest.fixture
def car_bytes(nit: Nit, repo: Path, big: Path, signing_key: str) -> bytes:  # noqa: F811
    nid = add_commit(nit, "big.bin")
    piped = python_m("export", nid, "--car", "-", cwd=repo)
    assert piped.returncode == 0, piped.stderr
    return piped.stdout


def test_a_car_past_max_size_is_refused_and_nothing_kept(car_bytes: bytes, second: Nit) -> None:
    before = snapshot(second.cwd)
    done = python_m("import", "-", "--max-size", "1M", cwd=second.cwd, stdin=car_bytes)
    err = done.stderr.decode()
    assert done.returncode == 5, err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "larger than --max-size 1 MiB" in err and "nothing was imported" in err, err
    assert snapshot(second.cwd) == before
    assert not list((second.cwd / ".numbers/tmp").iterdir())


def test_a_car_within_max_size_is_imported(car_bytes: bytes, second: Nit) -> None:
    done = python_m(
        "import", "-", "--max-size", str(len(car_bytes)), cwd=second.cwd, stdin=car_bytes
    )
    assert done.returncode == 0, done.stderr
    ok(second("fsck"))


def test_max_size_must_be_a_size(second: Nit) -> None:
    failed = second("import", "-", "--max-size", "lots")
    assert failed.exit_code == 2 and "--max-size" in failed.stderr
