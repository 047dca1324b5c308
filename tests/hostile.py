"""What hostile input is, and what a refusal of it must look like (the test_hostile_* modules).

The ledger is used from phones in the street and by scripts people write against it. Every
form, filter, upload and workbook is fed random and malicious input (hypothesis): the
answer is a page — a success for what makes sense, otherwise a 4xx that says in Chinese what
is wrong, keeps what the person typed, and changes nothing in the database or the media
folder. Filters and sort keys that are not offered are ignored, never queried, and another
district's ids reveal nothing of it.
"""

import datetime
import io
import re
import zlib
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from PIL import Image

from campaigns.models import (
    ChecklistEvidence,
    ChecklistImport,
    ChecklistItem,
    ChecklistUpdate,
    DailyReport,
    LedgerSequence,
    MonthlySummary,
    Notice,
    Ticket,
    TicketEvent,
    TicketPhoto,
    TicketTally,
)

from .factories import jpeg_bytes

# Modest counts: each test_hostile_* module must stay well under a minute.
FEW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
SOME = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

TODAY = timezone.localdate
LOG_URL = reverse("campaigns:ticket-log")
LIST_URL = reverse("campaigns:ticket-list")
NUMBER = re.compile(r"\b(?:TX|TD)-\d{6}-\d{4}\b")

# --- what a refusal must look like -------------------------------------------------------

CJK = re.compile(r"[\u4e00-\u9fff]")
ALERT = re.compile(r'role="alert"[^>]*>(.*?)</(?:p|div)>', re.S)
FLASH = re.compile(r'<li class="message[^"]*">(.*?)</li>', re.S)


def messages_in(response):
    html = response.content.decode()
    found = [strip_tags(text).strip() for text in ALERT.findall(html) + FLASH.findall(html)]
    return [text for text in found if text]


def assert_says_why_in_chinese(response):
    found = messages_in(response)
    assert found, f"{response.status_code} without a message"
    assert all(CJK.search(text) for text in found), found


WATCHED = [
    Ticket,
    TicketEvent,
    TicketPhoto,
    LedgerSequence,
    TicketTally,
    ChecklistItem,
    ChecklistUpdate,
    ChecklistEvidence,
    ChecklistImport,
    DailyReport,
    Notice,
    MonthlySummary,
]


def media_files(settings):
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()) if root.exists() else []


def snapshot(settings):
    """Every watched row and every stored file: a refused request must leave all of it as it was."""
    rows = {model.__name__: list(model.objects.order_by("pk").values_list()) for model in WATCHED}
    return rows, media_files(settings)


# --- values people (and scripts) send ----------------------------------------------------

NASTY = [
    "",
    " ",
    "\x00",
    "\x00abc",
    "'; DROP TABLE campaigns_ticket; --",
    "closed' OR 1=1 --",
    '"><script>alert(1)</script>',
    "{{ 7|add:7 }}{% debug %}",
    "%s%s%n%x",
    "../../../../etc/passwd",
    "9" * 40,
    "-1",
    "0",
    "1e400",
    "-1e400",
    "NaN",
    "Infinity",
    "-0",
    "1.5",
    "0x10",
    "２０２６-１２-０１",
    "²",
    "٣",
    "0001-01-01",
    "9999-12-31",
    "2026-02-30",
    "2026-13-01",
    "\u202eevil",
    "😀" * 30,
    "x" * 5000,
    "中" * 3000,
    "null",
    "true",
    "on",
    "[]",
]


def form_value(*ids):
    choices = [
        st.sampled_from(NASTY),
        st.text(max_size=40),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.dates().map(datetime.date.isoformat),
        st.dates(min_value=datetime.date(2026, 1, 1), max_value=datetime.date(2030, 12, 31)).map(str),
    ]
    if ids:
        choices.append(st.sampled_from([str(pk) for pk in ids]))
    return st.one_of(*choices)


