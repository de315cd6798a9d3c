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
    # stamp (issue 14): 24-25
    ALREADY_STAMPED = 24  # nit stamp: every artifact was stamped before (--again stamps anew)
    VERIFY_STAMP = 25  # verify: a stamp's leaf, proof, root or on-chain anchor does not hold
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


class WalletError(NitError):
    exit_code = ExitCode.WALLET


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
