"""Real bash, zsh and fish completing `nit`, as a user's TAB does (issue 10's completion).

Each shell gets nit's completion installed the way docs/cli.md tells a user to,
in the test's private HOME, with `nit` on PATH being the installed console
script (the .venv's, as `pip install` made it). Then one line is typed and
completed, and we read what the shell would offer:

- bash: interactive, on a pseudo-terminal. The readline command
  `insert-completions` puts every candidate on the line, and a key bound with
  `bind -x` writes the line to a file. What bash does itself (its file names
  when nit says "a file", its word splitting at `=`) is part of the result.
- zsh: interactive, on a pseudo-terminal, with `compinit`. A `compadd` wrapper
  (the known "capture completion" technique for zsh) writes every candidate
  zsh's completion system would offer, with the prefix zsh keeps in front of
  it and its description, to a file.
- fish: `fish -c 'complete -C LINE'`, fish's own "what would TAB offer".

`Shell.complete(line, cwd)` returns each candidate as the whole word that would
replace the word being typed (`--network=jade`, not `jade`), with its
description ("" where the shell shows none). Without the shell (or, for bash,
the bash-completion package) a test skips, and fails in CI (`require_tool`).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import re
import select
import shlex
import shutil
import signal
import struct
import subprocess
import sys
import termios
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.tools import require_tool

#: The shells `nit completion` prints a script for.
SHELLS = ("bash", "zsh", "fish")

#: What the Debian package bash-completion installs (most users' bash loads it).
BASH_COMPLETION = Path("/usr/share/bash-completion/bash_completion")

#: Per completion: a shell start, a `nit` start, on a loaded machine.
TIMEOUT = 60.0

_PROMPT = "nit-test-ready> "
_RESULT = ".completed"


def installed_nit() -> Path:
    """The `nit` console script that `pip install` put next to this Python."""
    return require_tool(
        Path(sys.executable).with_name("nit"), "the nit console script (.venv/bin/nit)"
    )


@dataclass
class Offered:
    """What TAB offers: candidate → description, and what the terminal showed meanwhile."""

    words: dict[str, str]
    screen: str = ""

    def names(self) -> set[str]:
        """The candidates, a directory's trailing `/` dropped (shells differ in showing it)."""
        return {word.rstrip("/") for word in self.words}


