"""Hostile nesting after eth-account's import, in fresh interpreters (real `nit`
processes): nothing nit parses from a file or the network can recurse into a
C-stack overflow (a segfault) or a RecursionError (exit 70).

eth-account imports py_ecc, which raises the recursion limit to 100,000; nit puts
it back (`wallet.eth_account_import`). Then: TOML nested past tomli's limit is a
config error; JSON past 512 levels is refused before parsing; and a UnixFS DAG
5,000 levels deep (a valid CAR anyone can write: each node links the next) is
walked without recursion by `nit cat`, `nit verify` and `nit proof`.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from tests.conftest import Nit, ok, python_m

from numbers_cli.chain.proofs import decode_header
from numbers_cli.errors import InvalidFormat
from numbers_cli.model import car
from numbers_cli.model.nid import Nid, dag_pb_cid_bytes, raw_cid_bytes
from numbers_cli.model.unixfs import Link, encode_file_node

DEPTH = 5_000


def deep_car(path: Path, leaf: bytes = b"hello, deep") -> Nid:
    """A CAR of one file: DEPTH dag-pb nodes, each linking the next, over one raw leaf."""
    cid, tsize = raw_cid_bytes(leaf), len(leaf)
    blocks = [(cid, leaf)]
    for _ in range(DEPTH):
        node = encode_file_node([Link(cid, tsize, len(leaf))])
        cid, tsize = dag_pb_cid_bytes(node), tsize + len(node)
        blocks.append((cid, node))
    with path.open("wb") as f:
        f.write(car.encode_header(cid))
        for block_cid, data in reversed(blocks):
            f.write(car.block_frame(block_cid, len(data)) + data)
    return Nid.from_bytes(cid)


def test_a_dag_thousands_of_levels_deep_is_read_without_recursion(
    nit: Nit, repo: Path, tmp_path: Path
) -> None:
    root = deep_car(tmp_path / "deep.car")
    ok(nit("import", str(tmp_path / "deep.car")))
    done = python_m("cat", str(root), cwd=repo)
    assert done.returncode == 0, done.stderr
    assert done.stdout == b"hello, deep"
    exported = python_m("export", str(root), "--car", str(tmp_path / "out.car"), cwd=repo)
    assert exported.returncode == 0, exported.stderr


PROBE = textwrap.dedent(
    """
    import sys
    limit = sys.getrecursionlimit()
    from numbers_cli.wallet.eth_account_import import eth_account_module
    eth_account_module()
    eth_account_module("eth_account.messages")
    import c2pa, rlp, trie, eth_abi, multiformats  # every heavy parser nit imports lazily
    assert sys.getrecursionlimit() == limit, sys.getrecursionlimit()

    from numbers_cli.errors import NitError
    from numbers_cli.model import jsjson, json_input
    deep = b"[" * 1_000_000 + b"]" * 1_000_000
    for parse in (json_input.loads, jsjson.parse):
        try:
            parse(deep)
        except (ValueError, NitError):
            pass
        else:
            raise AssertionError(parse)

    import tomli
    try:
        tomli.loads("a = " + "[" * 100_000 + "]" * 100_000)
    except (RecursionError, tomli.TOMLDecodeError):
        pass

    import rlp
    nested = b""
    for _ in range(100_000):  # an RLP list nested 100,000 deep (short-list headers)
        nested = (bytes([0xC0 + len(nested)]) if len(nested) < 56 else
                  bytes([0xF7 + len(len(nested).to_bytes(8, "big").lstrip(b"\\0"))])
                  + len(nested).to_bytes(8, "big").lstrip(b"\\0")) + nested
    try:
        rlp.decode(nested)
    except (RecursionError, rlp.exceptions.DecodingError):
        pass
    print("survived")
    """
)


def test_no_parser_overflows_the_c_stack_after_eth_accounts_import(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, timeout=300, check=False, cwd=tmp_path
    )
    assert done.returncode == 0, (done.returncode, done.stderr.decode()[-2000:])
    assert done.stdout.strip() == b"survived"


def nested_rlp(depth: int) -> bytes:
    """An RLP list nested `depth` deep: each level one list around the one below."""
    nested = b""
    for _ in range(depth):
        size = len(nested)
        if size < 56:
            nested = bytes([0xC0 + size]) + nested
        else:
            length = size.to_bytes(8, "big").lstrip(b"\0")
            nested = bytes([0xF7 + len(length)]) + length + nested
    return nested


def test_a_block_header_of_rlp_nested_5000_deep_is_not_a_header() -> None:
    """A proof bundle's header is RLP from a file; pyrlp decodes lists by recursion."""
    for depth in (2, 5_000):  # refused before pyrlp recurses, whatever the recursion limit
        with pytest.raises(InvalidFormat, match="not nested lists"):
            decode_header(nested_rlp(depth))
