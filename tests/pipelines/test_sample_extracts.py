"""Every sample extract against its contract, monthly snapshots, additions and re-sends, and the links behind them."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest

from pipelines.contract import load_contracts
from pipelines.ingest import find_extracts
from pipelines.readers import RowUnreadable, read_rows
from pipelines.sample.config import load_config
from pipelines.sample.generate import generate, month_ends
from pipelines.sample.sources import APPEND_SOURCES
from pipelines.validation import validate_row

CONTRACTS = load_contracts()
TODAY = date(2026, 1, 31)  # validation refuses dates in the future; the sample stops at 2025-12-31
MONTHS = 3


@pytest.fixture(scope="module")
def monthly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("monthly")
    generate(out, persons=400, seed=7, months=MONTHS)
    return out


def truth(out: Path, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((out / "ground_truth" / name).read_text(encoding="utf-8"))))


def valid_rows(out: Path, relative: str) -> dict[int, dict]:
    """Row number -> row of one landing file, broken rows left out."""
    broken = {int(r["row_number"]) for r in truth(out, "extract_invalid_rows.csv") if r["file"] == relative}
    contract = next(c for c in CONTRACTS.values() if (out / "landing" / relative) in find_extracts(c, out / "landing"))
    return {n: row for n, row in read_rows(out / "landing" / relative, contract) if n not in broken}


def test_each_file_parses_with_its_contract_and_only_broken_rows_fail(monthly: Path) -> None:
    landing = monthly / "landing"
    broken = defaultdict(dict)
    for row in truth(monthly, "extract_invalid_rows.csv"):
        broken[row["file"]][int(row["row_number"])] = row["problem"]
    extracts = {r["file"]: r for r in truth(monthly, "extracts.csv")}
    claimed = set()
    for name, contract in CONTRACTS.items():
        files = find_extracts(contract, landing)
        assert len(files) >= MONTHS, f"{name} has no monthly extracts"
        for path in files:
            relative = path.relative_to(landing).as_posix()
            assert (
                extracts[relative]["source"] == name and contract.period_of(path.name) == extracts[relative]["period"]
            )
            claimed.add(relative)
            rows = 0
            for number, row in read_rows(path, contract):
                rows += 1
                assert not isinstance(row, RowUnreadable), (relative, number)
                _, problems = validate_row(row, contract, TODAY)
                if number in broken[relative]:
                    code, column = broken[relative][number].split(":")
                    assert problems, (relative, number, code)
                    assert {p.column for p in problems} == {column}, (relative, number, problems)
                else:
                    assert not problems, (relative, number, problems)
            assert rows == int(extracts[relative]["rows"])
            assert len(broken[relative]) == int(extracts[relative]["invalid_rows"])
    assert claimed == {p.relative_to(landing).as_posix() for p in landing.rglob("*") if p.is_file()}


def test_a_file_per_month_with_a_corrected_resend(monthly: Path) -> None:
    extracts = truth(monthly, "extracts.csv")
    periods = [f"{d.year}-{d.month:02d}" for d in month_ends(date(2025, 12, 31), MONTHS)]
    assert periods == ["2025-10", "2025-11", "2025-12"]
    assert sorted({e["period"] for e in extracts}) == periods
    resent = [e for e in extracts if e["kind"] != "regular"]
    assert {(e["source"], e["period"], e["kind"]) for e in resent} == {
        (source, "2025-11", kind)
        for source in ("health_encounters", "housing_support_contacts")
        for kind in ("superseded", "correction")
    }
    for source in ("health_encounters", "housing_support_contacts"):
        first, corrected = (
            next(e for e in resent if e["source"] == source and e["kind"] == k) for k in ("superseded", "correction")
        )
        assert "_corrige_2025-11." in corrected["file"] and "_corrige_" not in first["file"]
        assert int(corrected["rows"]) > int(first["rows"])  # the first send missed rows


def test_the_generator_appends_exactly_the_sources_whose_contract_loads_by_appending() -> None:
    assert APPEND_SOURCES == {name for name, contract in CONTRACTS.items() if contract.load == "append"}


@pytest.fixture(scope="module")
def single(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The monthly sample's world sent once, as of its last month end."""
    out = tmp_path_factory.mktemp("single")
    generate(out, persons=400, seed=7, months=1)
    return out


def current_files(out: Path, source: str) -> list[str]:
    """The files whose rows are current: an append source's every month (a correction in place of its first
    send), a snapshot source's last."""
    extracts = [e for e in truth(out, "extracts.csv") if e["source"] == source and e["kind"] != "superseded"]
    if source in APPEND_SOURCES:
        return [e["file"] for e in extracts]
    return [e["file"] for e in extracts if e["period"] == max(x["period"] for x in extracts)]


