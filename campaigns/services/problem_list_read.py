"""Reading a 问题清单: its columns, a table pasted from the letter, and the .zip of its photos.

A list comes as a workbook, or copied out of the 督查通报 (Word, WPS, Excel) and pasted into
a box. Either way it is read by the same rules into the same rows (xlsx_read): the header
found by the names of its columns (the variants offices use as aliases), a title line above
it allowed, example rows set aside, the same caps. What the box accepts:

- cells separated by tabs — what copying a table from Word, WPS or Excel gives; a cell that
  holds line breaks comes quoted ("…"), as Excel copies it;
- or, when the first lines (the header and a title above it) have no tab, cells separated by
  │ or | (a table typed as text, the outer bars optional; lines of only -, ─, +, | and
  spaces are rules and skipped);
- or, when they have neither, two or more spaces (or a full-width space) between cells.

The photos come as one .zip: the 照片 column names files inside it. The zip is read without
trusting what it says about itself — every entry is read only up to the photo limit — and
each photo is checked by content (services/photos.py) before anything is imported.
"""

import csv
import io
import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .xlsx_import import Column, GuideSection, Layout, template_bytes
from .xlsx_read import HEADER_SEARCH_ROWS, MAX_TEXT_CHARS, SheetRows, read_table

COLUMNS = [
    Column(
        "serial",
        gettext_lazy("序号"),
        True,
        ("编号", "序", "问题序号", "问题编号"),
        8,
        gettext_lazy("正整数，同一轮次、同一区内不重复"),
    ),
    Column(
        "description",
        gettext_lazy("问题描述"),
        True,
        ("问题", "存在问题", "存在的问题", "问题内容", "主要问题", "问题情况", "发现问题", "具体问题"),
        44,
    ),
    Column(
        "place",
        gettext_lazy("地点"),
        False,
        ("具体位置", "点位", "位置", "问题地点", "点位名称", "检查点位", "问题位置", "地址", "具体地点"),
        26,
        gettext_lazy("点位名称或具体位置；与点位清单中的名称或地址相符时自动对应到点位"),
    ),
    Column(
        "street",
        gettext_lazy("所属街道"),
        False,
        ("街道", "乡镇", "街道/乡镇", "所属街道/乡镇", "所属乡镇", "所在街道", "街道（乡镇）", "属地", "属地街道"),
        14,
        gettext_lazy("街道或乡镇的名称；市级清单按街道分到各区"),
    ),
    Column(
        "unit",
        gettext_lazy("责任单位"),
        False,
        ("整改单位", "责任部门", "牵头单位", "责任主体"),
        16,
        gettext_lazy("填写后连同整改时限直接交办给该单位；不填则为待交办"),
    ),
    Column("person", gettext_lazy("责任人"), False, ("整改责任人",), 10),
    Column(
        "deadline",
        gettext_lazy("整改时限"),
        False,
        ("整改期限", "完成时限", "时限", "整改时间", "完成时间要求", "整改要求时限"),
        14,
        gettext_lazy("日期（如 2026-12-20），或“10个工作日”“7天”“立行立改”；不填按轮次的整改时限"),
    ),
    Column("category", gettext_lazy("问题类别"), False, ("问题类型", "类别", "问题分类"), 14),
    Column(
        "photos",
        gettext_lazy("照片"),
        False,
        ("照片文件", "图片", "照片文件名", "问题照片", "照片名称"),
        18,
        gettext_lazy("随清单上传的照片压缩包（.zip）里的文件名，多张用顿号隔开"),
    ),
]
LAYOUT = Layout(
    COLUMNS,
    sheet_name=gettext_lazy("问题清单"),
    too_big=gettext_lazy("文件太大（超过 5 MB）。请只保留问题清单一张表后再上传；照片请放进照片压缩包。"),
    no_rows=gettext_lazy("表格里没有问题行。"),
)


