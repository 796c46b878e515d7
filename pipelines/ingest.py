"""Ingest one partner extract: read, validate, quarantine, pseudonymise and load it as one batch."""

from __future__ import annotations

import logging
import shlex
import stat
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import psycopg

from pipelines.arrival import CHANGED, GONE, UNREADABLE, Stamps, moved_on, stamps, unreadable
from pipelines.batch_spool import BatchSpool
from pipelines.contract import Contract
from pipelines.key_check import adopt_key, check_key
from pipelines.lateness import after_this_month, not_a_month
from pipelines.ledger import (
    Seen,
    batch_sha256,
    current_of,
    ensure_ledger,
    outdate_earlier_periods,
    record_batch,
    record_rejections,
    replace_period,
    seen_before,
)
from pipelines.person_linkage import (
    Linked,
    LinkEntries,
    RowIdentities,
    ensure_identity_schema,
    link_rows,
    store_links,
)
from pipelines.quarantine import (
    FILE_ROW,
    QuarantineWriter,
    Rejected,
    Snapshot,
    drop_lines,
    quarantine_path,
    rows_set_aside,
    write_quarantine,
)
from pipelines.quarantine_leftovers import settle_leftovers
from pipelines.raw_tables import (
    copy_column,
    copy_statement,
    drop_person_index_ddl,
    follow_contract_changes,
    person_index_ddl,
    raw_table_ddl,
)
from pipelines.readers import FileRejected, Row, RowUnreadable, read_beside, read_rows
from pipelines.record_fingerprints import RecordFingerprints, fingerprint
from pipelines.validation import Problem, RowValidator, birth_date, full_birth_date
from pipelines.warehouse import ensure_base_schema
from pipelines.writer_lock import hold_past_commit, lock_for_transaction
from pseudonymisation import generalise
from pseudonymisation.link_keys import Identity, link_keys, record_key, record_keyer
from pseudonymisation.probabilistic import Encoding, encode_identity

log = logging.getLogger(__name__)

OPPOSITION = "opposition"  # reason code of a row set aside because its person opposed: no value is kept
# Valid rows are redacted and spooled this many at a time: the redactor batches its work, memory stays bounded.
CHUNK_ROWS = 2048
BULK_ROWS = 10_000  # below this, a batch's rows go into the person-key index as they come (_defer_person_index)
# A re-sent period is the month again, whole: a correction keeps about as many rows as it replaces (the sample
# generator's corrections bring back the tenth their first send lacked); a partner withdrawing records loses a few.
# A snapshot source's next month holds the partner's whole history again, grown by a month. Keeping under half
# is part of a month sent under its name (late rows, a filtered export): refused (_refuse_shrink) unless the steward
# says so. A period of fewer than SHRINK_MIN_ROWS rows is not guarded: there a few rows more or less swing the
# ratio, and a wrong re-send loses little.
SHRINK_MIN_ROWS = 100


@dataclass(frozen=True)
class BatchSummary:
    source: str
    file_name: str
    status: str  # loaded | already_loaded | rejected | already_rejected | changed | gone | unreadable (arrival.py)
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    persons_new: int = 0
    batch_id: int | None = None
    message: str = ""
    replaced: tuple[int, ...] = ()  # earlier batches of the same period this one replaced
    outdated: tuple[int, ...] = ()  # batches of earlier periods this one left behind: their raw rows are gone
    not_in_file: tuple[str, ...] = ()  # contract columns the file lacked (optional_in_file): loaded empty
    given_up: int = 0  # a retry: rows to fix the steward deleted from the file

    @property
    def unloaded(self) -> bool:
        """Nothing of the file loaded, for the steward to hear why (a warning, a failed command): rejected, or
        changed, gone or unreadable as it was read. An already_rejected file was said so when it was rejected."""
        return self.status in ("rejected", CHANGED, GONE, UNREADABLE)

    def line(self) -> str:
        text = (
            f"{self.source:<22} {self.file_name:<28} {self.status:<16} read {self.rows_read:>7}  "
            f"loaded {self.rows_loaded:>7}  quarantined {self.rows_quarantined:>5}"
        )
        if self.replaced:
            text += f"  replaces batch {', '.join(map(str, self.replaced))}"
        if self.outdated:
            text += f"  outdates batch {', '.join(map(str, self.outdated))}"
        if self.not_in_file:
            # a re-sent month, or a snapshot's next one, empties the column in the rows it takes the place of too
            earlier = self.replaced + self.outdated
            instead = f", in place of batch {', '.join(map(str, earlier))}'s" if earlier else ""
            text += f"  {not_in_file_note(self.not_in_file)}{instead}"
        if self.given_up:
            text += (
                f"  gives up {self.given_up} row(s) to fix not in the file: they stay counted as quarantined,"
                " never loaded"
            )
        return f"{text}  {self.message}" if self.message else text


