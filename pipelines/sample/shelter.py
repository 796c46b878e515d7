"""Emergency shelter nights (115 / SIAO): frequent before entry, rare once housed, frequent again after
a return to the street or a shelter."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from datetime import date, timedelta

from pipelines.sample.config import ShelterRates
from pipelines.sample.events import DAYS_PER_YEAR, observed_window
from pipelines.sample.trajectories import HousingPath

# Shelters the SIAO of each site places people in, and the kind of place.
SHELTERS = {
    "Lyon": ("CHU Gerland", "CHRS Point Nuit", "Halte de nuit Bellecour"),
    "Marseille": ("UHU Madrague-Ville", "CHRS Forbin", "Accueil de nuit Saint-Louis"),
    "Lille": ("CHU Marceau", "Abej Solidarité", "Halte de nuit Fives"),
    "Saint-Étienne": ("CHU Tarentaize", "Halte de nuit Jacquard"),
}
PLACE_TYPES = ("urgence", "hivernal", "hotel_social")
_PLACE_CUM_WEIGHTS = tuple(itertools.accumulate((70, 20, 10)))  # cumulative: choices() need not sum per stay
RETURNS_TO_SHELTER = frozenset({"rue", "hebergement"})


@dataclass(frozen=True, slots=True)
class ShelterStay:
    first_night: date
    nights: int
    shelter: str
    place_type: str

    def night_dates(self) -> list[date]:
        first = self.first_night.toordinal()  # cheaper than a timedelta per night, of which there are millions
        return list(map(date.fromordinal, range(first, first + self.nights)))


def shelter_stays(rng: random.Random, path: HousingPath, as_of: date, rates: ShelterRates) -> list[ShelterStay]:
    """Stays as a Poisson process whose rate drops at entry and comes back after a return to the street."""
    first, last = observed_window(path, as_of)
    propensity = rng.gammavariate(rates.propensity_shape, 1 / rates.propensity_shape)
    low, high = rates.stay_nights
    stays_per_year = rates.nights_per_year_before * propensity / ((low + high) / 2)
    exit_ = path.final_exit
    back = exit_.end if exit_ is not None and exit_.exit_reason in RETURNS_TO_SHELTER else None

    def factor(day: date) -> float:
        if day < path.entry:
            return 1.0
        return rates.after_exit_factor if back is not None and day >= back else rates.after_entry_factor

    # Thinning against the highest rate keeps the draw simple when the rate changes along the way.
    peak = stays_per_year * max(1.0, rates.after_exit_factor) / DAYS_PER_YEAR
    stays: list[ShelterStay] = []
    t = 0.0
    span = (last - first).days + 1
    while peak > 0:
        t += rng.expovariate(peak)
        if t >= span:
            break
        day = first + timedelta(days=int(t))
        if rng.random() * max(1.0, rates.after_exit_factor) >= factor(day):
            continue
        nights = min(rng.randint(low, high), (last - day).days + 1)
        if day < path.entry:  # the night before entry is the last one in a shelter
            nights = min(nights, (path.entry - day).days)
        if nights < 1:
            continue
        shelter = rng.choice(SHELTERS[path.site])
        place_type = rng.choices(PLACE_TYPES, cum_weights=_PLACE_CUM_WEIGHTS)[0]
        stays.append(ShelterStay(day, nights, shelter, place_type))
        t = (day - first).days + nights  # no second bed while in one
    return stays
