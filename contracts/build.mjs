#!/usr/bin/env node
// Compile the Solidity contracts with the pinned solcjs and write the artifacts
// that ship inside the Python package.
//
// Why a script of our own: no native solc can be installed here (forge
// downloads one), and the artifact must be byte-for-byte reproducible so CI can
// tell a stale one from a fresh one. Everything that affects the bytecode is
// pinned: the compiler (tools/chain/package-lock.json), the settings below, and
// the source unit names (paths relative to the repository root or the npm
// include path, never absolute, so the metadata hash does not depend on where
// the checkout lives).
//
// Usage:  node contracts/build.mjs [--out-dir DIR] [--only NAME[,NAME...]]
//   writes every artifact of TARGETS below to its path under DIR (default: the
//   repository root, i.e. in place); --only builds the named contracts alone.
// Needs:  npm ci in tools/chain (scripts/setup does it).

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const TOOLS = join(ROOT, "tools", "chain");
const NODE_MODULES = join(TOOLS, "node_modules");
const SOLC_VERSION = "0.8.37";
const SHIPPED = "src/numbers_cli/contracts";
const TEST_ONLY = "tests/support/contracts";

// What is built, each contract in a compilation of its own (so adding a contract
// never changes another's bytecode), and where its artifact goes.
//
// evmVersion: the register uses `paris` (no PUSH0/MCOPY) so it deploys on EVM
// chains that lag behind Ethereum's forks (subnets, L2s). The market contracts
// need `cancun`: OpenZeppelin 5.7's ERC721/ERC1155/SignatureChecker use MCOPY,
// and the transient reentrancy guard uses TSTORE.
const TARGETS = [
  { contract: "IntegrityRegister", source: "contracts/IntegrityRegister.sol", evm: "paris", dir: SHIPPED },
  { contract: "Custody", source: "contracts/Custody.sol", evm: "cancun", dir: SHIPPED },
  { contract: "Licenses", source: "contracts/Licenses.sol", evm: "cancun", dir: SHIPPED },
  // Test-only contracts: attackers and a DAO for the market contracts' tests, and
  // the plain ERC-721 the gas benchmark compares Custody's mint with.
  { contract: "ReentrantPayee", source: "contracts/test/ReentrantPayee.sol", evm: "cancun", dir: TEST_ONLY },
  { contract: "ReentrantBuyer", source: "contracts/test/ReentrantBuyer.sol", evm: "cancun", dir: TEST_ONLY },
  { contract: "VotesToken", source: "contracts/test/VotesToken.sol", evm: "cancun", dir: TEST_ONLY },
  { contract: "DaoGovernor", source: "contracts/test/DaoGovernor.sol", evm: "cancun", dir: TEST_ONLY },
  { contract: "PlainERC721", source: "contracts/test/PlainERC721.sol", evm: "cancun", dir: TEST_ONLY },
  {
    contract: "TimelockController",
    source: "@openzeppelin/contracts/governance/TimelockController.sol",
    evm: "cancun",
    dir: TEST_ONLY,
  },
];

function settings(evmVersion) {
  return {
    optimizer: { enabled: true, runs: 10000 },
    evmVersion,
    outputSelection: {
      "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] },
    },
  };
}

function parseArgs(argv) {
  let outDir = ROOT;
  let only = null;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--out-dir" && i + 1 < argv.length) {
      outDir = resolve(argv[++i]);
    } else if (argv[i] === "--only" && i + 1 < argv.length) {
      only = new Set(argv[++i].split(","));
    } else {
      console.error(
        `usage: node contracts/build.mjs [--out-dir DIR] [--only NAME,...] (unknown: ${argv[i]})`,
      );
      process.exit(2);
    }
  }
  if (only) {
    const unknown = [...only].filter((name) => !TARGETS.some((t) => t.contract === name));
    if (unknown.length) {
      console.error(`unknown contract(s): ${unknown.join(", ")}`);
      process.exit(2);
    }
  }
  return { outDir, only };
}

function loadSolc() {
  if (!existsSync(join(NODE_MODULES, "solc"))) {
    console.error(`solc is not installed: run "npm ci" in ${TOOLS}`);
    process.exit(1);
  }
  const require = createRequire(join(TOOLS, "package.json"));
  const solc = require("solc");
  if (!solc.version().startsWith(`${SOLC_VERSION}+`)) {
    console.error(`expected solc ${SOLC_VERSION}, found ${solc.version()}`);
    process.exit(1);
  }
  return solc;
}

// Resolve an import the way `solcjs --base-path . --include-path tools/chain/node_modules`
// does: the repository root first, then the npm include path. Imports of one
// compilation are collected in `sourcesRead` (reset per target).
let sourcesRead = new Map();
function readSource(unitName) {
  for (const base of [ROOT, NODE_MODULES]) {
    const path = join(base, unitName);
    if (existsSync(path)) {
      const text = readFileSync(path, "utf8");
      sourcesRead.set(unitName, text);
      return text;
    }
  }
  return null;
}

function findImports(unitName) {
  const contents = readSource(unitName);
  return contents === null ? { error: `not found: ${unitName}` } : { contents };
}

function sha256(text) {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

// Which npm package (name@version) a source unit comes from, for the record.
function packageOf(unitName) {
  const parts = unitName.split("/");
  const name = parts[0].startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
  const manifest = join(NODE_MODULES, name, "package.json");
  if (!existsSync(manifest)) return null;
  return `${name}@${JSON.parse(readFileSync(manifest, "utf8")).version}`;
}

// JSON with keys sorted at every level: the artifact must not depend on the
// order in which the compiler happens to emit them.
function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys(value[key])]),
    );
  }
  return value;
}

function build(solc, target) {
  sourcesRead = new Map();
  const options = settings(target.evm);
  const input = {
    language: "Solidity",
    sources: { [target.source]: { content: readSource(target.source) } },
    settings: options,
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
  let failed = false;
  for (const diagnostic of output.errors ?? []) {
    // Warnings about OpenZeppelin's own code (its transient-storage notice) are upstream's.
    const file = diagnostic.sourceLocation?.file ?? "";
    if (diagnostic.severity !== "error" && file.startsWith("@openzeppelin/")) continue;
    console.error(diagnostic.formattedMessage ?? diagnostic.message);
    if (diagnostic.severity === "error") failed = true;
  }
  if (failed) process.exit(1);

  const compiled = output.contracts[target.source][target.contract];
  const sources = {};
  for (const unitName of [...sourcesRead.keys()].sort()) {
    const entry = { sha256: sha256(sourcesRead.get(unitName)) };
    const pkg = packageOf(unitName);
    if (pkg !== null && !unitName.startsWith("contracts/")) entry.package = pkg;
    sources[unitName] = entry;
  }
  return sortKeys({
    contractName: target.contract,
    sourceName: target.source,
    abi: compiled.abi,
    bytecode: `0x${compiled.evm.bytecode.object}`,
    deployedBytecode: `0x${compiled.evm.deployedBytecode.object}`,
    compiler: {
      name: "solc",
      package: `solc@${SOLC_VERSION}`,
      version: solc.version(),
      settings: { optimizer: options.optimizer, evmVersion: options.evmVersion },
    },
    sources,
  });
}

function main() {
  const { outDir, only } = parseArgs(process.argv.slice(2));
  const solc = loadSolc();
  for (const target of TARGETS) {
    if (only && !only.has(target.contract)) continue;
    const artifact = build(solc, target);
    const out = join(outDir, target.dir, `${target.contract}.json`);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(artifact, null, 2)}\n`);
    console.log(`wrote ${out}`);
  }
}

main();