def not_in_file_note(names: Sequence[str]) -> str:
    """What a batch whose file lacked columns its contract says it may lack (optional_in_file) says of them."""
    return f"{', '.join(names)} not in the file: loaded empty"


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
    # rows(lacking): its rows, naming in `lacking` the columns it lacks that its contract says it may
    rows: Callable[[list[str]], Iterator[tuple[int, Row | RowUnreadable]]]
    period: str | None
    quarantine: Path  # where its rejected rows go, renamed into place once the batch has committed
    retry_of: int | None = None
    known_refs: frozenset[str] = frozenset()  # record refs already loaded in the period (for a retry)
    given_up: int = 0  # a retry: its batch's rows to fix not in the file (retry.given_up)
    snapshot: Snapshot | None = None  # a retry: its file as read once, whose bytes the batch is of
    beside: tuple[Path, ...] = ()  # the files read with `path` (a FHIR export's Patient file): part of the batch
    shrink_allowed: bool = False  # `abord ingest --replace-period`: replaces its period however few rows it keeps

    @property
    def files(self) -> tuple[Path, ...]:
        return (self.path, *self.beside)


def find_extracts(contract: Contract, landing_dir: Path) -> list[Path]:
    """The source's files in landing, oldest period first; within a period the last received last."""
    found = []
    for path in landing_dir.glob(contract.file_pattern):
        try:  # one stat: a file moved away since it was listed is left out, not an error stopping the source
            status = path.stat()
        except FileNotFoundError:
            continue
        if stat.S_ISREG(status.st_mode):
            found.append(((contract.period_of(path.name) or "", status.st_mtime_ns, path.name), path))
    return [path for _, path in sorted(found, key=lambda item: item[0])]


class RowLinkKeys:
    """Link keys and encoding of a batch's rows. The same person fills many rows of a file (a night each, a
    visit each): normalising and hashing an identity, or a reference to another source's record, once per
    batch, not once per row, is most of ingestion's speed."""

    def __init__(self, ctx: IngestContext, contract: Contract):
        self.ctx, self.contract = ctx, contract
        identity_columns = [c for c in contract.columns if c.role in Identity.__dataclass_fields__]
        self.identity_names = [c.name for c in identity_columns]
        self.identity_roles = [c.role for c in identity_columns]
        self.refs = [(c.name, c.ref_source) for c in contract.columns if c.role == "person_ref"]
        postcode = next((c.name for c in contract.columns if c.role == "postcode"), None)
        if postcode is not None:  # not an Identity field: it only sharpens the typo-tolerant encoding
            self.identity_names.append(postcode)
        self.has_postcode = postcode is not None
        self.referenced = ctx.referenced(contract.name)
        # Keyed by the row's identifier values as read: an Identity is built and hashed once per person.
        self.cache: dict[tuple[object, ...], tuple[list[str], Encoding | None]] = {}
        self.ref_cache: dict[tuple[str, str], str] = {}

    def __call__(self, values: dict[str, object], record_ref: str | None) -> tuple[list[str], Encoding | None]:
        """`record_ref` is the row's own keyed record id (None: it has none), a link key when other sources
        reference it. The list returned may be shared between rows: it is read, never changed."""
        keys: list[str] = []
        encoding = None
        if self.identity_names:
            read = tuple(map(values.get, self.identity_names))
            cached = self.cache.get(read)
            if cached is None:
                parts = read[:-1] if self.has_postcode else read
                postcode = read[-1] if self.has_postcode and read[-1] is not None else None
                identity = Identity(
                    **{role: None if v is None else str(v) for role, v in zip(self.identity_roles, parts, strict=True)}
                )
                code = None if postcode is None else str(postcode)
                encoding = encode_identity(self.ctx.key, identity, code, self.ctx.today)
                cached = (link_keys(self.ctx.key, identity, self.ctx.today), encoding)
                self.cache[read] = cached
            keys, encoding = cached
        if not self.refs and not self.referenced:
            return keys, encoding
        keys = list(keys)
        for name, source in self.refs:
            if values.get(name) is not None:
                ref = (source, str(values[name]))
                if ref not in self.ref_cache:
                    self.ref_cache[ref] = record_key(self.ctx.key, *ref)
                keys.append(self.ref_cache[ref])
        if self.referenced and record_ref is not None:
            keys.append(record_ref)
        return keys, encoding

    def of_rejected(self, values: dict[str, object]) -> tuple[list[str], Encoding | None]:
        """A rejected row's, from what validation could read of it: a value it could not read counts as empty."""
        record_id = values.get(self.contract.record_id.name)
        record_ref = None if record_id is None else record_key(self.ctx.key, self.contract.name, str(record_id))
        return self(values, record_ref)


@lru_cache(maxsize=1 << 16)
def _birth_year(value: str | None, today: date) -> int | None:
    return generalise.birth_year(birth_date(value, today))