# append source -> (id column, ISO day from which a record is in the partner's extract)
KEYED_FROM = {
    "health_encounters": ("encounter_id", lambda row: row["discharge_date"]),
    "housing_support_contacts": ("id_contact", lambda row: "-".join(reversed(row["date_contact"].split("/")))),
    "shelter_nights": ("id_nuitee", lambda row: "-".join(reversed(row["date_nuitee"].split("/")))),
}


def test_append_months_add_new_records_only_and_late_ones_arrive_the_month_after(monthly: Path, single: Path) -> None:
    assert set(KEYED_FROM) == APPEND_SOURCES
    extracts = {(e["source"], e["period"], e["kind"]): e["file"] for e in truth(monthly, "extracts.csv")}
    late = 0  # pooled over the sources: a few dozen October health stays alone may all be on time
    for source, (id_column, keyed_from) in KEYED_FROM.items():
        months = [valid_rows(monthly, file) for file in current_files(monthly, source)]
        assert len(months) == MONTHS, source
        october, november, _ = ({row[id_column]: row for row in rows.values()} for rows in months)
        sent = [row[id_column] for rows in months for row in rows.values()]
        assert len(sent) == len(set(sent)), f"{source}: a record is sent in one month only"
        # together the months hold what one extract as of the last month end holds, row for row
        (whole,) = (valid_rows(single, file) for file in current_files(single, source))
        by_id = {row[id_column]: row for rows in months for row in rows.values()}
        assert by_id == {row[id_column]: row for row in whole.values()}, source
        assert all(keyed_from(row) <= "2025-10-31" for row in october.values())
        assert len(november) < len(october) / 5, f"{source}: November adds about a month of records"
        late += sum(1 for row in november.values() if keyed_from(row) <= "2025-10-31")
        if (source, "2025-11", "superseded") in extracts:  # the first send of a corrected month missed rows
            first = {
                row[id_column] for row in valid_rows(monthly, extracts[(source, "2025-11", "superseded")]).values()
            }
            assert first < set(november), source
    assert late, "some October records should only reach the November extract"


def test_snapshots_keep_ids_and_fill_ends_once_known(monthly: Path) -> None:
    extracts = {(e["source"], e["period"], e["kind"]): e["file"] for e in truth(monthly, "extracts.csv")}
    justice = {
        period: {
            r["event_id"]: r for r in valid_rows(monthly, extracts[("justice_events", period, "regular")]).values()
        }
        for period in ("2025-10", "2025-12")
    }
    assert set(justice["2025-10"]) < set(justice["2025-12"])  # a record keeps its id, and the history grows
    # an end the partner could not know yet is empty, and filled once it is known
    closed_later = [
        i for i, row in justice["2025-10"].items() if not row["end_date"] and justice["2025-12"][i]["end_date"]
    ]
    assert closed_later and all(justice["2025-12"][i]["end_date"] > "2025-10-31" for i in closed_later)


def test_links_cover_current_person_rows_and_follow_references(monthly: Path) -> None:
    links: dict[str, dict[str, str]] = defaultdict(dict)
    for row in truth(monthly, "links.csv"):
        links[row["source"]][row["record_id"]] = row["person_id"]
    for name, contract in CONTRACTS.items():
        rows = [row for file in current_files(monthly, name) for row in valid_rows(monthly, file).values()]
        if contract.is_person_level:
            assert set(links[name]) == {row[contract.record_id.name] for row in rows}, name
        else:
            assert name not in links, f"{name} is about no one and must not be linked"
        for column in contract.columns:
            if column.role != "person_ref":
                continue
            for row in rows:
                referenced = links[column.ref_source][row[column.name]]
                assert referenced == links[name][row[contract.record_id.name]], (name, column.name)


def test_survey_answers_come_in_date_order_with_ids_that_tie_no_one_together(monthly: Path) -> None:
    """The truth lists answers person by person; neither the file's order nor the ids may echo that."""
    answers = valid_rows(monthly, "survey/responses_2025-12.csv").values()
    dates = [row["date_reponse"] for row in answers]
    assert dates == sorted(dates) and len(set(dates)) > 100
    numbers = [int(r["response_id"][1:]) for r in truth(monthly, "survey_responses.csv")]
    assert len(numbers) > 500
    adjacent = sum(abs(a - b) == 1 for a, b in zip(numbers, numbers[1:], strict=False))
    assert adjacent <= 2  # a person's answers, numbered in turn, made most neighbours adjacent


