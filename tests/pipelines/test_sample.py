"""The sample generator: determinism, formats, ground truth consistency and realistic rates."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import unicodedata
from collections import Counter, defaultdict
from datetime import date, datetime
from pathlib import Path

import pytest

from pipelines.sample.generate import GenerationSummary, generate

AS_OF = date(2025, 12, 31)
PERIOD = "2025-12"
SOURCES = {
    "housing_participants": ("housing/participants_2025-12.csv", "id_participant"),
    "housing_tenancies": ("housing/tenancies_2025-12.csv", "id_bail"),
    "health_encounters": ("health/encounters_2025-12.csv", "encounter_id"),
    "employment_contracts": ("employment/contracts_2025-12.csv", "contract_id"),
    "justice_events": ("justice/events_2025-12.jsonl", "event_id"),
}
# (start, end or None, date format) per source, and the closed vocabularies
PERIODS = {
    "housing_participants": ("date_entree", None, "%d/%m/%Y"),
    "housing_tenancies": ("date_debut", "date_fin", "%d/%m/%Y"),
    "health_encounters": ("admission_date", "discharge_date", "%Y-%m-%d"),
    "employment_contracts": ("start_date", "end_date", "%Y-%m-%d"),
    "justice_events": ("start_date", "end_date", "%Y-%m-%d"),
}
ENUMS = {
    "health_encounters": ("encounter_type", {"urgence", "hospitalisation"}),
    "employment_contracts": ("contract_type", {"cdi", "cdd", "interim", "insertion", "formation"}),
    "justice_events": ("event_type", {"garde_a_vue", "incarceration"}),
}


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GenerationSummary]:
    out = tmp_path_factory.mktemp("small")
    return out, generate(out, persons=300, seed=11, as_of=AS_OF)


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("large")
    generate(out, persons=2000, seed=5, as_of=AS_OF)
    return out


def read_source(out: Path, source: str) -> list[dict]:
    path = out / "landing" / SOURCES[source][0]
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    if source.startswith("housing_"):
        text = path.read_bytes().decode("latin-1")
        return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def read_truth(out: Path, name: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO((out / "ground_truth" / name).read_text(encoding="utf-8"))))


def parse(text: str | None, fmt: str) -> date | None:
    try:
        return datetime.strptime(text, fmt).date() if text else None
    except ValueError:
        return None


def unaccented(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def plain_upper(text: str) -> str:
    return unaccented(text).upper()


def links_by_source(out: Path) -> dict[str, dict[str, str]]:
    links: dict[str, dict[str, str]] = defaultdict(dict)
    for row in read_truth(out, "links.csv"):
        links[row["source"]][row["record_id"]] = row["person_id"]
    return links


def test_same_inputs_write_the_same_bytes_and_another_seed_differs(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", persons=120, seed=3)
    # the command line, in another process with another hash seed, must write the very same bytes
    env = {**os.environ, "PYTHONHASHSEED": "123"}
    command = [sys.executable, "-m", "pipelines.sample.generate", "--out", str(tmp_path / "b")]
    subprocess.run([*command, "--persons", "120", "--seed", "3"], check=True, env=env, capture_output=True)
    generate(tmp_path / "c", persons=120, seed=4)
    rel = [p.relative_to(tmp_path / "a") for p in first.files]
    assert all(p.exists() for p in first.files)
    assert len([p for p in rel if p.parts[0] == "landing"]) == 15  # one extract per source
    assert sorted(rel) == sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    for path in rel:
        assert (tmp_path / "a" / path).read_bytes() == (tmp_path / "b" / path).read_bytes(), path
    for path in (Path("landing/housing/participants_2025-12.csv"), Path("ground_truth/persons.csv")):
        assert (tmp_path / "a" / path).read_bytes() != (tmp_path / "c" / path).read_bytes()


def test_every_nir_has_a_valid_key_and_matches_sex_and_birth(large: Path) -> None:
    persons = read_truth(large, "persons.csv")
    departements = Counter()
    for person in persons:
        nir = person["nir"]
        assert len(nir) == 15, nir
        numeric = nir[:13].replace("2A", "19").replace("2B", "18")
        assert int(nir[13:]) == 97 - int(numeric) % 97, nir
        born = date.fromisoformat(person["birth_date"])
        assert nir[0] == {"M": "1", "F": "2"}[person["sex"]]
        assert nir[1:5] == f"{born.year % 100:02d}{born.month:02d}"
        departements[nir[5:7]] += 1
    assert len({p["nir"] for p in persons}) == len(persons)
    assert departements["2A"] + departements["2B"] > 0 and departements["99"] > 0


def test_identities_look_french_and_use_example_domains_only(large: Path) -> None:
    persons = read_truth(large, "persons.csv")
    names = [p["given_name"] + " " + p["family_name"] for p in persons]
    for person, name in zip(persons, names, strict=True):
        name.encode("latin-1")  # the housing partner must be able to write it
        assert "œ" not in name
        born = date.fromisoformat(person["birth_date"])
        assert date(1950, 1, 1) <= born <= date(2003, 12, 31)
        assert re.fullmatch(r"0[67]( \d\d){4}", person["phone"])
        assert person["email"].split("@")[1] in {
            "example.fr", "example.org", "example.com", "example.net", "exemple.fr",
        }  # fmt: skip
    assert any(re.search(r"[éèçïôë]", n) for n in names)
    assert any("-" in p["given_name"] for p in persons)
    assert any("-" in p["family_name"] for p in persons)
    assert any(re.match(r"(de |d'|Le )", p["family_name"]) for p in persons)
    # sex follows the given name: one given name is never used for both sexes
    sexes = defaultdict(set)
    for person in persons:
        sexes[person["given_name"]].add(person["sex"])
    assert all(len(s) == 1 for s in sexes.values())


def test_participants_file_is_french_excel_csv(small: tuple[Path, GenerationSummary]) -> None:
    out, _ = small
    raw = (out / "landing/housing/participants_2025-12.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # accents are single latin-1 bytes
    assert raw.count(b"\r\n") == raw.count(b"\n")  # CRLF everywhere, no bare LF
    rows = list(csv.reader(io.StringIO(raw.decode("latin-1"), newline=""), delimiter=";"))
    assert rows[0] == (
        "id_participant;nom;prenom;date_naissance;nir;telephone;courriel;site;date_orientation;date_entree;notes"
    ).split(";")
    assert all(len(row) == 11 for row in rows)
    assert len(rows) == raw.count(b"\r\n")  # one physical line per record: notes never span lines
    valid = [r for r in rows[1:] if parse(r[9], "%d/%m/%Y") and parse(r[3], "%d/%m/%Y") and r[0]]
    assert len(valid) >= 290
    assert {r[7] for r in valid} == {"Lyon", "Marseille", "Lille", "Saint-Étienne"}
    assert any(";" in r[10] for r in valid) and any('"' in r[10] for r in valid)
    tenancies = (out / "landing/housing/tenancies_2025-12.csv").read_bytes().decode("latin-1")
    rents = [r["loyer_mensuel"] for r in csv.DictReader(io.StringIO(tenancies, newline=""), delimiter=";")]
    assert all(re.fullmatch(r"\d{3},\d\d", rent) for rent in rents)


def test_valid_rows_are_linked_and_invalid_rows_sit_at_their_row_number(
    small: tuple[Path, GenerationSummary],
) -> None:
    out, summary = small
    links = links_by_source(out)
    person_ids = {p["person_id"] for p in read_truth(out, "persons.csv")}
    invalid = defaultdict(dict)
    for row in read_truth(out, "invalid_rows.csv"):
        invalid[row["source"]][int(row["row_number"])] = row
    for source, (_, id_column) in SOURCES.items():
        rows = read_source(out, source)
        assert summary.rows[source] == len(rows)
        assert summary.invalid_rows[source] == len(invalid[source])
        if len(rows) >= 50:
            assert 1 <= len(invalid[source]) <= max(1, round(0.02 * len(rows)))
        start_col, end_col, fmt = PERIODS[source]
        linked = 0
        for number, row in enumerate(rows, start=1):
            record_id = row[id_column] or ""
            start, end = parse(row[start_col], fmt), parse(row.get(end_col), fmt) if end_col else None
            enum_ok = source not in ENUMS or row[ENUMS[source][0]] in ENUMS[source][1]
            if number in invalid[source]:
                listed = invalid[source][number]
                assert listed["record_id"] == record_id and record_id not in links[source]
                code, column = listed["problem"].split(":")
                if code == "empty_id":
                    assert not record_id
                elif code == "unparseable_date":
                    assert row[column] and parse(row[column], fmt) is None
                elif code == "end_before_start":
                    assert end is not None and start is not None and end < start
                else:
                    assert code == "unknown_value" and not enum_ok
                continue
            # a valid row: linked to a true person, dates readable, ordered and not after as_of
            assert links[source][record_id] in person_ids
            linked += 1
            assert record_id and start is not None and start <= AS_OF and enum_ok, (source, number)
            if end_col and row[end_col]:
                assert start <= end <= AS_OF, (source, number)
        assert linked == len(links[source]) == len(rows) - len(invalid[source])


def test_tenancies_file_matches_the_ground_truth(small: tuple[Path, GenerationSummary]) -> None:
    out, _ = small
    links = links_by_source(out)
    truth = {t["tenancy_id"]: t for t in read_truth(out, "tenancies.csv")}
    participants = {r["id_participant"]: r["site"] for r in read_source(out, "housing_participants")}
    rows = [r for r in read_source(out, "housing_tenancies") if r["id_bail"] in truth]
    assert len(rows) == len(truth)
    for row in rows:
        t = truth[row["id_bail"]]
        assert links["housing_participants"][row["id_participant"]] == t["person_id"]
        assert row["site"] == t["site"] == participants[row["id_participant"]]
        assert parse(row["date_debut"], "%d/%m/%Y").isoformat() == t["start_date"]
        end = parse(row["date_fin"], "%d/%m/%Y")
        assert (end.isoformat() if end else "") == t["end_date"]
        assert row["motif_sortie"] == t["exit_reason"]
        assert bool(row["date_fin"]) == bool(t["exit_reason"])


def test_housing_paths_follow_the_programme_rules(large: Path) -> None:
    programme = {p["person_id"]: p for p in read_truth(large, "programme.csv")}
    paths = defaultdict(list)
    for t in read_truth(large, "tenancies.csv"):
        paths[t["person_id"]].append(t)
    assert set(paths) == set(programme)
    for person_id, chain in paths.items():
        chain.sort(key=lambda t: t["start_date"])
        p = programme[person_id]
        referral, entry = date.fromisoformat(p["referral_date"]), date.fromisoformat(p["entry_date"])
        assert 10 <= (entry - referral).days <= 240 and date(2019, 1, 1) <= entry
        assert chain[0]["start_date"] == p["entry_date"]
        for before, after in zip(chain, chain[1:], strict=False):
            assert before["exit_reason"] == "demenagement" and before["end_date"] == after["start_date"]
            assert before["site"] == after["site"] == p["site"]
        last = chain[-1]
        assert last["exit_reason"] != "demenagement" and bool(last["end_date"]) == bool(last["exit_reason"])


def test_twelve_month_retention_is_about_85_percent(large: Path) -> None:
    entries = {p["person_id"]: date.fromisoformat(p["entry_date"]) for p in read_truth(large, "programme.csv")}
    chains = defaultdict(list)
    for t in read_truth(large, "tenancies.csv"):
        chains[t["person_id"]].append(t)
    retained = observed = 0
    for person_id, entry in entries.items():
        mark = date(entry.year + 1, entry.month, min(entry.day, 28 if entry.month == 2 else entry.day))
        if mark > AS_OF:
            continue
        observed += 1
        for t in chains[person_id]:
            start, end = date.fromisoformat(t["start_date"]), parse(t["end_date"], "%Y-%m-%d")
            housed = start <= mark and (end is None or end > mark)
            moved_on = end is not None and end <= mark and t["exit_reason"] == "logement_autonome"
            if housed or moved_on:
                retained += 1
                break
    assert observed > 1500
    assert 0.78 <= retained / observed <= 0.92


def test_emergency_visits_fall_after_entry_and_nothing_follows_death(large: Path) -> None:
    entries = {p["person_id"]: date.fromisoformat(p["entry_date"]) for p in read_truth(large, "programme.csv")}
    # the true death: the housing operator may record a death in hospital later, or never
    deaths = {d["person_id"]: date.fromisoformat(d["death_date"]) for d in read_truth(large, "deaths.csv")}
    links = links_by_source(large)["health_encounters"]
    before = after = 0
    for row in read_source(large, "health_encounters"):
        person_id = links.get(row["encounter_id"])
        if person_id is None:
            continue
        admitted = date.fromisoformat(row["admission_date"])
        assert admitted <= deaths.get(person_id, AS_OF)
        if row["encounter_type"] == "urgence":
            assert row["discharge_date"] == row["admission_date"]
            before += admitted < entries[person_id]
            after += admitted >= entries[person_id]
    years_before = 2 * len(entries)  # everybody is observed two years before entry
    years_after = sum((deaths.get(p, AS_OF) - e).days / 365.25 for p, e in entries.items())
    assert after / years_after < 0.75 * (before / years_before)


def test_employment_grows_and_justice_falls_after_entry(large: Path) -> None:
    entries = {p["person_id"]: date.fromisoformat(p["entry_date"]) for p in read_truth(large, "programme.csv")}
    links = links_by_source(large)

    # year -1 (the year before entry) is observed for everybody; year 2 only for early entrants
    early = {p for p, e in entries.items() if (AS_OF - e).days >= 3 * 365}

    def per_person_year(source: str, id_column: str, year: int, people: set[str]) -> float:
        count = 0
        for row in read_source(large, source):
            person_id = links[source].get(row[id_column])
            if person_id in people:
                count += (date.fromisoformat(row["start_date"]) - entries[person_id]).days // 365 == year
        return count / len(people)

    everybody = set(entries)
    contracts_before = per_person_year("employment_contracts", "contract_id", -1, everybody)
    assert per_person_year("employment_contracts", "contract_id", 2, early) > 1.5 * contracts_before
    justice_before = per_person_year("justice_events", "event_id", -1, everybody)
    assert per_person_year("justice_events", "event_id", 1, early) < 0.7 * justice_before


def test_partners_disagree_on_identities_at_plausible_rates(large: Path) -> None:
    persons = {p["person_id"]: p for p in read_truth(large, "persons.csv")}
    links = links_by_source(large)["health_encounters"]
    records: dict[str, list[tuple]] = defaultdict(list)  # a person's records at the partner, first one first
    for row in read_source(large, "health_encounters"):
        person_id = links.get(row["encounter_id"])
        if person_id is None:
            continue
        assert row["family_name"] == plain_upper(row["family_name"])  # hospital style
        record = (row["family_name"], row["given_name"], row["birth_date"], row["nir"])
        if record not in records[person_id]:
            records[person_id].append(record)
    # one record per person at a partner, but for the few it holds twice (the second without NIR)
    duplicated = {r["person_id"] for r in read_truth(large, "duplicates.csv") if r["partner"] == "health"}
    twice = {p for p, held in records.items() if len(held) > 1}
    assert twice <= duplicated and all(len(records[p]) == 2 and not records[p][1][3] for p in twice)
    assert 0.01 <= len(twice) / len(records) <= 0.05
    seen = {p: held[0] for p, held in records.items()}
    differs = sum(
        1
        for person_id, (family, given, _, _) in seen.items()
        if (family, given)
        != (plain_upper(persons[person_id]["family_name"]), plain_upper(persons[person_id]["given_name"]))
    )
    missing_nir = sum(1 for *_, nir in seen.values() if not nir)
    assert 0.03 <= differs / len(seen) <= 0.15
    assert 0.22 <= missing_nir / len(seen) <= 0.38

    links_h = links_by_source(large)["housing_participants"]
    housing = [r for r in read_source(large, "housing_participants") if r["id_participant"] in links_h]
    accented = dropped = shifted = 0
    for row in housing:
        true = persons[links_h[row["id_participant"]]]
        name, true_name = row["prenom"] + " " + row["nom"], true["given_name"] + " " + true["family_name"]
        if unaccented(true_name) != true_name:
            accented += 1
            dropped += name == unaccented(true_name)
        shifted += parse(row["date_naissance"], "%d/%m/%Y").isoformat() != true["birth_date"]
    assert 0.1 <= dropped / accented <= 0.3  # about one partner record in five loses its accents
    assert 0 < shifted < 0.03 * len(housing)  # day and month swapped now and then


def test_case_notes_mention_the_person_and_contact_details(small: tuple[Path, GenerationSummary]) -> None:
    out, _ = small
    links = links_by_source(out)["housing_participants"]
    rows = [r for r in read_source(out, "housing_participants") if r["id_participant"] in links]
    named = sum(1 for r in rows if r["nom"] in r["notes"] or r["prenom"] in r["notes"])
    assert named > 0.6 * len(rows)
    phone = re.compile(r"(\+33 \d|0\d)([ .]?\d\d){4}")
    assert sum(1 for r in rows if phone.search(r["notes"])) > 0.3 * len(rows)
    assert any(re.search(r"\d{5} [A-Z]", r["notes"]) for r in rows)  # a postal address
    assert any("@" in r["notes"] for r in rows)


def test_ground_truth_sits_beside_landing_and_the_period_follows_as_of(tmp_path: Path) -> None:
    summary = generate(tmp_path, persons=60, seed=1, as_of=date(2024, 6, 30))
    landing, truth = tmp_path / "landing", tmp_path / "ground_truth"
    assert truth.is_dir() and not any(p.name == "ground_truth" for p in landing.rglob("*"))
    landing_files = sorted(p for p in landing.rglob("*") if p.is_file())
    assert all(p.name.endswith(("_2024-06.csv", "_2024-06.jsonl")) for p in landing_files)
    assert set(summary.files) == set(landing_files) | set(truth.iterdir())
    meta = json.loads((truth / "meta.json").read_text(encoding="utf-8"))
    assert meta == {"persons": 60, "seed": 1, "as_of": "2024-06-30", "period": "2024-06"}
    assert max(t["start_date"] for t in read_truth(tmp_path, "tenancies.csv")) <= "2024-06-30"


def test_a_death_in_hospital_is_discharged_as_a_death_and_the_operator_records_it_then_later_or_never(
    large: Path,
) -> None:
    deaths = {d["person_id"]: d for d in read_truth(large, "deaths.csv")}
    tenancies = defaultdict(list)
    for t in read_truth(large, "tenancies.csv"):
        tenancies[t["person_id"]].append(t)
    links = links_by_source(large)["health_encounters"]
    discharged_dead = defaultdict(list)
    for row in read_source(large, "health_encounters"):
        assert row["discharge_mode"] in {"domicile", "deces"}
        if row["discharge_mode"] == "deces" and row["encounter_id"] in links:
            discharged_dead[links[row["encounter_id"]]].append(row)
    in_hospital = {p for p, d in deaths.items() if d["in_hospital"] == "1"}
    assert set(discharged_dead) == in_hospital
    fates = Counter()
    for person_id, d in deaths.items():
        for row in discharged_dead.get(person_id, []):  # one stay, under the person's record or a duplicate's
            assert row["encounter_type"] == "hospitalisation" and row["discharge_date"] == d["death_date"]
        last = max(tenancies[person_id], key=lambda t: t["start_date"])
        assert (last["end_date"], last["exit_reason"]) == (
            (d["housing_recorded_date"], "deces") if d["housing_recorded_date"] else ("", "")
        )
        if person_id not in in_hospital:
            assert d["housing_recorded_date"] == d["death_date"]
            continue
        recorded = d["housing_recorded_date"]
        late = recorded and (date.fromisoformat(recorded) - date.fromisoformat(d["death_date"])).days
        assert not late or 3 <= late <= 60
        fates["on time" if recorded == d["death_date"] else "later" if recorded else "never"] += 1
    # defaults: half of the deaths in hospital; of those 30 % recorded later, 20 % never (as of the extract)
    assert 0.3 <= len(in_hospital) / len(deaths) <= 0.7 and len(deaths) > 50
    assert fates["on time"] and fates["later"] and fates["never"]