class _RawFields:
    """A chunk of valid rows' fields in their raw table, the person key aside (linkage decides it later), as COPY
    text. Formatted column by column, each by its type's formatting chosen once: a call per field cost more than
    the formatting."""

    def __init__(self, contract: Contract, today: date):
        self.today = today
        birth = next((c for c in contract.columns if c.role == "birth_date"), None)
        self.birth = birth.name if birth is not None else None
        postcode = next((c for c in contract.columns if c.role == "postcode"), None)
        self.postcode = postcode.name if postcode is not None else None
        self.stored = [
            (c.name, c.role == "free_text", copy_column("text" if c.role == "free_text" else c.type))
            for c in contract.stored_columns
        ]

    def __call__(self, refs: list[str], rows: list[dict[str, object]], notes: dict[str, list[str | None]]) -> list[str]:
        """Each row's fields joined, from its keyed record ref, its typed values and its columns' redacted notes."""
        columns = [refs]
        if self.birth is not None:
            years = [_birth_year(values.get(self.birth), self.today) for values in rows]
            columns.append(copy_column("integer")(years))
        if self.postcode is not None:
            departements = [generalise.departement(values.get(self.postcode)) for values in rows]
            columns.append(copy_column("text")(departements))
        for name, free_text, formatted in self.stored:
            columns.append(formatted(notes[name] if free_text else [values.get(name) for values in rows]))
        return ["\t".join(fields) for fields in zip(*columns, strict=True)]


def _names_in(contract: Contract, values: dict[str, object]) -> list[str]:
    return [str(values[c.name]) for c in contract.columns if c.role in ("given_name", "family_name") and values[c.name]]


def _reject_file(ctx: IngestContext, contract: Contract, extract: Extract, sha: str, exc: FileRejected):
    """A file that cannot be read: a rejected batch with one reason code, its message in the quarantine file,
    unless that file holds the rows to fix of a batch still loaded (a re-send under the same name, or the
    quarantine file being retried): those rows are the only copy, and are kept."""
    keep = False
    if extract.quarantine.exists():
        with psycopg.connect(ctx.url) as conn:
            keep = extract.retry_of is not None or _current_under(conn, contract, extract.path.name)
    message = [Rejected(FILE_ROW, [Problem(None, exc.code, str(exc))], None)]
    partial = None if keep else write_quarantine(extract.quarantine, message, [], sha)
    try:
        with psycopg.connect(ctx.url) as conn, conn.cursor() as cur:
            batch_id = record_batch(
                cur, contract, extract.path.name, sha, extract.period, (0, 0, 0), "rejected", extract.retry_of
            )
            record_rejections(cur, batch_id, [(FILE_ROW, None, exc.code)])
    except BaseException:
        if partial is not None:
            partial.unlink(missing_ok=True)
        raise
    if partial is not None:
        partial.replace(extract.quarantine)
    log.warning("%s: file rejected (%s)", extract.path.name, exc.code)
    return BatchSummary(contract.name, extract.path.name, "rejected", batch_id=batch_id, message=str(exc))


def _current_under(conn: psycopg.Connection, contract: Contract, file_name: str) -> bool:
    """Whether a batch read from this file name still has rows to fix (loaded, and not outdated: an outdated
    batch's quarantine file went with its rows)."""
    query = (
        "select exists (select from audit.batches where source = %s and file_name = %s and status = 'loaded'"
        " and outdated_by is null)"
    )
    return conn.execute(query, (contract.name, file_name)).fetchone()[0]


def ingest_file(ctx: IngestContext, contract: Contract, path: Path, shrink_allowed: bool = False) -> BatchSummary:
    extract = Extract(
        path=path,
        rows=lambda lacking: read_rows(path, contract, lacking),
        period=contract.period_of(path.name),
        quarantine=quarantine_path(ctx.quarantine_dir, contract.name, path.name),
        beside=read_beside(path, contract),
        shrink_allowed=shrink_allowed,
    )
    return ingest_extract(ctx, contract, extract)


@dataclass
class _ReadBatch:
    """What reading leaves of a batch: valid rows spooled with their linkage entries, rejected ones written to
    the quarantine file; in memory only the reasons of the rejections, one entry per person, and the entry of
    each rejected row that names one (its person may be on the opposition list, known only at linkage)."""

    spool: BatchSpool
    quarantine: QuarantineWriter
    entries: LinkEntries = field(default_factory=LinkEntries)
    reasons: list[tuple[int, str | None, str]] = field(default_factory=list)  # (source row, column, code)
    rows_read: int = 0
    rows_rejected: int = 0
    rejected: RowIdentities = field(default_factory=RowIdentities)  # by line of the quarantine file
    lines: dict[int, int] = field(default_factory=dict)  # the quarantine file's line -> source row, per rejected row
    partial: Path | None = None  # the quarantine file once written, renamed into place after commit
    lacking: list[str] = field(default_factory=list)  # columns the file lacks that its contract says it may

    def reject(self, item: Rejected, identity: tuple[list[str], Encoding | None] | None = None) -> None:
        self._rejected(item, identity, self.quarantine.add(item))

    def reject_in_place(self, late: list[tuple[Rejected, tuple[list[str], Encoding | None] | None]]) -> None:
        """``reject`` of rows settled once the others were read, written at their rows' places in the file
        (``QuarantineWriter.place``): the lines written before move down."""
        moved, lines = self.quarantine.place([item for item, _ in late])
        if moved:
            self.lines = {moved[line]: number for line, number in self.lines.items()}
            self.rejected.renumber(moved)
        for (item, identity), line in zip(late, lines, strict=True):
            self._rejected(item, identity, line)

    def _rejected(self, item: Rejected, identity: tuple[list[str], Encoding | None] | None, line: int) -> None:
        self.lines[line] = item.source_row
        self.reasons.extend((item.source_row, p.column, p.code) for p in item.problems)
        self.rows_rejected += 1
        if identity is not None:
            self.rejected.add(line, *identity)


