"""The header line of a tabular file against its contract: every contract column must be there, once, but one the
contract says a file may lack (optional_in_file), unless the header holds it renamed (its name but for case,
separators and one letter): a renamed column is refused, never loaded empty."""

from __future__ import annotations

import difflib
from pathlib import Path

from pipelines.contract import Contract
from pipelines.readers.errors import FileRejected

SEPARATORS = [",", ";", "\t", "|"]


def check_header(path: Path, contract: Contract, fields: list[object], lacking: list[str] | None = None) -> list[str]:
    """The header's names, or the file rejected: blank, a name twice, a contract column missing or renamed. The
    optional_in_file columns it lacks are added to `lacking`."""
    header = ["" if h is None else str(h).strip() for h in fields]
    if not any(header):
        raise FileRejected("no_header", f"{path.name}: the first line is blank where the header should be")
    expected = [c.name for c in contract.columns]
    missing = [c for c in expected if c not in header]
    separator = contract.format.delimiter
    if missing and len(header) == 1:
        used = max(SEPARATORS, key=header[0].count)
        if used != separator and header[0].count(used):
            raise FileRejected(
                "wrong_separator",
                f"{path.name}: the header is separated by {used!r} where the contract says {separator!r}",
            )
    if len(missing) == len(expected):
        # The first line may be data, not a header: its fields are never quoted, they could be a name.
        raise FileRejected(
            "missing_column", f"{path.name}: none of the contract's columns is in the first line (no header line?)"
        )
    doubled = sorted({h for h in header if h and header.count(h) > 1})
    if doubled:
        raise FileRejected("duplicate_column", f"{path.name}: column(s) {', '.join(doubled)} appear twice")
    unknown = [h for h in header if h not in expected]
    refused = missing_refused(contract, missing, unknown)
    if refused:
        raise FileRejected(
            "missing_column",
            f"{path.name}: missing column(s) {', '.join(refused)} in the header{renamed_hint(refused, unknown)}",
        )
    if lacking is not None:
        lacking.extend(missing)
    return header


def missing_refused(contract: Contract, missing: list[str], unknown: list[str]) -> list[str]:
    """The missing columns that refuse a file (or an sql source's table): all but those it may lack
    (optional_in_file), unless renamed."""
    may_lack = {c.name for c in contract.columns if c.optional_in_file}
    return [name for name in missing if name not in may_lack or renamed_as(name, unknown)]


def renamed_as(name: str, unknown: list[str]) -> bool:
    """Whether a column a file may lack is there under another spelling: its name but for case, separators and one
    letter added or dropped (Discharge_Mode, discharge-mode, discharge_modes, discharge_mod). Not merely close
    (renamings), nor one letter changed: an export holds other columns of the same thing (discharge_unit,
    discharge_time, discharge_code), which must not refuse every file lacking it; a misspelt one loads it empty,
    which the batch's summary says. A name of no letter or digit (a blank header cell, "-") is no name: nothing
    renamed a one-letter column to it, and it is passed over as when no column is lacking."""
    bare = _bare(name)
    return any(other and _one_letter_apart(bare, other) for other in map(_bare, unknown))


def _bare(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def _one_letter_apart(a: str, b: str) -> bool:
    """Equal, or one letter inserted or dropped."""
    if len(a) > len(b):
        a, b = b, a
    if len(b) - len(a) > 1:
        return False
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1 :] if len(a) < len(b) else i == len(a)


def renamed_hint(missing: list[str], unknown: list[str]) -> str:
    """' (renamed: ...)' for the missing names an unknown name is close to, or ''."""
    hints = [f"'{new}' instead of '{name}'?" for name, new in renamings(missing, unknown).items()]
    return f" (renamed: {' '.join(hints)})" if hints else ""


def renamings(missing: list[str], unknown: list[str]) -> dict[str, str]:
    """Each missing name the unknown name it may have become, when one is close."""
    lowered = {u.lower(): u for u in unknown}  # 'NIR' for 'nir' is a rename too
    found = {}
    for name in missing:
        close = difflib.get_close_matches(name.lower(), lowered, n=1, cutoff=0.6)
        if close:
            found[name] = lowered[close[0]]
    return found
