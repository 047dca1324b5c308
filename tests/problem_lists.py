"""What the 问题清单 stories share: the 2021 standard's few 项 they need, 市督查第 3 期, and the
list itself — as a workbook, as a table pasted from the letter, with its photos' zip."""

import datetime
import io
import zipfile
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from campaigns.models import (
    InspectionPoint,
    InspectionRound,
    ProblemCategory,
    RoundKind,
    RoundLevel,
    Standard,
    StandardArticle,
    StandardAspect,
    StandardItem,
)

from .factories import jpeg_bytes

HEADER = ["序号", "问题描述", "地点", "所属街道", "责任单位", "整改时限", "照片"]


def standard_for(campaign):
    """The few 项 of the national standard these lists touch, set on the campaign."""
    standard = Standard.objects.create(name="国家卫生城市标准", version="2021版", source="全爱卫发〔2021〕6号")
    city = StandardAspect.objects.create(standard=standard, code="3", name="市容环境卫生", order=3)
    pests = StandardAspect.objects.create(standard=standard, code="8", name="病媒生物预防控制", order=8)
    streets = StandardArticle.objects.create(aspect=city, code="3.1", text="主次干道和街巷")
    rats = StandardArticle.objects.create(aspect=pests, code="8.1", text="病媒生物密度控制")
    items = {
        "garbage": StandardItem.objects.create(
            article=streets,
            code="3.1.1",
            requirement="垃圾收集容器配齐、密闭，生活垃圾日产日清，无垃圾暴露",
            score=Decimal(2),
            category_name="垃圾暴露",
        ),
        "clutter": StandardItem.objects.create(
            article=streets,
            code="3.1.2",
            requirement="无乱搭乱建、乱堆乱放、乱贴乱画",
            score=Decimal(2),
            category_name="乱堆乱放",
            order=1,
        ),
        "rats": StandardItem.objects.create(
            article=rats,
            code="8.1.1",
            requirement="鼠密度控制水平达到国家标准C级，重点场所无鼠迹",
            score=Decimal(3),
            category_name="鼠迹",
            is_gate=True,
        ),
    }
    campaign.standard = standard
    campaign.save(update_fields=["standard"])
    return items


def letter_monday():
    """The Monday of this week: the city's letter is dated then (30 November 2026 on the stories'
    frozen clock; this week's on the browser journey's real one, so its deadlines never pass)."""
    today = timezone.localdate()
    return today - datetime.timedelta(days=today.weekday())


def city_round_for(created_by, *districts):
    """市督查第 3 期: its letter of Monday 30 November gives ten working days (to 14 December)."""
    monday = letter_monday()
    inspection_round = InspectionRound.objects.create(
        kind=RoundKind.SUPERVISION,
        level=RoundLevel.CITY,
        name="市督查第 3 期",
        starts_on=monday - datetime.timedelta(days=7),
        ends_on=monday - datetime.timedelta(days=3),
        letter_number="四创卫办〔2026〕31号",
        letter_date=monday,
        deadline_working_days=10,
        created_by=created_by,
    )
    inspection_round.districts.add(*districts)
    return inspection_round


def tx_world(tx):
    """铁西区 as the list knows it: a 乱堆乱放 category beside 垃圾暴露 and 鼠迹, and the alley
    behind 中心路 in the second street."""
    ProblemCategory.objects.create(campaign=tx.campaign, area=tx.area, name="乱堆乱放")
    alley = InspectionPoint.objects.create(
        unit=tx.street2, point_type=tx.point.point_type, name="站前背街小巷", address="站前路8号"
    )
    return alley


def tx_rows(tx):
    """The city's list for 铁西区, as the letter prints it."""
    return [
        [1, "农贸市场西侧垃圾桶满溢，垃圾暴露", f"{tx.point.name}西门", "第一街道", "执法局", "10个工作日", ""],
        [2, "居民楼道乱堆乱放杂物", "北沟社区3号楼", tx.street.name, "", "", ""],
        [3, "市场后巷发现鼠迹", "中心路1号后巷", "", "卫健局", letter_monday() + datetime.timedelta(days=20), "3.jpg"],
    ]


def workbook_bytes(rows, header=HEADER, title="问题清单"):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def pasted_text(rows, header=HEADER, separator="\t"):
    """The table as copying it out of the letter gives it: one line a row, cells by tabs."""

    def cell(value):
        return value.isoformat() if isinstance(value, datetime.date) else str(value)

    return "\n".join(separator.join(cell(value) for value in row) for row in [header, *rows]) + "\n"


def photos_zip(files):
    """A zip of photos: {name in the zip: bytes}."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


def a_photo(color=(90, 120, 60)):
    return jpeg_bytes(size=(80, 60), color=color)


def upload(client, *, rows=None, content=None, pasted="", photos=None, inspection_round=None, office, **round_fields):
    """The upload form sent: a workbook (or the pasted table), into a round or a new one."""
    data = {
        "office": office.pk,
        "inspection_round": inspection_round.pk if inspection_round else "",
        "name": "",
        "kind": RoundKind.SUPERVISION,
        "level": RoundLevel.CITY,
        "letter_number": "",
        "letter_date": "",
        "deadline_working_days": 10,
        "pasted": pasted,
        **round_fields,
    }
    if rows is not None or content is not None:
        data["file"] = SimpleUploadedFile("问题清单.xlsx", content or workbook_bytes(rows))
    if photos is not None:
        data["photos"] = SimpleUploadedFile("照片.zip", photos)
    return client.post(reverse("campaigns:problem-list-import"), data)


def confirm(client, record, choices=None, action="import"):
    data = {"action": action}
    for number, picked in (choices or {}).items():
        for key, value in picked.items():
            data[f"r{number}-{key}"] = str(value)
    return client.post(reverse("campaigns:problem-list-confirm", args=[record.pk]), data)