@dataclass
class Shell:
    """One shell with nit's completion installed in `home`."""

    name: str
    program: Path
    home: Path
    env: dict[str, str] = field(default_factory=dict)

    def complete(self, line: str, cwd: Path) -> Offered:
        """Type `line` and press TAB (bash: list every candidate) in `cwd`."""
        result = self.home / _RESULT
        result.unlink(missing_ok=True)
        if self.name == "fish":
            return self._fish(line, cwd)
        if self.name == "bash":
            argv = [str(self.program), "--rcfile", str(self.home / ".bashrc"), "-i"]
            screen = _drive(argv, self.env, cwd, (line + "\x18i\x18l").encode(), result)
            return Offered(
                _bash_words(line, result.read_text(encoding="utf-8").rstrip("\n")), screen
            )
        screen = _drive([str(self.program), "-i"], self.env, cwd, (line + "\t").encode(), result)
        return Offered(_zsh_words(result.read_text(encoding="utf-8"), line), screen)

    def _fish(self, line: str, cwd: Path) -> Offered:
        done = subprocess.run(
            [str(self.program), "-c", "complete -C -- $argv[1]", line],
            cwd=cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        words = {}
        for entry in done.stdout.splitlines():
            word, _, help_ = entry.partition("\t")
            words[word] = help_
        return Offered(words, done.stderr)


def install(name: str, home: Path, *, variant: str = "") -> Shell:
    """Set up shell `name` in `home` as docs/cli.md says, completing the installed nit.

    Variants: bash "plain" (without bash-completion), bash "lazy" (the script
    in bash-completion's user directory, loaded at the first TAB, instead of
    `eval` in .bashrc), zsh "fpath" (the script as `_nit` in a directory on
    `fpath`, instead of `eval` in .zshrc).
    """
    program = require_tool(shutil.which(name), f"{name} (Debian package `{name}`)")
    bindir = home / ".nit-test-bin"
    bindir.mkdir(exist_ok=True)
    (bindir / "nit").unlink(missing_ok=True)
    (bindir / "nit").symlink_to(installed_nit())
    env = {k: v for k, v in os.environ.items() if k not in _SHELL_STARTUP_VARIABLES}
    env.update(
        {
            "HOME": str(home),
            "PATH": os.pathsep.join([str(bindir), "/usr/local/bin", "/usr/bin", "/bin"]),
            "TERM": "dumb",
            "LC_ALL": "C.UTF-8",  # Nids are ASCII, but `bafkre…5wa3wmf4` and file names need not be
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "XDG_CACHE_HOME": str(home / ".cache"),
        }
    )
    script = subprocess.run(
        [str(bindir / "nit"), "completion", name],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if name == "bash":
        _install_bash(home, env, script, variant=variant)
    elif name == "zsh":
        _install_zsh(home, env, script, fpath=variant == "fpath")
    else:
        completions = home / ".config" / "fish" / "completions"
        completions.mkdir(parents=True, exist_ok=True)
        (completions / "nit.fish").write_text(script)  # the documented install
    return Shell(name, program, home, env)


#: Variables that would make a shell read files outside the test's HOME.
_SHELL_STARTUP_VARIABLES = {"BASH_ENV", "ENV", "INPUTRC", "PROMPT_COMMAND", "ZDOTDIR", "PS1"}


def _install_bash(home: Path, env: dict[str, str], script: str, *, variant: str) -> None:
    (home / ".inputrc").write_text("set bell-style none\n")
    env["INPUTRC"] = str(home / ".inputrc")
    documented = 'eval "$(nit completion bash)"\n'
    if variant == "lazy":  # nit completion bash > ~/.local/share/bash-completion/completions/nit
        completions = home / ".local" / "share" / "bash-completion" / "completions"
        completions.mkdir(parents=True, exist_ok=True)
        (completions / "nit").write_text(script)
        documented = ""
    if variant != "plain":
        loader = require_tool(BASH_COMPLETION, "bash-completion (Debian package `bash-completion`)")
        documented = f"source {loader}\n{documented}"
    harness = (
        f"PS1='{_PROMPT}'\n"
        "bind '\"\\C-xi\": insert-completions'\n"
        f'bind -x \'"\\C-xl": printf "%s\\n" "$READLINE_LINE" > ~/{_RESULT}.tmp'
        f" && mv ~/{_RESULT}.tmp ~/{_RESULT}'\n"
    )
    (home / ".bashrc").write_text(documented + harness)


def _install_zsh(home: Path, env: dict[str, str], script: str, *, fpath: bool) -> None:
    zdotdir = home / ".zsh"
    zdotdir.mkdir(exist_ok=True)
    env["ZDOTDIR"] = str(zdotdir)
    # Not Debian's /etc/zsh/zshrc, which runs compinit on its own.
    (zdotdir / ".zshenv").write_text("setopt no_global_rcs\n")
    compinit = 'autoload -Uz compinit && compinit -i -d "$ZDOTDIR/.zcompdump"\n'
    if fpath:
        functions = home / ".zfunc"
        functions.mkdir(exist_ok=True)
        (functions / "_nit").write_text(script)  # nit completion zsh > ~/.zfunc/_nit
        documented = "fpath=(~/.zfunc $fpath)\n" + compinit
    else:
        documented = compinit + 'eval "$(nit completion zsh)"\n'
    (zdotdir / ".zshrc").write_text(documented + _ZSH_CAPTURE.replace("@PROMPT@", _PROMPT))


# After the documented lines: a prompt to wait for, and the capture. `compadd`
# is wrapped: each candidate it would add (with the prefix zsh keeps, the
# prefixes given with -P/-p, and its description) is written out instead of
# added; calls that only compute (-O, -A, -D) go through. After the completion,
# comppostfuncs moves the list into place.
_ZSH_CAPTURE = r"""
PS1='@PROMPT@'
zmodload zsh/zutil
compadd() {
    if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
        builtin compadd "$@"
        return $?
    fi
    typeset -a __hits __dscr __tmp
    if (( $@[(I)-d] )); then
        __tmp=${@[$[${@[(i)-d]}+1]]}
        if [[ $__tmp == \(* ]]; then
            eval "__dscr=$__tmp"
        else
            __dscr=( "${(@P)__tmp}" )
        fi
    fi
    builtin compadd -A __hits -D __dscr "$@"
    setopt localoptions norcexpandparam extendedglob
    typeset -A apre hpre
    zparseopts -E P:=apre p:=hpre
    local i
    for i in {1..$#__hits}; do
        print -r -- "$IPREFIX$apre$hpre${__hits[$i]}"$'\t'"${__dscr[$i]}" >> ~/.completed.tmp
    done
}
_nit_test_done() { touch ~/.completed.tmp && mv ~/.completed.tmp ~/.completed }
comppostfuncs=(_nit_test_done)
bindkey '^I' complete-word
"""


def _drive(argv: list[str], env: dict[str, str], cwd: Path, keys: bytes, result: Path) -> str:
    """Run an interactive shell on a pseudo-terminal, type `keys` at its prompt, await `result`.

    Returns what the terminal showed. The shell is started in its own session
    and killed (its process group, by id) once `result` is written.
    """
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 200, 0, 0))
    proc = subprocess.Popen(
        argv, stdin=slave, stdout=slave, stderr=slave, cwd=cwd, env=env, start_new_session=True
    )
    os.close(slave)
    screen = bytearray()
    typed = False
    deadline = time.monotonic() + TIMEOUT
    try:
        while time.monotonic() < deadline and not result.exists():
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the shell has gone
                    chunk = b""
                if not chunk:
                    break
                screen += chunk
            if not typed and _PROMPT.encode() in screen:
                os.write(master, keys)
                typed = True
        text = screen.decode(errors="replace")
        assert result.exists(), f"{argv[0]}: no completion after {TIMEOUT:.0f}s; it showed:\n{text}"
        return text
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        os.close(master)


