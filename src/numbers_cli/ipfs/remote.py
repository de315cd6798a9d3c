"""What a configured IPFS remote is, independent of how it is reached.

A `Remote` is plain data (name, URL, kind, auth, timeout) so that the config
layer can build one and the operations can pass it around without opening a
connection; `numbers_cli.ipfs.connect` turns it into the adapter that speaks
its protocol. Secrets live only in `Auth`, whose repr never shows them.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import Literal, Protocol
from urllib.parse import urlsplit, urlunsplit

from numbers_cli.errors import ConfigError
from numbers_cli.model.nid import Nid

Kind = Literal["kubo", "numbers", "gateway"]
KINDS: tuple[Kind, ...] = ("kubo", "numbers", "gateway")

Scheme = Literal["basic", "bearer", "token"]
SCHEMES: tuple[Scheme, ...] = ("basic", "bearer", "token")

#: Remote names become file names under `.numbers/remotes/`: keep them tame.
REMOTE_NAME_RE = re.compile(r"(?!\.)[A-Za-z0-9_.-]{1,64}")

DEFAULT_TIMEOUT = 60.0


def check_remote_name(name: str) -> str:
    """The name unchanged, or ConfigError: it names a directory and a TOML key."""
    if not REMOTE_NAME_RE.fullmatch(name):
        raise ConfigError(
            f"invalid remote name {name!r}: use 1-64 of A-Z a-z 0-9 _ . - (not starting with '.')"
        )
    return name


def redact_url(url: str) -> str:
    """The URL without any `user:password@` part, for messages and listings."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def normalize_url(url: str) -> tuple[str, Auth | None]:
    """Check an http(s) URL; credentials written into it move out into an `Auth`.

    `https://id:secret@host` is how some providers show their endpoint; keeping
    the secret in the URL would print it in every message, so it becomes Basic
    auth and the URL is stored without it.
    """
    text = url.strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"not an http(s) URL: {redact_url(text)!r}")
    auth = None
    if parts.username is not None:
        auth = Auth("basic", parts.username, parts.password or "")
    return redact_url(text), auth


@dataclass(frozen=True)
class Auth:
    """How requests to a remote authenticate: Basic id/secret, or a token.

    `bearer` sends `Authorization: Bearer TOKEN` (Pinata, web3.storage-style
    services); `token` sends `Authorization: token TOKEN`, which is what the
    Numbers IPFS service expects for a Capture token.
    """

    scheme: Scheme
    user: str = ""
    secret: str = field(default="", repr=False)

    @classmethod
    def parse(cls, text: str) -> Auth:
        """`basic:ID:SECRET`, `bearer:TOKEN` or `token:TOKEN` (as given to `--auth`)."""
        scheme, _, rest = text.partition(":")
        if scheme == "basic":
            user, sep, secret = rest.partition(":")
            if not sep or not user:
                raise ConfigError("--auth basic needs basic:ID:SECRET")
            return cls("basic", user, secret)
        if scheme in ("bearer", "token"):
            if not rest:
                raise ConfigError(f"--auth {scheme} needs {scheme}:TOKEN")
            return cls(scheme, "", rest)  # type: ignore[arg-type]
        raise ConfigError(
            f"unknown auth {scheme!r}: use basic:ID:SECRET, bearer:TOKEN or token:TOKEN"
        )

    def header(self) -> str:
        """The value of the Authorization header."""
        if self.scheme == "basic":
            pair = f"{self.user}:{self.secret}".encode()
            return "Basic " + base64.b64encode(pair).decode("ascii")
        if self.scheme == "bearer":
            return f"Bearer {self.secret}"
        return f"token {self.secret}"

    def masked(self) -> str:
        """A description safe to print: the scheme, and for Basic the start of the id."""
        if self.scheme == "basic":
            user = self.user if len(self.user) <= 4 else self.user[:4] + "…"
            return f"basic ({user}:****)"
        return f"{self.scheme} (****)"


@dataclass(frozen=True)
class Remote:
    """One configured remote: `[remotes.NAME]` plus the credentials that apply to it."""

    name: str
    url: str
    kind: Kind = "kubo"
    auth: Auth | None = field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT
    #: Where the auth came from (for `nit remote list`): "", "credentials file", "environment".
    auth_source: str = ""

    @property
    def label(self) -> str:
        """How messages name it: `IPFS remote 'origin' (http://host:5001)`."""
        what = "gateway" if self.kind == "gateway" else "IPFS remote"
        return f"{what} '{self.name}' ({redact_url(self.url)})"


class BlockSource(Protocol):
    """Anything that can hand out a block by CID; answers are verified by the source."""

    label: str

    def get_block(self, cid: Nid) -> bytes: ...

    def close(self) -> None: ...
