"""Compile a test contract with the project's pinned solcjs (tools/chain) and OpenZeppelin.

For contracts that exist only for tests (they ship no artifact): compiled at
test time through solc's standard-JSON interface, imports resolved from
tools/chain/node_modules like contracts/build.mjs does. `cancun`: OpenZeppelin
5.7's token code uses MCOPY, and anvil runs the current fork.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.support.tools import TOOLS_DIR, node_bin, require_tool

CHAIN_TOOLS = TOOLS_DIR / "chain"

_SCRIPT = r"""
const { readFileSync, existsSync } = require("node:fs");
const { join } = require("node:path");
const [tools, path, name] = process.argv.slice(1);
const solc = require(join(tools, "node_modules", "solc"));
const input = {
  language: "Solidity",
  sources: { [name + ".sol"]: { content: readFileSync(path, "utf8") } },
  settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: "cancun",
              outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } } },
};
const findImports = (unit) => {
  const p = join(tools, "node_modules", unit);
  return existsSync(p) ? { contents: readFileSync(p, "utf8") } : { error: "not found: " + unit };
};
const out = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
const errors = (out.errors || []).filter((e) => e.severity === "error");
if (errors.length) { console.error(errors.map((e) => e.formattedMessage).join("\n")); process.exit(1); }
const c = out.contracts[name + ".sol"][name];
process.stdout.write(JSON.stringify({ abi: c.abi, bytecode: "0x" + c.evm.bytecode.object }));
"""


def compile_contract(source: Path) -> dict[str, object]:
    """{abi, bytecode} of the contract named like its file; skip (fail in CI) without solc."""
    node = require_tool(node_bin(), "node")
    require_tool(CHAIN_TOOLS / "node_modules" / "solc", "solcjs (npm ci in tools/chain)")
    done = subprocess.run(
        [str(node), "-e", _SCRIPT, str(CHAIN_TOOLS), str(source), source.stem],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if done.returncode != 0:
        raise AssertionError(f"solc failed on {source.name}:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)
