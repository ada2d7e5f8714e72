"""Turning uploaded bytes into text, with a clear error for anything that is not text."""

from __future__ import annotations

import codecs

from django.conf import settings

# Tried in this order after the byte-order marks: UTF-8 first (the common case), then Windows-1256, the
# Arabic code page of spreadsheets saved on Windows. Windows-1256 maps almost every byte, so a file that
# is binary is caught before it is tried (control bytes), not by a decoding failure.
FALLBACK_ENCODINGS = ("utf-8", "cp1256")
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_TEXT_CONTROLS = {9, 10, 12, 13}


class UndecodableFile(ValueError):
    """The upload is too large, binary, or in no encoding we can read; the message says which."""


def max_upload_bytes() -> int:
    return int(getattr(settings, "IMPORT_MAX_BYTES", 20 * 1024 * 1024))


def decode_upload(data: bytes, *, filename: str = "the file") -> str:
    """The text of an uploaded file: BOMs honoured (UTF-8, UTF-16), else UTF-8, else Windows-1256."""
    limit = max_upload_bytes()
    if len(data) > limit:
        raise UndecodableFile(
            f"{filename} is {len(data) / 1_048_576:.1f} MB; the limit is {limit / 1_048_576:.0f} MB. "
            "Split the file and import the parts."
        )
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise UndecodableFile(
                    f"{filename} starts like {encoding} text but is not: {exc.reason}"
                ) from exc
    if _looks_binary(data):
        raise UndecodableFile(f"{filename} is not a text file (it contains binary data).")
    for encoding in FALLBACK_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UndecodableFile(f"{filename} is not in UTF-8, UTF-16 or Windows-1256; save it as UTF-8 and retry.")


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if b"\x00" in sample:
        # Text in the encodings we read has no NUL (UTF-16 is recognised by its BOM first).
        return True
    controls = sum(1 for byte in sample if byte < 32 and byte not in _TEXT_CONTROLS)
    return controls > max(8, len(sample) // 100)
