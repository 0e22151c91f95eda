"""ZIP-based documents (DOCX, XLSX) checked before a library unpacks them.

A DOCX or XLSX is a ZIP archive of XML, and XML compresses so well that a 500 KB download can
expand to 150 MB and take gigabytes once parsed. The archive's central directory declares every
member's size, so an archive declaring too much is refused without inflating anything.

The declared sizes are only a bound once they are known to be true: Python's ``zipfile`` does stop
a member at its declared size (and then fails its CRC), but ``ZipFile.read`` first inflates up to
1 GiB in one call and only then cuts the result down, so a header that lies costs that much memory
anyway. Each member is therefore inflated here once, in small steps and without keeping the output,
and an archive whose data outgrows its header is refused before python-docx or openpyxl reads it.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

MAX_MEMBERS = 1_000
# Office XML compresses about 5 to 30 to 1; past 100 to 1 a large member is filler made to expand.
MAX_RATIO = 100
# Small members (styles, settings) may compress further without harm; they are not ratio-checked.
RATIO_CHECKED_FROM = 5_000_000
_STEP = 64 * 1024
# A member's local header: signature, 22 bytes of fields the central directory repeats, then the
# lengths of its name and its extra field, after which its data begins.
_LOCAL_HEADER = struct.Struct("<4s22xHH")


def megabytes(size: int) -> str:
    """150_826_136 -> '150.8 MB'; 30_000_000 -> '30 MB'."""
    return f"{size / 1_000_000:,.1f}".removesuffix(".0") + " MB"


def zip_refusal(body: bytes, kind: str, max_expanded: int) -> str | None:
    """Why the archive must not be unpacked (too large expanded, too many members, filler, a lying
    header), or None when it is safe to; raises ``zipfile.BadZipFile`` when ``body`` is no ZIP."""
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        return f"refused: {kind} holds {len(members):,} files, over the {MAX_MEMBERS:,} limit"
    declared = sum(member.file_size for member in members)
    if declared > max_expanded:
        return f"refused: {kind} expands to {megabytes(declared)}, over the {megabytes(max_expanded)} limit"
    for member in members:
        problem = _member_problem(body, member, kind)
        if problem:
            return problem
    return None


def _member_problem(body: bytes, member: zipfile.ZipInfo, kind: str) -> str | None:
    where = f"{member.filename} in the {kind}"
    ratio = member.file_size / max(member.compress_size, 1)
    if member.file_size > RATIO_CHECKED_FROM and ratio > MAX_RATIO:
        return f"refused: {where} is compressed {ratio:,.0f} to 1, over the {MAX_RATIO} to 1 limit"
    if member.compress_type == zipfile.ZIP_STORED:
        return None  # stored data is read as it is, never more than the download
    if member.compress_type != zipfile.ZIP_DEFLATED:
        return f"refused: {where} uses compression method {member.compress_type}, which Office never writes"
    if _inflates_beyond(body, member):
        return f"refused: {where} expands beyond the {member.file_size:,} bytes its header declares"
    return None


def _inflates_beyond(body: bytes, member: zipfile.ZipInfo) -> bool:
    """Whether the member's deflated data expands to more than its declared size."""
    header = body[member.header_offset : member.header_offset + _LOCAL_HEADER.size]
    if len(header) < _LOCAL_HEADER.size or not header.startswith(b"PK\x03\x04"):
        raise zipfile.BadZipFile(f"no local header for {member.filename}")
    _, name_length, extra_length = _LOCAL_HEADER.unpack(header)
    start = member.header_offset + _LOCAL_HEADER.size + name_length + extra_length
    data = memoryview(body)[start : start + member.compress_size]
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    produced = 0
    try:
        for offset in range(0, len(data), _STEP):
            pending: bytes | memoryview = data[offset : offset + _STEP]
            while pending and not inflater.eof:
                # At most _STEP bytes out per call, however much the input would expand to.
                produced += len(inflater.decompress(pending, _STEP))
                if produced > member.file_size:
                    return True
                pending = inflater.unconsumed_tail
    except zlib.error as exc:
        raise zipfile.BadZipFile(f"corrupt data in {member.filename}: {exc}") from exc
    return False