def _read(ctx: IngestContext, contract: Contract, extract: Extract, batch: _ReadBatch) -> None:
    """Validate every row: rejected ones to quarantine, valid ones keyed, linked to an entry, spooled."""
    validate = RowValidator(contract, ctx.today)
    row_link_keys = RowLinkKeys(ctx, contract)
    record_id_column = contract.record_id.name
    record_ref_of = record_keyer(ctx.key, contract.name)
    met = RecordFingerprints()
    held: list[tuple[int, Row, dict[str, object], str]] = []  # valid rows that may repeat a record id
    pending: list[tuple[int, str, dict[str, object], int]] = []  # valid rows waiting for their notes' redaction
    birth = next((c.name for c in contract.columns if c.role == "birth_date"), None)

    def identity(values: dict[str, object], record_ref: str | None = None):
        """A rejected row's identity, to be matched against the opposition list at linkage."""
        if not contract.is_person_level:
            return None
        return row_link_keys(values, record_ref) if record_ref else row_link_keys.of_rejected(values)

    def accept(number: int, row: Row, values: dict[str, object], record_ref: str) -> bool:
        keys, encoding = row_link_keys(values, record_ref)
        if contract.is_person_level and not keys:
            # A partial birth date (FHIR's '1980') passed validation but keys nothing: say so, never quoting it.
            born = values.get(birth) if birth is not None else None
            why = ""
            if born is not None and full_birth_date(str(born), ctx.today) is None:
                why = " (its birth date is only a year, or a year and month: a NIR or an e-mail is needed)"
            problem = Problem(None, "no_identifier", f"no usable identifier to recognise the person{why}")
            batch.reject(Rejected(number, [problem], row))
            return False
        entry = batch.entries.add(keys, encoding) if contract.is_person_level else -1
        pending.append((number, record_ref, values, entry))
        if len(pending) >= CHUNK_ROWS:
            _spool(ctx, contract, pending, batch.spool)
        return True

    def duplicate(number: int, row: Row, values: dict[str, object], record_ref: str, kept=None):
        # the first copy is named, so the steward can compare the two and keep the right one; not as "loaded":
        # linkage, later, may set it aside (its person opposed)
        where = f": row {kept} came first" if kept else " (already loaded in this period)"
        message = f"'{values[record_id_column]}' appears twice{where}"
        problem = Problem(record_id_column, "duplicate_id", message)
        return Rejected(number, [problem], row), identity(values, record_ref)

    for number, row in extract.rows(batch.lacking):
        batch.rows_read += 1
        if isinstance(row, RowUnreadable):
            # Its fields as far as they could be split: a shifted identity column gives keys nobody holds. One
            # not split at all (no fields) names nobody: it stays for the steward, nothing says whose it is.
            read = identity(validate(row.fields)[0]) if row.fields else None
            batch.reject(Rejected(number, [Problem(None, row.code, str(row))], row.fields), read)
            continue
        values, problems = validate(row)
        if problems:
            # An identity validation could not read (no usable identifier) cannot be matched: the row stays for
            # the steward, as nothing says it is an opposed person's.
            batch.reject(Rejected(number, problems, row), identity(values))
            continue
        record_ref = record_ref_of(str(values.get(record_id_column)))
        if record_ref in extract.known_refs:
            batch.reject(*duplicate(number, row, values, record_ref))
        elif met.add(record_ref):
            held.append((number, row, values, record_ref))
        else:
            accept(number, row, values, record_ref)
    _spool(ctx, contract, pending, batch.spool)
    if held:  # settled against the refs spooled: a later row repeating an earlier one's id is rejected
        wanted = {fingerprint(ref) for *_, ref in held}
        spooled = {ref: kept for ref, kept in batch.spool.record_refs() if fingerprint(ref) in wanted}
        late = []
        for number, row, values, record_ref in held:
            if record_ref in spooled:
                late.append(duplicate(number, row, values, record_ref, spooled[record_ref]))
            elif accept(number, row, values, record_ref):
                spooled[record_ref] = number
        batch.reject_in_place(late)
        _spool(ctx, contract, pending, batch.spool)


