"""Ingest one partner extract: read, validate, quarantine, pseudonymise and load it as one batch."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import psycopg

from pipelines.contract import Contract
from pipelines.quarantine import Rejected, quarantine_path, write_quarantine
from pipelines.raw_tables import raw_columns, raw_table_ddl
from pipelines.readers import FileRejected, RowUnreadable, read_rows
from pipelines.validation import Problem, validate_row
from pipelines.warehouse import ensure_base_schema
from pseudonymisation import generalise, normalise
from pseudonymisation.link_keys import Identity, link_keys, record_key
from pseudonymisation.linkage import link

log = logging.getLogger(__name__)

# Serialises linkage so two batches never create two keys for one person.
IDENTITY_LOCK = 4_242_001


@dataclass(frozen=True)
class BatchSummary:
    source: str
    file_name: str
    status: str  # loaded | already_loaded | rejected
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    persons_new: int = 0
    batch_id: int | None = None
    message: str = ""

    def line(self) -> str:
        text = (
            f"{self.source:<22} {self.file_name:<28} {self.status:<14} read {self.rows_read:>7}  "
            f"loaded {self.rows_loaded:>7}  quarantined {self.rows_quarantined:>5}"
        )
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

    def redactor(self):
        if self._redactor is None:
            self._redactor = self.make_redactor()
        return self._redactor

    def referenced(self, source: str) -> bool:
        """Whether another source points at this one's record ids (so they identify a person)."""
        return any(c.ref_source == source for k in self.contracts.values() for c in k.columns)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def find_extracts(contract: Contract, landing_dir: Path) -> list[Path]:
    """The source's files in landing, oldest period first."""
    files = [p for p in landing_dir.glob(contract.file_pattern) if p.is_file()]
    return sorted(files, key=lambda p: (contract.period_of(p.name) or "", p.name))


def _identity(contract: Contract, values: dict[str, object]) -> Identity:
    fields = {c.role: values.get(c.name) for c in contract.columns if c.role in Identity.__dataclass_fields__}
    return Identity(**{k: None if v is None else str(v) for k, v in fields.items()})


def _row_link_keys(ctx: IngestContext, contract: Contract, values: dict[str, object]) -> list[str]:
    keys = link_keys(ctx.key, _identity(contract, values)) if contract.is_person_level else []
    for column in contract.columns:
        value = values.get(column.name)
        if column.role == "person_ref" and value is not None:
            keys.append(record_key(ctx.key, column.ref_source, str(value)))
    if ctx.referenced(contract.name):
        keys.append(record_key(ctx.key, contract.name, str(values[contract.record_id.name])))
    return keys


def _names_in(contract: Contract, values: dict[str, object]) -> list[str]:
    return [str(values[c.name]) for c in contract.columns if c.role in ("given_name", "family_name") and values[c.name]]


def _raw_row(ctx, contract: Contract, values: dict[str, object], person_key, notes: dict[str, str | None]) -> list:
    row: list = [record_key(ctx.key, contract.name, str(values[contract.record_id.name]))]
    if contract.is_person_level:
        row.append(person_key)
    birth = next((c for c in contract.columns if c.role == "birth_date"), None)
    if birth is not None:
        row.append(generalise.birth_year(normalise.birth_date(values.get(birth.name))))
    for column in contract.stored_columns:
        row.append(notes[column.name] if column.role == "free_text" else values.get(column.name))
    return row


def _record_batch(cur, contract: Contract, path: Path, sha: str, period, counts: tuple[int, int, int], status) -> int:
    return cur.execute(
        "insert into audit.batches (source, file_name, sha256, period, rows_read, rows_loaded, rows_quarantined,"
        " status) values (%s, %s, %s, %s, %s, %s, %s, %s) returning batch_id",
        (contract.name, path.name, sha, period, *counts, status),
    ).fetchone()[0]


def _reject_file(ctx: IngestContext, contract: Contract, path: Path, sha: str, exc: FileRejected) -> BatchSummary:
    with psycopg.connect(ctx.url) as conn, conn.cursor() as cur:
        batch_id = _record_batch(cur, contract, path, sha, contract.period_of(path.name), (0, 0, 0), "rejected")
        cur.execute(
            "insert into audit.rejections (batch_id, source_row, column_name, reason_code) values (%s, 0, null, %s)",
            (batch_id, exc.code),
        )
    log.warning("%s: file rejected (%s)", path.name, exc.code)
    return BatchSummary(contract.name, path.name, "rejected", batch_id=batch_id, message=str(exc))


