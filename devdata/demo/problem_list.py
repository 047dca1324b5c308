"""The demo's 问题清单: the province's 暗访 letter for 铁西区, imported the way an office does it.

铁西区's admin (tx_admin) receives 吉林省爱卫办's 暗访 通报 with a list of six problems and a zip of
three photos, pastes the letter's table into the import page and confirms it: the round is made
from the letter, four problems go straight to their units, two wait for 交办. It goes through
the same services and verb as the page (the upload, then problem_list_confirm), so the import's
history shows it too. Loaded once: a second seed finds the round and leaves it.
"""

import datetime
import io
import zipfile

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from campaigns.models import InspectionRound, OrgUnit, RoundKind, RoundLevel, UnitKind
from campaigns.services.problem_list import problem_list_upload
from campaigns.services.problem_list_read import pasted_read
from campaigns.workflow.problem_list import problem_list_confirm

ROUND_NAME = "省暗访督查 2026 年第 4 期"
HEADER = ["序号", "问题描述", "地点", "所属街道", "责任单位", "整改时限", "照片"]
ROWS = [
    [
        "1",
        "英雄农贸市场西侧垃圾桶满溢，垃圾暴露",
        "英雄农贸市场西门",
        "英雄街道",
        "区环卫处",
        "10个工作日",
        "1.jpg",
    ],
    ["2", "北沟后街居民楼道乱堆乱放杂物", "北沟后街12号楼", "北沟街道", "", "", ""],
    ["3", "站前小吃街餐饮店后厨发现鼠迹、鼠粪", "站前小吃街", "站前街道", "区市场监管局", "立行立改", "3.jpg"],
    ["4", "迎宾胡同墙面乱贴乱画小广告", "迎宾胡同", "站前街道", "区执法局", "7天", "4.jpg"],
    ["5", "仁兴农贸市场活禽宰杀区划行归市不规范", "仁兴农贸市场", "仁兴街道", "区市场监管局", "", ""],
    ["6", "条子河仁兴段岸坡垃圾、水面漂浮物", "条子河沿岸", "仁兴街道", "", "", ""],
]


def _photo(index):
    image = Image.new("RGB", (640, 480), (110 + 10 * index, 96, 80))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 420, 640, 480], fill=(30, 30, 30))
    draw.text((16, 440), f"DEMO PROVINCE CHECK {index}", fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70)
    return out.getvalue()


def _photos_zip():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for index in (1, 3, 4):
            archive.writestr(f"暗访照片/{index}.jpg", _photo(index))
    return SimpleUploadedFile("暗访照片.zip", out.getvalue())


def build_demo_problem_list(*, log=print):
    district = OrgUnit.objects.filter(kind=UnitKind.DISTRICT, code="TX").first()
    admin = get_user_model().objects.filter(username="tx_admin").first()
    if district is None or admin is None:
        return
    if InspectionRound.objects.filter(name=ROUND_NAME, districts=district).exists():
        log(f"{district.name}: 已有“{ROUND_NAME}”，跳过问题清单。")
        return
    text = "\n".join("\t".join(row) for row in [HEADER, *ROWS]) + "\n"
    letter_date = timezone.localdate() - datetime.timedelta(days=2)
    record, preview = problem_list_upload(
        office=district,
        actor=admin,
        sheet=pasted_read(text),
        pasted=text,
        photos=_photos_zip(),
        new_round={
            "name": ROUND_NAME,
            "kind": RoundKind.COVERT,
            "level": RoundLevel.PROVINCE,
            "letter_number": "吉爱卫办〔2026〕47号",
            "letter_date": letter_date.isoformat(),
            "deadline_working_days": 10,
        },
    )
    # What an admin would pick where the list's words match no category of the campaign.
    choices = {}
    for row in preview.rows:
        if row.errors.get("category") and row.others.get("category"):
            choices[row.number] = {"category": row.others["category"][0].pk}
    preview = problem_list_confirm(record=record, actor=admin, choices=choices)
    if not preview.is_clean:
        problems = {row.number: row.errors for row in preview.rows if row.errors}
        raise RuntimeError(f"demo 问题清单 not imported: {preview.file_errors or preview.confirm_errors or problems}")
    log(f"{district.name}: 导入“{ROUND_NAME}”问题清单 {record.rows_added} 个问题。")
