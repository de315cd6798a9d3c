"""Every error nit raises on purpose, each carrying its exit code.

Only the CLI entry point turns these into one-line messages and exit codes
(the httpie/DVC pattern): operations and adapters just raise.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes; documented in `nit --help` and docs/cli.md."""

    OK = 0
    ERROR = 1
    USAGE = 2
    NOT_A_REPOSITORY = 3
    NOT_FOUND = 4
    CORRUPT = 5
    WALLET = 6
    LOCKED = 7
    CONFIG = 8
    NETWORK = 9
    VERIFY_CONTENT = 10
    VERIFY_TREE = 11
    VERIFY_SIGNATURE = 12
    VERIFY_SIGNER = 13
    VERIFY_MALFORMED = 14  # a commit that is not a well-formed Numbers commit
    VERIFY_UNTIED = 15  # a valid signature that nothing ties to the committer
    VERIFY_POLICY = 16  # every link holds, but a rule of `--policy` does not
    # 17-19: trace stream (issue 11)
    LINEAGE = 17  # a lineage with a cycle, or a parent that is not a Nid
    PROOF = 18  # a proof bundle that is malformed or does not verify
    REMOTE_CONFLICT = 19  # the chain has commits of an asset the local repository never saw
    MARKET_NOT_ALLOWED = 20
    MARKET_REFUSED = 21
    NOT_LICENSED = 22
    NO_MARKET_CONTRACTS = 23
    # stamp (issue 14): 24-25
    ALREADY_STAMPED = 24  # nit stamp: every artifact was stamped before (--again stamps anew)
    VERIFY_STAMP = 25  # verify: a stamp's leaf, proof, root or on-chain anchor does not hold
    # data stream (issue 15): manifest files, C2PA, datasets
    DATA_INPUT = 26
    DATASET_MISMATCH = 27
    MONITOR_NO_INDEX = 28
    MONITOR_NOT_AN_IMAGE = 29
    # store stream (issues 9, 10)
    REPOSITORY_FORMAT = 30  # the repository's format is not one this nit reads
    REFERENCE_CHANGED = 31  # a file added by reference changed or is gone
    INTERNAL = 70
    INTERRUPTED = 130


class NitError(Exception):
    """Root of all expected failures; the message is shown to the user as one line."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(NitError):
    exit_code = ExitCode.USAGE


class NotARepository(NitError):
    exit_code = ExitCode.NOT_A_REPOSITORY


class RepositoryExists(NitError):
    exit_code = ExitCode.NOT_A_REPOSITORY


class NotFound(NitError):
    exit_code = ExitCode.NOT_FOUND


class IntegrityError(NitError):
    """Stored or fetched bytes do not hash to the CID they claim."""

    exit_code = ExitCode.CORRUPT


class InvalidFormat(NitError):
    """A tree, commit or CID that does not follow the Numbers format."""

    exit_code = ExitCode.CORRUPT


class MalformedCommit(InvalidFormat):
    """A commit that breaks the format's rules (a field missing, a committer that is
    neither an address nor a Nid): it proves nothing, whoever signed it."""

    exit_code = ExitCode.VERIFY_MALFORMED


class WalletError(NitError):
    exit_code = ExitCode.WALLET


class WrongPassphrase(WalletError):
    """The passphrase does not open the keystore (a person may try again)."""


class RepositoryLocked(NitError):
    exit_code = ExitCode.LOCKED


class ConfigError(NitError):
    exit_code = ExitCode.CONFIG


class NetworkError(NitError):
    exit_code = ExitCode.NETWORK


class VerificationFailed(NitError):
    """A provenance check failed; the exit code says which link of the chain broke."""

    def __init__(self, message: str, exit_code: ExitCode) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class RepositoryFormatError(NitError):
    """The repository's on-disk format is newer (or older) than this nit reads."""

    exit_code = ExitCode.REPOSITORY_FORMAT


class RepositoryDamaged(IntegrityError):
    """A file of `.numbers/` itself is damaged (the store, a pack): named, with a repair hint."""


class ReferenceChanged(NitError):
    """A file added by reference (`nit add --no-copy`) no longer holds what was added."""

    exit_code = ExitCode.REFERENCE_CHANGED


class LineageError(NitError):
    """An asset's lineage cannot be a lineage: a parentAssetCid cycle, or a parent that is
    not a Nid."""

    exit_code = ExitCode.LINEAGE


class ProofError(NitError):
    """A proof bundle that is not one, is truncated or of an unknown version, or whose
    trusted anchor does not hold."""

    exit_code = ExitCode.PROOF


class RemoteConflict(NitError):
    """The chain holds commits of an asset that the local repository has never seen."""

    exit_code = ExitCode.REMOTE_CONFLICT


# -- market (issue 12: mint, license, royalty, govern) --------------------------


class NotAllowed(NitError):
    """The wallet may not do this to the asset: not its registrant, custody holder or governor."""

    exit_code = ExitCode.MARKET_NOT_ALLOWED


class MarketRefused(NitError):
    """The market contracts' rules refuse the action (already minted, sold out, expired,
    wrong price, a plan not summing to 10,000, nothing due...)."""

    exit_code = ExitCode.MARKET_REFUSED


class NotLicensed(NitError):
    """`nit license check`: the address holds no valid licence granting the use."""

    exit_code = ExitCode.NOT_LICENSED


class NoMarketContracts(NitError):
    """The network has no Custody/Licenses contracts configured or deployed."""

    exit_code = ExitCode.NO_MARKET_CONTRACTS


# -- data (issue 15: manifest files, C2PA, datasets) --------------------------------


class DataInputError(NitError):
    """Bad data to prepare or embed: a manifest file (CSV/JSONL), a C2PA manifest that
    cannot be read, or C2PA signing credentials that cannot sign (expired, mismatched)."""

    exit_code = ExitCode.DATA_INPUT


class DatasetMismatch(NitError):
    """`nit dataset verify`: files or records that no longer match the repository or chain."""

    exit_code = ExitCode.DATASET_MISMATCH


# -- monitor (issue 13) ----------------------------------------------------------------


class MonitorIndexMissing(NitError):
    """`nit monitor scan` with nothing indexed yet (run `nit monitor index`)."""

    exit_code = ExitCode.MONITOR_NO_INDEX


class UnreadableImage(NitError):
    """Bytes that cannot be fingerprinted: not an image, truncated, a decompression
    bomb, or too small or too large. A scan lists it under `errors` and goes on;
    `nit monitor index` of such an asset fails with it."""

    exit_code = ExitCode.MONITOR_NOT_AN_IMAGE
