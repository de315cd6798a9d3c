"""The bash, zsh and fish scripts that `nit completion SHELL` prints, and their protocol.

Click's own scripts, run in the real shells (tests/cli/test_completion_shells.py),
showed three faults that these fix; the wire protocol (`_NIT_COMPLETE`, one
`type,value` or `type\\nvalue\\nhelp` record per candidate) stays click's:

- bash: when an argument takes a Nid or a file (`nit log b<TAB>`), click's
  script empties the Nids as soon as it sees the "file" record and leaves it to
  readline's file names. Ours offers both. It also quotes what it adds (no
  glob expansion of a candidate) and sends the line as typed (`COMP_LINE`),
  since bash's `COMP_WORDS` splits `--network=jade` at the `=`.
- fish: the help text was cut at its first comma (`string split ","` without
  `-m 1`), and `--network=j<TAB>` offered nothing: fish matches candidates
  against the whole token, so ours puts the `--network=` back in front.
- zsh: `--network=j<TAB>` replaced the whole word by `jade`; ours completes
  after the `=` (`compset -P`), so the option stays.
"""

from __future__ import annotations

import os
from typing import Any

from click.shell_completion import (
    BashComplete,
    CompletionItem,
    FishComplete,
    ShellComplete,
    ZshComplete,
    split_arg_string,
)

_BASH = """\
%(complete_func)s() {
    local IFS=$'\\n'
    local response completion type value
    local -i files=0 dirs=0
    response=$(env COMP_LINE="${COMP_LINE:0:COMP_POINT}" \
%(complete_var)s=bash_complete "$1")
    COMPREPLY=()
    for completion in $response; do
        IFS=',' read -r type value <<< "$completion"
        case $type in
            plain) COMPREPLY+=("$value") ;;
            file) files=1 ;;
            dir) dirs=1 ;;
        esac
    done
    if (( files || dirs )); then
        if (( ${#COMPREPLY[@]} )); then
            # Nids and file names both fit: add bash's file names to the Nids.
            compopt -o filenames
            local action=file
            (( files )) || action=directory
            mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY \
                < <(compgen -A "$action" -- "${COMP_WORDS[COMP_CWORD]}")
        elif (( files )); then
            compopt -o default
        else
            compopt -o dirnames
        fi
    fi
    return 0
}

complete -o nosort -F %(complete_func)s %(prog_name)s
"""

_ZSH = """\
#compdef %(prog_name)s

%(complete_func)s() {
    local -a completions
    local -a completions_with_descriptions
    local -a response
    (( ! $+commands[%(prog_name)s] )) && return 1

    response=("${(@f)$(env COMP_WORDS="${words[*]}" COMP_CWORD=$((CURRENT-1)) \
%(complete_var)s=zsh_complete %(prog_name)s)}")

    # `--network=j`: complete what follows the `=`, and keep the option.
    [[ $PREFIX == -*=* ]] && compset -P '*='

    for type key descr in ${response}; do
        if [[ "$type" == "plain" ]]; then
            if [[ "$descr" == "_" ]]; then
                completions+=("$key")
            else
                completions_with_descriptions+=("$key":"$descr")
            fi
        elif [[ "$type" == "dir" ]]; then
            _path_files -/
        elif [[ "$type" == "file" ]]; then
            _path_files -f
        fi
    done

    if [ -n "$completions_with_descriptions" ]; then
        _describe -V unsorted completions_with_descriptions -U
    fi

    if [ -n "$completions" ]; then
        compadd -U -V unsorted -a completions
    fi
}

if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
    # autoload from fpath, call function directly
    %(complete_func)s "$@"
else
    # eval/source/. command, register function for later
    compdef %(complete_func)s %(prog_name)s
fi
"""

_FISH = """\
function %(complete_func)s
    set -l token (commandline -ct)
    # `--network=j`: fish matches against the whole token, so keep `--network=`.
    set -l prefix ''
    if string match -qr -- '^-[^=]*=' $token
        set prefix (string replace -r -- '=.*' '=' $token)
    end
    set -l response (env %(complete_var)s=fish_complete COMP_WORDS=(commandline -cp) \
COMP_CWORD=$token %(prog_name)s)

    for completion in $response
        set -l metadata (string split -m 1 ',' -- $completion)
        switch $metadata[1]
            case dir
                for path in (__fish_complete_directories $metadata[2])
                    printf '%%s%%s\\n' $prefix $path
                end
            case file
                for path in (__fish_complete_path $metadata[2])
                    printf '%%s%%s\\n' $prefix $path
                end
            case plain
                printf '%%s%%s\\n' $prefix $metadata[2]
        end
    end
end

complete --no-files --command %(prog_name)s --arguments '(%(complete_func)s)'
"""


def _one_line(text: str | None) -> str | None:
    """Help on one line: zsh reads three lines per candidate, fish one."""
    return " ".join(text.split()) if text else text


class Bash(BashComplete):
    """bash, told the line up to the cursor (`COMP_LINE`), not bash's own words."""

    source_template = _BASH

    def get_completion_args(self) -> tuple[list[str], str]:
        if "COMP_LINE" not in os.environ:  # a script from before COMP_LINE was sent
            return super().get_completion_args()
        # A marker at the cursor tells a word being typed from a new, empty one.
        words = split_arg_string(os.environ["COMP_LINE"] + "\x00")
        return words[1:-1], words[-1].removesuffix("\x00")


class Zsh(ZshComplete):
    source_template = _ZSH

    def format_completion(self, item: CompletionItem[Any]) -> str:
        item.help = _one_line(item.help)
        return super().format_completion(item)


class Fish(FishComplete):
    source_template = _FISH

    def format_completion(self, item: CompletionItem[Any]) -> str:
        item.help = _one_line(item.help)
        return super().format_completion(item)


#: The shells nit completes, by the name `nit completion` takes.
SHELL_CLASSES: dict[str, type[ShellComplete]] = {"bash": Bash, "zsh": Zsh, "fish": Fish}