def test_same_monthly_inputs_write_the_same_bytes(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", persons=80, seed=5, months=2)
    generate(tmp_path / "b", persons=80, seed=5, months=2)
    for path in first.files:
        relative = path.relative_to(tmp_path / "a")
        assert path.read_bytes() == (tmp_path / "b" / relative).read_bytes(), relative


def _generated_twice(tmp_path: Path, formats: str):
    """The sample of 80 persons, seed 5, written with `formats` in tmp_path/a, and again in tmp_path/b: each file
    the same bytes both times."""
    config = tmp_path / "formats.yml"
    config.write_text(f"formats: {{{formats}}}\n")
    first = generate(tmp_path / "a", persons=80, seed=5, months=2, config=load_config(config))
    generate(tmp_path / "b", persons=80, seed=5, months=2, config=load_config(config))
    for path in first.files:
        relative = path.relative_to(tmp_path / "a")
        assert path.read_bytes() == (tmp_path / "b" / relative).read_bytes(), relative
    return first


def test_housing_can_be_sent_as_an_hmis_export_the_hmis_contracts_read(tmp_path: Path) -> None:
    first = _generated_twice(tmp_path, "housing: hmis, hmis_version: FY2026")

    landing = tmp_path / "a" / "landing"
    assert not list(landing.glob("housing/participants_*")) and not list(landing.glob("housing/tenancies_*"))
    rows = {(e["source"], e["file"]): int(e["rows"]) for e in truth(tmp_path / "a", "extracts.csv")}
    hmis = load_contracts(variants=("hmis",))
    for name in ("housing_participants", "housing_tenancies"):
        files = find_extracts(hmis[name], landing)
        assert [p.name for p in files] == ["hmis_2025-11.zip", "hmis_2025-12.zip"]
        for path in files:
            read = [row for _, row in read_rows(path, hmis[name])]
            assert all(not validate_row(row, hmis[name], TODAY)[1] for row in read), name
            assert len(read) == rows[(name, path.relative_to(landing).as_posix())]
    assert first.rows["housing_participants"] == 80 and first.invalid_rows["housing_tenancies"] == 0
    # each export's services are its month's support contacts, those the French files have a code for
    french = tmp_path / "c"
    generate(french, persons=80, seed=5, months=2)
    contacts = hmis["housing_support_contacts"]
    for path, file in zip(find_extracts(contacts, landing), current_files(french, contacts.name), strict=True):
        services = {row["Services.ServicesID"] for _, row in read_rows(path, contacts)}
        sent = {r["id_contact"] for r in valid_rows(french, file).values() if r["type_contact"] != "pair_aidance"}
        assert services == sent and len(services) == rows[(contacts.name, path.relative_to(landing).as_posix())] > 0


IDENTITY = {"family_name", "given_name", "birth_date", "nir"}


def test_health_can_be_sent_as_a_fhir_export_the_fhir_contract_reads(tmp_path: Path) -> None:
    """The same encounters, persons and values as the CSV way of the same seed, read by the `fhir` variant."""
    first = _generated_twice(tmp_path, "health: fhir")

    landing = tmp_path / "a" / "landing"
    assert {p.relative_to(landing).as_posix() for p in first.files if p.is_relative_to(landing / "health")} == {
        f"health/{kind}_2025-{month}.ndjson" for kind in ("Encounter", "Patient") for month in ("11", "12")
    }, "the Patient files are written and compared too"
    fhir = load_contracts(variants=("fhir",))["health_encounters"]
    files = find_extracts(fhir, landing)
    assert [p.name for p in files] == ["Encounter_2025-11.ndjson", "Encounter_2025-12.ndjson"]
    rows = {(e["source"], e["file"]): int(e["rows"]) for e in truth(tmp_path / "a", "extracts.csv")}
    french = tmp_path / "c"
    generate(french, persons=80, seed=5, months=2)
    csv_contract = CONTRACTS["health_encounters"]
    stored = [c.target for c in fhir.columns if c.stored]  # and the patient's name, birth date and NIR
    deaths = 0
    for path, file in zip(files, current_files(french, "health_encounters"), strict=True):
        read = {}
        for _, row in read_rows(path, fhir):
            values, problems = validate_row(row, fhir, TODAY)
            assert not problems, (row, problems)
            read[row["Encounter.id"]] = {c.target: values[c.name] for c in fhir.columns if c.stored}
            read[row["Encounter.id"]] |= {c.role: row[c.name] or None for c in fhir.columns if c.role in IDENTITY}
        assert len(read) == rows[("health_encounters", path.relative_to(landing).as_posix())] > 0
        sent = {}
        for row in valid_rows(french, file).values():
            values, _ = validate_row(row, csv_contract, TODAY)
            sent[row["encounter_id"]] = {c.target: values[c.name] for c in csv_contract.columns if c.stored}
            sent[row["encounter_id"]] |= {
                c.role: row[c.name] or None for c in csv_contract.columns if c.role in IDENTITY
            }
        assert read == sent and set(stored) | IDENTITY == set(next(iter(sent.values())))
        deaths += sum(v["discharge_mode"] == "deces" for v in read.values())
    assert deaths > 0, "a death in hospital reaches discharge_mode as the CSV's deces"
    links = [r for r in truth(tmp_path / "a", "links.csv") if r["source"] == "health_encounters"]
    assert links == [r for r in truth(french, "links.csv") if r["source"] == "health_encounters"] != []
