#!/usr/bin/env node
// Independent reference implementation of Nids (IPFS CIDv1 of a file).
//
// Why: our Python Nid code must produce exactly the CIDs that
// `ipfs add --cid-version=1` produces. This script computes them with
// ipfs-unixfs-importer (the importer used by Helia), which shares no code with
// ours, so tests can compare the two on any file without running a node.
//
// Usage: node tools/ipfs/nid.mjs FILE...
// Output: one line per file, in argument order: "<cid>\t<path>"
// (CIDv1, base32 lower-case, the default string form of a v1 CID).
// Exit status: 0 on success, 1 if any file could not be read, 2 on bad usage.

import { createReadStream } from 'node:fs'
import { importByteStream } from 'ipfs-unixfs-importer'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'

// The parameters `ipfs add --cid-version=1` uses (Kubo and js-ipfs alike):
// 256 KiB fixed-size chunks stored as raw leaves, balanced DAG with at most
// 174 links per node, and a file that fits in one chunk is that raw block.
const OPTIONS = Object.freeze({
  cidVersion: 1,
  rawLeaves: true,
  reduceSingleLeafToSelf: true,
  chunker: fixedSize({ chunkSize: 262144 }),
  layout: balanced({ maxChildrenPerNode: 174 })
})

// We only want the root CID, so blocks are hashed and then dropped instead of
// being kept in memory: this keeps memory flat for multi-GiB files.
const discardingBlockstore = {
  put: async (cid) => cid
}

async function nid (path) {
  // Stream the file: the importer consumes an async iterable of byte chunks
  // and re-chunks them itself, so the read size does not affect the result.
  const stream = createReadStream(path, { highWaterMark: 1024 * 1024 })
  const entry = await importByteStream(stream, discardingBlockstore, OPTIONS)
  return entry.cid.toString()
}

async function main (paths) {
  if (paths.length === 0) {
    process.stderr.write('usage: node nid.mjs FILE...\n')
    return 2
  }
  let status = 0
  for (const path of paths) {
    try {
      process.stdout.write(`${await nid(path)}\t${path}\n`)
    } catch (err) {
      process.stderr.write(`nid.mjs: ${path}: ${err.message}\n`)
      status = 1
    }
  }
  return status
}

process.exitCode = await main(process.argv.slice(2))
