"""Compute reference Nids with an independent implementation (``tools/ipfs/nid.mjs``).

Why: a Nid must equal the CID that ``ipfs add --cid-version=1`` gives. Besides
the real node (see ``ipfs_node.py``), we check our Python code against
ipfs-unixfs-importer, Helia's importer, which shares no code with ours and
needs no daemon. Starting Node.js costs ~0.2 s, so :func:`reference_nids`
computes many files in one process.
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Iterable
from pathlib import Path

from .tools import NID_SCRIPT, node_bin, require_tool


class ReferenceNidError(RuntimeError):
    """``nid.mjs`` failed or answered something unexpected."""


def require_reference_tools() -> None:
    """Skip (or fail in CI) the calling test if node or the importer is not installed."""
    require_tool(node_bin(), "node (Node.js >= 20)")
    require_tool(
        NID_SCRIPT.parent / "node_modules" / "ipfs-unixfs-importer",
        "ipfs-unixfs-importer (tools/ipfs)",
    )


def reference_nids(paths: Iterable[Path | str], *, timeout: float = 3600.0) -> dict[Path, str]:
    """Return ``{path: cid}`` for every file in ``paths``, computed by one ``node nid.mjs`` run.

    Keys are the given paths as :class:`~pathlib.Path` objects (not resolved),
    so look them up with the same paths you passed. CIDs are CIDv1 base32
    strings. Raises :class:`ReferenceNidError` if any file fails.
    """
    path_list = [Path(p) for p in paths]
    if not path_list:
        return {}
    node = node_bin()
    if node is None:
        raise ReferenceNidError("node is not installed; run scripts/setup")
    # "--" is not needed: nid.mjs takes every argument as a path. Paths starting
    # with "-" are still safe because node stops option parsing at the script name.
    result = subprocess.run(
        [str(node), str(NID_SCRIPT), *map(str, path_list)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    stderr = result.stderr.decode("utf-8", "replace").strip()
    if result.returncode != 0:
        raise ReferenceNidError(f"nid.mjs failed (exit {result.returncode}): {stderr}")
    lines = result.stdout.decode("utf-8").splitlines()
    if len(lines) != len(path_list):
        raise ReferenceNidError(
            f"nid.mjs printed {len(lines)} lines for {len(path_list)} files: {stderr}"
        )
    # One line per argument, in order; use the order rather than parsing the path
    # back, so file names containing tabs cannot confuse us.
    out: dict[Path, str] = {}
    for path, line in zip(path_list, lines, strict=True):
        cid = line.split("\t", 1)[0]
        if not cid.startswith("baf"):
            raise ReferenceNidError(f"nid.mjs gave an unexpected line for {path}: {line!r}")
        out[path] = cid
    return out


def reference_nid(path: Path | str) -> str:
    """Return the reference Nid of one file (one Node.js start: batch with reference_nids)."""
    return reference_nids([path])[Path(path)]


class ReferenceNid:
    """What the ``reference_nid`` fixture returns: one file or a batch, one Node.js run each."""

    def __call__(self, path: Path | str) -> str:
        """Return the reference Nid of one file."""
        return reference_nid(path)

    def many(self, paths: Iterable[Path | str]) -> dict[Path, str]:
        """Return ``{path: cid}`` for many files at once (see :func:`reference_nids`)."""
        return reference_nids(paths)


def write_sha256_counter_file(path: Path, size: int) -> Path:
    """Write the first ``size`` bytes of the sha256-counter stream to ``path`` and return it.

    The stream is ``sha256(i.to_bytes(8, "big"))`` for i = 0, 1, 2, ...
    concatenated: deterministic, incompressible, reproducible in any language,
    and the input of the fixed Nid test vectors (see the compat tests), so
    unit tests can regenerate the same files without storing them.
    """
    block = 32
    buffer_digests = 32768  # write 1 MiB at a time
    remaining = size
    counter = 0
    with path.open("wb") as fh:
        while remaining > 0:
            count = min(buffer_digests, -(-remaining // block))
            chunk = b"".join(
                hashlib.sha256(i.to_bytes(8, "big")).digest()
                for i in range(counter, counter + count)
            )
            counter += count
            fh.write(chunk[:remaining])
            remaining -= min(len(chunk), remaining)
    return path
