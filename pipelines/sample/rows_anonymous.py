"""Rows of the files about no one in particular: the anonymous tenant survey, the tenant council
minutes and the finance files. None carries a person identifier, so none goes to links.csv."""

from __future__ import annotations

from pipelines.sample.finance import FUNDERS, clauses, convention_lines
from pipelines.sample.rows import Extract, RowsWithPersons, Snapshot, numbered_after
from pipelines.sample.sources import record_id
from pipelines.sample.voice import quarter_of
from pipelines.sample.world import World
from pipelines.sample.writers import french_date, french_decimal, iso_date


def survey(world: World, snap: Snapshot) -> Extract:
    source = "tenant_survey"
    shown = [(n, r) for n, r in enumerate(world.survey, start=1) if snap.sees(source, n, r.answered)]

    def rows() -> RowsWithPersons:
        for number, response in shown:
            row = {
                "id_reponse": record_id(source, number),
                "site": response.site,
                "trimestre": quarter_of(response.answered),
                "date_reponse": iso_date(response.answered),
                "satisfaction_logement": str(response.satisfaction_housing),
                "satisfaction_accompagnement": str(response.satisfaction_support),
                "qualite_de_vie": str(response.quality_of_life),
            }
            yield row, None

    return Extract(rows, numbered_after(source, len(world.survey)), len(shown))


def council(world: World, snap: Snapshot) -> Extract:
    source = "tenant_council"
    shown = [(n, s) for n, s in enumerate(world.council, start=1) if snap.sees(source, n, s.held)]

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

    return Extract(rows, numbered_after(source, len(world.council)), len(shown))


def funders(world: World, snap: Snapshot) -> Extract:
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


def conventions(world: World, snap: Snapshot) -> Extract:
    lines = convention_lines(world.budget, snap.cut, world.config.finance)

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


def pfp_clauses(world: World, snap: Snapshot) -> Extract:
    listed = clauses(world.budget, snap.cut)

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
