"""`nit add --manifest FILE`: many files' tree fields from one CSV or JSONL file.

Data preparation happens in a spreadsheet, so the file is checked as a whole
before anything is staged: a problem with the file itself (byte-order mark,
not UTF-8, wrong delimiter, unknown column) stops everything, and problems
of single rows (bad licence, bad Nid, missing file, duplicate path) are all
reported with their row numbers. Nothing is staged unless every row is good,
or `--skip-bad` stages the good rows and lists the rest.

Rows are numbered as a spreadsheet shows them: the CSV header is row 1, the
first data row is row 2; in JSONL the row number is the line number. Paths
are relative to the manifest file's directory. Columns (and JSONL keys) are
in `COLUMNS`; `custom.KEY` sets `custom.KEY`; the usage terms are the keys of
`numbers_cli.model.usage.TERMS`.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from numbers_cli.config import Config
from numbers_cli.errors import DataInputError, InvalidFormat, NitError, UsageError
from numbers_cli.model import json_input, usage
from numbers_cli.model.nid import Nid
from numbers_cli.model.tree import license_of, source_type_uri
from numbers_cli.ops.add import Added, AddOptions, add
from numbers_cli.ops.progress import Progress
from numbers_cli.repo.repository import Repository

#: column -> AddOptions attribute (aliases: the `nit add` option names)
COLUMNS = {
    "path": "path",
    "creator": "creator",
    "assetCreator": "creator",
    "license": "license",
    "abstract": "message",
    "message": "message",
    "generatedBy": "generated_by",
    "generatedThrough": "generated_through",
    "digitalSourceType": "source_type",
    "sourceType": "source_type",
    "parentAssetCid": "parent",
    "parent": "parent",
    "integrityCid": "integrity_cid",
}
CUSTOM_PREFIX = "custom."
_BOMS = {
    b"\xef\xbb\xbf": "a UTF-8 byte-order mark (BOM)",
    b"\xff\xfe": "a UTF-16 byte-order mark",
    b"\xfe\xff": "a UTF-16 byte-order mark",
}
_OTHER_DELIMITERS = (";", "\t", "|")
_MAX_LISTED = 10  # row errors spelled out in the one-line message


@dataclass(frozen=True)
class RowError:
    row: int
    path: str | None
    message: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {"row": self.row, "path": self.path, "error": self.message}


@dataclass(frozen=True)
class Row:
    row: int
    path: Path  # resolved
    options: AddOptions


@dataclass(frozen=True)
class Plan:
    rows: list[Row]
    bad: list[RowError]


@dataclass(frozen=True)
class ManifestAdd:
    added: list[Added]
    skipped: list[RowError]


# --- reading the file ---------------------------------------------------------------


def _text(path: Path) -> str:
    """The file as text; a BOM or a byte that is not UTF-8 is a file-level error."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataInputError(f"{path}: no such manifest file") from None
    except OSError as exc:
        raise DataInputError(f"cannot read {path}: {exc.strerror or exc}") from None
    for bom, what in _BOMS.items():
        if data.startswith(bom):
            raise DataInputError(
                f"{path.name}: starts with {what}; save it as UTF-8 without BOM"
                " (in a spreadsheet: 'CSV', not 'CSV UTF-8')"
            )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataInputError(
            f"{path.name}: line {line}: byte 0x{data[exc.start]:02x} is not UTF-8;"
            " save the file as UTF-8"
        ) from None


def _is_jsonl(path: Path, text: str) -> bool:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return True
    if suffix in (".csv", ".txt"):
        return False
    return text.lstrip()[:1] == "{"


def _check_column(name: str, row: int, where: str) -> None:
    if name in COLUMNS or name in usage.TERMS:
        return
    if name.startswith(CUSTOM_PREFIX) and len(name) > len(CUSTOM_PREFIX):
        return
    known = ", ".join([*COLUMNS, *usage.TERMS, "custom.KEY"])
    raise DataInputError(f"{where}: row {row}: unknown column {name!r} (known: {known})")


def _csv_records(text: str, name: str) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise DataInputError(f"{name}: row 1: {exc}") from None
    if header is None or not any(h.strip() for h in header):
        raise DataInputError(f"{name}: empty manifest: the first row must name the columns")
    header = [h.strip() for h in header]
    if len(header) == 1:
        found = [d for d in _OTHER_DELIMITERS if d in header[0]]
        if found:
            raise DataInputError(
                f"{name}: row 1: the header is one column {header[0]!r}; columns must be"
                f" separated by commas, not {found[0]!r}"
            )
    for column in header:
        _check_column(column, 1, name)
    if len(set(header)) != len(header):
        twice = next(h for h in header if header.count(h) > 1)
        raise DataInputError(f"{name}: row 1: column {twice!r} appears twice")
    if "path" not in header:
        raise DataInputError(f"{name}: row 1: no 'path' column")
    records: list[tuple[int, dict[str, Any]]] = []
    number = 1
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise DataInputError(f"{name}: row {number}: {exc}") from None
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            records.append(
                (number, {"__error__": f"{len(cells)} fields, the header has {len(header)}"})
            )
            continue
        records.append((number, dict(zip(header, cells, strict=True))))
    return records