def template_workbook() -> bytes:
    """The empty list with one example row (marked 示例, never imported) and how to fill it."""
    example = [
        1,
        _("北沟农贸市场西侧垃圾桶满溢，周边散落垃圾"),
        _("北沟农贸市场西门"),
        _("北沟街道"),
        _("区执法局"),
        _("张三"),
        _("10个工作日"),
        _("垃圾暴露"),
        "1-1.jpg、1-2.jpg",
    ]
    notes = [
        [
            _(
                "每行一个问题。序号按通报里的编号填写，同一轮次、同一区内不能重复；再次导入同一序号会被拒绝，不会重复生成工单。"
            )
        ],
        [_("地点与点位清单中的点位名称或地址相符时，自动对应到点位；对应不上时写明具体位置即可。")],
        [_("填写了责任单位的问题，导入后直接交办给该单位；整改时限不填时，按轮次的整改时限（通报日起若干个工作日）。")],
        [_("整改时限可写日期（2026-12-20、12月20日前），或“10个工作日”“7天”（自通报日起算），或“立行立改”。")],
        [_("照片：把照片放进一个 .zip 压缩包，随清单一起上传；“照片”一列写压缩包里的文件名，多张用顿号隔开。")],
        [_("市级清单：按“所属街道”分到各区。")],
        [_("也可以不用模板：把通报里的表格整个复制，粘贴到导入页的文本框里。")],
    ]
    return template_bytes(LAYOUT, [example], guide=[GuideSection(notes)])


# The pasted box: how much text it takes. Within a workbook's text cap, and small enough that a
# box filled to one character past it, in Chinese (3 bytes a character), is still inside the request
# size Django reads (DATA_UPLOAD_MAX_MEMORY_SIZE, 5 MB): the person is told why, in Chinese, and
# keeps the text, instead of meeting Django's bare "Bad Request (400)". A letter's table is far smaller.
PASTED_MAX_CHARS = min(MAX_TEXT_CHARS, 1_000_000)
PIPES = re.compile(r"\s*[│|┃]\s*")
SPACES = re.compile(r"(?: {2,}|\u3000+|\t)")
RULE_LINE = re.compile(r"^[\s\-─━—=+|│┃┼]+$")


def _split_pipes(line: str) -> list[str]:
    cells = PIPES.split(line.strip())
    # "| a | b |": the outer bars make empty first and last cells.
    if cells and cells[0] == "":
        cells = cells[1:]
    if cells and cells[-1] == "":
        cells = cells[:-1]
    return cells


def _pasted_rows(text: str) -> Iterator[list[str]]:
    lines = text.replace("\r\n", "\n").replace("\r", "\n")
    # The header may have a title line or two above it: the first lines decide how cells are cut.
    first = [line for line in lines.split("\n") if line.strip()][:HEADER_SEARCH_ROWS]
    if any("\t" in line for line in first):
        # csv reads Excel's quoting of a cell that holds line breaks; blank lines stay rows
        # (they are skipped as empty), so line numbers match what was pasted.
        yield from csv.reader(io.StringIO(lines), delimiter="\t", quotechar='"', strict=False)
        return
    pipes = any(PIPES.search(line) for line in first)
    for line in lines.split("\n"):
        if pipes:
            yield [] if RULE_LINE.match(line) else _split_pipes(line)
        else:
            yield [cell for cell in SPACES.split(line.strip())]


def pasted_read(text: str) -> SheetRows:
    """A table pasted from a document, read as a workbook's rows would be (line numbers as row numbers)."""
    if len(text) > PASTED_MAX_CHARS:
        return SheetRows(errors=[_("粘贴的内容超过 %(n)s 字，无法读取。") % {"n": f"{PASTED_MAX_CHARS:,}"}])
    if not text.strip():
        return SheetRows(errors=[_("没有粘贴任何内容。")])
    return read_table(_pasted_rows(text), LAYOUT)


# --- the photos' .zip ----------------------------------------------------------------------