def _spool(ctx: IngestContext, contract: Contract, pending: list, spool: BatchSpool) -> None:
    """Redact the free text of a chunk of valid rows and spool them; the chunk is emptied."""
    if not pending:
        return
    notes: dict[str, list[str | None]] = {}
    for column in (c for c in contract.columns if c.role == "free_text"):
        texts = [values.get(column.name) for _, _, values, _ in pending]
        names = [_names_in(contract, values) for _, _, values, _ in pending]
        notes[column.name] = ctx.redactor().redact_many(texts, names)
    refs = [record_ref for _, record_ref, _, _ in pending]
    fields = _RawFields(contract, ctx.today)(refs, [values for _, _, values, _ in pending], notes)
    spool.write_many((number, text, entry) for (number, _, _, entry), text in zip(pending, fields, strict=True))
    pending.clear()


def ingest_extract(ctx: IngestContext, contract: Contract, extract: Extract) -> BatchSummary:
    ctx.ensure_schema()
    try:
        before, sha = _stamped(extract)
    except FileNotFoundError:
        return _moved(contract, extract, None)
    except OSError as exc:  # a file of another owner in mode 0600, or locked: the source's other files still load
        message = unreadable(extract.files, exc, retry=extract.retry_of is not None)
        log.warning("%s: %s", extract.path.name, message)
        return BatchSummary(contract.name, extract.path.name, UNREADABLE, message=message)
    with psycopg.connect(ctx.url) as conn:
        settle_source_leftovers(conn, ctx, contract)
        seen = _seen(conn, ctx, contract, extract, sha)
    if seen:
        return _seen_summary(contract, extract, seen)
    quarantine = QuarantineWriter(extract.quarantine, [c.name for c in contract.columns], sha)
    batch = _ReadBatch(BatchSpool(ctx.quarantine_dir, contract.is_person_level), quarantine)
    try:
        try:
            _check_period(contract, extract, ctx.today)
            _read(ctx, contract, extract, batch)
            if batch.rows_read == 0 and contract.load == "snapshot":
                raise FileRejected("no_rows", f"{extract.path.name}: a header but no rows (it would empty the period)")
        except FileRejected as exc:
            quarantine.discard()
            return _moved(contract, extract, before) or _reject_file(ctx, contract, extract, sha, exc)
        except FileNotFoundError:  # moved away as a reader opened it again by its path (bytes_checks.undecodable)
            quarantine.discard()
            if moved := _moved(contract, extract, before):
                return moved
            raise
        except BaseException:
            quarantine.discard()
            raise
        if moved := _moved(contract, extract, before):
            quarantine.discard()
            return moved
        batch.partial = quarantine.close()
        try:
            summary, settled = _load(ctx, contract, extract, sha, batch)
        except FileRejected as exc:  # it would have emptied its period: its transaction rolled back
            if batch.partial is not None:
                batch.partial.unlink(missing_ok=True)
            return _reject_file(ctx, contract, extract, sha, exc)
        except BaseException:
            if batch.partial is not None:
                batch.partial.unlink(missing_ok=True)
            raise
    finally:
        batch.spool.close()
    if batch.partial is not None:  # not renamed into place: the file was found loaded meanwhile
        batch.partial.unlink(missing_ok=True)
    if summary.status == "loaded":
        _analyse_if_changed(ctx.url, contract.raw_table, summary.rows_loaded + settled.rows_deleted)
    log.info(
        "%s: %s rows read, %s loaded, %s quarantined",
        extract.path.name,
        batch.rows_read,
        summary.rows_loaded,
        summary.rows_quarantined,
    )
    return summary


def _check_period(contract: Contract, extract: Extract, today: date) -> None:
    """A file whose name gives it no usable period is refused whole (a retry's period is its batch's)."""
    name, period = extract.path.name, extract.period
    if period is None:
        raise FileRejected("no_period", f"{name}: no period in the file name (pattern {contract.period_pattern})")
    if not_a_month(period):  # loaded, it would stop every dbt build (a month 13 is no date)
        raise FileRejected("bad_period", f"{name}: the period in the file name, {period}, is no month")
    # Loaded, a month to come would be a snapshot source's current period until it comes: every month sent meanwhile
    # outdated on arrival, and the source observed to its end (int_sources_observed) with no event after the file's
    if after_this_month(period, today):
        raise FileRejected(
            "future_period",
            f"{name}: the period in the file name, {period}, is after the current month, {today:%Y-%m}",
        )


def _stamped(extract: Extract) -> tuple[Stamps, str]:
    """Its files' stamps as they are read, and the sha256 the batch is known by; a retry's, those of the bytes it
    read once (its snapshot): a save since then is a change while it was read."""
    if extract.snapshot is not None:
        return (extract.snapshot.stamp,), extract.snapshot.sha256
    return stamps(extract.files), batch_sha256(extract.path, extract.beside)


def _moved(contract: Contract, extract: Extract, before: Stamps | None) -> BatchSummary | None:
    """A summary recording nothing when the file, or one read with it, changed or went while its batch read it."""
    moved = moved_on(extract.files, before, retry=extract.retry_of is not None)
    if moved is None:
        return None
    status, message = moved
    log.warning("%s: %s", extract.path.name, message)
    return BatchSummary(contract.name, extract.path.name, status, message=message)


