"""The partner files: where they live, their format and columns, and how one person's values are written.

Names and columns here are a contract with pipelines/contracts/*.yml: change them together.
"""

from __future__ import annotations

import zlib
from pathlib import Path

from pipelines.sample.identities import format_phone
from pipelines.sample.invalid import SourceSpec
from pipelines.sample.noise import PartnerView
from pipelines.sample.writers import FRENCH_EXCEL, JSONL, PLAIN_CSV, SEMICOLON_CSV, FileStyle, french_date, iso_date

# source name -> (partner folder, file stem, extension); the file is <stem>_<YYYY-MM>.<ext>
SOURCES = {
    "housing_participants": ("housing", "participants", "csv"),
    "housing_tenancies": ("housing", "tenancies", "csv"),
    "health_encounters": ("health", "encounters", "csv"),
    "employment_contracts": ("employment", "contracts", "csv"),
    "justice_events": ("justice", "events", "jsonl"),
    "shelter_nights": ("shelter", "nights", "csv"),
    "housing_support_contacts": ("housing", "support", "csv"),
    "landlord_leases": ("landlords", "leases", "csv"),
    "landlord_incidents": ("landlords", "incidents", "csv"),
    "landlord_guarantee_claims": ("landlords", "claims", "csv"),
    "tenant_survey": ("survey", "responses", "csv"),
    "tenant_council": ("tenants", "council_minutes", "jsonl"),
    "finance_funders": ("finance", "funders", "csv"),
    "finance_conventions": ("finance", "conventions", "csv"),
    "finance_pfp_clauses": ("finance", "pfp_clauses", "csv"),
}

# Sources sent as monthly additions (`load: append` in pipelines/contracts): a month's file holds the records
# keyed in that month, the first month's every record before it. The others send their whole history each month.
APPEND_SOURCES = frozenset({"shelter_nights", "housing_support_contacts", "health_encounters"})

# Sources whose rows carry a person's identifiers (the others at most refer to a housing record).
IDENTITY_SOURCES = frozenset(
    {"housing_participants", "health_encounters", "employment_contracts", "justice_events", "shelter_nights"}
)

STYLES: dict[str, FileStyle] = {
    "housing_participants": FRENCH_EXCEL,
    "housing_tenancies": FRENCH_EXCEL,
    "health_encounters": PLAIN_CSV,
    "employment_contracts": PLAIN_CSV,
    "justice_events": JSONL,
    "shelter_nights": SEMICOLON_CSV,
    "housing_support_contacts": FRENCH_EXCEL,
    "landlord_leases": PLAIN_CSV,
    "landlord_incidents": PLAIN_CSV,
    "landlord_guarantee_claims": PLAIN_CSV,
    "tenant_survey": PLAIN_CSV,
    "tenant_council": JSONL,
    "finance_funders": FRENCH_EXCEL,
    "finance_conventions": FRENCH_EXCEL,
    "finance_pfp_clauses": FRENCH_EXCEL,
}

