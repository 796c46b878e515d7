"""A draft contract from a sample extract: sniffed format and types, and columns that look like identifiers.

The draft is for a steward to review, never to trust: every guess that matters carries a `# REVIEW` comment.
Identifiers are spotted by column name and by content (names, NIR, phones, e-mails, birth dates, postcodes);
address and IBAN columns have no role, so they are left out of the draft (a column not in the contract is never
read).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pipelines.contract import SourceFormat
from pipelines.readers.bytes_checks import EOF_CHAR, check_start
from pipelines.readers.cells import cell_text
from pipelines.readers.delimited import no_row
from pipelines.readers.errors import DAMAGED, FileRejected
from pipelines.readers.jsonl import DECODER
from pipelines.readers.xlsx_formulas import has_valueless, valueless_cells
from pipelines.settings import get_settings
from pipelines.validation import read_date, without_group_spaces
from pseudonymisation import normalise

SAMPLE_ROWS = 2000
SAMPLE_BYTES = 1 << 22  # a sample: the first 4 MiB
# Without a byte-order mark, the first of these that decodes the sample (latin-1 decodes any byte).
ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
# Files no reader takes, by their first bytes: refused by name rather than drafted as one garbled column.
NOT_TEXT = {
    b"\x1f\x8b": "a gzip archive",
    b"%PDF": "a PDF",
    b"\xd0\xcf\x11\xe0": "an old Excel (XLS) workbook or another OLE document",
}
# A column is a date column when at least 95% of its values parse (one in 20 may not): extracts carry the odd
# "hier" or 00/00/0000, which validation quarantines; they must not make the whole column text.
UNPARSED_DATES = 20
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d", "%m/%d/%Y", "%Y%m%d")
SEPARATORS = ",;\t|"
ZIP_MAGIC = b"PK\x03\x04"
XLSX_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm")  # what openpyxl, and so the XLSX reader, opens
PERIOD = re.compile(r"(\d{4}-\d{2}|\d{6})")
# Column names that say what they hold, on the folded name (lower case, no accents, no separators).
NAME_HINTS = [
    ("given_name", re.compile(r"prenom|first_?names?|given_?name|forename")),
    ("family_name", re.compile(r"^nom($|_)|surname|last_?name|family_?name|nom_(usage|naissance)|^name$")),
    ("birth_date", re.compile(r"naiss|birth|(^|_)(dob|ddn)($|_)")),
    ("nir", re.compile(r"(^|_)(nir|secu|num_secu|insee|ssn)($|_)")),
    ("phone", re.compile(r"(^|_)(tel|telephone|phone|mobile|portable|gsm)($|_)")),
    ("email", re.compile(r"e?_?mail|courriel")),
    ("postcode", re.compile(r"code_?postal|post_?code|(^|_)(cp|zip|zip_?code)($|_)")),
    ("dropped", re.compile(r"adresse|address|(^|_)(rue|street|iban|bic)($|_)")),
]
# A record id's name, on the folded name: a column only gets `unique` if it is named so AND its values are.
ID_NAME = re.compile(
    r"(^|_)(id|ids|num|numero|number|nr|ref|reference|code|identifiant|identifier|uuid|guid|key|cle)(_|$)|^id"
)
PERSON_NAME = re.compile(r"^[A-Za-zÀ-ÿ'’]+(?:[ -][A-Za-zÀ-ÿ'’]+){0,3}$")


class DraftError(ValueError):
    """The sample says too little to draft a contract from, or is a file no reader takes."""


@dataclass
class ColumnGuess:
    name: str
    role: str = "attribute"
    type: str = "text"
    required: bool = False
    unique: bool = False
    allowed: list[str] | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Draft:
    name: str
    partner: str
    file_pattern: str
    period_pattern: str
    format: dict[str, str]
    columns: list[ColumnGuess]
    dropped: list[ColumnGuess]
    sheets: tuple[str, ...] = ()  # a workbook's sheets, the one drafted from among them

    def yaml(self) -> str:
        fmt = ", ".join(f"{k}: {json.dumps(v)}" for k, v in self.format.items())
        lines = [
            "# DRAFT written by `abord contracts draft`: review every line marked REVIEW, then move it to",
            "# pipelines/contracts/ and run `abord contracts check`.",
            f"name: {self.name}",
            f"partner: {self.partner}",
            f"description: {json.dumps('REVIEW: what this extract holds, and who sends it')}",
            f"file_pattern: {json.dumps(self.file_pattern)}",
            f"period_pattern: {json.dumps(self.period_pattern)}",
            "load: snapshot  # REVIEW: snapshot (whole state each period) or append (each period's new records)",
            f"format: {{{fmt}}}",
            "columns:",
        ]
        for column in self.columns:
            keys = [f"name: {json.dumps(column.name)}", f"role: {column.role}"]
            if column.role in ("attribute", "free_text", "record_id"):
                keys.append(f"type: {column.type}")
            if column.role in ("attribute", "free_text"):
                keys.append(f"as: {_sql_name(column.name)}")
            if column.required:
                keys.append("required: true")
            if column.unique:
                keys.append("unique: true")
            if column.allowed:
                keys.append(f"allowed: [{', '.join(json.dumps(a, ensure_ascii=False) for a in column.allowed)}]")
            comment = f"  # REVIEW: {'; '.join(column.notes)}" if column.notes else ""
            lines.append(f"  - {{{', '.join(keys)}}}{comment}")
        for column in self.dropped:
            lines.append(f"  # left out: {json.dumps(column.name)} ({'; '.join(column.notes)})")
        return "\n".join(lines) + "\n"


def _fold(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "_", folded).strip("_")


def _sql_name(name: str) -> str:
    folded = _fold(name) or "column"
    return folded if folded[0].isalpha() else f"c_{folded}"


def _decode(raw: bytes, truncated: bool, file_name: str) -> tuple[str, str]:
    """The sample's text and the encoding a contract should name for it: only encodings the readers take.

    A byte-order mark decides (UTF-16 either way round: the readers' "utf-16" reads both by their mark); NUL
    bytes without one, in most characters, are UTF-16 too, by which half of each pair they fall in: a NUL here and
    there is a broken value of a one-byte export, whose row ingestion sets aside (nul_byte). UTF-32 has no reader.
    """
    if raw.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):  # before UTF-16: FF FE 00 00 starts like it
        raise DraftError(
            f"{file_name}: a UTF-32 text file (by its byte-order mark): ingestion reads UTF-8, UTF-16 or a one-byte"
            " encoding such as cp1252; ask for a UTF-8 export"
        )
    head = raw[:4096]
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = [("utf-16", "utf-16")]
    elif max(nuls := (head[0::2].count(0), head[1::2].count(0))) > len(head) // 4:  # Latin text: 1 in 2 bytes
        big_endian = nuls[0] > nuls[1]  # ASCII in UTF-16-BE is 00 xx
        candidates = [("utf-16-be", "utf-16-be")] if big_endian else [("utf-16-le", "utf-16-le")]
    else:
        candidates = [(e, "utf-8" if e == "utf-8-sig" else e) for e in ENCODINGS]
    for python_encoding, encoding in candidates:
        try:
            # A sample cut at SAMPLE_BYTES may end inside a character: not final, so that is no decoding error.
            text = codecs.getincrementaldecoder(python_encoding)().decode(raw, final=not truncated)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text or not encoding.startswith("utf-16"):  # NUL in UTF-16 text: not UTF-16 after all
            return text, encoding
    raise DraftError(f"{file_name}: NUL bytes that are not UTF-16 text: not a text export?")


def _sample_rows(
    path: Path, sheet: str | None
) -> tuple[list[str], list[dict[str, str]], dict[str, str], tuple[str, ...]]:
    with path.open("rb") as handle:
        raw = handle.read(SAMPLE_BYTES + 1)
    if raw.startswith(ZIP_MAGIC) or path.suffix.lower() in XLSX_SUFFIXES:
        if path.suffix.lower() not in XLSX_SUFFIXES:
            raise DraftError(
                f"{path.name}: a ZIP archive (an XLSX workbook?) named {path.suffix or 'without extension'}: the"
                f" XLSX reader opens {', '.join(XLSX_SUFFIXES)} files only; rename it and draft again"
            )
        return _sample_xlsx(path, sheet)
    if sheet:
        raise DraftError(f"{path.name}: --sheet is for XLSX workbooks, and this sample is a text file")
    for magic, kind in NOT_TEXT.items():
        if raw.startswith(magic):
            raise DraftError(f"{path.name}: the file is {kind}: ingestion reads CSV, JSON lines and XLSX")
    truncated = len(raw) > SAMPLE_BYTES
    text, encoding = _decode(raw[:SAMPLE_BYTES], truncated, path.name)
    try:  # as ingestion checks the file in that encoding: empty (a UTF-16 mark and line breaks), and how it ends
        ending = check_start(path, encoding)
    except FileRejected as exc:
        raise DraftError(str(exc)) from None
    if truncated and "\n" in text:
        text = text[: text.rindex("\n") + 1]  # the last line is cut off
    if ending.eof_mark and not truncated:  # a Ctrl-Z ending the file (two bytes in UTF-16) is no content
        text = text.removesuffix(EOF_CHAR)
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        if encoding != "utf-8":
            raise DraftError(
                f"{path.name}: JSON lines are read as UTF-8 only, and this sample is {encoding}: ask for a UTF-8"
                " export (or convert it) before drafting"
            )
        objects = []
        for line in text.splitlines()[:SAMPLE_ROWS]:
            try:
                objects.append(DECODER.decode(line))  # numbers as decimals, as ingestion reads them
            except json.JSONDecodeError:
                continue  # a draft is a guess: a broken line says nothing about the columns
        objects = [obj for obj in objects if isinstance(obj, dict)]
        header = list(dict.fromkeys(k for obj in objects for k in obj))
        as_text = SourceFormat("jsonl")  # a number or boolean as ingestion reads it (readers/jsonl.py)
        rows = [{k: cell_text(obj.get(k), as_text) or "" for k in header} for obj in objects]
        return header, rows, {"type": "jsonl"}, ()
    first_line = text.splitlines()[0] if text else ""
    delimiter = max(SEPARATORS, key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h.strip() for h in next(reader, [])]
    rows = []
    for fields in reader:
        # as ingestion skips it, or sets it aside (a NUL byte: nul_byte)
        if len(fields) == len(header) and not no_row(fields, len(header)) and "\x00" not in "".join(fields):
            rows.append(dict(zip(header, fields, strict=True)))
        if len(rows) >= SAMPLE_ROWS:
            break
    return header, rows, {"type": "csv", "delimiter": delimiter, "encoding": encoding}, ()


def _sample_xlsx(
    path: Path, sheet: str | None
) -> tuple[list[str], list[dict[str, str]], dict[str, str], tuple[str, ...]]:
    """A sheet's first rows as the text the XLSX reader would make of its cells (pipelines/readers/xlsx.py)."""
    from openpyxl import load_workbook  # only partners who send workbooks need it loaded

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (*DAMAGED, KeyError, OSError, ValueError) as exc:
        raise DraftError(f"{path.name}: not a readable XLSX workbook, or damaged ({type(exc).__name__})") from None
    flagged = iter(())
    try:
        sheets = tuple(workbook.sheetnames)
        sheet_name = sheet or sheets[0]
        if sheet_name not in workbook.sheetnames:
            raise DraftError(f"{path.name}: no sheet '{sheet_name}' (sheets: {', '.join(workbook.sheetnames)})")
        data = workbook[sheet_name]
        cells = data.iter_rows(values_only=True)
        header = ["" if h is None else str(h).strip() for h in next(cells, None) or ()]
        # a row holding an Excel error (#N/A: a lookup that found nothing) is quarantined by the reader, never loaded
        flagged = valueless_cells(workbook, data) if has_valueless(workbook, data) else iter(())
        errors = (number for number, found in flagged if any(found.values()))
        error = next(errors, None)
        lines = []
        for number, line in enumerate(cells, start=2):
            while error is not None and error < number:
                error = next(errors, None)
            if number == error or all(v is None or (isinstance(v, str) and not v.strip()) for v in line):
                continue  # an error's row, or an empty row Excel keeps formatted: the reader loads neither
            if len(line) <= len(header) or all(v is None for v in line[len(header) :]):
                lines.append(list(line[: len(header)]) + [None] * (len(header) - len(line)))
            if len(lines) >= SAMPLE_ROWS:
                break
    except DAMAGED as exc:  # as the reader says it (readers/xlsx.py)
        raise DraftError(
            f"{path.name}: sheet '{sheet_name}': its compressed data is damaged ({type(exc).__name__})"
        ) from None
    finally:
        if hasattr(flagged, "close"):
            flagged.close()
        workbook.close()
    # The reader writes a date cell in the contract's date_format: whatever the text cells that hold dates use
    # (they are read as they are), so that one format reads both.
    text_formats = Counter()
    for i in range(len(header)):
        texts = [line[i].strip() for line in lines if isinstance(line[i], str) and line[i].strip()]
        reads = _date_reads(texts) if texts else {}
        text_formats.update([_best(reads)] if reads else [])
    date_format = text_formats.most_common(1)[0][0] if text_formats else DATE_FORMATS[0]
    as_text = SourceFormat("xlsx", date_format=date_format)
    rows = [{h: (cell_text(v, as_text) or "") for h, v in zip(header, line, strict=True) if h} for line in lines]
    return header, rows, {"type": "xlsx", "sheet": sheet_name}, sheets


def _parses(value: str, date_format: str) -> bool:
    # as validation reads it: a date-time ('03/02/2021 00:00:00', as Access writes a date) by its date part
    return read_date(value, date_format) is not None


def _date_reads(values: list[str]) -> dict[str, int]:
    """How many of `values` each date format reads, for the formats that read all but one in UNPARSED_DATES."""
    counts = Counter(values)  # dates repeat: each distinct value is tried once
    tolerated = len(values) // UNPARSED_DATES
    reads = {}
    for date_format in DATE_FORMATS:
        unread = 0
        for value, times in counts.items():
            if not _parses(value, date_format):
                unread += times
                if unread > tolerated:
                    break
        else:
            reads[date_format] = len(values) - unread
    return reads


def _file_date_format(columns: list[dict[str, int]]) -> str:
    """A contract has one date_format: the one most date columns are best read by (a column of days all 12 or less
    is read as well by %d/%m/%Y as by %m/%d/%Y: it counts for both), then the one reading most values."""
    if not columns:
        return DATE_FORMATS[0]
    best = Counter(f for reads in columns for f, n in reads.items() if n == max(reads.values()))
    total = Counter()
    for reads in columns:
        total.update(reads)
    return max(best, key=lambda f: (best[f], total[f], -DATE_FORMATS.index(f)))


def _best(reads: dict[str, int]) -> str:
    """The format reading most values; on a tie (days all 12 or less), the first of DATE_FORMATS."""
    return max(reads, key=lambda f: (reads[f], -DATE_FORMATS.index(f)))


def _share(values: list[str], test) -> float:
    return sum(1 for v in values if test(v)) / len(values) if values else 0.0


def _guess(name: str, values: list[str], rows: int, today: date) -> tuple[ColumnGuess, dict[str, int], str | None]:
    """The column's guess, plus how many values each date format reads (a date column's) and the decimal mark its
    values use (None when they say nothing)."""
    column = ColumnGuess(name, required=bool(values) and len(values) == rows)
    distinct = set(values)
    date_reads = _date_reads(values) if values else {}
    date_format = _best(date_reads) if date_reads else None
    decimal = None
    numbers = [without_group_spaces(v) for v in values]  # '1 234,50', as validation reads it
    if values and all(re.fullmatch(r"-?\d+", v) for v in numbers):
        column.type = "integer"
    elif values and all(re.fullmatch(r"-?\d+([.,]\d+)?", v) for v in numbers):
        column.type = "decimal"
        decimal = "," if any("," in v for v in numbers) else "."
    elif date_format:
        column.type = "date"
    folded = _fold(name)
    by_name = next((role for role, pattern in NAME_HINTS if pattern.search(folded)), None)
    by_content = _identifier_by_content(values, date_format, today)
    role = by_name or by_content
    if role:
        column.role = role
        why = "column name" if by_name else "content"
        if role == "dropped":
            column.notes.append(f"an address or bank details, by {why}: no role takes it, never read")
        else:
            column.notes.append(f"looks like an identifier ({role}, by {why}): read for linkage, never stored")
        if by_name and by_content and by_content != by_name:
            column.notes.append(f"its content looks like {by_content}")
        if role == "birth_date":  # read by the identifier reader, day first or ISO, whatever format.date_format
            implausible = sum(1 for v in values if normalise.birth_date(v, today) is None)
            if implausible:
                column.notes.append(
                    f"{implausible} of {len(values)} sample values are not plausible birth dates: those rows would"
                    " be quarantined"
                )
    elif column.type == "text" and values and sum(map(len, values)) / len(values) > 40:
        column.role = "free_text"
        column.notes.append("long text: redacted before loading")
    elif column.type == "text" and values and len(distinct) <= 12 and len(values) >= 3 * len(distinct):
        column.allowed = sorted(distinct)
        column.notes.append("allowed values taken from the sample")
    if column.type == "integer" and role in ("nir", "phone"):
        column.type = "text"
    column.unique = _looks_like_record_id(column, values) and bool(ID_NAME.search(folded))
    return column, date_reads if column.type == "date" else {}, decimal


def _looks_like_record_id(column: ColumnGuess, values: list[str]) -> bool:
    """Short codes or numbers, in every row, each once: what a record id holds. Never a person's identifier, free
    text, a date or an amount, however unique their values happen to be in a sample."""
    return (
        column.role == "attribute"
        and column.type in ("text", "integer")
        and column.required
        and len(set(values)) == len(values)
        and max(map(len, values)) <= 40
        and not any(" " in v for v in values)
    )


def _identifier_by_content(values: list[str], date_format: str | None, today: date) -> str | None:
    if not values:
        return None
    for role, test in (("email", normalise.email), ("nir", normalise.nir), ("phone", normalise.phone)):
        if _share(values, lambda v, test=test: test(v) is not None) > 0.8:
            return role
    if date_format:
        years = [d.year for v in values if (d := read_date(v, date_format))]
        # dates all well in the past and spread over decades are birth dates, not events
        if max(years) <= today.year - 15 and max(years) - min(years) >= 20:
            return "birth_date"
    if len(set(values)) > 0.3 * len(values) and _share(values, lambda v: bool(PERSON_NAME.match(v))) > 0.9:
        if len(set(values)) >= 10 and all(v[:1].isupper() for v in values):
            return "family_name"
    return None


def draft_contract(path: Path, name: str | None = None, today: date | None = None, sheet: str | None = None) -> Draft:
    """A draft contract for the sample at `path` (of an XLSX workbook: its sheet `sheet`, by default the first)."""
    header, rows, fmt, sheets = _sample_rows(path, sheet)
    if not any(header):
        raise DraftError(f"{path.name}: no header line or JSON object to take column names from")
    today = today or get_settings().today()  # the programme's day, as ingestion's
    columns, dropped, dated, id_like, decimals = [], [], [], [], Counter()
    for column_name in filter(None, header):  # an unnamed column is never read: nothing to draft
        values = [r[column_name].strip() for r in rows if r.get(column_name, "").strip()]
        column, date_reads, decimal = _guess(column_name, values, len(rows), today)
        if date_reads and column.role == "attribute":  # a birth date is not read by format.date_format
            dated.append((column, date_reads, len(values)))
        decimals.update([decimal] if decimal else [])
        (dropped if column.role == "dropped" else columns).append(column)
        if _looks_like_record_id(column, values):
            id_like.append(column)
    record = next((c for c in columns if c.unique), None)
    if record:
        note = "the record id: named like one, in every row and unique in the sample"
    else:
        record = next(iter(id_like), None)
        note = "no column is named like a record id; this one is in every row and unique in the sample: check"
        if record is None:
            record = columns[0]
            note = "no column looks like a record id (in every row, unique in the sample): ask the partner for one"
    record.role, record.required, record.unique, record.allowed = "record_id", True, True, None
    record.notes = [note]
    if fmt["type"] in ("csv", "xlsx"):  # an XLSX text cell holding a number is read as it is written
        fmt["decimal"] = decimals.most_common(1)[0][0] if decimals else "."
    fmt["date_format"] = date_format = _file_date_format([reads for _, reads, _ in dated])
    for column, date_reads, count in dated:
        if date_reads.get(date_format, -1) < max(date_reads.values()):
            column.type = "text"
            column.notes.append(
                f"dates in {_best(date_reads)} where the file's date_format is {date_format} (one per file, that of"
                " most date columns): drafted as text, or every row would be quarantined; ask the partner for one"
                " date format, or convert this column before loading"
            )
        elif date_reads[date_format] < count:
            unread = count - date_reads[date_format]
            column.notes.append(
                f"{unread} of {count} sample values do not parse as {date_format}: those rows would be quarantined"
            )
    match = PERIOD.search(path.name)
    stem = PERIOD.sub("*", path.name) if match else path.name
    partner = _sql_name(path.parent.name) if path.parent.name else "partner"
    name = name or _sql_name(f"{partner}_{path.stem if not match else path.name[: match.start()]}".rstrip("_"))
    shape = r"\d{4}-\d{2}" if match is None or "-" in match.group(1) else r"\d{6}"
    period_pattern = f"({shape}){re.escape(path.suffix)}$"
    return Draft(name, partner, f"{partner}/{stem}", period_pattern, fmt, columns, dropped, sheets)
