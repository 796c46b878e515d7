"""HUD HMIS CSV exports (FY2024, FY2026): rows of one file of the export, joined to the records they point at.

Column names are <File>.<Column>: `Client.DOB`, `Enrollment.MoveInDate`, `Exit.Destination`, `Project.ProjectName`;
`Exit.Destination+DestinationSubsidyType` joins two values of one record as "435+439" for a code list.
`format.resource` names the file a row is (Client, Enrollment, Services). The other files join in by their keys:
- a Client row takes its first enrollment (earliest EntryDate): the client's entry into the programme;
- an enrollment takes its client (PersonalID), its project (ProjectID) and its exit (EnrollmentID, if any);
- a service (Services.csv) takes its enrollment (EnrollmentID) and what that takes: its PersonalID must be its
  enrollment's and its DateProvided within the enrollment (EntryDate to ExitDate), as HUD requires.
A code list over "A+B" takes the most specific code it lists: "A+B", else "A" (a whole RecordType). A code
listed as null marks records that are not rows of the source (bed nights among support contacts): skipped.
The export is taken to hold the programme's projects only (run it for those projects). Records with a
DateDeleted are deletions, not rows. The version is Export.csv's CSVVersion or, failing that, told by Client.csv's
header; every file read must have the whole column set of its version, so a renamed column is named.
"""

from __future__ import annotations

import csv
import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePath

from pipelines.contract import Contract
from pipelines.readers.delimited import _records
from pipelines.readers.errors import FileRejected, Row, RowUnreadable
from pipelines.readers.hmis_columns import COLUMNS, MARKERS, VERSIONS
from pipelines.readers.hmis_export import HmisExport

KEYS = {"Client": "PersonalID", "Enrollment": "EnrollmentID", "Exit": "EnrollmentID", "Project": "ProjectID"}
# Columns a record is joined or checked by, read whether the contract names them or not.
JOIN_COLUMNS = {"PersonalID", "EnrollmentID", "ProjectID", "EntryDate", "ExitDate", "DateProvided"}


@dataclass(frozen=True)
class _Field:
    file: str
    columns: tuple[str, ...]  # one, or several joined with "+"


def read_hmis(path: Path, contract: Contract) -> Iterator[tuple[int, Row | RowUnreadable]]:
    export = HmisExport(path)
    try:
        yield from _read(export, contract)
    except FileRejected as exc:
        raise FileRejected(exc.code, f"{path.name}: {exc}") from None
    finally:
        export.close()


def _read(export: HmisExport, contract: Contract) -> Iterator[tuple[int, Row | RowUnreadable]]:
    driving = contract.format.resource or "Client"
    fields = {c.name: _field(c.name) for c in contract.columns if not c.absent}
    version = detect_version(export)
    spec = COLUMNS[version]
    unknown = sorted(n for n, f in fields.items() if f.file not in spec or not set(f.columns) <= set(spec[f.file]))
    if driving not in spec or unknown:
        what = ", ".join(unknown) or f"format.resource {driving}"
        raise FileRejected("bad_hmis_column", f"the contract's {what} is not in the {version} HMIS CSV")
    joined = _Joins(export, version, driving, {f.file for f in fields.values()} - {driving}, fields)
    wanted = {c for f in fields.values() if f.file == driving for c in f.columns} | _join_keys(spec[driving])
    codes = {c.name: dict(c.codes) for c in contract.columns if c.codes}
    # column -> its codes listed as null: the records that are not rows of this source
    skips = {name: {k for k, v in table.items() if v is None} for name, table in codes.items()}
    skips = {name: skipped for name, skipped in skips.items() if skipped}  # on driving columns (contract.py)
    for number, record in _rows(export, version, driving, wanted):
        if isinstance(record, RowUnreadable):
            yield number, RowUnreadable(record.code, f"{driving}.csv row {number}: {record}")
            continue
        if any(_code(record, fields[name].columns, codes[name]) in skipped for name, skipped in skips.items()):
            continue
        records = joined.around(driving, record)
        if isinstance(records, RowUnreadable):
            yield number, RowUnreadable(records.code, f"{driving}.csv row {number}: {records}")
            continue
        yield number, {name: _code(records.get(f.file), f.columns, codes.get(name)) for name, f in fields.items()}