# source name -> (prefix, digits) of the partner's own record ids, e.g. P000123, H0001234
RECORD_IDS = {
    "housing_participants": ("P", 6),
    "housing_tenancies": ("B", 6),
    "health_encounters": ("H", 7),
    "employment_contracts": ("CT", 6),
    "justice_events": ("J", 6),
    "shelter_nights": ("N", 8),
    "housing_support_contacts": ("V", 10),  # participant number * 10_000 + the person's contact number
    "landlord_leases": ("L", 6),  # the landlord's contract number follows the operator's tenancy number
    "landlord_incidents": ("I", 6),
    "landlord_guarantee_claims": ("G", 6),
    "tenant_survey": ("Q", 7),
    "tenant_council": ("CR", 4),
    "finance_funders": ("F", 3),
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
        "discharge_mode",
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
        "monthly_gross_pay",
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
    "shelter_nights": (
        "id_nuitee",
        "nom",
        "prenom",
        "date_naissance",
        "telephone",
        "date_nuitee",
        "structure",
        "type_place",
    ),  # fmt: skip
    "housing_support_contacts": ("id_contact", "id_participant", "date_contact", "duree_minutes", "type_contact"),
    "landlord_leases": (
        "id_contrat",
        "id_bail",
        "id_bailleur",
        "type_bailleur",
        "site",
        "date_prise_effet",
        "date_glissement",
    ),  # fmt: skip
    "landlord_incidents": (
        "id_incident",
        "id_bail",
        "id_bailleur",
        "type_incident",
        "date_signalement",
        "date_premiere_reponse",
        "date_resolution",
    ),  # fmt: skip
    "landlord_guarantee_claims": (
        "id_sinistre",
        "id_bail",
        "id_bailleur",
        "motif",
        "date_demande",
        "montant",
        "statut",
        "date_decision",
    ),  # fmt: skip
    "tenant_survey": (
        "id_reponse",
        "site",
        "trimestre",
        "date_reponse",
        "satisfaction_logement",
        "satisfaction_accompagnement",
        "qualite_de_vie",
    ),  # fmt: skip
    "tenant_council": ("id_seance", "site", "date_seance", "participants", "actions_decidees"),
    "finance_funders": ("id_financeur", "code_financeur", "nom_financeur", "type_financeur"),
    "finance_conventions": (
        "id_ligne",
        "code_financeur",
        "numero_convention",
        "site",
        "secteur",
        "annee",
        "date_signature",
        "montant_engage",
        "montant_verse",
    ),  # fmt: skip
    "finance_pfp_clauses": (
        "id_clause",
        "code_financeur",
        "numero_convention",
        "site",
        "code_indicateur",
        "annee",
        "cible",
        "paiement",
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
    "shelter_nights": SourceSpec(
        "id_nuitee", "fr", ("date_naissance", "date_nuitee"), enum=("type_place", ("foyer", "inconnu"))
    ),
    "housing_support_contacts": SourceSpec(
        "id_contact", "fr", ("date_contact",), enum=("type_contact", ("appel", "autre"))
    ),
    "landlord_leases": SourceSpec(
        "id_contrat",
        "iso",
        ("date_prise_effet",),
        period=("date_prise_effet", "date_glissement"),
        enum=("type_bailleur", ("sci", "autre")),
    ),
    "landlord_incidents": SourceSpec(
        "id_incident",
        "iso",
        ("date_signalement",),
        period=("date_signalement", "date_resolution"),
        enum=("type_incident", ("bruit", "autre")),
    ),
    "landlord_guarantee_claims": SourceSpec(
        "id_sinistre",
        "iso",
        ("date_demande",),
        period=("date_demande", "date_decision"),
        enum=("statut", ("classee", "inconnu")),
    ),
    "tenant_survey": SourceSpec(
        "id_reponse", "iso", ("date_reponse",), enum=("satisfaction_logement", ("0", "6", "NSP"))
    ),
    "tenant_council": SourceSpec("id_seance", "iso", ("date_seance",), empty_id=None),
    "finance_funders": SourceSpec("id_financeur", "fr", ()),
    "finance_conventions": SourceSpec("id_ligne", "fr", ("date_signature",), enum=("secteur", ("divers", "autre"))),
    "finance_pfp_clauses": SourceSpec("id_clause", "fr", ()),
}


def landing_file(out_dir: Path, source: str, period: str, resend: str = "") -> Path:
    """out_dir/landing/<partner>/<stem>_<YYYY-MM>.<ext>, or <stem>_<resend>_<YYYY-MM>.<ext> for a re-send:
    the period stays right before the extension, where the contracts' period_pattern looks for it."""
    partner, stem, ext = SOURCES[source]
    stem = f"{stem}_{resend}" if resend else stem
    return out_dir / "landing" / partner / f"{stem}_{period}.{ext}"


_ID_FORMATS = {source: f"{prefix}{{:0{digits}d}}" for source, (prefix, digits) in RECORD_IDS.items()}


# Numbered person by person, one respondent's answers would carry consecutive ids: the survey's are shuffled.
SHUFFLED_IDS = frozenset({"tenant_survey"})


def record_id(source: str, number: int) -> str:
    if source in SHUFFLED_IDS:
        number = _shuffled(number, 10 ** RECORD_IDS[source][1])
    return _ID_FORMATS[source].format(number)


def _shuffled(number: int, domain: int) -> int:
    """A fixed permutation of [0, domain) for domain <= 2**24: a four-round Feistel network on 24 bits, walked
    again while it lands outside the domain (still a permutation of it)."""
    value = number
    while True:
        left, right = value >> 12, value & 0xFFF
        for round_ in range(4):
            left, right = right, left ^ (zlib.crc32(f"{round_}:{right}".encode()) & 0xFFF)
        value = (left << 12) | right
        if value < domain:
            return value


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
    if source == "shelter_nights":
        return {
            "nom": view.family_name,
            "prenom": view.given_name,
            "date_naissance": french_date(view.birth_date),
            # the 115 line notes the number as dictated over the phone
            "telephone": format_phone(view.phone.replace(" ", ""), "dots") if view.phone else "",
        }
    return {}  # the other sources carry no identity, at most a reference to a housing record
