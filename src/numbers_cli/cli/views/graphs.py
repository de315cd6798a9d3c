"""DOT (Graphviz) and Mermaid text of a lineage: for graph tools and Markdown pages."""

from __future__ import annotations

from numbers_cli.model.nid import short
from numbers_cli.ops.trace import AssetNode, Trace


def _summary(node: AssetNode) -> str:
    if node.missing:
        return "missing"
    bad = [v for v in node.versions if v.verdict != "ok"]
    versions = f"{len(node.versions)} version{'s' if len(node.versions) != 1 else ''}"
    return f"{versions}, {len(bad)} bad" if bad else f"{versions}, all ok"


def _label_lines(node: AssetNode) -> list[str]:
    lines = [short(node.nid, 16)]
    if node.name:
        lines.append(node.name)
    lines.append(f"{node.role} · {_summary(node)}")
    return lines


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(trace: Trace) -> str:
    out = ["digraph lineage {", "  rankdir=TB;", '  node [shape=box, style="rounded,filled"];']
    for node in trace.ordered():
        bad = any(v.verdict != "ok" for v in node.versions)
        fill = "#fde2e2" if bad else "#eeeeee" if node.missing else "#e3f2e1"
        width = "3" if node.role == "subject" else "1"
        label = "\\n".join(_dot_quote(line)[1:-1] for line in _label_lines(node))
        out.append(
            f'  {_dot_quote(node.nid)} [label="{label}", fillcolor="{fill}", penwidth={width}];'
        )
    for parent, child in trace.edges:
        out.append(f"  {_dot_quote(parent)} -> {_dot_quote(child)};")
    out.append("}")
    return "\n".join(out) + "\n"


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def to_mermaid(trace: Trace) -> str:
    ids = {node.nid: f"n{i}" for i, node in enumerate(trace.ordered())}
    out = ["graph TD"]
    for node in trace.ordered():
        label = "<br/>".join(_mermaid_text(line) for line in _label_lines(node))
        out.append(f'  {ids[node.nid]}["{label}"]')
    for parent, child in trace.edges:
        out.append(f"  {ids[parent]} --> {ids[child]}")
    for node in trace.ordered():
        if any(v.verdict != "ok" for v in node.versions):
            out.append(f"  class {ids[node.nid]} bad")
        elif node.missing:
            out.append(f"  class {ids[node.nid]} missing")
    out.append("  classDef bad fill:#fde2e2,stroke:#c62828")
    out.append("  classDef missing fill:#eeeeee,stroke:#9e9e9e,stroke-dasharray:4")
    subject = ids.get(trace.subject)
    if subject:
        out.append(f"  style {subject} stroke-width:3px")
    return "\n".join(out) + "\n"