def _word_start(typed: str) -> tuple[int, str]:
    """Where the word being typed starts (after the last space, `=` or `:` outside
    quotes and escapes, as bash splits it) and the quote it is open in ('' if none)."""
    start, quote, escaped = 0, "", False
    for i, ch in enumerate(typed):
        if escaped:
            escaped = False
        elif ch == "\\" and quote != "'":
            escaped = True
        elif quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch.isspace() or ch in "=:":
            start = i + 1
    return start, quote


def _bash_words(typed: str, line: str) -> dict[str, str]:
    """The candidates `insert-completions` put in place of the word being typed
    (each as bash quoted it: `b\\ roll.mov`, `"b roll.mov"`, `'b'\\''q.mov'`)."""
    start, _ = _word_start(typed)
    head = typed[:start]
    assert line.startswith(head), (typed, line)
    if line == typed:  # nothing to insert
        return {}
    token_start = re.search(r"\S*$", head)
    before = token_start.group() if token_start else ""
    return {before + word: "" for word in shlex.split(line[len(head) :])}


def _zsh_words(text: str, typed: str) -> dict[str, str]:
    """The candidates zsh would insert, unquoted as the quote the word is open in reads
    them (zsh quotes each for that context: `b\\ roll.mov`, or `b roll.mov` after `"`)."""
    _, quote = _word_start(typed)
    words = {}
    for entry in text.splitlines():
        word, _, display = entry.partition("\t")
        described = re.match(r".*?\s+-- (.*)$", display)
        unquoted = shlex.split(quote + word + quote)
        words[unquoted[0] if len(unquoted) == 1 else word] = (
            described.group(1).strip() if described else ""
        )
    return words
