"""Rates and effect sizes of the sample world: defaults.yml, optionally overridden by a user YAML file."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, get_type_hints

import yaml

DEFAULTS = Path(__file__).with_name("defaults.yml")

Range = tuple[int, int]


@dataclass(frozen=True)
class HousingRates:
    referral_lead_days: Range
    monthly_exit_hazard: dict[str, float]


@dataclass(frozen=True)
class HealthRates:
    urgence_per_year: float
    hospitalisation_per_year: float
    after_entry_factor: float
    psychiatry_share: float
    stay_days: Range
    death_in_hospital_share: float  # of deaths: in a hospital stay, discharged as a death (mode de sortie)
    hospital_death_recorded_late_share: float  # of those: the housing operator ends the tenancy days later
    hospital_death_unrecorded_share: float  # of those: the housing operator never ends it
    hospital_death_record_delay_days: Range


@dataclass(frozen=True)
class JusticeRates:
    garde_a_vue_per_year: float
    incarceration_per_year: float
    after_entry_factor: float
    incarceration_days_before: Range
    incarceration_days_after: Range
    prison_exit_days: Range


@dataclass(frozen=True)
class EmploymentRates:
    contracts_per_year_before: float
    growth_per_year_after: float
    max_per_year: float
    smic_hourly: float
    pay_premium_mean: dict[str, float]  # work and insertion contract types
    interim_allowance: float
    training_stipend: tuple[float, float]
    pay_missing_share: float


@dataclass(frozen=True)
class ShelterRates:
    nights_per_year_before: float
    after_entry_factor: float
    after_exit_factor: float
    stay_nights: Range
    propensity_shape: float


@dataclass(frozen=True)
class SupportRates:
    visits_per_month: float
    peer_share: float
    peer_contacts_per_month: float
    minutes: dict[str, Range]
    kind_weights: dict[str, int]


@dataclass(frozen=True)
class LandlordRates:
    per_site: dict[str, int]
    type_weights: dict[str, int]
    conversions_per_year: float
    incidents_per_tenancy_year: float
    incident_weights: dict[str, int]
    response_days_mean: float
    resolution_days_mean: float
    claim_share: float
    claim_delay_days: Range
    claim_amount: tuple[float, float]
    claim_refused_share: float
    claim_payment_days: Range


@dataclass(frozen=True)
class SurveyRates:
    response_rate: float
    satisfaction_mean: float
    quality_of_life_start: float
    quality_of_life_gain_per_year: float
    quality_of_life_gain_cap_years: float


@dataclass(frozen=True)
class CouncilRates:
    sessions_per_year: float
    attendance_share: float
    actions_per_session: Range
    actions_unknown_share: float


@dataclass(frozen=True)
class FinanceRates:
    cost_per_person_year: float
    paid_share_past_years: float


@dataclass(frozen=True)
class IdentityNoise:
    typo_rate: float
    swapped_names_rate: float
    dropped_accents_rate: float
    day_month_swap_rate: float
    missing_nir: dict[str, float]
    missing_phone: dict[str, float]
    missing_email: dict[str, float]
    married_share: float
    usage_name_rate: dict[str, float]
    duplicate_rate: dict[str, float]
    duplicate_row_share: float


@dataclass(frozen=True)
class InvalidRates:
    rate: float
    min_rows: int


@dataclass(frozen=True)
class MonthlyRates:
    late_record_share: float
    corrected_sources: tuple[str, ...]
    dropped_share_before_correction: float


@dataclass(frozen=True)
class Formats:
    """How partners whose systems can export more than one way send their extracts."""

    housing: str  # csv: the French operator's files; hmis: a HUD HMIS CSV export
    hmis_version: str  # FY2024 | FY2026, when housing is hmis
    health: str  # csv: the hospital's CSV file; fhir: a FHIR R4 bulk export (NDJSON)


FORMAT_CHOICES = {"housing": ("csv", "hmis"), "hmis_version": ("FY2024", "FY2026"), "health": ("csv", "fhir")}


@dataclass(frozen=True)
class SampleConfig:
    housing: HousingRates
    health: HealthRates
    justice: JusticeRates
    employment: EmploymentRates
    shelter: ShelterRates
    support: SupportRates
    landlords: LandlordRates
    survey: SurveyRates
    council: CouncilRates
    finance: FinanceRates
    identity: IdentityNoise
    invalid: InvalidRates
    monthly: MonthlyRates
    formats: Formats


class ConfigError(ValueError):
    """An override that names a key the defaults do not have, or a section that is not a mapping."""


def _merge(base: dict[str, Any], override: dict[str, Any], where: str) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if key not in base:
            raise ConfigError(f"{where}: unknown key '{key}'")
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise ConfigError(f"{where}.{key}: expected a mapping")
            merged[key] = _merge(base[key], value, f"{where}.{key}")
        else:
            merged[key] = value
    return merged


def _section(cls: type, data: dict[str, Any]) -> Any:
    # YAML lists become tuples: ranges read as fixed pairs, like the rest of the frozen config.
    return cls(**{f.name: tuple(v) if isinstance(v := data[f.name], list) else v for f in fields(cls)})


def load_config(override: Path | None = None) -> SampleConfig:
    data = yaml.safe_load(DEFAULTS.read_text(encoding="utf-8"))
    if override is not None:
        user = yaml.safe_load(Path(override).read_text(encoding="utf-8")) or {}
        if not isinstance(user, dict):
            raise ConfigError(f"{override}: a config must be a mapping")
        data = _merge(data, user, str(override))
    for key, choices in FORMAT_CHOICES.items():
        if data["formats"][key] not in choices:
            raise ConfigError(f"{override}: formats.{key} must be one of {', '.join(choices)}")
    sections = get_type_hints(SampleConfig)
    return SampleConfig(**{name: _section(cls, data[name]) for name, cls in sections.items()})