def settle_source_leftovers(conn: psycopg.Connection, ctx: IngestContext, contract: Contract) -> None:
    """What an earlier load or rewrite of this source left (quarantine_leftovers), settled before this one reads; a
    partial file is purged of opposed persons' rows before it takes its place."""
    from pipelines.quarantine_purge import purge_partial  # it imports this module

    with conn.cursor() as cur:
        folder = ctx.quarantine_dir / contract.name
        settle_leftovers(cur, contract.name, folder, lambda path: purge_partial(cur, ctx, contract, path))


def _analyse_if_changed(url: str, table: str, rows_changed: int) -> None:
    """Autovacuum's rule (50 rows and a tenth of the table, loaded or deleted), applied at once: the dbt build
    that follows a load may start before autovacuum's next round, and would plan on a table's old statistics, or
    on none after its first load (whole-table scans where an index serves), or on the rows of the periods a
    snapshot load deleted. A month appended to a large table does not qualify."""
    with psycopg.connect(url, autocommit=True) as conn:
        (rows_before,) = conn.execute("select reltuples from pg_class where oid = %s::regclass", (table,)).fetchone()
        if rows_changed > 50 + 0.1 * max(rows_before, 0):
            conn.execute(f"analyze {table}")


@dataclass(frozen=True)
class _Settled:
    """What a committed load leaves to do outside its transaction."""

    gone_files: tuple[str, ...] = ()  # landing files of the batches it replaced or outdated: their quarantine goes
    outdated_itself: bool = False  # a late re-send of an earlier period: its rows to fix are no longer current
    rows_deleted: int = 0  # raw rows of the batches it replaced or outdated


def _settle_quarantine(ctx, contract: Contract, extract: Extract, partial: Path | None, settled: _Settled) -> None:
    """After commit: quarantine files of replaced and outdated batches go (their rows are no longer current and
    cannot be retried); this batch's rejected rows take their place, or none is left (an earlier version of this
    file, or the retried file, had rows to fix that are now in; or this batch is itself outdated)."""
    for name in settled.gone_files:
        quarantine_path(ctx.quarantine_dir, contract.name, name).unlink(missing_ok=True)
    if partial is not None and not settled.outdated_itself:
        partial.replace(extract.quarantine)
    else:
        if partial is not None:
            partial.unlink(missing_ok=True)
        extract.quarantine.unlink(missing_ok=True)


