"""`Env.line` writes, without rich, exactly the bytes rich's console wrote (issue 9).

`nit add` (and `nit init`) print their lines through `Env.line`: into a pipe or
a file the text is written as it is, and rich is not imported. These tests hold
that output to rich's own, byte for byte, for the lines those commands make and
for text rich would change (tabs, control codes: those still go through rich);
and `cli.plain.is_terminal` to rich's `Console.is_terminal`.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from rich.console import Console
from rich.text import Text

from numbers_cli.cli import plain
from numbers_cli.cli.console import NitConsole
from numbers_cli.cli.env import Env
from numbers_cli.cli.render import kind_part, kind_text

NID = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"

NAMES = [
    "photo.jpg",
    "trailing space ",
    "  leading",
    "café 日本語 👨‍👩‍👧 e\u0301",
    ":smile: [bold]not markup[/bold] \\[x]",
    "\x1b[31mescape",
    "del\x7f c1\x85 nul\x00",
    "x" * 300,
    "line\nbreak",
    "tab\there",  # rich expands tabs: written through rich
    "cr\rbell\abs\bvt\vff\f",  # rich strips these: written through rich
]


class Stream(io.StringIO):
    """A captured stream that says whether it is a TTY."""

    def __init__(self, tty: bool = False) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def _old_add_line(name: str) -> Text:
    """The line `nit add` built before Env.line (a rich Text)."""
    line = kind_text("derive")
    line.append(f"  {NID}  {name} (3 B)", style="default")
    line.append("  by reference", style="bright_black")
    line.append(f"  derived from {NID}", style="cyan")
    return line


def _rich(text: Text, stream: Stream, stderr: bool = False) -> str:
    console = NitConsole(file=stream, stderr=stderr, soft_wrap=True, highlight=False)
    console.print(text)
    return stream.getvalue()


def _via_env(monkeypatch: pytest.MonkeyPatch, name: str, stream: Stream, err: bool) -> str:
    monkeypatch.setattr(sys, "stderr" if err else "stdout", stream)
    env = Env(cwd=Path.cwd())
    env.line(
        kind_part("derive"),
        (f"  {NID}  {name} (3 B)", "default"),
        ("  by reference", "bright_black"),
        (f"  derived from {NID}", "cyan"),
        err=err,
    )
    return stream.getvalue()


@pytest.mark.parametrize("err", [False, True], ids=["stdout", "stderr"])
@pytest.mark.parametrize("name", NAMES)
def test_a_line_into_a_pipe_is_what_rich_wrote(
    monkeypatch: pytest.MonkeyPatch, name: str, err: bool
) -> None:
    for variable in ("FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR"):
        monkeypatch.delenv(variable, raising=False)
    assert _via_env(monkeypatch, name, Stream(), err) == _rich(_old_add_line(name), Stream(), err)


@pytest.mark.parametrize("name", ["photo.jpg", "tab\there"])
def test_a_line_on_a_terminal_has_the_same_styles_as_before(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    written = _via_env(monkeypatch, name, Stream(tty=True), err=False)
    assert "\x1b[36mderive" in written  # styled (derive is cyan): rich wrote it
    assert written == _rich(_old_add_line(name), Stream(tty=True))


def test_the_warning_line_is_what_rich_wrote(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    text = "skipped dangling: no such file or directory"
    stream = Stream()
    monkeypatch.setattr(sys, "stderr", stream)
    Env(cwd=Path.cwd()).line(("warning: ", "yellow"), (text, None), err=True)
    before = Text("warning: ", style="yellow") + Text(text)
    assert stream.getvalue() == _rich(before, Stream(), stderr=True)


class NoTty(io.StringIO):
    isatty = None  # type: ignore[assignment]


class Closed(io.StringIO):
    def isatty(self) -> bool:
        raise ValueError("I/O operation on closed file")


@pytest.mark.parametrize("tty_compatible", [None, "0", "1", "", "yes"])
@pytest.mark.parametrize("force_color", [None, "", "1", "0"])
def test_is_terminal_agrees_with_rich(
    monkeypatch: pytest.MonkeyPatch, tty_compatible: str | None, force_color: str | None
) -> None:
    for variable, value in (("TTY_COMPATIBLE", tty_compatible), ("FORCE_COLOR", force_color)):
        if value is None:
            monkeypatch.delenv(variable, raising=False)
        else:
            monkeypatch.setenv(variable, value)
    for stream in (Stream(tty=True), Stream(tty=False), NoTty(), Closed()):
        assert plain.is_terminal(stream) == Console(file=stream).is_terminal, type(stream).__name__
