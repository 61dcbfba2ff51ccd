"""The text a PDF draws, read without reportlab (which wrote it) and without a PDF library
(none is installed): the page content streams, inflated, and the strings their text operators
show. Enough for the portal's own PDFs: reportlab with the base fonts (WinAnsi encoding),
streams FlateDecode-compressed, optionally ASCII85-wrapped, or left uncompressed."""

from __future__ import annotations

import base64
import re
import zlib

_STREAM = re.compile(
    rb"\sobj\s*<<(?P<dict>(?:(?!endobj).)*?)>>\s*stream\r?\n(?P<data>.*?)\r?\n?endstream",
    re.DOTALL,
)
_ESCAPES = {
    ord("n"): b"\n",
    ord("r"): b"\r",
    ord("t"): b"\t",
    ord("b"): b"\b",
    ord("f"): b"\f",
    ord("("): b"(",
    ord(")"): b")",
    ord("\\"): b"\\",
}


def _decoded_streams(pdf: bytes) -> list[bytes]:
    streams = []
    for match in _STREAM.finditer(pdf):
        header, data = match.group("dict"), match.group("data")
        if b"/Subtype /Image" in header or b"/Length1" in header:
            continue  # images and embedded fonts draw no text
        if b"/ASCII85Decode" in header:
            data = data.strip()
            data = base64.a85decode(data[:-2] if data.endswith(b"~>") else data)
        if b"/FlateDecode" in header:
            data = zlib.decompress(data)
        streams.append(data)
    return streams


def _literal(data: bytes, start: int) -> tuple[bytes, int]:
    """The PDF literal string opening at ``data[start] == '('``, and the index after it."""
    out = bytearray()
    depth = 0
    i = start
    while i < len(data):
        char = data[i]
        if char == ord("\\"):
            following = data[i + 1]
            if following in _ESCAPES:
                out += _ESCAPES[following]
                i += 2
            elif ord("0") <= following <= ord("7"):
                digits = re.match(rb"[0-7]{1,3}", data[i + 1 : i + 4])
                assert digits is not None
                out.append(int(digits.group(0), 8) & 0xFF)
                i += 1 + len(digits.group(0))
            else:  # a line continuation, or an unknown escape: the character itself
                i += 2 if following in b"\r\n" else 1
            continue
        if char == ord("("):
            depth += 1
            if depth > 1:
                out.append(char)
        elif char == ord(")"):
            depth -= 1
            if depth == 0:
                return bytes(out), i + 1
            out.append(char)
        else:
            out.append(char)
        i += 1
    raise ValueError("unterminated string in a PDF content stream")


def pdf_text_runs(pdf: bytes) -> list[str]:
    """Every string shown by ``Tj``, ``TJ``, ``'`` or ``"``, in drawing order."""
    runs: list[str] = []
    for data in _decoded_streams(pdf):
        pending: list[bytes] = []
        i = 0
        while i < len(data):
            char = data[i : i + 1]
            if char == b"(":
                text, i = _literal(data, i)
                pending.append(text)
                continue
            operator = re.match(rb"(TJ|Tj|'|\")(?![A-Za-z])", data[i:])
            if operator and pending:
                runs.append(b"".join(pending).decode("cp1252", errors="replace"))
                pending = []
                i += len(operator.group(0))
                continue
            if re.match(rb"(BT|ET|Td|TD|Tm|Tf)(?![A-Za-z])", data[i:]):
                pending = [] if data[i : i + 2] in (b"BT", b"ET") else pending
            i += 1
    return runs


def pdf_text(pdf: bytes) -> str:
    """All the shown strings, joined by spaces."""
    return " ".join(pdf_text_runs(pdf))
