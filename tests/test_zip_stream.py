"""The binder's .zip is written as it is sent (infra/zip_stream.py): what leaves comes in chunks of
about 256 KB while the members are still being read, so memory stays flat however big the binder."""

import io
import zipfile

from infra.zip_stream import CHUNK, Member, zip_stream


def test_the_archive_leaves_in_chunks_while_its_members_are_still_read():
    read = []

    def evidence(n, size=3 * 1024 * 1024, piece=64 * 1024):
        """A 3 MB scan, read 64 KB at a time, noting how far the reading got."""
        for offset in range(0, size, piece):
            read.append((n, offset))
            yield bytes([n]) * piece

    members = [Member(f"1 爱国卫生组织管理/1.1.{n} 佐证{n}.jpg", evidence(n)) for n in (1, 2, 3)]
    chunks = zip_stream(members)
    first = next(chunks)
    assert 0 < len(first) <= CHUNK + 64 * 1024
    assert len(read) <= CHUNK // (64 * 1024) + 1  # it left once 256 KB were read, not after 9 MB
    rest = list(chunks)
    assert len(rest) > 30 and max(len(chunk) for chunk in rest) <= CHUNK + 64 * 1024
    archive = zipfile.ZipFile(io.BytesIO(first + b"".join(rest)))
    assert archive.testzip() is None
    assert archive.namelist() == [member.name for member in members]  # UTF-8 names, as written
    assert archive.read(members[1].name) == bytes([2]) * (3 * 1024 * 1024)
