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
// Usage:  node contracts/build.mjs [--out FILE]
//   default FILE: src/numbers_cli/contracts/IntegrityRegister.json
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
const CONTRACT = "IntegrityRegister";
const SOURCE = "contracts/IntegrityRegister.sol";
const DEFAULT_OUT = join(ROOT, "src", "numbers_cli", "contracts", `${CONTRACT}.json`);

// Settings that change the bytecode. `paris` (no PUSH0/MCOPY) keeps the contract
// deployable on EVM chains that lag behind Ethereum's forks (subnets, L2s).
const SETTINGS = {
  optimizer: { enabled: true, runs: 10000 },
  evmVersion: "paris",
  outputSelection: {
    "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] },
  },
};

function parseArgs(argv) {
  let out = DEFAULT_OUT;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--out" && i + 1 < argv.length) {
      out = resolve(argv[++i]);
    } else {
      console.error(`usage: node contracts/build.mjs [--out FILE] (unknown: ${argv[i]})`);
      process.exit(2);
    }
  }
  return { out };
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
// does: the repository root first, then the npm include path.
const sourcesRead = new Map();
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

function main() {
  const { out } = parseArgs(process.argv.slice(2));
  const solc = loadSolc();
  const input = {
    language: "Solidity",
    sources: { [SOURCE]: { content: readSource(SOURCE) } },
    settings: SETTINGS,
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
  let failed = false;
  for (const diagnostic of output.errors ?? []) {
    console.error(diagnostic.formattedMessage ?? diagnostic.message);
    if (diagnostic.severity === "error") failed = true;
  }
  if (failed) process.exit(1);

  const compiled = output.contracts[SOURCE][CONTRACT];
  const sources = {};
  for (const unitName of [...sourcesRead.keys()].sort()) {
    const entry = { sha256: sha256(sourcesRead.get(unitName)) };
    if (unitName !== SOURCE) entry.package = packageOf(unitName);
    sources[unitName] = entry;
  }
  const artifact = sortKeys({
    contractName: CONTRACT,
    sourceName: SOURCE,
    abi: compiled.abi,
    bytecode: `0x${compiled.evm.bytecode.object}`,
    deployedBytecode: `0x${compiled.evm.deployedBytecode.object}`,
    compiler: {
      name: "solc",
      package: `solc@${SOLC_VERSION}`,
      version: solc.version(),
      settings: { optimizer: SETTINGS.optimizer, evmVersion: SETTINGS.evmVersion },
    },
    sources,
  });
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(artifact, null, 2)}\n`);
  console.log(`wrote ${out}`);
}

main();
