"""Ingest one partner extract: read, validate, quarantine, pseudonymise and load it as one batch."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import NamedTuple

import psycopg

from pipelines.contract import Contract
from pipelines.ledger import (
    ensure_ledger,
    record_batch,
    record_rejections,
    replace_period,
    seen_before,
    sha256_of,
)
from pipelines.person_linkage import IDENTITY_LOCK, Linked, ensure_identity_schema, link_rows, store_links
from pipelines.quarantine import FILE_ROW, Rejected, quarantine_path, write_quarantine
from pipelines.raw_tables import raw_columns, raw_table_ddl
from pipelines.readers import FileRejected, Row, RowUnreadable, read_rows
from pipelines.validation import Problem, birth_date, validate_row
from pipelines.warehouse import ensure_base_schema
from pseudonymisation import generalise
from pseudonymisation.link_keys import Identity, link_keys, record_key
from pseudonymisation.probabilistic import Encoding, encode_identity

log = logging.getLogger(__name__)

OPPOSITION = "opposition"  # reason code of a row set aside because its person opposed: no value is kept


@dataclass(frozen=True)
class BatchSummary:
    source: str
    file_name: str
    status: str  # loaded | already_loaded | rejected | already_rejected
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    persons_new: int = 0
    batch_id: int | None = None
    message: str = ""
    replaced: tuple[int, ...] = ()  # earlier batches of the same period this one replaced

    def line(self) -> str:
        text = (
            f"{self.source:<22} {self.file_name:<28} {self.status:<16} read {self.rows_read:>7}  "
            f"loaded {self.rows_loaded:>7}  quarantined {self.rows_quarantined:>5}"
        )
        if self.replaced:
            text += f"  replaces batch {', '.join(map(str, self.replaced))}"
        return f"{text}  {self.message}" if self.message else text


@dataclass
class IngestContext:
    """What every batch needs; the redactor is built on first use (loading spaCy takes seconds)."""

    url: str
    key: bytes = field(repr=False)
    quarantine_dir: Path
    contracts: dict[str, Contract]
    make_redactor: Callable[[], object]
    today: date = field(default_factory=date.today)
    _redactor: object | None = field(default=None, repr=False)
    _schema_ready: bool = field(default=False, repr=False)

    def redactor(self):
        if self._redactor is None:
            self._redactor = self.make_redactor()
        return self._redactor

    def ensure_schema(self) -> None:
        if not self._schema_ready:
            ensure_base_schema(self.url)
            ensure_ledger(self.url)
            ensure_identity_schema(self.url)
            self._schema_ready = True

    def referenced(self, source: str) -> bool:
        """Whether another source points at this one's record ids (so they identify a person)."""
        return any(c.ref_source == source for k in self.contracts.values() for c in k.columns)


@dataclass(frozen=True)
class Extract:
    """What one batch reads: a landing file, or a quarantine file a steward fixed and re-submits."""

    path: Path
    rows: Callable[[], Iterator[tuple[int, Row | RowUnreadable]]]
    period: str | None
    quarantine: Path  # where its rejected rows go, renamed into place once the batch has committed
    retry_of: int | None = None
    known_refs: frozenset[str] = frozenset()  # record refs already loaded in the period (for a retry)


def find_extracts(contract: Contract, landing_dir: Path) -> list[Path]:
    """The source's files in landing, oldest period first; within a period the last received last."""
    files = [p for p in landing_dir.glob(contract.file_pattern) if p.is_file()]
    return sorted(files, key=lambda p: (contract.period_of(p.name) or "", p.stat().st_mtime_ns, p.name))


class ValidRow(NamedTuple):
    number: int
    values: dict[str, object]
    keys: list[str]  # exact link keys, record references included
    encoding: Encoding | None  # keyed encoding of the identity, for typo-tolerant linkage


class _LinkKeys:
    """Link keys and encoding of a batch's rows. The same person fills many rows of a file (a night each, a
    visit each): normalising and hashing an identity once per batch, not once per row, is most of
    ingestion's speed."""

    def __init__(self, ctx: IngestContext, contract: Contract):
        self.ctx, self.contract = ctx, contract
        self.identity_columns = [c for c in contract.columns if c.role in Identity.__dataclass_fields__]
        self.refs = [c for c in contract.columns if c.role == "person_ref"]
        self.referenced = ctx.referenced(contract.name)
        self.cache: dict[Identity, tuple[list[str], Encoding | None]] = {}

    def __call__(self, values: dict[str, object]) -> tuple[list[str], Encoding | None]:
        ctx, contract = self.ctx, self.contract
        keys: list[str] = []
        encoding = None
        if self.identity_columns:
            identity = Identity(
                **{c.role: None if values.get(c.name) is None else str(values[c.name]) for c in self.identity_columns}
            )
            if identity not in self.cache:
                self.cache[identity] = (link_keys(ctx.key, identity), encode_identity(ctx.key, identity))
            cached_keys, encoding = self.cache[identity]
            keys = list(cached_keys)
        for column in self.refs:
            if values.get(column.name) is not None:
                keys.append(record_key(ctx.key, column.ref_source, str(values[column.name])))
        if self.referenced:
            keys.append(record_key(ctx.key, contract.name, str(values[contract.record_id.name])))
        return keys, encoding