def _join_keys(columns: tuple[str, ...]) -> set[str]:
    return JOIN_COLUMNS & set(columns)


def _field(name: str) -> _Field:
    file, _, columns = name.partition(".")
    return _Field(file, tuple(columns.split("+")))


def _code(record: Row | None, columns: tuple[str, ...], codes: dict[str, str | None] | None) -> str | None:
    """The field's value, as the code its code list (if any) has for it."""
    if record is None or not (record.get(columns[0]) or "").strip():
        return None
    value = "+".join(v for c in columns if (v := (record.get(c) or "").strip()))
    first = value.split("+", 1)[0]
    # an unlisted "A+B" falls back to a listed "A"; unlisted either way, it stays for `allowed` to name
    return first if codes is not None and value not in codes and first in codes else value


def detect_version(export: HmisExport) -> str:
    """FY2024 or FY2026, from Export.csv's CSVVersion, else from Client.csv's header."""
    try:
        with export.open("Export") as handle:
            stated = (next(csv.DictReader(handle), None) or {}).get("CSVVersion") or ""
    except (UnicodeDecodeError, csv.Error):
        raise FileRejected("bad_export_file", "Export.csv cannot be read as UTF-8 CSV") from None
    year = re.search(r"20\d\d", stated)
    if year:
        version = f"FY{year.group()}"
        if version not in VERSIONS:
            raise FileRejected(
                "unsupported_hmis_version",
                f"Export.csv says CSVVersion {stated.strip()!r}: abord reads {' and '.join(VERSIONS)} exports",
            )
        return version
    with export.open("Client") as handle:
        header = next(csv.reader(handle), [])
    for version, marker in MARKERS.items():
        if marker in header:
            return version
    raise FileRejected(
        "unknown_hmis_version", "Export.csv has no CSVVersion and Client.csv's header is neither FY2024 nor FY2026"
    )


def _rows(export: HmisExport, version: str, file: str, wanted: set[str]) -> Iterator[tuple[int, Row | RowUnreadable]]:
    """The live records of one file with the columns in `wanted`, its header checked against the version."""
    with export.open(file) as handle:
        try:
            reader = csv.reader(handle, strict=True)
            header = _checked_header(file, version, next(reader, []))
            # A ZIP member is checked by its CRC: a last line without a line break is whole, not cut off.
            columns = wanted | {"DateDeleted"}
            for number, record in _records(PurePath(f"{file}.csv"), reader, header, columns, ",", True):
                if isinstance(record, RowUnreadable) or not (record.pop("DateDeleted", None) or "").strip():
                    yield number, record
        except UnicodeDecodeError:
            raise FileRejected("bad_encoding", f"{file}.csv holds bytes that are not UTF-8") from None


def _checked_header(file: str, version: str, header: list[str]) -> list[str]:
    header = [h.strip() for h in header]
    if not any(header):
        raise FileRejected("no_header", f"{file}.csv: the first line is blank where the header should be")
    doubled = sorted({h for h in header if h and header.count(h) > 1})
    if doubled:
        raise FileRejected("duplicate_column", f"{file}.csv: column(s) {', '.join(doubled)} appear twice")
    missing = [c for c in COLUMNS[version][file] if c not in header]
    if missing:
        unknown = [h for h in header if h not in COLUMNS[version][file]]
        hints = [
            f"'{close[0]}' instead of '{name}'?"
            for name in missing
            if (close := difflib.get_close_matches(name, unknown, n=1, cutoff=0.6))
        ]
        hint = f" (renamed: {' '.join(hints)})" if hints else ""
        raise FileRejected(
            "missing_column", f"{file}.csv: missing column(s) {', '.join(missing)} of the {version} column set{hint}"
        )
    return header


