"""The settings nit knows: each `Key` once, in `KEYS` (type, default, environment
variable, one-line description, extra check), and how a value typed by a person
or read from TOML is checked against it. `numbers_cli.config` reads the layers,
`numbers_cli.config_writer` writes them; both check values here."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from numbers_cli.errors import ConfigError, NitError

__all__ = [
    "KEYS",
    "SECTIONS",
    "Key",
    "Value",
    "from_toml",
    "known_key",
    "parse_value",
    "unknown_key",
]

Value = str | int | bool

# Same rule as numbers_cli.wallet.WALLET_NAME_RE (the wallet imports config, not
# the other way round); tests/unit/test_wallet.py checks that they agree.
_WALLET_NAME_RE = r"(?!\.)[A-Za-z0-9_.-]{1,64}"  # compiled by `re` when a value is checked


def _check_wallet_name(value: Value) -> str | None:
    if re.fullmatch(_WALLET_NAME_RE, str(value)):
        return None
    return "a wallet name is 1-64 of A-Z a-z 0-9 _ . - and does not start with '.'"


def _check_not_empty(value: Value) -> str | None:
    return None if str(value).strip() else "must not be empty"


def _check_license(value: Value) -> str | None:
    """A licence `nit add` accepts: a known short name, or NAME=URL (empty: none)."""
    text = str(value)
    if not text:
        return None
    from numbers_cli.model.tree import license_of

    name, sep, url = text.partition("=")
    try:
        license_of(name, url if sep else None)
    except NitError as exc:
        return exc.message
    return None


def _check_nid(value: Value) -> str | None:
    """A Nid (a profile document's CID), or empty."""
    if not str(value):
        return None
    from numbers_cli.model.nid import Nid

    try:
        Nid.parse(str(value))
    except NitError:
        return "expected the Nid (CIDv1) of a profile, or nothing"
    return None


_NAME_RE = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"


def _check_name(value: Value) -> str | None:
    """A network or remote name: 1-64 of A-Z a-z 0-9 _ . - (empty: none)."""
    if not str(value) or re.fullmatch(_NAME_RE, str(value)):
        return None
    return "a name is 1-64 of A-Z a-z 0-9 _ . -, starting with a letter or digit"


def _check_network(value: Value) -> str | None:
    return _check_not_empty(value) or _check_name(value)


def _check_pager(value: Value) -> str | None:
    return None if "\n" not in str(value) and "\0" not in str(value) else "must be one line"


@dataclass(frozen=True)
class Key:
    """One known setting: `section.name` in TOML, `env` in the environment."""

    name: str
    type: type[str] | type[int] | type[bool]
    default: Value
    env: str
    description: str
    check: Callable[[Value], str | None] | None = None
    """Extra validation beyond the type: returns what is wrong, or None."""

    @property
    def section(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def field(self) -> str:
        return self.name.split(".", 1)[1]


# Adding a setting is adding one line here: name, type, default, env var, description[, check].
# fmt: off
KEYS: dict[str, Key] = {key.name: key for key in (
    Key("user.name", str, "", "NIT_USER_NAME", "your name, written as assetCreator"),
    Key("user.wallet", str, "default", "NIT_WALLET", "wallet that signs", _check_wallet_name),
    Key("commit.author", str, "", "NIT_AUTHOR", "commit author; empty: the wallet's address"),
    Key("commit.provider", str, "", "NIT_PROVIDER", "provider profile Nid in commits", _check_nid),
    Key("add.license", str, "", "NIT_LICENSE", "licence of new assets", _check_license),
    Key("add.reference", bool, False, "NIT_ADD_REFERENCE", "add by reference (as --no-copy)"),
    Key("core.network", str, "devnet", "NIT_NETWORK", "network nit push uses", _check_network),
    Key("core.progress", bool, True, "NIT_PROGRESS", "show progress bars"),
    Key("core.remote", str, "", "NIT_REMOTE", "IPFS remote (empty: the only one)", _check_name),
    Key("core.pager", str, "", "NIT_PAGER", "pager (empty: $PAGER, else less)", _check_pager),
    # data stream (issue 15): C2PA signing (nit export --c2pa) and reading (add, verify)
    Key("c2pa.cert", str, "", "NIT_C2PA_CERT", "PEM certificate chain signing C2PA manifests"),
    Key("c2pa.key", str, "", "NIT_C2PA_KEY", "PEM private key of c2pa.cert (a 0600 file)"),
    Key("c2pa.trust_anchors", str, "", "NIT_C2PA_TRUST_ANCHORS", "PEM roots trusted in C2PA"),
)}
# fmt: on

SECTIONS = frozenset(key.section for key in KEYS.values())

_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})


def unknown_key(key: str) -> ConfigError:
    """A key nit does not know, with the closest known ones as a suggestion."""
    import difflib  # only for this message: ~1 ms of every command's start-up otherwise

    close = difflib.get_close_matches(key, list(KEYS), n=3, cutoff=0.6)
    suggestion = f" (did you mean {', '.join(close)}?)" if close else ""
    return ConfigError(
        f"unknown config key {key!r}{suggestion}",
        hint="`nit config list` shows every key",
    )


def known_key(key: str) -> Key:
    """The `Key` of a known setting; ConfigError naming close matches otherwise."""
    try:
        return KEYS[key]
    except KeyError:
        raise unknown_key(key) from None


def _validate(spec: Key, value: Value, where: str) -> Value:
    if spec.check is not None and (problem := spec.check(value)) is not None:
        raise ConfigError(f"{where}: {spec.name} = {value!r}: {problem}")
    return value


def parse_value(key: str, raw: str, *, where: str = "value") -> Value:
    """Turn text typed by a person (command line, environment) into the key's type.

    Booleans accept true/false, yes/no, 1/0 in any case; ints are decimal.
    `where` names the source in the error message.
    """
    spec = known_key(key)
    text = raw.strip()
    value: Value
    if spec.type is bool:
        lowered = text.lower()
        if lowered in _TRUE:
            value = True
        elif lowered in _FALSE:
            value = False
        else:
            raise ConfigError(f"{where}: {key} expects true or false (or yes/no, 1/0), got {raw!r}")
    elif spec.type is int:
        try:
            value = int(text, 10)
        except ValueError:
            raise ConfigError(f"{where}: {key} expects a whole number, got {raw!r}") from None
    else:
        value = raw
    return _validate(spec, value, where)


def from_toml(spec: Key, value: Any, where: str) -> Value:
    """Check a value read from a TOML file, where it already carries a type."""
    if spec.type is bool:
        ok = isinstance(value, bool)
        expected = "true or false"
    elif spec.type is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        expected = "a whole number"
    else:
        ok = isinstance(value, str)
        expected = "a string (in quotes)"
    if not ok:
        raise ConfigError(f"{where}: {spec.name} must be {expected}, got {value!r}")
    return _validate(spec, value, where)
