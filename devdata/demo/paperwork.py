"""The demo's 迎检资料 half full, and a 整改报告 for each finished 市督查 round.

Runs last in seed_demo, once the standard, the checklist's links to its 项 and the rounds are in
place. For each running campaign on a standard, 查阅资料 项 with a linked task get a filed
document (a one-page PDF standing for its 工作方案, 制度 or 台账) until about half of the records
项 are proved, so the binder page shows a rate near 50% and lists the rest as missing. For each finished 市督查
round with findings in a district, one draft 整改报告 is written, so the round has a reply
ready to download. Idempotent: a 项 with evidence is left alone, a report is written once.
"""

from django.core.files.uploadedfile import SimpleUploadedFile

from campaigns.models import (
    Campaign,
    CampaignStatus,
    ChecklistItem,
    InspectionRound,
    Membership,
    RectificationReport,
    Role,
    RoundLevel,
    RoundStatus,
)
from campaigns.selectors.binder import binder_for
from campaigns.services.checklist import checklist_item_update
from campaigns.services.rectification_reports import rectification_report_generate, rectification_report_request

EVIDENCE_NAMES = ("工作方案", "管理制度", "工作台账", "会议记录")


def demo_pdf(title: str) -> bytes:
    """A one-page PDF with a line of (Latin) text: enough for a viewer and the evidence check."""
    text = title.encode("ascii", "replace").replace(b"(", b"[").replace(b")", b"]")
    stream = b"BT /F1 20 Tf 72 760 Td (" + text + b") Tj ET"
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>",
        b"<</Length " + str(len(stream)).encode() + b">>stream\n" + stream + b"\nendstream",
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer<</Size {len(objects) + 1}/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _office(district_id: int, role: str):
    membership = Membership.objects.filter(unit_id=district_id, role=role).select_related("user").first()
    return membership.user if membership else None


def _binder_half_full(campaign: Campaign) -> int:
    """File documents on 查阅资料 项 with a linked task until about half of them are proved."""
    supervisor = _office(campaign.district_id, Role.SUPERVISOR)
    if supervisor is None or campaign.standard_id is None:
        return 0
    binder = binder_for(campaign)
    wanted = (binder.needed + 1) // 2 - binder.complete
    if wanted <= 0:
        return 0
    tasks: dict[int, ChecklistItem] = {}
    for task in ChecklistItem.objects.filter(campaign=campaign, standard_item__isnull=False).order_by("order", "id"):
        tasks.setdefault(task.standard_item_id, task)
    filed = 0
    for aspect in binder.aspects:
        for entry in aspect.missing:
            task = tasks.get(entry.item.pk)
            if task is None or filed >= wanted:
                continue
            name = EVIDENCE_NAMES[filed % len(EVIDENCE_NAMES)]
            upload = SimpleUploadedFile(
                f"{entry.item.code}-{name}.pdf",
                demo_pdf(f"DEMO {entry.item.code} evidence"),
                content_type="application/pdf",
            )
            checklist_item_update(item=task, actor=supervisor, note=f"归档{name}（迎检资料）", files=[upload])
            filed += 1
    return filed


def _reports(campaign: Campaign) -> int:
    admin = _office(campaign.district_id, Role.ADMIN)
    if admin is None:
        return 0
    rounds = (
        InspectionRound.objects.filter(
            districts=campaign.district_id,
            level=RoundLevel.CITY,
            status=RoundStatus.FINISHED,
            findings__district_id=campaign.district_id,
        )
        .exclude(rectification_reports__district_id=campaign.district_id)
        .distinct()
    )
    written = 0
    for inspection_round in rounds:
        report = rectification_report_request(
            inspection_round=inspection_round, district=campaign.district, actor=admin
        )
        rectification_report_generate(report)
        written += 1
    return written


def build_demo_paperwork(districts, log=print) -> None:
    for campaign in Campaign.objects.filter(district__in=districts, status=CampaignStatus.RUNNING).select_related(
        "district"
    ):
        filed, written = _binder_half_full(campaign), _reports(campaign)
        if filed or written:
            log(f"{campaign.district.name}: 迎检资料归档 {filed} 项，整改报告 {written} 份。")
    if not RectificationReport.objects.exists():
        log("（还没有已完成的市督查轮次，没有生成整改报告。）")
