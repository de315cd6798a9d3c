"""The examples users copy: every `nit ...` line of a command's `--help` and of the
docs names a real command and only its real options, and the ones that promise a
result give it (the doc review)."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import click
import pytest

from numbers_cli.cli.group import cli

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
REDIRECTS = ("<", ">", ">>", "2>", "2>&1")


def _commands() -> list[tuple[str, click.Command]]:
    found = []

    def walk(command: click.Command, path: str, ctx: click.Context) -> None:
        found.append((path, command))
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                assert sub is not None, f"{path} lists {name} but cannot load it"
                walk(sub, f"{path} {name}", click.Context(sub, info_name=name, parent=ctx))

    walk(cli, "nit", click.Context(cli, info_name="nit"))
    return found


def invocations(line: str) -> list[list[str]]:
    """The argument lists of each `nit` run in a shell line (pipes, `$(...)`,
    `&&` split; comments, redirections and `VAR=value` prefixes dropped)."""
    line = re.split(r"\s#\s", line, maxsplit=1)[0]
    line = re.sub(r'"?\$\(|\)"?|`', " ; ", line)
    runs = []
    for segment in re.split(r"\|\||&&|\||;", line):
        if not re.match(r"\s*([A-Z_][A-Z0-9_]*=\S*\s+)*nit(\s|$)", segment):
            continue
        words = shlex.split(segment)
        while words[0] != "nit":
            words.pop(0)
        args, rest = [], iter(words[1:])
        for word in rest:
            if word in REDIRECTS:
                next(rest, None)
            elif not word.startswith(("<", ">", "2>")):
                args.append(word)
        runs.append(args)
    return runs


def parse_problem(args: list[str]) -> str | None:
    """Why click would refuse `nit ARGS` as a command line (unknown command or
    option, an option without its value, too many arguments), or None. Values are
    not converted and files not opened: examples name files that do not exist here."""
    command: click.Command = cli
    ctx = click.Context(cli, info_name="nit")
    args = list(args)
    while isinstance(command, click.Group):
        while args and args[0].startswith("-") and args[0] != "-":
            word = args.pop(0)
            option = next(
                (
                    p
                    for p in command.get_params(ctx)
                    if isinstance(p, click.Option) and word.split("=")[0] in p.opts
                ),
                None,
            )
            if option is None:
                return f"{ctx.command_path}: no option {word}"
            if not option.is_flag and "=" not in word:
                args.pop(0)
        if not args:
            return None
        name = args.pop(0)
        sub = command.get_command(ctx, name)
        if sub is None:
            return f"{ctx.command_path}: no command {name!r}"
        command = sub
        ctx = click.Context(sub, info_name=name, parent=ctx, **sub.context_settings)
    parser = command.make_parser(ctx)
    try:
        _, extra, _ = parser.parse_args(args)
    except click.UsageError as exc:
        return f"{ctx.command_path}: {exc.format_message()}"
    if extra:
        return f"{ctx.command_path}: unexpected arguments {extra}"
    return None


def _help_examples() -> list[tuple[str, str]]:
    found = []
    for path, command in _commands():
        epilog = command.epilog or ""
        if "Examples:" in epilog:
            for line in epilog.split("Examples:", 1)[1].splitlines():
                if line.strip():
                    found.append((path, line.strip()))
    return found


def _doc_examples() -> list[tuple[str, str]]:
    """`nit ...` lines of the docs' sh code blocks and `inline code` spans."""
    found = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for block in re.findall(r"```(?:sh|bash|console)\n(.*?)```", text, flags=re.S):
            for line in block.splitlines():
                if re.match(r"\s*(\$ )?([A-Z_]+=\S+ )*nit ", line):
                    found.append((doc.name, line.strip().removeprefix("$ ")))
    return found


@pytest.mark.parametrize(("where", "line"), _help_examples())
def test_every_help_example_parses(where: str, line: str) -> None:
    runs = invocations(line)
    for args in runs:
        assert parse_problem(args) is None, (where, line, parse_problem(args))


@pytest.mark.parametrize(("where", "line"), _doc_examples())
def test_every_doc_example_parses(where: str, line: str) -> None:
    for args in invocations(line):
        assert parse_problem(args) is None, (where, line, parse_problem(args))


def test_the_checker_refuses_what_click_refuses() -> None:
    assert parse_problem(["add", "x.jpg", "--licence", "mit"])
    assert parse_problem(["wallet", "creat"])
    assert parse_problem(["hash", "--json", "a", "-"]) is None
    assert parse_problem(["log", "--network"])
    assert parse_problem(["init", "a", "b"])
    assert parse_problem(["-C", "dir", "status", "--json"]) is None
    assert invocations("NO_COLOR=1 nit diff a.jpg > out  # x") == [["diff", "a.jpg"]]
    assert invocations('curl -s U | nit add - --name "a b.png"') == [
        ["add", "-", "--name", "a b.png"]
    ]


