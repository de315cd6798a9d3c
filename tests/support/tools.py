"""Locate the project-local tools that ``scripts/setup`` installs, and skip or fail without them.

Why this exists: the compatibility and integration tests run against real
programs (a js-ipfs daemon, the ipfs-unixfs-importer reference), never mocks.
A developer who has not run ``scripts/setup`` yet should see those tests
skipped with a hint, but in CI a missing tool is a broken setup and must fail
loudly instead of turning the most important tests into silent skips.
"""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

#: Root of the repository (``tests/support/tools.py`` -> two levels up).
REPO_ROOT: Path = Path(__file__).resolve().parents[2]

#: Where each npm-based tool set lives (``npm ci`` runs in each of them).
TOOLS_DIR: Path = REPO_ROOT / "tools"
IPFS_TOOLS_DIR: Path = TOOLS_DIR / "ipfs"

#: The reference Nid script (see ``tools/ipfs/nid.mjs``).
NID_SCRIPT: Path = IPFS_TOOLS_DIR / "nid.mjs"

SETUP_HINT = "run scripts/setup from the repository root"

_FALSY = {"", "0", "false", "no", "off"}


def in_ci() -> bool:
    """Tell whether we run in CI (env var ``CI`` set to anything but a false-ish value).

    CI services (GitHub Actions, GitLab, ...) export ``CI=true``; we also accept
    any other non-empty value so a custom runner only has to set ``CI=1``.
    """
    return os.environ.get("CI", "").strip().lower() not in _FALSY


def node_bin() -> Path | None:
    """Return the ``node`` executable on PATH, or None.

    Node is a machine prerequisite (not installed by setup); we run npm scripts
    as ``node <script>`` so that the same interpreter runs every tool.
    """
    found = shutil.which("node")
    return Path(found) if found else None


def npm_bin(tool_dir: Path, name: str) -> Path:
    """Return the path of an executable that ``npm ci`` installed in ``tool_dir``.

    The path may not exist; pass it to :func:`require_tool` to check.
    """
    return tool_dir / "node_modules" / ".bin" / name


def jsipfs_bin() -> Path:
    """Return the project-local js-ipfs CLI (``tools/ipfs/node_modules/.bin/jsipfs``)."""
    return npm_bin(IPFS_TOOLS_DIR, "jsipfs")


def require_tool(path: Path | str | None, what: str) -> Path:
    """Return ``path`` if it exists; otherwise skip the test, or fail it in CI.

    ``what`` is a short human description used in the message (for example
    ``"js-ipfs (npm ipfs)"``). In CI (see :func:`in_ci`) a missing tool calls
    ``pytest.fail`` so that a broken setup can never pass as a green run.
    """
    # Imported here so that the rest of tests/support works without pytest (bench/).
    import pytest

    if path is not None and Path(path).exists():
        return Path(path)
    where = f" (looked for {path})" if path is not None else ""
    message = f"{what} is not installed{where}; {SETUP_HINT}"
    if in_ci():
        pytest.fail(f"{message} [CI is set, so missing tools are an error]", pytrace=False)
    pytest.skip(message)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago.

    The OS picks the port (bind to port 0), so parallel workers do not collide
    on a guessed number; there is still a short window before the caller binds
    it, so prefer letting a server bind port 0 itself when it can report the
    port it got (``IpfsNode`` does that).
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
