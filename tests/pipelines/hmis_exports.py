"""Small HUD HMIS CSV exports for tests: a few clients, enrollments and services, any column renamed or dropped."""

from __future__ import annotations

import csv
import io
import zipfile

from pipelines.readers.hmis_columns import COLUMNS

CLIENTS = [
    {"PersonalID": "C1", "FirstName": "Hélène", "LastName": "Dupont", "DOB": "1980-04-12", "SSN": "123456789"},
    {"PersonalID": "C2", "FirstName": "Paul", "LastName": "Martin", "DOB": "1975-06-01"},
]
ENROLLMENTS = [
    {"EnrollmentID": "E1", "PersonalID": "C1", "ProjectID": "PSH1", "EntryDate": "2023-01-10",
     "MoveInDate": "2023-02-01"},
    {"EnrollmentID": "E2", "PersonalID": "C2", "ProjectID": "PSH1", "EntryDate": "2023-03-01",
     "MoveInDate": "2023-03-15"},
]  # fmt: skip
EXITS = [{"ExitID": "X1", "EnrollmentID": "E2", "PersonalID": "C2", "ExitDate": "2024-01-31", "Destination": "116"}]
PROJECTS = [{"ProjectID": "PSH1", "ProjectName": "Lyon", "ProjectType": "3"}]
# a PATH case-management meeting, a bed night (not a contact), a PATH service in the residence (a home visit)
SERVICES = [
    {"ServicesID": "S1", "EnrollmentID": "E1", "PersonalID": "C1", "DateProvided": "2023-02-10", "RecordType": "141",
     "TypeProvided": "6"},
    {"ServicesID": "S2", "EnrollmentID": "E2", "PersonalID": "C2", "DateProvided": "2023-03-02", "RecordType": "200",
     "TypeProvided": "200"},
    {"ServicesID": "S3", "EnrollmentID": "E2", "PersonalID": "C2", "DateProvided": "2023-05-02", "RecordType": "141",
     "TypeProvided": "7"},
]  # fmt: skip


def hmis_zip(
    version: str = "FY2024",
    *,
    csv_version: str | None = None,
    clients: list[dict] = CLIENTS,
    enrollments: list[dict] = ENROLLMENTS,
    exits: list[dict] = EXITS,
    projects: list[dict] = PROJECTS,
    services: list[dict] = SERVICES,
    rename: tuple[str, str, str] | None = None,  # (file, column, new name)
    leave_out: str | None = None,  # a file the export lacks
) -> bytes:
    files = {
        "Export": [{"ExportID": "1", "CSVVersion": version if csv_version is None else csv_version}],
        "Client": clients,
        "Enrollment": enrollments,
        "Exit": exits,
        "Project": projects,
        "Services": services,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, rows in files.items():
            if name == leave_out:
                continue
            header = list(COLUMNS[version][name])
            if rename and rename[0] == name:
                header[header.index(rename[1])] = rename[2]
            text = io.StringIO()
            writer = csv.DictWriter(text, header, extrasaction="ignore", lineterminator="\r\n")
            writer.writeheader()
            for row in rows:
                writer.writerow({(rename[2] if rename and rename[0] == name and k == rename[1] else k): v
                                 for k, v in row.items()})  # fmt: skip
            archive.writestr(f"{name}.csv", text.getvalue().encode("utf-8"))
    return buffer.getvalue()


def damaged(export: bytes, member: str, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """The export (packed with `compression`) with four bytes of `member`'s data damaged in transfer: deflated, its
    first (a block of a reserved type: zlib's error); stored, midway (zipfile's Bad CRC-32 once it is read)."""
    with zipfile.ZipFile(io.BytesIO(export)) as source:
        files = {name: source.read(name) for name in source.namelist()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    item = archive.getinfo(member)
    data = bytearray(buffer.getvalue())
    start = item.header_offset + 30 + len(item.filename) + len(item.extra)
    if compression == zipfile.ZIP_DEFLATED:
        data[start : start + 4] = b"\xff" * 4
    else:
        data[start + item.compress_size // 2 : start + item.compress_size // 2 + 4] = b"0000"
    return bytes(data)
