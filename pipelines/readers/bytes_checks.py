"""Checks on a file's bytes before decoding it: empty, not text at all, a byte-order mark, UTF-8 under a
single-byte encoding, undecodable bytes. They run on files of millions of rows: bytes are scanned in chunks by
bytes methods and regular expressions (C loops), never character by character in Python."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, NamedTuple

from pipelines.readers.errors import FileRejected

MAGIC = {b"PK\x03\x04": "a ZIP archive or an XLSX workbook", b"\x1f\x8b": "a gzip archive", b"%PDF": "a PDF"}
BOMS = {codecs.BOM_UTF8: "utf-8", codecs.BOM_UTF16_LE: "utf-16", codecs.BOM_UTF16_BE: "utf-16"}
CHUNK = 1 << 20
NON_ASCII = re.compile(rb"[\x80-\xff]")
EOF_CHAR = "\x1a"  # Ctrl-Z: DOS-era exporters end a text file with it; it is no content
EOF_MARK = EOF_CHAR.encode()  # in a single-byte or UTF-8 file
# What bytes.strip() takes, the end-of-file mark and a byte-order mark: a file of only these is empty.
BLANK = " \t\n\r\x0b\x0c" + EOF_CHAR + "\ufeff"


class Ending(NamedTuple):
    newline: bool  # the file's last line ends with a line break (before any end-of-file mark)
    eof_mark: bool  # the file's last byte is a Ctrl-Z end-of-file mark


def is_utf8(encoding: str) -> bool:
    return codecs.lookup(encoding).name == "utf-8"


def python_encoding(encoding: str) -> str:
    # utf-8-sig drops the byte-order mark that Excel writes; it is a no-op without one.
    return "utf-8-sig" if is_utf8(encoding) else encoding


def check_start(path: Path, encoding: str) -> Ending:
    """Reject files that cannot be text in `encoding`; return how the file ends."""
    with path.open("rb") as handle:
        head = handle.read(4)
        # Blank or not, and how the text ends, are told in the file's own encoding: in UTF-16 a line break is two
        # bytes, '\n' then 0x00 in little-endian, and the byte-order mark two more.
        codec = _without_bom(encoding, head)
        if is_blank(head, codec):
            handle.seek(0)
            if is_blank(handle.read(1 << 16), codec):
                raise FileRejected("empty_file", f"{path.name}: the file is empty")
        eof, breaks = EOF_CHAR.encode(codec), ("\r".encode(codec), "\n".encode(codec))
        handle.seek(-min(2 * len(eof), handle.seek(0, 2)), 2)
        tail = handle.read()
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
    if not is_utf8(encoding):
        check_not_utf8(path, encoding)
    eof_mark = tail.endswith(eof)
    last = tail[: -len(eof)] if eof_mark else tail
    return Ending(newline=last.endswith(breaks), eof_mark=eof_mark)


def is_blank(data: bytes, codec: str) -> bool:
    """Whether `data` is only blank characters in `codec` (a byte-order mark's encoding: a BOM-less codec, so a
    mark decodes as a character and counts as blank). Bytes that do not decode are no blank: the reader names them."""
    try:
        return not data.decode(codec).strip(BLANK)
    except UnicodeDecodeError:
        return False


def _without_bom(encoding: str, head: bytes) -> str:
    """The codec that writes characters as the file holds them, with no byte-order mark: utf-16 and utf-32 in the
    byte order their mark says (little-endian without one, as Python reads them on the machines abord runs on)."""
    name = codecs.lookup(encoding).name
    if name not in ("utf-16", "utf-32"):
        return "utf-8" if name == "utf-8-sig" else name
    big = head.startswith(codecs.BOM_UTF32_BE if name == "utf-32" else codecs.BOM_UTF16_BE)
    return f"{name}-{'be' if big else 'le'}"


def without_eof_mark(lines: Iterable[str]) -> Iterator[str]:
    """A file's lines without the Ctrl-Z that ends its last one: read as a character, it made a row of its own
    (quarantined as cut off) or stuck to the last value ('380,00' then 0x1A, no number)."""
    previous = None
    for line in lines:
        if previous is not None:
            yield previous
        previous = line
    if previous and previous[:-1]:
        yield previous[:-1]


def check_not_utf8(path: Path, encoding: str) -> None:
    """Reject a file that is UTF-8 where the contract says a single-byte encoding (latin-1, cp1252): decoded as
    declared, every accent would load as two characters ('Ã©' for 'é'), silently.

    The file is UTF-8 when it holds a byte over 0x7F (in UTF-8, only multi-byte sequences do) and all of it
    decodes as UTF-8. A genuine single-byte export is not mistaken for one: an accented letter there is one byte
    that UTF-8 cannot decode (é is 0xE9 followed by a letter), so the first such byte clears the file, and text
    whose every accent happens to read as a UTF-8 sequence ('Ã©' and the like, throughout) does not occur in
    practice. A file cut inside its last sequence still counts as UTF-8: the decoder is never told it has ended.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1  # the line of the first byte over 0x7F, once found
    found = False
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            if not found:
                if chunk.isascii():  # ASCII is UTF-8 and single-byte alike: nothing to tell, no decoder state
                    line += chunk.count(b"\n")
                    continue
                line += chunk.count(b"\n", 0, NON_ASCII.search(chunk).start())
                found = True
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                return  # a byte that is not UTF-8: the file is not UTF-8
    if found:
        raise FileRejected(
            "unexpected_utf8",
            f"{path.name}: line {line}: the file is UTF-8 but the contract says {encoding}; read as {encoding}, each"
            f" accented letter would become two characters ('Ã©' for 'é'): export it as {encoding} or change the"
            " contract's encoding to utf-8",
        )


def undecodable(path: Path, encoding: str) -> FileRejected:
    """The first line that does not decode, found again in binary: the decoder's offset is per chunk."""
    with path.open("rb") as handle:
        codec = _without_bom(encoding, handle.read(4))  # a byte-order mark decodes: it is a character
        handle.seek(0)
        for number, line in enumerate(_lines(handle, "\n".encode(codec)), start=1):
            try:
                line.decode(codec)
            except UnicodeDecodeError as exc:
                hint = ""
                if is_utf8(encoding):
                    hint = " (a Windows-1252 or latin-1 export?)"
                return FileRejected(
                    "bad_encoding",
                    f"{path.name}: line {number}, byte {exc.start + 1}: bytes that are not valid {encoding}{hint}",
                )
    return FileRejected("bad_encoding", f"{path.name}: bytes that are not valid {encoding}")


def _lines(handle: BinaryIO, newline: bytes) -> Iterator[bytes]:
    """A file's lines in binary, each with its `newline`; in UTF-16 or UTF-32 one that starts a character (a
    0x0A byte is also half of other characters), so a line is whole characters."""
    if len(newline) == 1:
        yield from handle
        return
    pending = b""
    while chunk := handle.read(CHUNK):
        pending += chunk
        start = 0  # the current line's, in pending; lines start on a character, as pending does
        found = pending.find(newline)
        while found >= 0:
            if (found - start) % len(newline) == 0:
                yield pending[start : found + len(newline)]
                start = found + len(newline)
                found = pending.find(newline, start)
            else:
                found = pending.find(newline, found + 1)
        pending = pending[start:]
    if pending:
        yield pending
