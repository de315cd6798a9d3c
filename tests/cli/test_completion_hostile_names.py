"""File names a shell could execute or mangle (`$(...)`, backticks, quotes, spaces,
a leading dash) tracked in a repository and completed in the real shells: nothing
they name is ever run, and a broken repository completes nothing, quietly."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import Nit, ok
from tests.support.shells import SHELLS, Shell, install

HOSTILE = ["b$(touch PWNED1)", "b`touch PWNED2`", "b'q\" x;touch PWNED3", "-rf b"]


@pytest.fixture(params=SHELLS)
def shell(request: pytest.FixtureRequest, isolated_env: Path) -> Shell:
    return install(request.param, isolated_env)


def test_hostile_file_names_are_never_run(shell: Shell, nit: Nit, workdir: Path) -> None:
    ok(nit("init"))
    for name in HOSTILE:
        (workdir / name).write_bytes(name.encode())
        ok(nit("add", "--", name))
    for line in ("nit log b", "nit show b", "nit log $(touch PWNED4)"):
        shell.complete(line, workdir)
    offered = shell.complete("nit log b", workdir).names()  # the Nids and the files, both
    assert {n for n in HOSTILE if n.startswith("b")} <= offered  # whole, as named
    assert sorted(p.name for p in workdir.iterdir() if p.name.startswith("PWNED")) == []


def test_a_broken_store_completes_quietly(shell: Shell, nit: Nit, workdir: Path) -> None:
    ok(nit("init"))
    (workdir / "photo.jpg").write_bytes(b"x")
    ok(nit("add", "photo.jpg"))
    for path in (workdir / ".numbers").iterdir():
        if path.is_file():
            path.write_bytes(b"\x00garbage")
    (workdir / ".numbers" / "config.toml").write_text("[[[not toml")
    offered = shell.complete("nit log b", workdir)
    assert not any("Traceback" in w or "rror" in w for w in offered.names())