class _Joins:
    """The records a row of the driving file points at, read once per export (their needed columns only)."""

    def __init__(self, export: HmisExport, version: str, driving: str, files: set[str], fields: dict[str, _Field]):
        if driving != "Enrollment" and files & {"Exit", "Project"}:
            files = files | {"Enrollment"}  # an exit or a project is reached through an enrollment
        if driving == "Services":
            files = files | {"Enrollment", "Exit"}  # a service is checked against its enrollment
        self.tables: dict[str, dict[str, tuple[int, Row]]] = {}
        for file in sorted(files - {driving}):
            columns = {c for f in fields.values() if f.file == file for c in f.columns}
            columns |= _join_keys(COLUMNS[version][file])
            self.tables[file] = self._load(export, version, file, columns, driving)

    @staticmethod
    def _load(export, version: str, file: str, columns: set[str], driving: str) -> dict[str, tuple[int, Row]]:
        # A client's enrollments are keyed by client and only the first kept; other files by their own key.
        by_client = file == "Enrollment" and driving == "Client"
        key = "PersonalID" if by_client else KEYS[file]
        table: dict[str, tuple[int, Row]] = {}
        for number, record in _rows(export, version, file, columns):
            if isinstance(record, RowUnreadable):
                raise FileRejected(record.code, f"{file}.csv row {number}: {record}")
            value = record.get(key) or ""
            if by_client:
                first = table.get(value)
                if first is None or (record.get("EntryDate") or "") < (first[1].get("EntryDate") or ""):
                    table[value] = (number, record)
            elif value in table:
                raise FileRejected("duplicate_id", f"{file}.csv rows {table[value][0]} and {number} share one {key}")
            else:
                table[value] = (number, record)
        return table

    def around(self, driving: str, record: Row) -> dict[str, Row | None] | RowUnreadable:
        """The records joined to `record` by file, or why the row cannot be read when a needed one is missing."""
        records = {driving: record}
        enrollments = self.tables.get("Enrollment")
        if driving != "Enrollment" and enrollments is not None:
            column = "PersonalID" if driving == "Client" else "EnrollmentID"
            key = record.get(column) or ""
            if key not in enrollments:
                return RowUnreadable("no_enrollment", f"no enrollment in Enrollment.csv has its {column}")
            records["Enrollment"] = enrollments[key][1]
        enrollment = records.get("Enrollment", {})
        for file, key in (("Client", "PersonalID"), ("Project", "ProjectID"), ("Exit", "EnrollmentID")):
            if file == driving or file not in self.tables:
                continue
            found = self.tables[file].get(enrollment.get(key) or record.get(key) or "")
            if found is None and file != "Exit":  # an enrollment without an exit is still open
                return RowUnreadable(f"unknown_{file.lower()}", f"its {key} is not in {file}.csv")
            records[file] = found[1] if found else None
        return _outside_enrollment(records) if driving == "Services" else records


def _outside_enrollment(records: dict[str, Row | None]) -> dict[str, Row | None] | RowUnreadable:
    """A service as HUD requires it: its enrollment's client, on a day within its enrollment."""
    service, enrollment, exit_ = records["Services"], records["Enrollment"], records.get("Exit") or {}
    if (service.get("PersonalID") or "").strip() != (enrollment.get("PersonalID") or "").strip():
        return RowUnreadable("unknown_client", "its PersonalID is not its enrollment's in Enrollment.csv")
    provided, entry, exit_date = (_day(r.get(c)) for r, c in ((service, "DateProvided"), (enrollment, "EntryDate"),
                                                               (exit_, "ExitDate")))  # fmt: skip
    # a date that does not parse is left to the contract's type check, which names it
    if provided and entry and (provided < entry or (exit_date and provided > exit_date)):
        return RowUnreadable(
            "date_outside_enrollment", "its DateProvided is outside its enrollment (EntryDate to ExitDate)"
        )
    return records


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None
