"""Checks on a file's bytes before decoding it: empty, not text at all, a byte-order mark, undecodable bytes."""

from __future__ import annotations

import codecs
from pathlib import Path

from pipelines.readers.errors import FileRejected

MAGIC = {b"PK\x03\x04": "a ZIP archive or an XLSX workbook", b"\x1f\x8b": "a gzip archive", b"%PDF": "a PDF"}
BOMS = {codecs.BOM_UTF8: "utf-8", codecs.BOM_UTF16_LE: "utf-16", codecs.BOM_UTF16_BE: "utf-16"}


def is_utf8(encoding: str) -> bool:
    return codecs.lookup(encoding).name == "utf-8"


def python_encoding(encoding: str) -> str:
    # utf-8-sig drops the byte-order mark that Excel writes; it is a no-op without one.
    return "utf-8-sig" if is_utf8(encoding) else encoding


def check_start(path: Path, encoding: str) -> bool:
    """Reject files that cannot be text in `encoding`; return whether the file ends with a line break."""
    with path.open("rb") as handle:
        head = handle.read(4)
        if not head.strip():
            handle.seek(0)
            if not handle.read(1 << 16).strip():
                raise FileRejected("empty_file", f"{path.name}: the file is empty")
        handle.seek(-1, 2)
        ends_with_newline = handle.read(1) in b"\r\n"
    for magic, kind in MAGIC.items():
        if head.startswith(magic):
            raise FileRejected("not_text", f"{path.name}: the file is {kind}, not a {encoding} text file")
    for bom, bom_encoding in BOMS.items():
        if head.startswith(bom) and not codecs.lookup(encoding).name.startswith(bom_encoding):
            raise FileRejected(
                "unexpected_bom",
                f"{path.name}: the file starts with a {bom_encoding} byte-order mark but the contract says"
                f" {encoding}: export it as {encoding} or change the contract's encoding",
            )
    return ends_with_newline


def undecodable(path: Path, encoding: str) -> FileRejected:
    """The first line that does not decode, found again in binary: the decoder's offset is per chunk."""
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                line.decode(python_encoding(encoding))
            except UnicodeDecodeError as exc:
                hint = ""
                if is_utf8(encoding):
                    hint = " (a Windows-1252 or latin-1 export?)"
                return FileRejected(
                    "bad_encoding",
                    f"{path.name}: line {number}, byte {exc.start + 1}: bytes that are not valid {encoding}{hint}",
                )
    return FileRejected("bad_encoding", f"{path.name}: bytes that are not valid {encoding}")
