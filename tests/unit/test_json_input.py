"""JSON from outside: nesting counted before parsing, and eth-account's import keeps the
recursion limit. The crash cases run in a fresh interpreter: a segfault there fails
the test instead of killing the test run."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from numbers_cli.model.json_input import MAX_DEPTH, JsonTooDeep, loads, too_deep


@pytest.mark.parametrize(
    ("text", "deep"),
    [
        ("[" * MAX_DEPTH + "]" * MAX_DEPTH, False),
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), True),
        ('{"a":' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1), True),
        # brackets inside strings are text, however many
        (json.dumps(["[" * 5000, "{" * 5000]), False),
        (json.dumps(['\\"[' * 2000]), False),  # escaped quotes do not end the string
        (json.dumps(["\\\\" + "[" * 2000]), False),  # an escaped backslash does not escape
        # an escaped backslash before the closing quote: what follows is outside again
        ('["\\\\"' + "," + "[" * (MAX_DEPTH + 1), True),
        # many brackets, shallow: only the depth counts
        (json.dumps([[[i]] for i in range(5000)]), False),
        # an unterminated string hides what follows, as the parser stops there too
        ('"' + "[" * 5000, False),
    ],
)
def test_too_deep_counts_nesting_outside_strings(text: str, deep: bool) -> None:
    assert too_deep(text) is deep
    assert too_deep(text.encode("utf-8")) is deep


def test_other_encodings_are_counted_as_text() -> None:
    deep = ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)).encode("utf-16")
    assert too_deep(deep)
    assert loads(json.dumps([["é"]]).encode("utf-16")) == [["é"]]


def test_loads_is_json_loads_below_the_limit() -> None:
    doc = {"a": [1, 2.5, None, True, "x[{"], "b": {"c": "d"}}
    assert loads(json.dumps(doc)) == doc
    with pytest.raises(json.JSONDecodeError):
        loads(b"{not json")


def test_over_deep_json_is_a_json_decode_error() -> None:
    with pytest.raises(json.JSONDecodeError) as caught:
        loads(b"[" * 100_000 + b"]" * 100_000)
    assert isinstance(caught.value, JsonTooDeep)
    assert str(caught.value) == f"JSON nested deeper than {MAX_DEPTH} levels"


def _fresh_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


def test_deep_json_under_a_raised_recursion_limit_is_refused_not_a_crash() -> None:
    done = _fresh_python(
        "import sys\n"
        "sys.setrecursionlimit(100_000)  # what py_ecc does at import\n"
        "from numbers_cli.model.json_input import loads, JsonTooDeep\n"
        "try:\n"
        "    loads(b'[' * 100_000 + b']' * 100_000)\n"
        "except JsonTooDeep as exc:\n"
        "    print('refused:', exc)\n"
    )
    assert done.returncode == 0, (done.returncode, done.stderr)
    assert done.stdout.startswith("refused: JSON nested deeper than")


def test_eth_account_import_keeps_the_recursion_limit() -> None:
    done = _fresh_python(
        "import sys\n"
        "before = sys.getrecursionlimit()\n"
        "from numbers_cli.wallet.eth_account_import import eth_account_module\n"
        "messages = eth_account_module('eth_account.messages')\n"
        "assert 'py_ecc' in sys.modules, 'py_ecc was not imported: nothing tested'\n"
        "print(before, sys.getrecursionlimit(), messages.encode_typed_data.__name__)\n"
    )
    assert done.returncode == 0, done.stderr
    before, after, name = done.stdout.split()
    assert before == after and name == "encode_typed_data"