def overrides(fields):
    """A few fields of a sensible form replaced by random values, or left out."""
    return st.dictionaries(
        keys=st.sampled_from(sorted(fields)),
        values=st.one_of(st.none(), st.just("__missing__")),
        max_size=4,
    ).flatmap(
        lambda chosen: st.fixed_dictionaries(
            {name: (st.just("__missing__") if how == "__missing__" else fields[name]) for name, how in chosen.items()}
        )
    )


def apply(base, changes):
    data = dict(base)
    for key, value in changes.items():
        if value == "__missing__":
            data.pop(key, None)
        else:
            data[key] = value
    return data


# What a spreadsheet cell may hold: text without control characters, formulas, numbers, dates.
NO_CONTROL = st.characters(blacklist_categories=("Cs", "Cc"))
CELL = st.one_of(
    st.none(),
    st.text(alphabet=NO_CONTROL, max_size=30),
    st.sampled_from([n for n in NASTY if not any(ord(c) < 32 for c in n)]),
    st.sampled_from(["=1/0", "=A1*1000", '=HYPERLINK("http://example.invalid","点我")', "=cmd|' /C calc'!A0", "=NA()"]),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(min_value=datetime.date(1900, 3, 1)),
    st.datetimes(min_value=datetime.datetime(1900, 3, 1)),
    st.times(),
    st.booleans(),
    st.sampled_from(["3", "3 市容环境卫生", "8", "3.1", "推进中", "已完成", "100", "-5", "9999.995", "NaN"]),
)


# --- files people (and scripts) upload ---------------------------------------------------


def png_claiming(width, height):
    """A real 1×1 PNG whose header says width×height: tiny on disk, a bomb if decoded."""
    out = io.BytesIO()
    Image.new("1", (1, 1)).save(out, "PNG")
    data = bytearray(out.getvalue())
    data[16:20] = width.to_bytes(4, "big")
    data[20:24] = height.to_bytes(4, "big")
    data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")
    return bytes(data)


ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00\x01\x00\x00\x00" + b"\x00" * 240
PE = b"MZ\x90\x00\x03" + b"\x00" * 55 + (64).to_bytes(4, "little") + b"PE\x00\x00\x4c\x01" + b"\x00" * 240
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
HTML = b"<!DOCTYPE html><html><body><script>fetch('/admin/')</script></body></html>"

# name, content, what the refusal says
HOSTILE_PHOTOS = {
    "bomb": ("bomb.png", png_claiming(30000, 30000), "像素过大"),
    "elf": ("photo.jpg", ELF, "不是照片"),
    "pe": ("photo.jpg", PE, "不是照片"),
    "svg": ("drawing.svg", SVG, "不是照片"),
    "svg-as-jpg": ("drawing.jpg", SVG, "不是照片"),
    "html-as-jpg": ("page.jpg", HTML, "不是照片"),
    "gif": ("anim.gif", None, "不是照片"),
    "truncated": ("cut.jpg", None, "不是照片"),
    "empty": ("empty.jpg", b"", "空"),
}


def hostile_content(key):
    name, content, message = HOSTILE_PHOTOS[key]
    if key == "gif":
        out = io.BytesIO()
        Image.new("P", (20, 20)).save(out, "GIF")
        content = out.getvalue()
    if key == "truncated":
        content = jpeg_bytes(size=(300, 300))[:150]
    return name, content, message


def upload(key):
    if key == "good":
        return SimpleUploadedFile("good.jpg", jpeg_bytes(), content_type="image/jpeg")
    name, content, _message = hostile_content(key)
    return SimpleUploadedFile(name, content, content_type="image/jpeg")


UPLOADS = st.lists(st.sampled_from(["good", *HOSTILE_PHOTOS]), max_size=3)


def ticket_queries(queries):
    """The SQL that read tickets (the session's own query for the user reads auth_user.password)."""
    return [query["sql"] for query in queries.captured_queries if "campaigns_ticket" in query["sql"]]


def numbers_in(response):
    return list(dict.fromkeys(NUMBER.findall(response.content.decode())))