def test_diff_takes_negative_commit_indexes(nit, repo, media, signing_key) -> None:
    """`nit diff photo.jpg 0 -1` and `-1 staged`, as docs/cli.md and the help say."""
    media("Canon_40D.jpg")
    for licence in ("cc-by-4.0", "mit"):
        assert nit("add", "Canon_40D.jpg", "--license", licence).exit_code == 0
        assert nit("commit", "-m", licence).exit_code == 0
    assert nit("add", "Canon_40D.jpg", "--license", "cc-by-sa-4.0").exit_code == 0

    first_last = nit("diff", "Canon_40D.jpg", "0", "-1", "--json")
    assert first_last.exit_code == 0, first_last.output
    assert (json.loads(first_last.stdout)["from"], json.loads(first_last.stdout)["to"]) == (
        "#0",
        "#1",
    )
    last_staged = nit("diff", "Canon_40D.jpg", "-1", "staged", "--json")
    assert last_staged.exit_code == 0, last_staged.output
    assert json.loads(last_staged.stdout)["to"] == "staged"
    # An unknown option is still one, not an index.
    typo = nit("diff", "Canon_40D.jpg", "--jsno")
    assert typo.exit_code == 2 and "no such option" in typo.stderr.lower(), typo.output


def _doc_mentions() -> list[tuple[str, str]]:
    """`nit ...` inline code in the docs that is a command line, not a synopsis
    (none of `[`, `|`, `...`, `{`); `a/b` subcommands stand for each of them."""
    found = []
    for doc in DOCS:
        for span in re.findall(r"`(nit [^`\n]+)`", doc.read_text(encoding="utf-8")):
            if re.search(r"\[|\||\.\.\.|…|\{|COMMAND|CMD", span):
                continue
            words = span.split()
            alternatives = [
                w.split("/") if "/" in w and not w.startswith(("-", ".")) else [w]
                for w in words[:3]
            ]
            for choice in alternatives[1] if len(alternatives) > 1 else [None]:
                for sub in alternatives[2] if len(alternatives) > 2 else [None]:
                    line = " ".join(w for w in [words[0], choice, sub, *words[3:]] if w is not None)
                    found.append((doc.name, line))
    return found


@pytest.mark.parametrize(("where", "span"), _doc_mentions())
def test_every_command_and_option_the_docs_name_exists(where: str, span: str) -> None:
    for args in invocations(span):
        problem = parse_problem(args)
        # A mention may name an option without its value (`nit export --car`).
        assert problem is None or "requires an argument" in problem, (where, span, problem)


def _anchors(doc: Path) -> set[str]:
    """GitHub's heading anchors of a Markdown file (code blocks left out)."""
    text = re.sub(r"```.*?```", "", doc.read_text(encoding="utf-8"), flags=re.S)
    found: set[str] = set()
    seen: dict[str, int] = {}
    for heading in re.findall(r"^#+\s+(.*)$", text, flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        seen[slug] = seen.get(slug, -1) + 1
        found.add(slug if seen[slug] == 0 else f"{slug}-{seen[slug]}")
    return found


def test_links_between_docs_lead_somewhere() -> None:
    broken = []
    for doc in DOCS:
        for target in re.findall(r"\]\(([^)\s]+)\)", doc.read_text(encoding="utf-8")):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            path, _, anchor = target.partition("#")
            linked = (doc.parent / path).resolve() if path else doc
            if not linked.exists():
                broken.append(f"{doc.name}: {target} (no such file)")
            elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
                broken.append(f"{doc.name}: {target} (no such heading)")
    assert broken == []


def test_architecture_names_every_module_and_only_real_ones() -> None:
    """docs/architecture.md is the map of src/: every module and package is on it,
    and every `dir/file.py` path it names exists."""
    src = ROOT / "src" / "numbers_cli"
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    modules = [p for p in src.rglob("*.py") if p.stem not in ("__init__", "__main__")]
    packages = [p for p in src.rglob("*") if p.is_dir() and p.name != "__pycache__"]
    unnamed = [
        str(p.relative_to(src))
        for p in [*modules, *packages]
        if not re.search(rf"(?<![\w]){re.escape(p.stem)}(?!\w)", text)
    ]
    assert unnamed == []
    for path in re.findall(r"`((?:[\w.]+/)+[\w.]+\.py)`", text):
        where = [ROOT / path, src / path, src / "ops" / path]
        assert any(p.exists() for p in where), path


def test_exit_codes_are_the_same_in_the_code_the_docs_and_the_help(nit) -> None:
    from numbers_cli.errors import ExitCode

    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    table = text.split("## Exit codes", 1)[1]
    documented = {int(code) for code in re.findall(r"^\| (\d+) \|", table, flags=re.M)}
    assert documented == {int(code) for code in ExitCode}
    help_text = nit("--help").stdout.split("Exit codes:", 1)[1]
    in_help = {int(code) for code in re.findall(r"(?:^|\s)(\d+)\s+\S", help_text)}
    assert {int(code) for code in ExitCode} <= in_help
