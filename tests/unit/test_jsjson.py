"""Trees are hashed as JavaScript's JSON.stringify writes them; these expected
strings are what node prints for the same values (checked live against node: skipped without it, a failure in CI)."""

from __future__ import annotations

import json
import subprocess

import pytest
from tests.support.tools import node_bin, require_tool

from numbers_cli.model import jsjson
from numbers_cli.model.jsjson import js_number, stringify

TREE = {
    "assetCid": "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq",
    "abstract": 'Tōkyō 東京 — café "quoted" back\\slash\ttab\nnewline \u0001 emoji 📷',
    "assetTimestampCreated": 1655720763,
    "nested": {"list": [1, True, False, None, {"deep": []}, {}], "empty": {}},
    "float": 1.5,
    "wholeFloat": 100.0,
}

EXPECTED_INDENTED = (
    '{\n  "assetCid": "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq",\n'
    '  "abstract": "Tōkyō 東京 — café \\"quoted\\" back\\\\slash\\ttab\\nnewline \\u0001 emoji 📷",\n'
    '  "assetTimestampCreated": 1655720763,\n'
    '  "nested": {\n    "list": [\n      1,\n      true,\n      false,\n      null,\n'
    '      {\n        "deep": []\n      },\n      {}\n    ],\n    "empty": {}\n  },\n'
    '  "float": 1.5,\n  "wholeFloat": 100\n}'
)


def test_indented_form_matches_javascript():
    assert stringify(TREE, indent=2) == EXPECTED_INDENTED


def test_compact_form_has_no_spaces():
    assert stringify({"a": [1, {"b": None}], "c": "x y"}) == '{"a":[1,{"b":null}],"c":"x y"}'


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.0, "1"),
        (0.1, "0.1"),
        (-2.5, "-2.5"),
        (1e21, "1e+21"),
        (1e-7, "1e-7"),
        (1.5e-6, "0.0000015"),
        (123456789012345680000.0, "123456789012345680000"),
        (5e-324, "5e-324"),
        (-0.0, "0"),
        (float("nan"), "null"),
    ],
)
def test_numbers_format_as_javascript(value, text):
    assert js_number(value) == text


def test_big_integers_lose_precision_like_javascript():
    assert stringify(2**60) == "1152921504606847000"


def test_lone_surrogates_are_escaped():
    assert stringify("a\ud800b") == '"a\\ud800b"'


def test_agrees_with_node():
    """Skips without node on a developer machine; fails in CI, like the anvil tests."""
    node = require_tool(node_bin(), "node (Node.js, a prerequisite of scripts/setup)")
    script = "const v=JSON.parse(require('fs').readFileSync(0,'utf8'));process.stdout.write(JSON.stringify(v,null,2))"
    out = subprocess.run(
        [str(node), "-e", script], input=json.dumps(TREE).encode(), capture_output=True, check=True
    ).stdout.decode()
    assert out == stringify(TREE, indent=2)


def test_the_json_dumps_shortcut_writes_what_the_walk_writes():
    """Plain values go through json.dumps; anything else through the walk (which the
    node tests above hold to JSON.stringify): on random values both must agree."""
    import random

    rnd = random.Random(16)
    chars = ["a", '"', "\\", "\n", "\x01", "é", "📷", "\u2028", " ", "\x7f", "\ud800"]

    def value(depth: int = 0):  # type: ignore[no-untyped-def]
        kind = rnd.randint(0, 7 if depth < 3 else 4)
        if kind == 0:
            return rnd.choice([None, True, False])
        if kind == 1:
            return rnd.randint(-(2**60), 2**60) if rnd.random() < 0.2 else rnd.randint(-9, 999)
        if kind == 2:
            return "".join(rnd.choice(chars) for _ in range(rnd.randint(0, 8)))
        if kind == 3:
            return rnd.random() * 10
        if kind == 4:
            return {}
        if kind in (5, 6):
            return {f"k{i}{rnd.choice(chars)}": value(depth + 1) for i in range(rnd.randint(0, 4))}
        return [value(depth + 1) for _ in range(rnd.randint(0, 4))]

    plain = 0
    for _ in range(5000):
        v = value()
        plain += jsjson._plain(v)
        for indent in (None, 2):
            assert jsjson.stringify(v, indent) == _walk(v, indent), (v, indent)
    assert 500 < plain < 4500  # both paths were taken, often


def _walk(v, indent):  # type: ignore[no-untyped-def]
    original = jsjson._plain
    jsjson._plain = lambda _: False
    try:
        return jsjson.stringify(v, indent)
    finally:
        jsjson._plain = original
