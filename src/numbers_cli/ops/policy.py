"""`nit verify --policy FILE`: what a verifier requires beyond "every link holds".

A valid chain of signatures says *who* signed, not whether that signer is one
the verifier trusts, nor whether the asset carries what a newsroom or a buyer
needs (a licence, an AI-disclosure field, a fresh record, an NFT). A policy
says so, in TOML (docs/cli.md, "Policies"):

    [signers]
    allow = ["0x63B7076FC0A914Af543C2e5c201df6C29FCC18c5"]   # for every asset

    [[signers.rules]]                  # more signers, for some assets only
    allow = ["0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"]
    licenses = ["CC-BY-4.0"]           # assets under one of these licences (tree `license.name`)
    assets = ["bafkrei..."]            # and/or these Nids (every selector given must match)

    [require]
    fields = ["license", "digitalSourceType"]   # in the latest AssetTree
    max_age = "30d"                             # latest commit at most this old (s, m, h, d, w)
    nft = true                                  # the latest tree records an NFT (`nftRecord`)

With a `[signers]` table, every commit must be signed by an allowed signer;
without one, signers are not restricted. A signer the policy allows is also
accepted for a committer profile that cannot be resolved (a commit otherwise
"not tied to its committer", exit 15).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from numbers_cli.errors import ConfigError
from numbers_cli.model.nid import is_nid
from numbers_cli.model.signature import is_address, same_address

__all__ = ["Policy", "RuleResult", "SignerRule", "license_name", "load_policy", "parse_duration"]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_KEYS: dict[str, set[str]] = {
    "": {"version", "signers", "require"},
    "signers": {"allow", "rules"},
    "signers.rules": {"allow", "licenses", "assets"},
    "require": {"fields", "max_age", "nft"},
}


@dataclass(frozen=True)
class SignerRule:
    """Signers allowed for the assets its selectors match (no selector: every asset)."""

    name: str  # how messages cite it: "[signers]" or "[[signers.rules]] #2"
    allow: tuple[str, ...]
    licenses: tuple[str, ...] = ()
    assets: tuple[str, ...] = ()

    def applies(self, asset: str | None, license_name: str | None) -> bool:
        if self.licenses and license_name not in self.licenses:
            return False
        return not (self.assets and asset not in self.assets)

    def allows(self, signer: str) -> bool:
        return any(same_address(signer, a) for a in self.allow)


@dataclass(frozen=True)
class RuleResult:
    rule: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class Policy:
    source: str  # the file, for messages
    signer_rules: tuple[SignerRule, ...] = ()
    required_fields: tuple[str, ...] = ()
    max_age: int | None = None  # seconds
    require_nft: bool = False
    restricts_signers: bool = False

    def signer_rule(self, signer: str, asset: str | None, license_name: str | None) -> str | None:
        """The rule that allows `signer` to sign for this asset, or None."""
        for rule in self.signer_rules:
            if rule.applies(asset, license_name) and rule.allows(signer):
                return f"{self.source} {rule.name}"
        return None

    def check_signer(self, signer: str, asset: str | None, license_name: str | None) -> RuleResult:
        rule = self.signer_rule(signer, asset, license_name)
        if rule is not None:
            return RuleResult(rule, True, f"signer {signer} allowed by {rule}")
        return RuleResult(
            f"{self.source} [signers]",
            False,
            f"signer {signer} is not allowed by {self.source} [signers]"
            + (f" for licence {license_name}" if license_name else ""),
        )

    def check_asset(
        self,
        tree: Mapping[str, Any] | None,
        latest_timestamp: int | None,
        now: float | None = None,
    ) -> list[RuleResult]:
        """The `[require]` rules, on the latest tree and commit (None: not available)."""
        results: list[RuleResult] = []
        where = f"{self.source} [require]"
        for name in self.required_fields:
            present = tree is not None and tree.get(name) not in (None, "", [], {})
            results.append(
                RuleResult(
                    f"{where} fields",
                    present,
                    f"latest tree has {name}"
                    if present
                    else f"latest tree lacks {name} (required by {where} fields)",
                )
            )
        if self.max_age is not None:
            now = time.time() if now is None else now
            if latest_timestamp is None:
                results.append(
                    RuleResult(f"{where} max_age", False, "latest commit has no timestampCreated")
                )
            else:
                age = int(now) - latest_timestamp
                ok = age <= self.max_age
                results.append(
                    RuleResult(
                        f"{where} max_age",
                        ok,
                        f"latest commit is {_human(age)} old"
                        + ("" if ok else f", older than {where} max_age {_human(self.max_age)}"),
                    )
                )
        if self.require_nft:
            records = tree.get("nftRecord") if tree is not None else None
            ok = isinstance(records, list) and bool(records)
            results.append(
                RuleResult(
                    f"{where} nft",
                    ok,
                    f"latest tree records {len(records)} NFT{'' if len(records) == 1 else 's'}"  # type: ignore[arg-type]
                    if ok
                    else f"latest tree records no NFT (required by {where} nft)",
                )
            )
        return results


def load_policy(path: Path) -> Policy:
    """Read and check a policy file; every mistake is a ConfigError naming key and line."""
    import tomli

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"policy file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"policy file {path} cannot be read: {exc}") from None
    try:
        data = tomli.loads(text)
    except (tomli.TOMLDecodeError, RecursionError) as exc:  # RecursionError: nested too deep
        raise ConfigError(f"policy file {path}: {exc}") from None
    return _Parser(str(path), text).policy(data)


def parse_duration(text: str | int) -> int:
    """Seconds in "90", 90, "45m", "12h", "30d" or "2w"."""
    if isinstance(text, int) and not isinstance(text, bool) and text >= 0:
        return text
    match = re.fullmatch(r"\s*(\d+)\s*([smhdw]?)\s*", str(text))
    if not match:
        raise ValueError(f"{text!r} is not a duration (like 90s, 45m, 12h, 30d, 2w)")
    return int(match.group(1)) * _UNITS[match.group(2) or "s"]


def _human(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if abs(seconds) >= size:
            return f"{seconds / size:.1f}{unit}".replace(".0", "")
    return f"{seconds}s"


class _Parser:
    def __init__(self, source: str, text: str) -> None:
        self.source = source
        self.lines = text.splitlines()

    def fail(self, key: str, message: str) -> ConfigError:
        line = self._line_of(key.rsplit(".", 1)[-1])
        at = f" (line {line})" if line else ""
        return ConfigError(f"policy file {self.source}: {key}{at}: {message}")

    def _line_of(self, key: str) -> int | None:
        name = re.escape(key)
        pattern = re.compile(rf"^\s*(\[\[?\s*([\w.]+\.)?{name}\s*\]\]?|{name}\s*=)")
        for number, line in enumerate(self.lines, 1):
            if pattern.search(line):
                return number
        return None

    def known(self, table: Mapping[str, Any], where: str) -> None:
        for key in table:
            if key not in _KEYS[where]:
                name = f"{where}.{key}" if where else key
                allowed = ", ".join(sorted(_KEYS[where]))
                raise self.fail(name, f"unknown key (known here: {allowed})")

    def table(self, data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(key, "must be a table")
        return value

    def strings(self, table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(f"{where}.{key}", "must be a list of strings")
        return tuple(value)

    def addresses(self, table: Mapping[str, Any], where: str) -> tuple[str, ...]:
        allow = self.strings(table, "allow", where)
        for address in allow:
            if not is_address(address):
                raise self.fail(f"{where}.allow", f"{address!r} is not a 0x-address")
        return allow

    def policy(self, data: Mapping[str, Any]) -> Policy:
        self.known(data, "")
        version = data.get("version", 1)
        if version != 1:
            raise self.fail("version", f"unknown policy version {version!r} (this nit reads 1)")
        signers = self.table(data, "signers")
        self.known(signers, "signers")
        rules = [SignerRule("[signers]", self.addresses(signers, "signers"))] if signers else []
        entries = signers.get("rules", [])
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise self.fail("signers.rules", "must be an array of tables ([[signers.rules]])")
        for number, entry in enumerate(entries, 1):
            where = "signers.rules"
            self.known(entry, where)
            assets = self.strings(entry, "assets", where)
            for nid in assets:
                if not is_nid(nid):
                    raise self.fail(f"{where}.assets", f"{nid!r} is not a Nid")
            rules.append(
                SignerRule(
                    f"[[signers.rules]] #{number}",
                    self.addresses(entry, where),
                    self.strings(entry, "licenses", where),
                    assets,
                )
            )
        require = self.table(data, "require")
        self.known(require, "require")
        max_age = None
        if "max_age" in require:
            try:
                max_age = parse_duration(require["max_age"])
            except ValueError as exc:
                raise self.fail("require.max_age", str(exc)) from None
        nft = require.get("nft", False)
        if not isinstance(nft, bool):
            raise self.fail("require.nft", "must be true or false")
        return Policy(
            source=Path(self.source).name,
            signer_rules=tuple(rules),
            required_fields=self.strings(require, "fields", "require"),
            max_age=max_age,
            require_nft=nft,
            restricts_signers=bool(signers),
        )


def license_name(tree: Mapping[str, Any] | None) -> str | None:
    """The licence a tree names (`license.name`), for licence-scoped signer rules."""
    value = tree.get("license") if tree is not None else None
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        return value["name"]
    return None
