"""The housing operator's extract as a HUD HMIS CSV export: one ZIP a month, landing/housing/hmis_<YYYY-MM>.zip,
with every participant and tenancy as of the month end and the month's new support contacts (an append source).

The same participants and tenancies as the French files, from the same builders, in HMIS terms: a client per
participant (PersonalID = the participant number, so the operator's other files still point at it), a project
per site, an enrollment per tenancy (the first one starts at the referral, every one is housed at its
move-in), an exit per ended tenancy, a service per support contact in the tenancy it falls in (the later one
on a moving day). Peer-support contacts are left out: HUD has no service code for them (see
contracts/hmis/housing_support_contacts.yml). No broken rows are slipped in: the export is the valid world,
so both paths load the same.
"""

from __future__ import annotations

import csv
import io
import itertools
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pipelines.readers.hmis_columns import COLUMNS
from pipelines.readers.hmis_export import PACKED_AT
from pipelines.sample.rows import Extract
from pipelines.sample.trajectories import PROGRAMME_START

EXPORT_ID = "abord-sample"
STAMP = "2019-01-01 00:00:00"  # record audit times: fixed, so the same inputs write the same bytes
# French exit reason -> (HMIS Destination, DestinationSubsidyType); read back by contracts/hmis/housing_tenancies.yml
DESTINATIONS = {
    "demenagement": ("435", "439"),  # rental with a subsidy: permanent supportive housing, the next unit
    "logement_autonome": ("410", ""),
    "rue": ("116", ""),
    "hebergement": ("101", ""),
    "prison": ("207", ""),
    "hopital": ("206", ""),
    "deces": ("24", ""),
}
NOT_COLLECTED = "99"
# Contact kind -> (RecordType, TypeProvided); read back by contracts/hmis/housing_support_contacts.yml
SERVICES = {
    "visite_domicile": ("141", "7"),  # PATH residential supportive services
    "entretien": ("141", "6"),  # PATH case management
    "accompagnement": ("300", "3"),  # C2 non-financial assistance for moving on (navigation, transition)
}


@dataclass(frozen=True)
class ExportCounts:
    participants: int
    tenancies: int
    contacts: int


def export_path(out_dir: Path, period: str) -> Path:
    return out_dir / "landing" / "housing" / f"hmis_{period}.zip"


def _iso(french: str) -> str:
    """dd/mm/yyyy (the builders' French dates) as HMIS writes dates, yyyy-mm-dd."""
    if not french:
        return ""
    day, month, year = french.split("/")
    return f"{year}-{month}-{day}"


class _Members:
    """Writes the export's CSV files one after the other into the ZIP, row by row (memory stays bounded)."""

    def __init__(self, archive: zipfile.ZipFile, version: str):
        self.archive, self.version = archive, version

    def write(self, name: str, rows: Iterable[Mapping[str, str]]) -> int:
        header = COLUMNS[self.version][name]
        info = zipfile.ZipInfo(f"{name}.csv", PACKED_AT)
        info.compress_type = zipfile.ZIP_DEFLATED
        count = 0
        with (
            self.archive.open(info, "w", force_zip64=True) as raw,
            io.TextIOWrapper(raw, encoding="utf-8", newline="") as text,
        ):
            writer = csv.writer(text, lineterminator="\r\n")
            writer.writerow(header)
            for row in rows:
                writer.writerow([row.get(column, "") for column in header])
                count += 1
        return count


def _client(row: Mapping[str, str], version: str) -> dict[str, str]:
    client = {
        "PersonalID": row["id_participant"],
        "FirstName": row["prenom"],
        "LastName": row["nom"],
        "NameDataQuality": "1",
        "SSNDataQuality": NOT_COLLECTED,  # French participants have a NIR, never an SSN
        "DOB": _iso(row["date_naissance"]),
        "DOBDataQuality": "1" if row["date_naissance"] else NOT_COLLECTED,
        "RaceNone": NOT_COLLECTED,
        "VeteranStatus": NOT_COLLECTED,
    }
    client |= {"GenderNone": NOT_COLLECTED} if version == "FY2024" else {"Sex": NOT_COLLECTED}
    return client