def ingest_file(ctx: IngestContext, contract: Contract, path: Path) -> BatchSummary:
    sha = sha256_of(path)
    ensure_base_schema(ctx.url)
    with psycopg.connect(ctx.url) as conn:
        if conn.execute(
            "select 1 from audit.batches where source = %s and sha256 = %s", (contract.name, sha)
        ).fetchone():
            return BatchSummary(contract.name, path.name, "already_loaded")

    valid: list[tuple[int, dict[str, object], list[str]]] = []
    rejected: list[Rejected] = []
    seen_ids: set[object] = set()
    rows_read = 0
    try:
        for number, row in read_rows(path, contract):
            rows_read += 1
            if isinstance(row, RowUnreadable):
                rejected.append(Rejected(number, [Problem(None, "unreadable_row", str(row))], None))
                continue
            values, problems = validate_row(row, contract, ctx.today)
            record_id = values.get(contract.record_id.name)
            if not problems and record_id in seen_ids:
                problems.append(Problem(contract.record_id.name, "duplicate_id", f"'{record_id}' appears twice"))
            keys = _row_link_keys(ctx, contract, values) if not problems else []
            if not problems and contract.is_person_level and not keys:
                problems.append(Problem(None, "no_identifier", "no usable identifier to recognise the person"))
            if problems:
                rejected.append(Rejected(number, problems, row))
                continue
            seen_ids.add(record_id)
            valid.append((number, values, keys))
    except FileRejected as exc:
        return _reject_file(ctx, contract, path, sha, exc)

    free_text = [c for c in contract.columns if c.role == "free_text"]
    redacted: dict[str, list[str | None]] = {}
    for column in free_text:
        texts = [values.get(column.name) for _, values, _ in valid]
        names = [_names_in(contract, values) for _, values, _ in valid]
        redacted[column.name] = ctx.redactor().redact_many(texts, names)

    partial = None
    if rejected:
        target = quarantine_path(ctx.quarantine_dir, contract.name, path.name)
        partial = write_quarantine(target, rejected, [c.name for c in contract.columns])
    try:
        summary = _load(ctx, contract, path, sha, rows_read, valid, rejected, redacted)
    except BaseException:
        if partial is not None:
            partial.unlink(missing_ok=True)
        raise
    if partial is not None:
        partial.replace(target)
    log.info(
        "%s: %s rows read, %s loaded, %s quarantined",
        path.name,
        rows_read,
        summary.rows_loaded,
        summary.rows_quarantined,
    )
    return summary


def _load(ctx, contract, path, sha, rows_read, valid, rejected, redacted) -> BatchSummary:
    """Everything of a batch in one transaction: ledger, identity, raw rows and rejection reasons."""
    counts = (rows_read, len(valid), len(rejected))
    with psycopg.connect(ctx.url) as conn, conn.cursor() as cur:
        cur.execute("select pg_advisory_xact_lock(%s)", (IDENTITY_LOCK,))
        cur.execute(raw_table_ddl(contract))
        batch_id = _record_batch(cur, contract, path, sha, contract.period_of(path.name), counts, "loaded")
        persons_new = 0
        person_keys: list[str | None] = [None] * len(valid)
        if contract.is_person_level:
            all_keys = sorted({k for _, _, keys in valid for k in keys})
            store = dict(
                cur.execute(
                    "select link_key, person_key from identity.link_keys where link_key = any(%s)",
                    (all_keys,),
                ).fetchall()
            )
            result = link([keys for _, _, keys in valid], store)
            person_keys = result.person_keys
            persons_new = len(set(person_keys) - set(store.values()))
            cur.executemany(
                "insert into identity.link_keys (link_key, person_key) values (%s, %s)"
                " on conflict (link_key) do update set person_key = excluded.person_key",
                list(result.new_mappings.items()),
            )
            _apply_merges(cur, ctx, result.merges, batch_id)
        columns = ["batch_id", "source_row"] + [name for name, _ in raw_columns(contract)]
        with cur.copy(f"copy {contract.raw_table} ({', '.join(columns)}) from stdin") as copy:
            for position, ((number, values, _), person_key) in enumerate(zip(valid, person_keys, strict=True)):
                notes = {name: texts[position] for name, texts in redacted.items()}
                copy.write_row([batch_id, number, *_raw_row(ctx, contract, values, person_key, notes)])
        cur.executemany(
            "insert into audit.rejections (batch_id, source_row, column_name, reason_code) values (%s, %s, %s, %s)",
            [(batch_id, r.source_row, p.column, p.code) for r in rejected for p in r.problems],
        )
    return BatchSummary(contract.name, path.name, "loaded", *counts, persons_new=persons_new, batch_id=batch_id)


def _apply_merges(cur, ctx: IngestContext, merges: list[tuple[str, str]], batch_id: int) -> None:
    """Two persons found to be one: rows already loaded follow the kept key; audit notes the act."""
    for absorbed, kept in merges:
        for contract in ctx.contracts.values():
            if contract.is_person_level:
                cur.execute(raw_table_ddl(contract))
                cur.execute(f"update {contract.raw_table} set person_key = %s where person_key = %s", (kept, absorbed))
        cur.execute("update identity.link_keys set person_key = %s where person_key = %s", (kept, absorbed))
        cur.execute(
            "insert into audit.person_merges (absorbed_person_key, kept_person_key, batch_id) values (%s, %s, %s)",
            (absorbed, kept, batch_id),
        )


def ingest_source(ctx: IngestContext, contract: Contract, landing_dir: Path) -> list[BatchSummary]:
    return [ingest_file(ctx, contract, path) for path in find_extracts(contract, landing_dir)]
