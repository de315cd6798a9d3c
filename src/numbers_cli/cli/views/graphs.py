"""DOT (Graphviz) and Mermaid text of a lineage: for graph tools and Markdown pages.

Each parent edge is labelled with the child's versions whose tree names that
parent (`#0`, `#2–#7, #9`), as `edges[].versions` of the JSON says. Every text
that comes from outside (file names above all: any byte but `/` and NUL) is
git-quoted first (control characters escaped, as `nit status` prints them),
then escaped for the format, so no name can end a string, add a statement or
inject an entity; tests parse the output with real `dot` and Mermaid's parser.
"""

from __future__ import annotations

from numbers_cli.model.names import quote_path
from numbers_cli.model.nid import short
from numbers_cli.ops.trace import AssetNode, Trace


def indexes_text(indexes: list[int]) -> str:
    """`#1`, `#1, #4`, `#2–#7, #9`: the versions naming a parent, runs compressed."""
    runs: list[list[int]] = []
    for i in sorted(set(indexes)):
        if runs and i == runs[-1][-1] + 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return ", ".join(f"#{r[0]}" if len(r) == 1 else f"#{r[0]}–#{r[-1]}" for r in runs)


def _summary(node: AssetNode) -> str:
    if node.missing:
        return "missing"
    bad = [v for v in node.versions if v.verdict != "ok"]
    versions = f"{len(node.versions)} version{'s' if len(node.versions) != 1 else ''}"
    return f"{versions}, {len(bad)} bad" if bad else f"{versions}, all ok"


def _label_lines(node: AssetNode) -> list[str]:
    lines = [short(node.nid, 16)]
    if node.name:
        lines.append(quote_path(node.name))
    lines.append(f"{node.role} · {_summary(node)}")
    return lines


def _dot_quote(text: str) -> str:
    """A DOT double-quoted string: only `"` and `\\` are special in it (a backslash
    would start a label escape such as `\\N`); line ends are escaped too."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\r", "\\r").replace("\n", "\\n") + '"'


def _dot_label(text: str) -> str:
    """Text inside a quoted DOT label: Graphviz also reads HTML entities there
    (`&lt;` is drawn as `<`), so `&` is written as `&amp;`."""
    return _dot_quote(text.replace("&", "&amp;"))[1:-1]


def to_dot(trace: Trace) -> str:
    out = ["digraph lineage {", "  rankdir=TB;", '  node [shape=box, style="rounded,filled"];']
    for node in trace.ordered():
        bad = any(v.verdict != "ok" for v in node.versions)
        fill = "#fde2e2" if bad else "#eeeeee" if node.missing else "#e3f2e1"
        width = "3" if node.role == "subject" else "1"
        label = "\\n".join(_dot_label(line) for line in _label_lines(node))
        out.append(
            f'  {_dot_quote(node.nid)} [label="{label}", fillcolor="{fill}", penwidth={width}];'
        )
    for parent, child in trace.edges:
        naming = trace.naming(parent, child)
        label = f' [label="{_dot_label(indexes_text(naming))}"]' if naming else ""
        out.append(f"  {_dot_quote(parent)} -> {_dot_quote(child)}{label};")
    out.append("}")
    return "\n".join(out) + "\n"


#: Characters Mermaid's grammar or its HTML labels would read in a quoted label, as
#: its entity codes (`#35;` is `#`, so a name holding `#quot;` stays that text).
_MERMAID_ENTITIES = {
    "#": "#35;",
    "&": "#38;",
    '"': "#quot;",
    "<": "#lt;",
    ">": "#gt;",
    "`": "#96;",
}


def _mermaid_text(text: str) -> str:
    """Text inside a quoted Mermaid label: entity codes for what would end the string,
    open HTML or a Markdown string, and no raw line end (a label is one statement)."""
    text = "".join(_MERMAID_ENTITIES.get(ch, ch) for ch in text)
    return text.replace("\r", " ").replace("\n", " ")


def to_mermaid(trace: Trace) -> str:
    ids = {node.nid: f"n{i}" for i, node in enumerate(trace.ordered())}
    out = ["graph TD"]
    for node in trace.ordered():
        label = "<br/>".join(_mermaid_text(line) for line in _label_lines(node))
        out.append(f'  {ids[node.nid]}["{label}"]')
    for parent, child in trace.edges:
        naming = trace.naming(parent, child)
        label = f'|"{_mermaid_text(indexes_text(naming))}"|' if naming else ""
        out.append(f"  {ids[parent]} -->{label} {ids[child]}")
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
