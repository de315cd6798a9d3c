"""The "Examples:" section every command's `--help` ends with.

Kept apart from the commands' logic so each command states its examples next
to its options: `@click.command(epilog=examples("nit add photo.jpg  # ..."))`.
"""

from __future__ import annotations


def examples(*lines: str) -> str:
    """A click epilog listing example command lines, printed as written.

    Each line is a command, optionally followed by `  # what it does`; click's
    `\\b` marker keeps the block from being re-wrapped into one paragraph.
    """
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)