def _names_in(contract: Contract, values: dict[str, object]) -> list[str]:
    return [str(values[c.name]) for c in contract.columns if c.role in ("given_name", "family_name") and values[c.name]]


def _raw_row(ctx, contract: Contract, values: dict[str, object], person_key, notes: dict[str, str | None]) -> list:
    row: list = [record_key(ctx.key, contract.name, str(values[contract.record_id.name]))]
    if contract.is_person_level:
        row.append(person_key)
    birth = next((c for c in contract.columns if c.role == "birth_date"), None)
    if birth is not None:
        row.append(generalise.birth_year(birth_date(values.get(birth.name))))
    for column in contract.stored_columns:
        row.append(notes[column.name] if column.role == "free_text" else values.get(column.name))
    return row


def _reject_file(ctx: IngestContext, contract: Contract, extract: Extract, sha: str, exc: FileRejected):
    """A file that cannot be read: a rejected batch with one reason code, its message in the quarantine file."""
    partial = write_quarantine(extract.quarantine, [Rejected(FILE_ROW, [Problem(None, exc.code, str(exc))], None)], [])
    try:
        with psycopg.connect(ctx.url) as conn, conn.cursor() as cur:
            batch_id = record_batch(
                cur, contract, extract.path.name, sha, extract.period, (0, 0, 0), "rejected", extract.retry_of
            )
            record_rejections(cur, batch_id, [(FILE_ROW, None, exc.code)])
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(extract.quarantine)
    log.warning("%s: file rejected (%s)", extract.path.name, exc.code)
    return BatchSummary(contract.name, extract.path.name, "rejected", batch_id=batch_id, message=str(exc))


def ingest_file(ctx: IngestContext, contract: Contract, path: Path) -> BatchSummary:
    extract = Extract(
        path=path,
        rows=lambda: read_rows(path, contract),
        period=contract.period_of(path.name),
        quarantine=quarantine_path(ctx.quarantine_dir, contract.name, path.name),
    )
    return ingest_extract(ctx, contract, extract)


def _read(ctx: IngestContext, contract: Contract, extract: Extract):
    """Valid rows (number, typed values, link keys, encoding), rejected rows and the number of rows read."""
    valid: list[ValidRow] = []
    rejected: list[Rejected] = []
    seen_ids: set[object] = set()
    row_link_keys = _LinkKeys(ctx, contract)
    rows_read = 0
    for number, row in extract.rows():
        rows_read += 1
        if isinstance(row, RowUnreadable):
            rejected.append(Rejected(number, [Problem(None, row.code, str(row))], None))
            continue
        values, problems = validate_row(row, contract, ctx.today)
        record_id = values.get(contract.record_id.name)
        if not problems and (
            record_id in seen_ids
            or (extract.known_refs and record_key(ctx.key, contract.name, str(record_id)) in extract.known_refs)
        ):
            problems.append(Problem(contract.record_id.name, "duplicate_id", f"'{record_id}' appears twice"))
        keys, encoding = row_link_keys(values) if not problems else ([], None)
        if not problems and contract.is_person_level and not keys:
            problems.append(Problem(None, "no_identifier", "no usable identifier to recognise the person"))
        if problems:
            rejected.append(Rejected(number, problems, row))
            continue
        seen_ids.add(record_id)
        valid.append(ValidRow(number, values, keys, encoding))
    return valid, rejected, rows_read


