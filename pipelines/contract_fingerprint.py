"""A contract's fingerprint (audit.batches.contract_sha256): a file rejected under a contract is `already_rejected`
while its contract says the same, and read again once it says something else (a fixed column, a new format).

It is what the contract says, not how abord holds it: its dataclasses written out as their repr, but a field added
to them since the first fingerprints is written only when a contract sets it. A new contract key (a Column field)
then changes no fingerprint of a contract leaving it out: after an upgrade, the files rejected under it are not
read, rejected and recorded again (nor a month's re-send refused as shrinks_period read again).
"""

from __future__ import annotations

import dataclasses
import hashlib

from pipelines.contract import Contract

# The fields the fingerprints were first made of (the whole repr before optional_in_file), written even at their
# default, so that an unchanged contract keeps the fingerprint its rejected files were recorded under.
FIRST_FIELDS = {
    "Contract": {"name", "partner", "description", "file_pattern", "period_pattern", "format", "columns", "rules"}
    | {"load", "path"},
    "SourceFormat": {"type", "delimiter", "encoding", "decimal", "date_format", "sheet", "resource", "table"}
    | {"watermark", "url_env"},
    "Column": {"name", "role", "type", "required", "unique", "allowed", "target", "ref_source", "minimum", "maximum"}
    | {"codes", "absent", "pattern"},
    "Rule": {"column", "not_before"},
}


def contract_fingerprint(contract: Contract) -> str:
    return hashlib.sha256(_written(dataclasses.replace(contract, path=None)).encode()).hexdigest()


def _written(value: object) -> str:
    """repr(value), leaving out of each dataclass the fields added since FIRST_FIELDS that hold their default."""
    if dataclasses.is_dataclass(value):
        first = FIRST_FIELDS[type(value).__name__]
        said = [
            f"{f.name}={_written(getattr(value, f.name))}"
            for f in dataclasses.fields(value)
            if f.repr and (f.name in first or getattr(value, f.name) != f.default)
        ]
        return f"{type(value).__qualname__}({', '.join(said)})"
    if isinstance(value, tuple):
        items = [_written(item) for item in value]
        return f"({', '.join(items)}{',' if len(items) == 1 else ''})"
    return repr(value)
