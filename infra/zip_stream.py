""".zip archives written as they are sent: the standard library's zipfile, writing into a sink
that hands its bytes on instead of keeping them.

zipfile writes to an output it cannot seek with data descriptors after each member (sizes and
CRC follow the data), so an archive of any size streams out in flat memory: each member is
read in chunks, written, and the chunks leave at once. No third-party package is needed for
this (zipstream-ng or stream-zip would do the same with one more dependency to keep).
Names are UTF-8 (zipfile sets the flag for non-ASCII names), which current Windows, macOS,
WinRAR, Bandizip and 7-Zip read; nothing here knows the ledger.
"""

import datetime
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

CHUNK = 256 * 1024
# Already compressed: storing them again as they are saves the CPU and loses nothing.
STORED_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".zip", ".xlsx", ".docx", ".pptx", ".gz")


@dataclass(frozen=True)
class Member:
    """One file of the archive: its path inside it and its content, as chunks of bytes."""

    name: str
    chunks: Iterable[bytes]


class _Sink(io.RawIOBase):
    """Writable, not seekable: what zipfile writes waits here until it is taken."""

    def __init__(self) -> None:
        super().__init__()
        self._parts: list[bytes] = []
        self._written = 0
        self.pending = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[override]
        data = bytes(data)
        self._parts.append(data)
        self._written += len(data)
        self.pending += len(data)
        return len(data)

    def tell(self) -> int:
        return self._written

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        self.pending = 0
        return data


def file_chunks(handle: io.BufferedIOBase | io.RawIOBase, size: int = CHUNK) -> Iterator[bytes]:
    """The handle's content in chunks, then the handle closed."""
    with handle:
        while chunk := handle.read(size):
            yield chunk


def zip_stream(members: Iterable[Member], *, when: datetime.datetime | None = None) -> Iterator[bytes]:
    """The archive of `members`, as chunks of bytes, produced as the members are read."""
    stamp = (when or datetime.datetime.now()).timetuple()[:6]
    sink = _Sink()
    with zipfile.ZipFile(sink, "w") as archive:
        for member in members:
            info = zipfile.ZipInfo(member.name, date_time=stamp)
            stored = member.name.lower().endswith(STORED_SUFFIXES)
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            with archive.open(info, "w") as target:
                for chunk in member.chunks:
                    target.write(chunk)
                    if sink.pending >= CHUNK:
                        yield sink.take()
            if sink.pending:
                yield sink.take()
    yield sink.take()