def _load(ctx, contract, extract, sha, batch: _ReadBatch) -> tuple[BatchSummary, _Settled]:
    """Everything of a batch in one transaction: ledger, replacement of its period and of the earlier periods it
    outdates, identity, raw rows, reasons."""
    with psycopg.connect(ctx.url) as conn, conn.cursor() as cur:
        lock_for_transaction(cur)
        key_known = check_key(cur, ctx.key)  # again under the lock: a rotation may have committed meanwhile
        seen = _seen(conn, ctx, contract, extract, sha)  # again under the lock: the same file may be loading elsewhere
        if seen:
            return _seen_summary(contract, extract, seen), _Settled()
        cur.execute(raw_table_ddl(contract))
        # here, not for every source at the start of a run: one contract's refused change stops its own loads only
        follow_contract_changes(cur, contract)
        entries = batch.entries
        linked = link_rows(cur, entries.keys, entries.encodings, entries.order) if contract.is_person_level else None
        if linked is not None and not key_known:
            adopt_key(cur, ctx.key, {p for p in linked.person_keys if p}, linked.persons_new)
        # Rows of an opposed person are counted as quarantined but written nowhere, not even to the
        # quarantine file: there is nothing for a steward to fix, and their values must not be kept.
        opposed_rows = (
            sum(n for n, dropped in zip(entries.rows, linked.opposed, strict=True) if dropped) if linked else 0
        )
        counts = (batch.rows_read, batch.spool.rows - opposed_rows, batch.rows_rejected + opposed_rows)
        batch_id = record_batch(
            cur,
            contract,
            extract.path.name,
            sha,
            extract.period,
            counts,
            "loaded",
            extract.retry_of,
            batch.lacking,
            extract.given_up,
        )
        replaced: list[tuple[int, str]] = []
        replaced_rows = 0
        if extract.retry_of is None:
            replaced, replaced_rows = replace_period(cur, contract, extract.period, batch_id)
        if replaced and not batch.spool.rows:
            raise _would_empty(extract, batch, replaced, f"period {extract.period}")
        _refuse_shrink(contract, extract, batch, counts, replaced, replaced_rows, extract.period)
        if contract.load == "snapshot" and extract.retry_of is None and not batch.spool.rows:
            # A next month none of whose rows is valid (a changed format, a shifted column) observes nothing and
            # leaves the current one current, but it is the partner's to send again whole: refused, the current
            # period stays. Loaded, it waits for its retry only when no earlier month is current (sent out of order).
            current = current_of(cur, contract.name)
            if current and extract.period and current[0][2] and current[0][2] < extract.period:
                earlier = [(b, name) for b, name, _ in current]
                raise _would_empty(extract, batch, earlier, f"{contract.name}'s current period {current[0][2]}")
        # Before linkage and the COPY: a merge rewrites the person keys of fewer rows.
        outdated = outdate_earlier_periods(cur, contract)
        outdated_itself = batch_id in outdated.ids
        left_behind = [b for b in outdated.batches if b[0] != batch_id]
        if left_behind:
            last = max(period for _, _, period, _ in left_behind)
            earlier = [(b, name) for b, name, period, _ in left_behind if period == last]
            if not batch.spool.rows:
                raise _would_empty(extract, batch, earlier, f"{contract.name}'s current period {last}")
            if not outdated_itself:  # a later month deletes the current snapshot (an older one deletes none)
                rows = outdated.rows_of([b for b, _ in earlier])
                _refuse_shrink(contract, extract, batch, counts, earlier, rows, last)
        if linked is not None:  # may move this batch's persons (a split): their keys are read after it
            store_links(cur, ctx.contracts.values(), linked, batch_id)
            _set_aside_rejected(cur, batch, linked)
        opposed: list[int] = []
        person_keys, opposed_entries = (linked.person_keys, linked.opposed) if linked else ([], [])
        # A late re-send of an earlier period is outdated as it loads: its rows are counted, never written.
        indexed_after = _defer_person_index(cur, contract, 0 if outdated_itself else batch.spool.rows)
        with cur.copy(copy_statement(contract)) as copy:
            for text in batch.spool.copy_text(batch_id, person_keys, opposed_entries, opposed):
                if not outdated_itself:
                    copy.write(text)
        if indexed_after:
            cur.execute(person_index_ddl(contract))
        record_rejections(cur, batch_id, batch.reasons + [(number, None, OPPOSITION) for number in opposed])
        if extract.snapshot is not None and (moved := _moved(contract, extract, (extract.snapshot.stamp,))):
            # The steward saved the retried file again since it was read: its rejected rows would be written over
            # what they saved, lost. Refused rather than loaded (the rows they saved may differ from those read):
            # nothing recorded, their file left as saved for a retry to read. Checked under the lock held through
            # the rename, last before the other quarantine files are purged (a rollback would leave their rows out
            # and their ledger counting them to fix); a save in the moment between the check and the rename is not
            # seen.
            conn.rollback()
            return moved, _Settled()
        if linked is not None and (linked.opposition or linked.withdrawn):
            _purge_other_quarantine(cur, ctx, extract, batch, linked)
        # The quarantine files are settled once the batch has committed: a commit that fails leaves the files
        # of the batches it would replace (a re-send's, the retried one) as they were. And under the lock still,
        # held past the commit: a rights request or a batch purging quarantine files waits until this batch's
        # file is in place, and never misses rows this batch matched against an older opposition list.
        hold_past_commit(cur)
        gone = tuple(sorted({name for _, name in replaced} | set(outdated.files)))
        settled = _Settled(gone, outdated_itself, replaced_rows + outdated.rows_deleted)
        conn.commit()
        # committed: the partial file is now the only copy of the rejected rows, kept should the rename fail (the
        # source's next load puts it in place: quarantine_leftovers)
        partial, batch.partial = batch.partial, None
        _settle_quarantine(ctx, contract, extract, partial, settled)
    summary = BatchSummary(
        contract.name,
        extract.path.name,
        "loaded",
        *counts,
        persons_new=linked.persons_new if linked else 0,
        batch_id=batch_id,
        message=(
            f"period {extract.period} is older than the current one (batch {outdated.by}): outdated at once,"
            " its rows counted, not kept"
            if outdated_itself
            else ""
        ),
        replaced=tuple(b for b, _ in replaced),
        outdated=tuple(b for b, *_ in left_behind),
        not_in_file=tuple(batch.lacking),
        given_up=extract.given_up,
    )
    return summary, settled


def _set_aside_rejected(cur, batch: _ReadBatch, linked: Linked) -> None:
    """Rejected rows of an opposed person go as the valid ones do: counted as quarantined for `opposition`
    alone, and taken out of the quarantine file before the batch commits (their values must not be kept). By line:
    a retry's line refused as not to fix shares its source row with a row to fix, another person's maybe, which
    stays with its reasons; their row to fix goes as opposition whatever lines it leaves (``rows_set_aside``)."""
    lines = batch.rejected.opposed(cur, batch.entries, linked)
    if lines:
        rows = rows_set_aside(batch.partial, batch.lines, lines)
        batch.reasons = [r for r in batch.reasons if r[0] not in rows] + [(n, None, OPPOSITION) for n in sorted(rows)]
        batch.partial = drop_lines(batch.partial, lines)


