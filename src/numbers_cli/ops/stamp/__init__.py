"""`nit stamp`, `nit attest` and the verification of stamped artifacts (issue 14).

- `run`: the stamp itself: artifacts → one batch → one registration;
- `inputs`: reading what is to be stamped (files, `-r`, standard input);
- `batch`: making a batch (trees, commits, Merkle tree, manifest, proofs);
- `verify`: artifact → leaf → root → signed batch → on-chain commit;
- `attest`: in-toto statements in DSSE envelopes signed by the wallet.

Import the modules themselves (`from numbers_cli.ops.stamp.run import stamp`):
this package stays cheap to import for `nit --help`.
"""

DEFAULT_BATCH_SIZE = 10_000
#: The largest batch: its manifest, proofs and commits are held in memory while it is made.
MAX_BATCH_SIZE = 100_000

__all__ = ["DEFAULT_BATCH_SIZE", "MAX_BATCH_SIZE"]
