"""Rows of the files about no one in particular: the anonymous tenant survey, the tenant council
minutes and the finance files. None carries a person identifier, so none goes to links.csv.

Survey answers come person by person like any person-level file; the others are built once every
person is simulated, from the population's totals."""

from __future__ import annotations

from collections.abc import Iterator

from pipelines.sample.finance import FUNDERS, clauses, convention_lines
from pipelines.sample.invalid import Row
from pipelines.sample.rows import Extract, RowsWithPersons, Snapshot, numbered_after
from pipelines.sample.sources import record_id
from pipelines.sample.voice import council_sessions, quarter_of
from pipelines.sample.world import Person, Simulation, stream
from pipelines.sample.writers import french_date, french_decimal, iso_date


def survey(person: Person, snap: Snapshot) -> Iterator[Row]:
    source, first = "tenant_survey", person.first["tenant_survey"]
    for k, response in enumerate(person.survey):
        if snap.sees(source, first + k, response.answered):
            yield {
                "id_reponse": record_id(source, first + k),
                "site": response.site,
                "trimestre": quarter_of(response.answered),
                "date_reponse": iso_date(response.answered),
                "satisfaction_logement": str(response.satisfaction_housing),
                "satisfaction_accompagnement": str(response.satisfaction_support),
                "qualite_de_vie": str(response.quality_of_life),
            }


def sessions(sim: Simulation) -> list:
    return council_sessions(
        stream(sim.seed, "council"), stream(sim.seed, "council-minutes"), sim.housed, sim.as_of, sim.config.council
    )


def council(sim: Simulation, snap: Snapshot) -> Extract:
    source = "tenant_council"
    held = sessions(sim)
    shown = [(n, s) for n, s in enumerate(held, start=1) if snap.sees(source, n, s.held)]

    def rows() -> RowsWithPersons:
        for number, session in shown:
            row = {
                "id_seance": record_id(source, number),
                "site": session.site,
                "date_seance": session.held.isoformat(),
                "participants": session.attendees,
                "actions_decidees": session.actions_decided,
            }
            yield row, None

    return Extract(rows, numbered_after(source, len(held)), len(shown))


def funders(sim: Simulation, snap: Snapshot) -> Extract:
    source = "finance_funders"

    def rows() -> RowsWithPersons:
        for number, funder in enumerate(FUNDERS, start=1):
            row = {
                "id_financeur": record_id(source, number),
                "code_financeur": funder.code,
                "nom_financeur": funder.name,
                "type_financeur": funder.kind,
            }
            yield row, None

    return Extract(rows, numbered_after(source, len(FUNDERS)), len(FUNDERS))


def conventions(sim: Simulation, snap: Snapshot) -> Extract:
    lines = convention_lines(sim.budget, snap.cut, sim.config.finance)

    def rows() -> RowsWithPersons:
        for line in lines:
            row = {
                "id_ligne": line.line_id,
                "code_financeur": line.funder,
                "numero_convention": line.convention,
                "site": line.site,
                "secteur": line.sector,
                "annee": str(line.year),
                "date_signature": french_date(line.signed),
                "montant_engage": french_decimal(line.committed),
                "montant_verse": french_decimal(line.paid),
            }
            yield row, None

    return Extract(rows, lambda n: f"LIGNE-{n:04d}", len(lines))


def pfp_clauses(sim: Simulation, snap: Snapshot) -> Extract:
    listed = clauses(sim.budget, snap.cut)

    def rows() -> RowsWithPersons:
        for clause in listed:
            row = {
                "id_clause": clause.clause_id,
                "code_financeur": clause.funder,
                "numero_convention": clause.convention,
                "site": clause.site,
                "code_indicateur": clause.indicator_code,
                "annee": str(clause.year),
                "cible": french_decimal(clause.target),
                "paiement": french_decimal(clause.payment),
            }
            yield row, None

    return Extract(rows, lambda n: f"CLAUSE-{n:04d}", len(listed))
