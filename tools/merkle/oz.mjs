// Reference StandardMerkleTree output for tests: OpenZeppelin's own implementation.
//
//   echo '{"leafEncoding": ["bytes32","bytes32"], "values": [["0x..","0x.."], ...]}' | node oz.mjs
//
// prints {"root", "dump", "proofs"} where proofs[i] is the proof of values[i]
// and dump is StandardMerkleTree.dump() (format "standard-v1").
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const { leafEncoding, values } = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const tree = StandardMerkleTree.of(values, leafEncoding);
const proofs = values.map((_, i) => tree.getProof(i));
for (const [i, value] of values.entries()) {
  if (!StandardMerkleTree.verify(tree.root, leafEncoding, value, proofs[i])) {
    throw new Error(`reference proof ${i} does not verify`);
  }
}
process.stdout.write(JSON.stringify({ root: tree.root, dump: tree.dump(), proofs }));
