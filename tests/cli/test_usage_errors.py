"""One error style: click's usage errors become `nit: error: ...` lines with the usage hint,
not click's `Usage: ... Error: ...` block (issue 10)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import Nit, one_line_error
from tests.support.snapshot import snapshot

CASES = {
    "missing-argument": (
        ["add"],
        "nit: error: missing argument 'PATHS...' "
        "(usage: nit add [OPTIONS] PATHS...; `nit add --help` for more)",
    ),
    "unknown-option": (
        ["add", "--frob", "x.jpg"],
        "nit: error: no such option '--frob' "
        "(usage: nit add [OPTIONS] PATHS...; `nit add --help` for more)",
    ),
    "unknown-command-suggests": (
        ["stauts"],
        "nit: error: no such command 'stauts'. Did you mean 'status'? "
        "(usage: nit [OPTIONS] COMMAND [ARGS]...; `nit --help` for more)",
    ),
    "bad-integer": (
        ["log", "--remote", "--from-index", "x"],
        "nit: error: invalid value for '--from-index': 'x' is not a valid integer "
        "(usage: nit log [OPTIONS] [NID|FILE]; `nit log --help` for more)",
    ),
    "subcommand-option": (
        ["wallet", "list", "--frob"],
        "nit: error: no such option '--frob' "
        "(usage: nit wallet list [OPTIONS]; `nit wallet list --help` for more)",
    ),
    "extra-argument": (
        ["status", "extra"],
        "nit: error: got unexpected extra argument (extra) "
        "(usage: nit status [OPTIONS]; `nit status --help` for more)",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_usage_error_is_one_line_with_the_usage(
    nit: Nit, repo: Path, isolated_env: Path, case: str
) -> None:
    args, expected = CASES[case]
    before = snapshot(repo, isolated_env)
    result = nit(*args)
    assert result.exit_code == 2
    assert one_line_error(result) == expected
    assert "Usage:" not in result.stderr and "Try " not in result.stderr
    assert snapshot(repo, isolated_env) == before


def test_a_group_without_its_subcommand_shows_its_help_as_usage(nit: Nit) -> None:
    result = nit("wallet")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("Usage: nit wallet [OPTIONS] COMMAND [ARGS]...")