PHOTOS_ZIP_MAX_BYTES = 100 * 1024 * 1024
PHOTOS_ZIP_MAX_ENTRIES = 1000
# A zip's entry names are UTF-8 only when it says so; Windows' own zips write the local code page.
UTF8_FLAG = 0x800
ENCRYPTED_FLAG = 0x1
SKIPPED_FOLDERS = ("__MACOSX/",)


def _entry_name(info: zipfile.ZipInfo) -> str:
    name = info.filename
    if info.flag_bits & UTF8_FLAG:
        return name
    try:
        raw = name.encode("cp437")  # how zipfile decoded the bytes it was given
    except UnicodeEncodeError:
        return name
    for encoding in ("utf-8", "gbk"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return name


def photo_key(name: str) -> str:
    """How a photo is named in the list and in the zip: the file name without folders, any case."""
    return posixpath.basename(name.replace("\\", "/")).strip().lower()


def _stem(key: str) -> str:
    return posixpath.splitext(key)[0]


@dataclass
class PhotoArchive:
    """The photos of a zip by name (and by name without its extension, as lists often write them)."""

    entries: dict[str, zipfile.ZipInfo] = field(default_factory=dict)
    stems: dict[str, list[str]] = field(default_factory=dict)
    twice: set[str] = field(default_factory=set)  # names found in two folders: which one is meant?

    def find(self, wanted: str) -> tuple[str | None, str]:
        """(the entry's key, "") or (None, why not)."""
        key = photo_key(wanted)
        if key in self.twice:
            return None, _("压缩包里有不止一个“%(name)s”（在不同文件夹中），请改名后重新上传。") % {"name": wanted}
        if key in self.entries:
            return key, ""
        found = self.stems.get(key, [])
        if len(found) == 1:
            return found[0], ""
        if found:
            return None, _("压缩包里有几张照片都叫“%(name)s”（扩展名不同），请写全文件名。") % {"name": wanted}
        return None, _("照片压缩包里没有“%(name)s”。") % {"name": wanted}


class PhotosRefused(Exception):
    """The zip cannot be read as photos; the message says why."""


def photos_archive(handle: IO[bytes]) -> tuple[zipfile.ZipFile, PhotoArchive]:
    """Open a photos zip and list its photos; raises PhotosRefused with the reason."""
    try:
        archive = zipfile.ZipFile(handle)
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError):
        raise PhotosRefused(_("照片压缩包不是有效的 .zip 文件。")) from None
    if len(infos) > PHOTOS_ZIP_MAX_ENTRIES:
        raise PhotosRefused(_("照片压缩包里的文件超过 %(n)s 个。") % {"n": PHOTOS_ZIP_MAX_ENTRIES})
    photos = PhotoArchive()
    for info in infos:
        name = _entry_name(info)
        if info.is_dir() or name.startswith(SKIPPED_FOLDERS) or photo_key(name).startswith("."):
            continue
        if info.flag_bits & ENCRYPTED_FLAG:
            raise PhotosRefused(_("照片压缩包设置了密码，无法读取。请不加密码重新压缩。"))
        key = photo_key(name)
        if key in photos.entries:
            photos.twice.add(key)
            continue
        photos.entries[key] = info
        photos.stems.setdefault(_stem(key), []).append(key)
    return archive, photos


def photo_bytes(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """One photo's bytes, read only up to just over the photo limit whatever the zip claims
    (the check that follows refuses anything over it by its real size)."""
    with archive.open(info) as entry:
        return entry.read(settings.PHOTO_MAX_BYTES + 1)


def photo_file(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> SimpleUploadedFile:
    """An entry as an upload, for the checks and the store every photo goes through."""
    return SimpleUploadedFile(posixpath.basename(name)[:200] or "photo", photo_bytes(archive, info))


PHOTO_NAMES = re.compile(r"[、，,；;\s]+")


def photo_names(cell: str) -> list[str]:
    """The file names a 照片 cell lists (separated by 、，; or spaces)."""
    return [name for name in PHOTO_NAMES.split(cell) if name]
