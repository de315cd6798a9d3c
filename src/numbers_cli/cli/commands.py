"""The command table: every `nit` command, the module it lives in, its group and summary.

`nit --help`, `nit help` and shell completion of command names read this
table alone, so they never import a command's module; a command's module is
imported only when that command runs or its own help is asked for. This keeps
start-up fast however many commands nit grows (click's lazy-loading pattern).

A new command is one line in `TABLE`:

    "trace": ("trace_cmd", "provenance", "Show an asset's lineage: ancestors and descendants."),

that is: name → (module under `numbers_cli.cli` exporting `COMMANDS`, group,
one-line summary). The summary is what `nit --help` prints; keep it equal to
the first line of the command's docstring (a test checks it). Groups are
listed in `GROUPS` order; a group not in `GROUPS` is listed after them under
its own name.

No imports here beyond the standard library's cheapest: `nit --version` and
`nit --help` load this module.
"""

from __future__ import annotations

#: Group name → heading in `nit --help`, in the order they are shown.
GROUPS: dict[str, str] = {
    "repository": "Work on a repository",
    "provenance": "Check provenance",
    "publishing": "Publish to IPFS and a chain, and fetch back",
    "market": "NFTs, licences and royalties",
    "data": "Datasets and manifests",
    "setup": "Wallets, settings and help",
    "plumbing": "Plumbing (for scripts)",
}

# fmt: off
#: name → (module, group, summary). One line per command.
TABLE: dict[str, tuple[str, str, str]] = {
    "init":       ("repo_cmds",   "repository", "Create an empty nit repository (.numbers/) here or in DIRECTORY."),
    "add":        ("repo_cmds",   "repository", "Stage files (and directories, recursively) as assets for the next commit."),
    "status":     ("status_cmd",  "repository", "Show staged assets, commits not yet pushed, and tracked files changed on disk."),
    "commit":     ("repo_cmds",   "repository", "Sign every staged AssetTree with your wallet and record the commits."),
    "restore":    ("index_cmds",  "repository", "Unstage what `nit add` staged for a file (--staged); the file itself is kept."),
    "rm":         ("index_cmds",  "repository", "Stop tracking a file, and delete it unless --cached; its history stays."),
    "log":        ("history",     "repository", "Show local commits, newest first: of one asset, or of all."),
    "show":       ("history",     "repository", "Show a commit and its AssetTree (an asset shows its latest commit)."),
    "diff":       ("history",     "repository", "Show how an asset's commit and tree changed."),
    "verify":     ("checks",      "provenance", "Check a file's or asset's provenance: content → tree → signature → committer."),
    "fsck":       ("checks",      "provenance", "Re-hash every object, resolve every ref, check every signature."),
    "trace":      ("trace_cmd",   "provenance", "Show where an asset came from, what was derived from it, and whether every link holds."),
    "proof":      ("proof_cmd",   "provenance", "Proof bundles: an asset's on-chain commits, checkable offline."),
    "monitor":    ("monitor_cmd", "provenance", "Find where registered images and videos are re-used, even cropped, flipped or re-encoded."),
    "push":       ("push_cmd",    "publishing", "Upload committed assets to IPFS and register their commits on chain."),
    "fetch":      ("fetch_cmd",   "publishing", "Bring an asset's on-chain commits into this repository."),
    "export":     ("car_cmd",     "publishing", "Write an asset (its commits, trees and file) or a commit as a CARv1."),
    "import":     ("car_cmd",     "publishing", "Read a CARv1 ('-' for stdin) into this repository, every block verified."),
    "remote":     ("remote_cmd",  "publishing", "IPFS remotes: Kubo RPC nodes and pinning services, gateways, the Numbers service."),
    "network":    ("network_cmd", "publishing", "Add, list, show and remove networks (`core.network` is the default one)."),
    "devnet":     ("devnet_cmd",  "publishing", "A real local chain: anvil on 127.0.0.1 with the IntegrityRegister deployed."),
    "stamp":      ("stamp_cmd",   "publishing", "Anchor build artifacts on chain: one Merkle root, one registration."),
    "attest":     ("stamp_cmd",   "publishing", "Write a signed in-toto statement about stamped artifacts (files or Nids)."),
    "mint":       ("mint_cmd",      "market",   "Mint the custody NFT (ERC-721) of a registered asset."),
    "license":    ("license_cmd",   "market",   "Licences of an asset, sold as ERC-1155 tokens; sales split by its revenue plan."),
    "royalty":    ("royalty_cmd",   "market",   "How licence sales are split among payees, and payees withdrawing what they are owed."),
    "govern":     ("govern_cmd",    "market",   "Rules of an asset: usage flags, royalty, and who governs them (holder or governor)."),
    "contracts":  ("contracts_cmd", "market",   "nit's market contracts on a chain (the devnet gets them from `nit devnet up`)."),
    "dataset":    ("dataset_cmd", "data",       "Export registered assets as an AI dataset, and verify one."),
    "wallet":     ("wallet_cmd",  "setup",      "Create, import and list wallets (Web3 Secret Storage keystores, mode 0600)."),
    "config":     ("config_cmd",  "setup",      "Get and set settings (`nit config list` shows every key)."),
    "upgrade":    ("upgrade_cmd", "setup",      "Convert this repository, in place, to the format this nit uses."),
    "completion": ("help_cmds",   "setup",      "Print the shell completion script for bash, zsh or fish."),
    "help":       ("help_cmds",   "setup",      "Show help for nit or for a command (`nit help wallet create`)."),
    "hash":       ("plumbing",    "plumbing",   "Print each file's Nid (its IPFS CIDv1); needs no repository."),
    "cat":        ("plumbing",    "plumbing",   "Write an object's verified bytes to stdout (a whole file for a file's Nid)."),
}
# fmt: on
