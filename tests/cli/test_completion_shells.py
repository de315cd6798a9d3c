"""Completion in the real shells: what TAB offers in bash, zsh and fish (issue 10).

Each test installs `nit completion SHELL` as docs/cli.md says (bash: `eval` in
~/.bashrc, with bash-completion loaded; zsh: `eval` after compinit; fish: the
file in ~/.config/fish/completions), types a line in the real shell, and checks
the candidates a user would see (tests/support/shells.py says how each shell is
driven). The installed `nit` console script answers, as for a user. Without a
shell the tests skip; in CI (`CI=true`) they fail: scripts/setup installs
bash-completion, zsh and fish.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from tests.conftest import Nit, ok
from tests.support.shells import SHELLS, Shell, install

from numbers_cli.cli.commands import TABLE

PHOTO = "Canon_40D.jpg"
PRESETS = {"jade", "snow", "avalanche", "fuji", "devnet"}


@pytest.fixture(params=SHELLS)
def shell(request: pytest.FixtureRequest, isolated_env: Path) -> Shell:
    return install(request.param, isolated_env)


def described(shell: Shell) -> bool:
    """zsh and fish show a description next to a candidate; bash does not."""
    return shell.name != "bash"


def subcommands(*path: str) -> set[str]:
    from numbers_cli.cli.group import cli

    ctx = click.Context(cli, info_name="nit")
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        found = command.get_command(ctx, name)
        assert found is not None
        command = found
    assert isinstance(command, click.Group)
    return {n for n in command.list_commands(ctx) if not command.commands[n].hidden}


def test_command_names(shell: Shell, workdir: Path) -> None:
    offered = shell.complete("nit ad", workdir)
    assert offered.names() == {"add"}
    if described(shell):  # the whole summary, commas and all
        assert offered.words["add"] == TABLE["add"][2]
    expected = {name for name in TABLE if name.startswith("re")}
    assert len(expected) > 1
    assert shell.complete("nit re", workdir).names() == expected


def test_subcommands(shell: Shell, workdir: Path) -> None:
    expected = subcommands("license")
    assert {"buy", "offer", "check"} <= expected
    assert shell.complete("nit license ", workdir).names() == expected
    assert shell.complete("nit wallet cr", workdir).names() == {"create"}
    assert shell.complete("nit help ad", workdir).names() == {"add"}
    assert shell.complete("nit help wallet cr", workdir).names() == {"create"}
    assert shell.complete("nit completion ", workdir).names() == {"bash", "zsh", "fish"}


def test_options(shell: Shell, workdir: Path) -> None:
    offered = shell.complete("nit push --net", workdir)
    assert offered.names() == {"--network"}
    if described(shell):
        assert offered.words["--network"].startswith("Chain to register on")
    assert shell.complete("nit log --one", workdir).names() == {"--oneline"}
    assert shell.complete("nit --no-p", workdir).names() == {"--no-pager"}  # nit's own


def test_network_names_from_config(nit: Nit, shell: Shell, workdir: Path) -> None:
    ok(nit("network", "add", "studio", "--rpc", "http://127.0.0.1:9", "--chain-id", "777"))
    offered = shell.complete("nit push --network ", workdir)
    assert offered.names() == PRESETS | {"studio"}
    if described(shell):
        assert offered.words["studio"] == "chain 777"
    assert shell.complete("nit log x --remote --network st", workdir).names() == {"studio"}
    # `--network=`: the option stays on the line, whatever the shell splits words at.
    assert shell.complete("nit push --network=st", workdir).names() == {"--network=studio"}


def test_remote_names(nit: Nit, shell: Shell, repo: Path) -> None:
    ok(nit("remote", "add", "origin", "http://127.0.0.1:5001"))
    ok(nit("remote", "add", "backup", "http://127.0.0.1:5002"))
    assert shell.complete("nit push --remote or", repo).names() == {"origin"}
    assert shell.complete("nit remote remove ", repo).names() == {"origin", "backup"}


def test_wallet_names(nit: Nit, shell: Shell, workdir: Path) -> None:
    ok(nit("wallet", "create", "studio-key", env={"NIT_PASSPHRASE": "correct horse"}))
    offered = shell.complete("nit wallet address stu", workdir)
    assert offered.names() == {"studio-key"}
    if described(shell):
        assert offered.words["studio-key"].startswith("0x")


def test_config_keys(shell: Shell, workdir: Path) -> None:
    offered = shell.complete("nit config get add.", workdir)
    assert offered.names() == {"add.license", "add.reference"}


def test_nids_and_file_names_together(
    nit: Nit, shell: Shell, repo: Path, media, signing_key: str
) -> None:
    media(PHOTO)
    ok(nit("add", PHOTO))
    ok(nit("commit", "-m", "first"))
    (entry,) = json.loads(ok(nit("log", "--json")).stdout)
    asset, commit = entry["asset"], entry["commitCid"]
    (repo / "b-roll.mov").write_bytes(b"not a photo")
    (repo / "backstage").mkdir()
    files = {"b-roll.mov", "backstage"}

    offered = shell.complete("nit log b", repo)
    assert offered.names() == {asset} | files  # log takes an asset, not a commit
    if described(shell):
        assert offered.words[asset] == f"asset {PHOTO}"
    assert shell.complete("nit show b", repo).names() == {asset, commit} | files
    # `nit -C DIR` completes that repository's Nids from elsewhere.
    elsewhere = shell.complete(f"nit -C {repo.name} log b", repo.parent)
    assert asset in elsewhere.names()
    assert "Traceback" not in offered.screen + elsewhere.screen


def test_file_names_with_spaces_and_quotes_next_to_nids(
    nit: Nit, shell: Shell, repo: Path, media, signing_key: str
) -> None:
    """A file name that needs quoting is offered whole, quoted for the word as typed
    (bare, after a backslash, inside '...' or "..."), with the Nids that also fit."""
    media(PHOTO)
    ok(nit("add", PHOTO))
    ok(nit("commit", "-m", "first"))
    (asset,) = {e["asset"] for e in json.loads(ok(nit("log", "--json")).stdout)}
    names = {"b roll.mov", "b'cut.mov", 'b"take.mov'}
    for name in names:
        (repo / name).write_bytes(b"x")
    (repo / "back stage").mkdir()
    (repo / "back stage" / "take 1.mov").write_bytes(b"x")

    for typed in ("b", '"b', "'b"):
        assert shell.complete(f"nit log {typed}", repo).names() == {asset, "back stage"} | names
    assert shell.complete("nit log b\\ r", repo).names() == {"b roll.mov"}
    assert shell.complete('nit log "b r', repo).names() == {"b roll.mov"}
    assert shell.complete("nit log b\\'", repo).names() == {"b'cut.mov"}
    assert shell.complete("nit log 'back stage/t", repo).names() == {"back stage/take 1.mov"}
    assert shell.complete("nit log back\\ stage/", repo).names() == {"back stage/take 1.mov"}


def test_short_ids_expand_to_the_whole_nid(
    nit: Nit, shell: Shell, repo: Path, media, signing_key: str
) -> None:
    """A short id (a suffix of 4+ characters, or log --oneline's `bafkre…5wa3wmf4`) expands."""
    media(PHOTO)
    ok(nit("add", PHOTO))
    ok(nit("commit", "-m", "first"))
    (entry,) = json.loads(ok(nit("log", "--json")).stdout)
    asset, commit = entry["asset"], entry["commitCid"]
    assert shell.complete(f"nit log {asset[-8:]}", repo).names() == {asset}
    offered = shell.complete(f"nit show {commit[-8:]}", repo)
    assert offered.names() == {commit}
    if described(shell):
        assert offered.words[commit] == f"commit #0 of {PHOTO}"
    oneline = f"{asset[:6]}…{asset[-8:]}"
    assert oneline in ok(nit("log", "--oneline")).stdout
    # fish offers only what contains the word typed, and no Nid contains `…`.
    expected = set() if shell.name == "fish" else {asset}
    assert shell.complete(f"nit log {oneline}", repo).names() == expected


def test_outside_a_repository_only_file_names(shell: Shell, workdir: Path) -> None:
    (workdir / "best-shot.jpg").write_bytes(b"x")
    offered = shell.complete("nit log b", workdir)
    assert offered.names() == {"best-shot.jpg"}
    assert "Traceback" not in offered.screen


def test_file_names_where_a_file_is_expected(shell: Shell, workdir: Path) -> None:
    (workdir / "Photo.jpg").write_bytes(b"x")
    (workdir / "My Photo.jpg").write_bytes(b"x")
    (workdir / "shoot").mkdir()
    (workdir / "shoot" / "Portrait.jpg").write_bytes(b"x")
    assert shell.complete("nit add Ph", workdir).names() == {"Photo.jpg"}
    assert shell.complete("nit add My", workdir).names() == {"My Photo.jpg"}
    assert shell.complete("nit add shoot/Po", workdir).names() == {"shoot/Portrait.jpg"}
    (workdir / "shoot.jpg").write_bytes(b"x")
    assert shell.complete("nit -C sho", workdir).names() == {"shoot"}  # a directory only


def test_a_broken_config_offers_nothing_and_prints_no_traceback(
    nit: Nit, shell: Shell, repo: Path
) -> None:
    (repo / ".numbers" / "config.toml").write_text("[broken")
    offered = shell.complete("nit push --network ", repo)
    assert offered.names() == set()
    assert "Traceback" not in offered.screen


def test_bash_without_bash_completion(isolated_env: Path, workdir: Path) -> None:
    """Plain bash (no bash-completion package loaded) runs the same script."""
    bash = install("bash", isolated_env, variant="plain")
    (workdir / "Photo.jpg").write_bytes(b"x")
    assert bash.complete("nit ad", workdir).names() == {"add"}
    assert bash.complete("nit add Ph", workdir).names() == {"Photo.jpg"}
    assert bash.complete("nit push --network=j", workdir).names() == {"--network=jade"}


def test_bash_completion_loads_the_script_from_its_user_directory(
    isolated_env: Path, workdir: Path
) -> None:
    """`nit completion bash > ~/.local/share/bash-completion/completions/nit`: loaded at the
    first TAB, so a new shell does not run nit."""
    bash = install("bash", isolated_env, variant="lazy")
    assert "nit" not in (isolated_env / ".bashrc").read_text().split("\nPS1=")[0]
    assert bash.complete("nit ad", workdir).names() == {"add"}
    assert bash.complete("nit push --network=j", workdir).names() == {"--network=jade"}


def test_zsh_script_in_fpath(isolated_env: Path, workdir: Path) -> None:
    """`nit completion zsh > ~/.zfunc/_nit`, with ~/.zfunc on fpath before compinit."""
    zsh = install("zsh", isolated_env, variant="fpath")
    assert zsh.complete("nit ad", workdir).names() == {"add"}
    assert zsh.complete("nit push --network=j", workdir).names() == {"--network=jade"}
