"""Help as git gives it: grouped whole summaries, examples on every command, `nit help CMD`,
and a start-up that imports only what the command uses (issues 9 and 10)."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest

from numbers_cli.cli.commands import GROUPS, TABLE
from numbers_cli.cli.group import cli


def _all_commands() -> list[tuple[str, click.Command]]:
    """Every command and subcommand, as (`nit wallet create`, command)."""
    found = []
    root = click.Context(cli, info_name="nit")

    def walk(command: click.Command, path: str, ctx: click.Context) -> None:
        found.append((path, command))
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                assert sub is not None, f"{path} lists {name} but cannot load it"
                walk(sub, f"{path} {name}", click.Context(sub, info_name=name, parent=ctx))

    for name in cli.list_commands(root):
        command = cli.get_command(root, name)
        assert command is not None, name
        walk(command, f"nit {name}", click.Context(command, info_name=name, parent=root))
    return found


def test_every_table_entry_loads_its_command_and_its_summary_is_the_docstring() -> None:
    root = click.Context(cli, info_name="nit")
    assert cli.list_commands(root)[: len(TABLE)] == list(TABLE)
    for name, (module, group, summary) in TABLE.items():
        command = cli.get_command(root, name)
        assert command is not None and command.name == name, (name, module)
        assert (command.help or "").strip().splitlines()[0] == summary, name
        assert group in GROUPS, (name, group)


@pytest.mark.parametrize(("path", "command"), _all_commands(), ids=lambda v: str(v))
def test_every_command_help_has_examples(nit, path: str, command: click.Command) -> None:
    args = path.split()[1:]
    result = nit(*args, "--help")
    assert result.exit_code == 0, result.output
    assert "Examples:" in result.stdout, path
    example_lines = result.stdout.split("Examples:", 1)[1].strip().splitlines()
    starts = ("nit ", "eval", "NIT_", "NO_COLOR", "printf", "curl", "ipfs")
    assert example_lines, path
    assert all(line.strip().startswith(starts) for line in example_lines), example_lines


def test_top_help_groups_whole_summaries(nit) -> None:
    result = nit("--help")
    assert result.exit_code == 0
    text = result.stdout
    # Every command appears with its whole summary (wrapped, never cut with "...").
    flat = " ".join(text.split())
    for name, (_, _, summary) in TABLE.items():
        assert " ".join(summary.split()) in flat, name
    assert "..." not in text.replace("[ARGS]...", "")
    # Grouped, in order, each heading once.
    order = ("repository", "provenance", "publishing", "setup", "plumbing")
    positions = [text.index(f"\n{GROUPS[g]}:\n") for g in order]
    assert positions == sorted(positions)
    repository = text.split(f"{GROUPS['repository']}:")[1].split("\n\n")[0]
    assert "  init " in repository and "  restore " in repository and "  push " not in repository
    assert "Exit codes:" in text and "130 interrupted" in text


def test_nit_help_is_nit_dash_dash_help(nit) -> None:
    assert nit("help").stdout == nit("--help").stdout == nit("-h").stdout


def test_nit_help_command_and_subcommand(nit) -> None:
    add = nit("help", "add")
    assert add.exit_code == 0
    assert add.stdout.startswith("Usage: nit add [OPTIONS] PATHS...")
    assert add.stdout == nit("add", "--help").stdout
    sub = nit("help", "wallet", "create")
    assert sub.exit_code == 0 and "Usage: nit wallet create" in sub.stdout
    assert "--passphrase-stdin" in sub.stdout


def test_nit_help_unknown_command(nit) -> None:
    result = nit("help", "frobnicate")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "nit: error: no command `nit frobnicate` (`nit --help` lists them)"
    ]
    nested = nit("help", "add", "more")
    assert nested.exit_code == 2 and "has no subcommands" in nested.stderr


def test_subgroup_help_shows_whole_summaries(nit) -> None:
    text = " ".join(nit("wallet", "--help").stdout.split())
    assert "Import a private key (read from a hidden prompt or stdin) or a keystore file." in text


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "numbers_cli", *args], capture_output=True, text=True, check=False
    )


def test_fast_path_prints_what_click_prints(nit) -> None:
    """`nit --help` and `nit --version` in a real process skip click; the text is the same."""
    fast = _run("--help")
    assert fast.returncode == 0 and fast.stdout == nit("--help").stdout
    version = _run("--version")
    assert version.returncode == 0
    assert version.stdout == nit("--version").stdout == "nit, version 0.1.0\n"
    bare = _run()
    assert bare.returncode == 2 and bare.stderr == fast.stdout and bare.stdout == ""


_IMPORTS = """
import sys
from numbers_cli.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
heavy = [m for m in ("click", "rich", "web3", "eth_account", "requests", "exifread",
                     "numbers_cli.ops.devnet", "numbers_cli.ops.push", "numbers_cli.cli.push_cmd")
         if m in sys.modules]
print(",".join(heavy), file=sys.stderr)
"""


@pytest.mark.parametrize(
    ("args", "allowed"),
    [
        (["--version"], ""),
        (["--help"], ""),
        (["help"], ""),
        # rich only where something is rendered with it: `hash --help` is click's alone
        (["hash", "--help"], "click"),
        (["status"], "click,rich"),
    ],
)
def test_commands_import_only_what_they_use(args: list[str], allowed: str, tmp_path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _IMPORTS, *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert done.stderr.splitlines()[-1] == allowed, done.stderr


@pytest.fixture
def fake_module(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A command module another stream might add: `numbers_cli.cli.frob_cmd` with `frob`."""
    import types

    module = types.ModuleType("numbers_cli.cli.frob_cmd")

    @click.command()
    def frob() -> None:
        """Frobnicate an asset, for testing."""
        click.echo("frobbed")

    module.COMMANDS = [frob]  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "numbers_cli.cli.frob_cmd", module)
    yield module
    cli.commands.pop("frob", None)  # the group caches what it loaded


def test_a_new_command_is_one_table_line_with_its_group(
    nit, fake_module, monkeypatch: pytest.MonkeyPatch
) -> None:
    from numbers_cli.cli import commands

    table = dict(commands.TABLE)
    table["frob"] = ("frob_cmd", "market", "Frobnicate an asset, for testing.")
    monkeypatch.setattr(commands, "TABLE", table)
    monkeypatch.setattr(cli, "table", table)
    monkeypatch.setattr("numbers_cli.cli.overview.TABLE", table)
    text = nit("--help").stdout
    market = text.split(f"{GROUPS['market']}:\n", 1)[1].split("\n\n")[0]
    frob = ["frob", "Frobnicate", "an", "asset,", "for", "testing."]
    assert any(line.split() == frob for line in market.splitlines()), market
    assert nit("frob").stdout == "frobbed\n"


def test_a_module_listed_the_old_way_still_works(
    nit, fake_module, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`_COMMAND_MODULES` (before the table): loaded whenever the list is needed, shown as
    "Other"; so a branch that added its module there keeps working after the merge."""
    monkeypatch.setattr(cli, "eager_modules", ("frob_cmd",))
    monkeypatch.setattr(cli, "_eager_loaded", False)
    text = nit("--help").stdout
    assert "Other:\n  frob" in text and "Frobnicate an asset, for testing." in text
    assert nit("frob").stdout == "frobbed\n"
