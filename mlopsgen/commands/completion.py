"""`mlopsgen completion SHELL`: a completion script derived from the command line's parsers.

typer offered `--install-completion`, which wrote to the user's shell startup file and asked
click on every <TAB> (one Python start per key press). This script is static: the words come
from the parsers when it is printed, <TAB> starts no Python, and the user decides where it
goes. Arguments that are not options complete as file names (`complete -o default`).
"""

from __future__ import annotations

import shlex

from mlopsgen.errors import ExitCode

# For each command, its options and the choices of each (empty: free text or a path).
Words = dict[str, dict[str, tuple[str, ...]]]

_BASH = """\
# mlopsgen completion for bash (`mlopsgen completion bash`)
_mlopsgen() {{
    local cur=${{COMP_WORDS[COMP_CWORD]}} prev=${{COMP_WORDS[COMP_CWORD-1]}} words=""
    COMPREPLY=()
    if [[ $COMP_CWORD -eq 1 ]]; then
        words={root}
    else
        case "${{COMP_WORDS[1]}} $prev" in
{choices}
        esac
        if [[ -z $words && $cur == -* ]]; then
            case "${{COMP_WORDS[1]}}" in
{options}
            esac
        fi
    fi
    [[ -n $words ]] && COMPREPLY=($(compgen -W "$words" -- "$cur"))
    return 0
}}
complete -o default -F _mlopsgen mlopsgen
"""

# zsh runs bash completion functions through its bashcompinit layer.
_ZSH = "# mlopsgen completion for zsh (`mlopsgen completion zsh`)\n" + (
    "autoload -U +X compinit && compinit\nautoload -U +X bashcompinit && bashcompinit\n"
)


def bash_script(words: Words) -> str:
    """The bash completion function for these commands and options."""
    root = shlex.quote(" ".join([*words, "-h", "--help", "--version"]))
    choices = [
        f"            {shlex.quote(f'{name} {option}')}) words={shlex.quote(' '.join(values))} ;;"
        for name, options in words.items()
        for option, values in options.items()
        if values
    ]
    options = [
        f"                {shlex.quote(name)}) words={shlex.quote(' '.join(opts))} ;;"
        for name, opts in words.items()
    ]
    return _BASH.format(root=root, choices="\n".join(choices), options="\n".join(options))


def completion_script(shell: str, words: Words) -> str:
    """The script for `shell` (bash or zsh)."""
    script = bash_script(words)
    return script if shell == "bash" else _ZSH + script.split("\n", 1)[1]


def run_completion(shell: str, words: Words) -> ExitCode:
    from mlopsgen.commands import console

    console.out(completion_script(shell, words))
    return ExitCode.OK
