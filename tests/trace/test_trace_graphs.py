"""`nit trace --dot` and `--mermaid`: labelled edges and odd names, read back by the
real tools: Graphviz's `dot` (Debian `graphviz`) lays the graph out and says what it
draws; Mermaid's own parser (npm `mermaid`, tools/mermaid) says what it read.
Without them these tests skip locally and fail in CI (tests/support/tools)."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest
from tests.support.tools import TOOLS_DIR, node_bin, require_tool

from numbers_cli.cli.views.graphs import indexes_text, to_dot, to_mermaid
from numbers_cli.errors import ExitCode
from numbers_cli.model.names import quote_path
from numbers_cli.model.nid import Nid, short
from numbers_cli.ops.trace import AssetNode, Trace, Version

MERMAID_PARSE = TOOLS_DIR / "mermaid" / "parse.mjs"

#: Names a file can have on Linux (any byte but '/' and NUL) that a view could misread.
ODD_NAMES = (
    'say "cheese".jpg',
    "back\\slash\\N\\l.jpg",
    "two\nlines\r.jpg",
    "<script>alert(1)</script>.jpg",
    "#quot; #35; &lt; &amp;.jpg",
    "`markdown` **bold**.jpg",
    'end"] --> n9["x',
    "a|b|c; d{e} [f] (g) -->.jpg",
    "caf\udce9.jpg",  # not UTF-8: the byte 0xE9 kept as a surrogate, as the index does
    "\x1b[31mred\x1b[0m.jpg",
    "émoji 🎞️.jpg",
)


def _nid(label: str) -> str:
    return str(Nid.of_bytes(label.encode()))


def _version(index: int, parent: str | None) -> Version:
    return Version(
        commit=_nid(f"commit {index} {parent}"),
        index=index,
        action="action-commit",
        timestamp=1_700_000_000 + index,
        committer=None,
        signer=None,
        verdict="ok",
        detail="",
        code=ExitCode.OK,
        local=True,
        chain=None,
        tree=None,
        tree_where="local",
        parent=parent,
    )


def odd_trace() -> tuple[Trace, dict[tuple[str, str], str]]:
    """A subject with a child per odd name; each child's versions name the subject in
    a different pattern. Returns the trace and each edge's expected label."""
    subject = _nid("subject")
    trace = Trace(subject, None)
    trace.nodes[subject] = AssetNode(
        subject, "subject", 0, name=ODD_NAMES[0], versions=[_version(0, None)]
    )
    expected = {}
    patterns = ([0], [0, 1, 2], [1, 3], [0, 1, 2, 5, 7, 8], [2])
    for k, name in enumerate(ODD_NAMES):
        child = _nid(f"child {k}")
        naming = patterns[k % len(patterns)]
        versions = [_version(i, subject if i in naming else None) for i in range(max(naming) + 1)]
        trace.nodes[child] = AssetNode(
            child, "descendant", 1, name=name, parents=[subject], versions=versions
        )
        trace.edges.append((subject, child))
        expected[(subject, child)] = indexes_text(naming)
    return trace, expected


def test_edge_labels_compress_runs() -> None:
    assert indexes_text([0]) == "#0"
    assert indexes_text([0, 1, 2, 5, 7, 8]) == "#0–#2, #5, #7–#8"
    assert indexes_text([3, 1, 1]) == "#1, #3"


def _dot_json(text: str) -> dict[str, Any]:
    dot = require_tool(shutil.which("dot"), "Graphviz dot (Debian package `graphviz`)")
    done = subprocess.run(
        [str(dot), "-Tjson"], input=text.encode(), capture_output=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert not done.stderr.strip(), done.stderr.decode(errors="replace")  # no syntax warning
    return json.loads(done.stdout)


def _drawn(item: dict[str, Any], key: str = "_ldraw_") -> list[str]:
    """The text lines Graphviz draws for a node or an edge label."""
    return [op["text"] for op in item.get(key, []) if op["op"] == "T"]


def test_dot_parses_draws_every_name_as_written_and_labels_edges() -> None:
    trace, expected = odd_trace()
    data = _dot_json(to_dot(trace))
    nodes = {obj["name"]: obj for obj in data["objects"]}
    assert set(nodes) == set(trace.nodes)  # no name made or ate a node
    for nid, node in trace.nodes.items():
        assert node.name is not None
        drawn = _drawn(nodes[nid])
        assert drawn[0] == short(nid, 16) and drawn[1] == quote_path(node.name)
        assert "\x1b" not in "".join(drawn)  # control characters shown escaped, never sent
    names = {i: obj["name"] for i, obj in enumerate(data["objects"])}
    edges = {(names[e["tail"]], names[e["head"]]): _drawn(e) for e in data["edges"]}
    assert edges == {edge: [label] for edge, label in expected.items()}


def _mermaid(text: str) -> dict[str, Any]:
    node = require_tool(node_bin(), "node")
    require_tool(TOOLS_DIR / "mermaid" / "node_modules" / "mermaid", "npm mermaid (tools/mermaid)")
    done = subprocess.run(
        [str(node), str(MERMAID_PARSE)],
        input=text.encode("utf-8"),
        capture_output=True,
        timeout=120,
        check=False,
    )
    return json.loads(done.stdout)


def test_mermaid_parses_and_reads_every_name_and_edge_label_as_written() -> None:
    trace, expected = odd_trace()
    text = to_mermaid(trace)
    parsed = _mermaid(text)
    assert parsed["ok"], parsed
    ids = {nid: f"n{i}" for i, nid in enumerate(n.nid for n in trace.ordered())}
    assert set(parsed["vertices"]) == set(ids.values())  # no name made or ate a node
    for nid, node in trace.nodes.items():
        assert node.name is not None
        lines = parsed["vertices"][ids[nid]].split("<br>")
        # one line per label line; a name's own line ends are shown as spaces
        assert lines[0] == short(nid, 16)
        assert lines[1] == quote_path(node.name).replace("\n", " ").replace("\r", " ")
    read = {(e["start"], e["end"]): e["text"] for e in parsed["edges"]}
    assert read == {(ids[p], ids[c]): label for (p, c), label in expected.items()}


def test_the_mermaid_check_catches_a_broken_label() -> None:
    """The parser really refuses what an unescaped quote makes (the check can fail)."""
    parsed = _mermaid('graph TD\n  n0["say "cheese" now"]\n')
    assert not parsed["ok"] and "Parse error" in parsed["error"]


@pytest.mark.parametrize("view", [to_dot, to_mermaid])
def test_an_edge_no_version_names_has_no_label(view: Any) -> None:
    """An edge found only by a chain scan whose child's versions were not read."""
    parent, child = _nid("p"), _nid("c")
    trace = Trace(parent, None)
    trace.nodes[parent] = AssetNode(parent, "subject", 0)
    trace.nodes[child] = AssetNode(child, "descendant", 1)
    trace.edges.append((parent, child))
    text = view(trace)
    assert "label=" not in text.split("->")[-1] and "-->|" not in text
