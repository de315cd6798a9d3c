"""Which asset `nit trace TARGET` is about: a file, an asset Nid or a commit Nid.

A file is looked up in the index (else hashed), a commit leads to its tree's
assetCid; kept apart from the walk (`gather`), which starts from a Nid.
"""

from __future__ import annotations

from pathlib import Path

from numbers_cli.errors import InvalidFormat, UsageError
from numbers_cli.model.commit import Commit
from numbers_cli.model.nid import Nid
from numbers_cli.ops.trace.lineage import parse_tree
from numbers_cli.ops.trees import read_file
from numbers_cli.repo.repository import Repository

__all__ = ["resolve_subject"]


def resolve_subject(repo: Repository | None, target: str) -> Nid:
    """The asset a FILE, asset Nid or commit Nid names."""
    path = Path(target)
    if path.is_file():
        if repo is not None:
            tracked = repo.index().tracked.get(repo.relpath(path)) if _inside(repo, path) else None
            if tracked is not None:
                return Nid(tracked.nid)
        from numbers_cli.ops.ingest import nid_of_file

        return nid_of_file(path)
    try:
        nid = Nid.parse(target)
    except InvalidFormat:
        raise UsageError(f"{target}: no such file, and not a valid Nid") from None
    if repo is None or repo.refs.history(nid) or not repo.objects.has(nid):
        return nid
    data = repo.objects.get(nid)
    if data[:1] == b"{" and b'"assetTreeSignature"' in data:  # a commit: its asset
        tree = parse_tree(read_file(repo, Commit.from_json(data).tree_cid), nid)
        if isinstance(tree.get("assetCid"), str):
            return Nid.parse(tree["assetCid"])
    return nid


def _inside(repo: Repository, path: Path) -> bool:
    try:
        path.resolve().relative_to(repo.workdir)
    except ValueError:
        return False
    return True