def write_hmis_export(
    path: Path,
    version: str,
    cut: date,
    participants: Extract,
    tenancies: Extract,
    links: Callable[[str, str, str], None] | None,
    contacts: Extract,
) -> ExportCounts:
    """Write the export as of `cut`; `links(source, record_id, person_id)` is told of every row.
    Services.csv holds the support `contacts` given (the month's): it may be a header alone."""
    audit = {"DateCreated": STAMP, "DateUpdated": STAMP, "UserID": "abord", "ExportID": EXPORT_ID}
    projects: dict[str, str] = {}  # site -> ProjectID, in order of first tenancy

    def clients() -> Iterator[dict[str, str]]:
        for row, person in participants.rows():
            if links is not None and person is not None:
                links("housing_participants", row["id_participant"], person)
            yield _client(row, version) | audit

    def enrollments() -> Iterator[dict[str, str]]:
        # Both files run in participant order, a participant's tenancies together and in start order: walking
        # the participants alongside finds each one's referral, which opens the enrollment of its first tenancy.
        referrals = ((row["id_participant"], _iso(row["date_orientation"])) for row, _ in participants.rows())
        participant = referral = None
        for row, person in tenancies.rows():
            start = _iso(row["date_debut"])
            first = row["id_participant"] != participant
            while row["id_participant"] != participant:
                participant, referral = next(referrals)
            yield {
                "EnrollmentID": row["id_bail"],
                "PersonalID": row["id_participant"],
                "ProjectID": projects.setdefault(row["site"], f"PSH-{len(projects) + 1:02d}"),
                "EntryDate": (referral if first else None) or start,
                "HouseholdID": f"HH-{row['id_bail']}",
                "RelationshipToHoH": "1",
                "LivingSituation": "116",
                "DisablingCondition": "1",
                "MoveInDate": start,
            } | audit
            if links is not None and person is not None:
                links("housing_tenancies", row["id_bail"], person)

    def exits() -> Iterator[dict[str, str]]:
        for row, _ in tenancies.rows():
            if row["date_fin"]:
                destination, subsidy = DESTINATIONS[row["motif_sortie"]]
                yield {
                    "ExitID": f"X-{row['id_bail']}",
                    "EnrollmentID": row["id_bail"],
                    "PersonalID": row["id_participant"],
                    "ExitDate": _iso(row["date_fin"]),
                    "Destination": destination,
                    "DestinationSubsidyType": subsidy,
                } | audit

    def services() -> Iterator[dict[str, str]]:
        # Contacts run in participant order too: walking the tenancies alongside finds each one's enrollment.
        by_participant = itertools.groupby((row for row, _ in tenancies.rows()), lambda row: row["id_participant"])
        participant, starts = None, []
        for row, person in contacts.rows():
            if row["type_contact"] not in SERVICES:
                continue
            while row["id_participant"] != participant:
                participant, held = next(by_participant)
                starts = [(_iso(t["date_debut"]), t["id_bail"]) for t in held]
            day = _iso(row["date_contact"])
            record_type, type_provided = SERVICES[row["type_contact"]]
            yield {
                "ServicesID": row["id_contact"],
                "EnrollmentID": max(s for s in starts if s[0] <= day)[1],
                "PersonalID": row["id_participant"],
                "DateProvided": day,
                "RecordType": record_type,
                "TypeProvided": type_provided,
            } | audit
            if links is not None and person is not None:
                links("housing_support_contacts", row["id_contact"], person)

    def project_rows() -> Iterator[dict[str, str]]:
        for site, project in projects.items():
            yield {
                "ProjectID": project,
                "OrganizationID": "ORG-01",
                "ProjectName": site,
                "OperatingStartDate": PROGRAMME_START.isoformat(),
                "ContinuumProject": "1",
                "ProjectType": "3",  # permanent supportive housing
                "HousingType": "2",  # clustered / scattered sites
            } | audit

    export = {
        "ExportID": EXPORT_ID,
        "SourceType": "3",
        "SourceName": "abord sample",
        "ExportDate": f"{cut.isoformat()} 23:59:59",
        "ExportStartDate": PROGRAMME_START.isoformat(),
        "ExportEndDate": cut.isoformat(),
        "SoftwareName": "abord",
        "CSVVersion": version,
        "ExportPeriodType": "3",
        "ExportDirective": "2",
        "HashStatus": "1",
        "ImplementationID": "abord-sample",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        members = _Members(archive, version)
        members.write("Export", [export])
        participant_count = members.write("Client", clients())
        tenancy_count = members.write("Enrollment", enrollments())
        members.write("Exit", exits())
        members.write("Project", project_rows())
        return ExportCounts(participant_count, tenancy_count, members.write("Services", services()))
