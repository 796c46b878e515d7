"""The five partner files: where they live, their columns, and how one person's values are written.

Names and columns here are a contract with the readers in pipelines/: change them together.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.sample.invalid import SourceSpec
from pipelines.sample.noise import PartnerView
from pipelines.sample.writers import french_date, iso_date

# source name -> (partner folder, file stem, extension); the file is <stem>_<YYYY-MM>.<ext>
SOURCES = {
    "housing_participants": ("housing", "participants", "csv"),
    "housing_tenancies": ("housing", "tenancies", "csv"),
    "health_encounters": ("health", "encounters", "csv"),
    "employment_contracts": ("employment", "contracts", "csv"),
    "justice_events": ("justice", "events", "jsonl"),
}

# source name -> (prefix, digits) of the partner's own record ids, e.g. P000123, H0001234
RECORD_IDS = {
    "housing_participants": ("P", 6),
    "housing_tenancies": ("B", 6),
    "health_encounters": ("H", 7),
    "employment_contracts": ("CT", 6),
    "justice_events": ("J", 6),
}

HEADERS = {
    "housing_participants": (
        "id_participant",
        "nom",
        "prenom",
        "date_naissance",
        "nir",
        "telephone",
        "courriel",
        "site",
        "date_orientation",
        "date_entree",
        "notes",
    ),  # fmt: skip
    "housing_tenancies": (
        "id_bail",
        "id_participant",
        "site",
        "date_debut",
        "date_fin",
        "motif_sortie",
        "loyer_mensuel",
    ),  # fmt: skip
    "health_encounters": (
        "encounter_id",
        "family_name",
        "given_name",
        "birth_date",
        "nir",
        "sex",
        "encounter_type",
        "service",
        "admission_date",
        "discharge_date",
    ),  # fmt: skip
    "employment_contracts": (
        "contract_id",
        "nom",
        "prenom",
        "date_naissance",
        "telephone",
        "courriel",
        "contract_type",
        "start_date",
        "end_date",
        "hours_per_week",
    ),  # fmt: skip
    "justice_events": (
        "event_id",
        "surname",
        "first_names",
        "date_of_birth",
        "nir",
        "event_type",
        "start_date",
        "end_date",
    ),  # fmt: skip
}

# What can be broken in each file (see invalid.py).
SPECS = {
    "housing_participants": SourceSpec("id_participant", "fr", ("date_naissance", "date_orientation", "date_entree")),
    "housing_tenancies": SourceSpec("id_bail", "fr", ("date_debut",), period=("date_debut", "date_fin")),
    "health_encounters": SourceSpec(
        "encounter_id",
        "iso",
        ("birth_date", "admission_date", "discharge_date"),
        period=("admission_date", "discharge_date"),
        enum=("encounter_type", ("consultation", "teleconsultation", "inconnu")),
    ),
    "employment_contracts": SourceSpec(
        "contract_id",
        "iso",
        ("date_naissance", "start_date"),
        period=("start_date", "end_date"),
        enum=("contract_type", ("stage", "benevolat", "autre")),
    ),
    "justice_events": SourceSpec(
        "event_id",
        "iso",
        ("date_of_birth", "start_date"),
        period=("start_date", "end_date"),
        enum=("event_type", ("perquisition", "controle_judiciaire", "autre")),
        empty_id=None,
    ),
}


def landing_file(out_dir: Path, source: str, period: str) -> Path:
    """out_dir/landing/<partner>/<stem>_<YYYY-MM>.<ext>"""
    partner, stem, ext = SOURCES[source]
    return out_dir / "landing" / partner / f"{stem}_{period}.{ext}"


def record_id(source: str, number: int) -> str:
    prefix, digits = RECORD_IDS[source]
    return f"{prefix}{number:0{digits}d}"


def identity_columns(source: str, view: PartnerView) -> dict[str, str | None]:
    """The person's identifying columns as this partner writes them."""
    if source == "housing_participants":
        return {
            "nom": view.family_name,
            "prenom": view.given_name,
            "date_naissance": french_date(view.birth_date),
            "nir": view.nir or "",
            "telephone": view.phone or "",
            "courriel": view.email or "",
        }
    if source == "health_encounters":
        return {
            "family_name": view.family_name,
            "given_name": view.given_name,
            "birth_date": iso_date(view.birth_date),
            "nir": view.nir or "",
            "sex": view.sex,
        }
    if source == "employment_contracts":
        return {
            "nom": view.family_name,
            "prenom": view.given_name,
            "date_naissance": iso_date(view.birth_date),
            # this partner's system stores the bare ten digits
            "telephone": view.phone.replace(" ", "") if view.phone else "",
            "courriel": view.email or "",
        }
    if source == "justice_events":
        return {
            "surname": view.family_name,
            "first_names": view.given_name,
            "date_of_birth": iso_date(view.birth_date),
            "nir": view.nir,
        }
    return {}  # tenancies carry no identity, only the participant id