def ingest_extract(ctx: IngestContext, contract: Contract, extract: Extract) -> BatchSummary:
    ctx.ensure_schema()
    sha = sha256_of(extract.path)
    with psycopg.connect(ctx.url) as conn:
        seen = seen_before(conn, contract, sha)
    if seen:
        return BatchSummary(contract.name, extract.path.name, seen)
    try:
        if extract.period is None:
            raise FileRejected(
                "no_period", f"{extract.path.name}: no period in the file name (pattern {contract.period_pattern})"
            )
        valid, rejected, rows_read = _read(ctx, contract, extract)
        if rows_read == 0 and contract.load == "snapshot":
            raise FileRejected("no_rows", f"{extract.path.name}: a header but no rows (it would empty the period)")
    except FileRejected as exc:
        return _reject_file(ctx, contract, extract, sha, exc)

    redacted: dict[str, list[str | None]] = {}
    for column in (c for c in contract.columns if c.role == "free_text"):
        texts = [row.values.get(column.name) for row in valid]
        names = [_names_in(contract, row.values) for row in valid]
        redacted[column.name] = ctx.redactor().redact_many(texts, names)

    partial = write_quarantine(extract.quarantine, rejected, [c.name for c in contract.columns]) if rejected else None
    try:
        summary, replaced_files = _load(ctx, contract, extract, sha, rows_read, valid, rejected, redacted)
    except BaseException:
        if partial is not None:
            partial.unlink(missing_ok=True)
        raise
    if summary.status == "loaded":
        _settle_quarantine(ctx, contract, extract, partial, replaced_files)
    elif partial is not None:
        partial.unlink(missing_ok=True)
    log.info(
        "%s: %s rows read, %s loaded, %s quarantined",
        extract.path.name,
        rows_read,
        summary.rows_loaded,
        summary.rows_quarantined,
    )
    return summary


def _settle_quarantine(ctx, contract: Contract, extract: Extract, partial: Path | None, replaced: list[str]) -> None:
    """After commit: quarantine files of replaced batches go; this batch's rejected rows take their place, or
    none is left (an earlier version of this file, or the retried file, had rows to fix that are now in)."""
    for name in replaced:
        quarantine_path(ctx.quarantine_dir, contract.name, name).unlink(missing_ok=True)
    if partial is not None:
        partial.replace(extract.quarantine)
    else:
        extract.quarantine.unlink(missing_ok=True)


def _load(ctx, contract, extract, sha, rows_read, valid, rejected, redacted) -> tuple[BatchSummary, list[str]]:
    """Everything of a batch in one transaction: ledger, replacement of its period, identity, raw rows, reasons."""
    with psycopg.connect(ctx.url) as conn, conn.cursor() as cur:
        cur.execute("select pg_advisory_xact_lock(%s)", (IDENTITY_LOCK,))
        seen = seen_before(conn, contract, sha)  # again under the lock: the same file may be loading elsewhere
        if seen:
            return BatchSummary(contract.name, extract.path.name, seen), []
        cur.execute(raw_table_ddl(contract))
        linked = (
            link_rows(cur, [row.keys for row in valid], [row.encoding for row in valid])
            if contract.is_person_level
            else Linked([None] * len(valid), [False] * len(valid))
        )
        # Rows of an opposed person are counted as quarantined but written nowhere, not even to the
        # quarantine file: there is nothing for a steward to fix, and their values must not be kept.
        opposed = [row.number for row, dropped in zip(valid, linked.opposed, strict=True) if dropped]
        counts = (rows_read, len(valid) - len(opposed), len(rejected) + len(opposed))
        batch_id = record_batch(
            cur, contract, extract.path.name, sha, extract.period, counts, "loaded", extract.retry_of
        )
        replaced: list[tuple[int, str]] = []
        if extract.retry_of is None:
            replaced = replace_period(cur, contract, extract.period, batch_id)
        if contract.is_person_level:
            store_links(cur, ctx.contracts.values(), linked, batch_id)
        columns = ["batch_id", "source_row"] + [name for name, _ in raw_columns(contract)]
        with cur.copy(f"copy {contract.raw_table} ({', '.join(columns)}) from stdin") as copy:
            for position, (row, person_key, dropped) in enumerate(
                zip(valid, linked.person_keys, linked.opposed, strict=True)
            ):
                if not dropped:
                    notes = {name: texts[position] for name, texts in redacted.items()}
                    copy.write_row([batch_id, row.number, *_raw_row(ctx, contract, row.values, person_key, notes)])
        reasons = [(r.source_row, p.column, p.code) for r in rejected for p in r.problems]
        record_rejections(cur, batch_id, reasons + [(number, None, OPPOSITION) for number in opposed])
    summary = BatchSummary(
        contract.name,
        extract.path.name,
        "loaded",
        *counts,
        persons_new=linked.persons_new,
        batch_id=batch_id,
        replaced=tuple(b for b, _ in replaced),
    )
    return summary, [name for _, name in replaced]


def ingest_source(ctx: IngestContext, contract: Contract, landing_dir: Path) -> list[BatchSummary]:
    return [ingest_file(ctx, contract, path) for path in find_extracts(contract, landing_dir)]
