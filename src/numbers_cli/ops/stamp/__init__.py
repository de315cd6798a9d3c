"""`nit stamp`, `nit attest` and the verification of stamped artifacts (issue 14).

- `run`: the stamp itself: artifacts → one batch → one registration;
- `inputs`: reading what is to be stamped (files, `-r`, standard input);
- `batch`: making a batch (trees, commits, Merkle tree, manifest, proofs);
- `verify`: artifact → leaf → root → signed batch → on-chain commit;
- `attest`: in-toto statements in DSSE envelopes signed by the wallet.
"""

from numbers_cli.ops.stamp.run import (
    DEFAULT_BATCH_SIZE,
    MAX_BATCH_SIZE,
    BatchResult,
    StampedItem,
    StampOptions,
    StampReport,
    stamp,
)

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "MAX_BATCH_SIZE",
    "BatchResult",
    "StampOptions",
    "StampReport",
    "StampedItem",
    "stamp",
]