def _purge_other_quarantine(cur, ctx: IngestContext, extract: Extract, batch: _ReadBatch, linked: Linked) -> None:
    """The batch put link keys on the opposition list, or took out stored persons found to be opposed (a
    participant file showing whose a loaded tenancy is): those persons' rows waiting in the quarantine files of
    other batches go too, as ``abord opposition add`` takes them (``quarantine_purge``), before this batch commits.
    Its own file it has set aside already. Rare: a batch adding no opposition reads no other file."""
    from pipelines.quarantine_purge import purge_files  # it imports this module

    purge = purge_files(cur, ctx, extract.quarantine, (batch.entries, linked))
    if purge.rows:
        log.info(
            "%s: %s rows of persons found opposed taken out of other quarantine files", extract.path.name, purge.rows
        )
    for why in purge.unreadable:  # names and reasons only, never a value
        log.warning(
            "%s: a quarantine file that may hold rows of persons found opposed was left unread: %s Its retry,"
            " once it reads, sets their rows aside.",
            extract.path.name,
            why,
        )


def _seen(conn: psycopg.Connection, ctx: IngestContext, contract: Contract, extract: Extract, sha: str) -> Seen | None:
    """The ledger's answer, but a file refused for keeping too few rows of its period is read again when the steward
    says it replaces them; rejected for another reason, it would be again: it is already_rejected."""
    seen = seen_before(conn, contract, sha, extract.path.name, ctx.today, extract.retry_of)
    forced = seen and seen.reason == "shrinks_period" and extract.shrink_allowed
    return None if forced else seen


def _seen_summary(contract: Contract, extract: Extract, seen: Seen) -> BatchSummary:
    return BatchSummary(contract.name, extract.path.name, seen.status, batch_id=seen.batch_id, message=seen.message)


def _would_empty(extract: Extract, batch: _ReadBatch, replaced: list[tuple[int, str]], what: str) -> FileRejected:
    """A re-sent period, or a snapshot source's next one, none of whose rows is valid would replace the loaded
    period by nothing (a renamed date format, a column shifted): it is refused as a whole, as a file with a header
    and no rows is, and says why."""
    earlier = ", ".join(f"{name} (batch {batch_id})" for batch_id, name in replaced)
    return FileRejected(
        "no_valid_rows",
        f"{extract.path.name}: none of its {batch.rows_read} rows is valid ({_main_reasons(batch)}); it would empty "
        f"{what}, loaded from {earlier}, which stays as it was",
    )


def _main_reasons(batch: _ReadBatch) -> str:
    reasons = Counter((column or "row", code) for _, column, code in batch.reasons)
    return ", ".join(f"{code} in {column}: {n}" for (column, code), n in reasons.most_common(3))


def _refuse_shrink(
    contract, extract: Extract, batch: _ReadBatch, counts, earlier: list[tuple[int, str]], loaded: int, period: str
) -> None:
    """A re-sent period, or a snapshot source's next one (the partner's whole history, which grows), keeping under
    half the `loaded` rows of `period` (SHRINK_MIN_ROWS) is refused as a whole, saying what to do, unless the
    steward said it replaces them. A file that holds the month but most of whose rows fail validation says why:
    only the steward can tell a changed format from a month that shrank."""
    name, (read, kept, quarantined) = extract.path.name, counts
    if loaded < SHRINK_MIN_ROWS or kept * 2 >= loaded or extract.shrink_allowed:
        return
    files = ", ".join(f"{file_name} (batch {batch_id})" for batch_id, file_name in earlier)
    own = "" if period == extract.period else f" of period {extract.period}"
    force = f"`abord ingest --source {contract.name} --replace-period {shlex.quote(str(extract.path))}`"  # to paste
    if read * 2 >= loaded and quarantined > kept:  # the month is there, most of it invalid
        what = (
            f" {quarantined} of its rows are invalid ({_main_reasons(batch)}): fix the cause with the partner and"
            f" have the month sent again, or load this file with {force} and then retry its quarantined rows"
        )
    else:
        what = (
            " Under half, it looks like part of the month, not all of it: ask the partner to send the whole month"
            f" again; if the month really is that small now, load this file with {force}"
        )
    raise FileRejected(
        "shrinks_period",
        f"{name}: it would replace the {loaded} rows of period {period} loaded from {files} by {kept}{own}"
        f" (of {read} read, {quarantined} quarantined). Period {period} stays as it was.{what}",
    )


def _defer_person_index(cur, contract: Contract, rows: int) -> bool:
    """Drop the raw table's person-key index when this batch is at least as large as the table (a partner's
    history, a first load) and build it again after the COPY: person keys are random, so the rows go into the
    index each at its own place, and one sorted build costs less (at 10,000 persons, shelter nights' first load of
    771k rows took 12-13 s instead of 14-15 s). In the batch's transaction: a failed load leaves the index as it
    was."""
    if not contract.is_person_level or rows < BULK_ROWS:
        return False
    (held,) = cur.execute("select reltuples from pg_class where oid = %s::regclass", (contract.raw_table,)).fetchone()
    if rows < held:  # -1: never analysed (_analyse_if_changed analyses a table its first load grew)
        return False
    cur.execute(drop_person_index_ddl(contract))
    return True


def ingest_source(ctx: IngestContext, contract: Contract, landing_dir: Path) -> list[BatchSummary]:
    return [ingest_file(ctx, contract, path) for path in find_extracts(contract, landing_dir)]