def _jsonl_records(text: str, name: str) -> list[tuple[int, dict[str, Any]]]:
    records: list[tuple[int, dict[str, Any]]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json_input.loads(line)
        except ValueError as exc:
            records.append((number, {"__error__": f"not JSON ({exc.msg})"}))
            continue
        if not isinstance(value, dict):
            records.append((number, {"__error__": "not a JSON object"}))
            continue
        flat: dict[str, Any] = {}
        for key, item in value.items():
            if key == "custom" and isinstance(item, dict):
                flat.update({CUSTOM_PREFIX + k: v for k, v in item.items()})
            elif key == usage.TREE_KEY and isinstance(item, dict):
                flat.update(item)
            else:
                flat[key] = item
        for key in flat:
            _check_column(key, number, name)
        records.append((number, flat))
    if not records:
        raise DataInputError(f"{name}: empty manifest: no rows")
    return records


def usage_terms(pairs: dict[str, str]) -> dict[str, str]:
    """`--terms TERM=VALUE` pairs, checked and in C2PA's words (model.usage)."""
    return usage.normalize(pairs)


# --- checking each row --------------------------------------------------------------


def _options(record: dict[str, Any], defaults: AddOptions) -> tuple[str, AddOptions]:
    """(path text, options) of one row; raises NitError naming what is wrong."""
    if "__error__" in record:
        raise UsageError(record["__error__"])
    values = {k: (v.strip() if isinstance(v, str) else v) for k, v in record.items()}
    path = values.get("path")
    if not isinstance(path, str) or not path:
        raise UsageError("no path")
    changes: dict[str, Any] = {}
    custom = dict(defaults.custom)
    terms: dict[str, Any] = {}
    for key, value in values.items():
        if value in (None, "") or key == "path":
            continue
        if key in usage.TERMS:
            terms[key] = value
        elif key.startswith(CUSTOM_PREFIX):
            custom[key[len(CUSTOM_PREFIX) :]] = value
        elif not isinstance(value, str):
            raise UsageError(f"{key}: expected text, got {json.dumps(value)}")
        else:
            changes[COLUMNS[key]] = value
    options = dataclasses.replace(
        defaults,
        **changes,
        custom=custom,
        usage_terms=usage.merged(defaults.usage_terms, usage.normalize(terms)),
    )
    # The same checks `nit add` makes, now, so every row is judged before staging.
    if options.license:
        name, sep, url = options.license.partition("=")
        license_of(name, url if sep else None)
    if options.source_type:
        source_type_uri(options.source_type)
    nids = (("parentAssetCid", options.parent), ("integrityCid", options.integrity_cid))
    for label, value in nids:
        if value:
            try:
                Nid.parse(value)
            except InvalidFormat:
                raise UsageError(f"{label}: {value!r} is not a Nid") from None
    return path, options


def plan(repo: Repository, manifest: Path, defaults: AddOptions) -> Plan:
    """Read and check every row; file-level problems raise DataInputError at once."""
    text = _text(manifest)
    name = manifest.name
    records = _jsonl_records(text, name) if _is_jsonl(manifest, text) else _csv_records(text, name)
    base = manifest.resolve().parent
    rows: list[Row] = []
    bad: list[RowError] = []
    first_row: dict[Path, int] = {}
    for number, record in records:
        raw = record.get("path")
        raw_path = raw.strip() if isinstance(raw, str) and raw.strip() else None
        try:
            path = (base / raw_path).resolve() if raw_path else None
            if path is not None:
                if path in first_row:
                    raise UsageError(f"{raw_path}: duplicate path (first on row {first_row[path]})")
                first_row[path] = number
            _, options = _options(record, defaults)
            assert path is not None  # _options refuses a row without one
            if not path.exists():
                raise UsageError(f"{raw_path}: no such file")
            if not path.is_file():
                raise UsageError(f"{raw_path}: not a regular file")
            repo.relpath(path)  # inside the repository
            rows.append(Row(number, path, options))
        except NitError as exc:
            bad.append(RowError(number, raw_path, exc.message))
    return Plan(rows, bad)


def summary(manifest: Path, bad: list[RowError]) -> str:
    """All row errors as one line (the first few spelled out)."""
    listed = "; ".join(str(e) for e in bad[:_MAX_LISTED])
    more = f"; and {len(bad) - _MAX_LISTED} more" if len(bad) > _MAX_LISTED else ""
    rows = "1 bad row" if len(bad) == 1 else f"{len(bad)} bad rows"
    return f"{manifest.name}: {rows}, nothing staged: {listed}{more}"


def add_from_manifest(
    repo: Repository,
    manifest: Path,
    defaults: AddOptions | None = None,
    *,
    skip_bad: bool = False,
    dry_run: bool = False,
    config: Config | None = None,
    progress: Progress | None = None,
) -> ManifestAdd:
    """Stage every row of `manifest` (options given on the command line are defaults)."""
    defaults = defaults or AddOptions()
    if defaults.parent:
        raise UsageError("--parent names one file's parent; give parentAssetCid per row instead")
    checked = plan(repo, manifest, defaults)
    if checked.bad and not skip_bad:
        raise DataInputError(summary(manifest, checked.bad), hint="--skip-bad stages the good rows")
    if not checked.rows:
        raise DataInputError(f"{manifest.name}: no good rows; nothing staged")
    added = add(
        repo,
        [r.path for r in checked.rows],
        defaults,
        config=config,
        progress=progress,
        per_file={r.path: r.options for r in checked.rows},
        dry_run=dry_run,
    )
    return ManifestAdd(added, checked.bad)
