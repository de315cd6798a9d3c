"""The terminal view of a trace: a rich Tree from the roots of the lineage down.

Each asset shows its Nid, file name, role, licence, creator, AI fields, NFT
records, its parents (and which versions name each) and where it lives, then
its versions with their verdicts. Long histories show their last versions and
every bad one, and say how many were left out (`--all-versions` shows them;
`--json` always has them all).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from rich.tree import Tree

from numbers_cli.cli.render import when
from numbers_cli.cli.views.graphs import indexes_text
from numbers_cli.model.names import quote_path
from numbers_cli.model.nid import short
from numbers_cli.ops.trace import AssetNode, Trace, Version


def _mark(ok: bool) -> Text:
    return Text("✓", style="green") if ok else Text("✗", style="bold red")


def _where(node: AssetNode) -> str:
    parts = [
        "commits here" if node.local else "no local commits",
        "file here" if node.content == "local" else "file not here",
        f"chain: {node.chain}",
    ]
    return ", ".join(parts)


def _nft_text(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    where = f"{item.get('network', '?')} {item.get('contractAddress', '?')}"
    return f"{where} #{item.get('tokenId', '?')}"


def _field_text(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("name") or value)
    if isinstance(value, list):
        return "; ".join(_nft_text(item) for item in value)
    return str(value)


def _version_line(version: Version) -> Text:
    line = Text()
    line.append(_mark(version.verdict == "ok"))
    line.append(f" #{version.index} ", style="cyan")
    line.append(f"{version.action or '?'} ")
    line.append(f"{when(version.timestamp)} ", style="bright_black")
    line.append(f"by {version.signer or version.committer or '?'} ")
    places = ["local"] if version.local else []
    if version.chain:
        places.append(f"block {version.chain['block']}")
    places.append(f"tree {version.tree_where}")
    line.append(f"[{', '.join(places)}]", style="bright_black")
    if version.verdict != "ok":
        line.append(f"  {version.verdict}: {version.detail}", style="red")
    return line


def _node_label(node: AssetNode, subject: str) -> Text:
    label = Text()
    label.append(node.nid, style="bold yellow" if node.nid == subject else "yellow")
    if node.name:
        label.append(f"  {quote_path(node.name)}", style="bold")
    label.append(f"  ({node.role}", style="cyan")
    label.append(
        f", {node.found_by})" if node.found_by not in ("target", "lineage") else ")", style="cyan"
    )
    if node.missing:
        label.append("  MISSING: no commit found here or on chain", style="bold red")
    return label


def _parent_lines(trace: Trace, node: AssetNode) -> list[Text]:
    """One line per parent: which of the node's versions name it (every version counts)."""
    lines = []
    for parent in node.parents:
        naming = trace.naming(parent, node.nid)
        line = Text(f"parent {parent}  ", style="default")
        if naming:
            noun = "version" if len(naming) == 1 else "versions"
            line.append(f"named by {noun} {indexes_text(naming)}", style="bright_black")
            if len(naming) < len(node.versions):
                line.append(f" of {len(node.versions)}", style="bright_black")
        lines.append(line)
    return lines


def _hidden_text(count: int) -> Text:
    noun = "version" if count == 1 else "versions"
    return Text(
        f"… {count} earlier {noun} not shown (all ok): --all-versions shows them",
        style="bright_black",
    )


def _add_node(branch: Tree, trace: Trace, node: AssetNode, subject: str, limit: int | None) -> Tree:
    here = branch.add(_node_label(node, subject))
    for key, value in node.fields.items():
        if value not in (None, "", []):
            here.add(Text(f"{key}: {_field_text(value)}", style="default"))
    for line in _parent_lines(trace, node):
        here.add(line)
    here.add(Text(f"where: {_where(node)}", style="bright_black"))
    if node.chain_detail:
        here.add(Text(f"chain: {node.chain_detail}", style="red"))
    versions = node.versions
    if versions:
        keep = len(versions) if limit is None else limit
        shown = set(range(max(0, len(versions) - keep), len(versions)))
        shown |= {i for i, v in enumerate(versions) if v.verdict != "ok"}
        group = here.add(Text(f"versions ({len(versions)})", style="bold"))
        hidden = 0
        for i, version in enumerate(versions):
            if i not in shown:
                hidden += 1
                continue
            if hidden:
                group.add(_hidden_text(hidden))
                hidden = 0
            group.add(_version_line(version))
    return here


def render_tree(trace: Trace, *, limit: int | None) -> Tree:
    """The trace as a rich Tree; each asset's last `limit` versions and every bad one
    (None: all), saying how many were left out and how to see them."""
    title = Text(f"provenance of {trace.subject}", style="bold")
    if trace.network:
        title.append(f"  (chain: {trace.network})", style="bright_black")
    if trace.scanned:
        title.append(
            f"  scanned to block {trace.scanned.get('toBlock')}: "
            f"{trace.scanned.get('commits')} commits of {trace.scanned.get('assets')} assets",
            style="bright_black",
        )
    root = Tree(title)
    parents: dict[str, list[str]] = {}
    for parent, child in trace.edges:
        parents.setdefault(child, []).append(parent)
    placed: set[str] = set()

    def place(branch: Tree, nid: str) -> None:
        """`nid` and its descendants under `branch`, depth first (a stack, not recursion:
        a lineage can be deeper than Python's recursion limit)."""
        todo = [(branch, nid)]
        while todo:
            under, here_nid = todo.pop()
            if here_nid in placed:
                under.add(Text(f"{short(here_nid, 16)} (shown above)", style="bright_black"))
                continue
            placed.add(here_nid)
            here = _add_node(under, trace, trace.nodes[here_nid], trace.subject, limit)
            todo.extend((here, child) for child in reversed(trace.children(here_nid)))

    for node in trace.ordered():
        if not parents.get(node.nid) or all(p not in trace.nodes for p in parents[node.nid]):
            place(root, node.nid)
    for node in trace.ordered():  # anything only reachable through a cycle-free second path
        if node.nid not in placed:
            place(root, node.nid)
    return root
