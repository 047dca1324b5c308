"""The world the access matrix asks (tests/test_access_matrix.py): who asks, both districts
with one of everything a URL can point at, and asking it without leaving a trace.

The world is built once for the test module, inside a transaction rolled back at its end;
each request runs in a savepoint that is rolled back, with the rows it changed.
"""

import copy
import datetime
import io
import re
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from campaigns import standard_data, workflow
from campaigns.models import (
    AssessmentArea,
    Campaign,
    ChecklistItem,
    DailyReport,
    Delivery,
    DeliveryStatus,
    DuplicateBasis,
    DuplicateSuggestion,
    Duty,
    HotlineSettings,
    InspectionPoint,
    Membership,
    Notification,
    NotificationKind,
    OrgUnit,
    PointType,
    ProblemCategory,
    Recheck,
    ReportingDuty,
    ReportSchedule,
    Role,
    RoundLevel,
    Supervision,
    Ticket,
    TicketCoUnit,
    TicketPhoto,
    UnitKind,
    UnitWebhook,
    WorkGroup,
)
from campaigns.services.api_tokens import api_token_create
from campaigns.services.checklist import checklist_item_update
from campaigns.services.checklist_import import checklist_import_upload, template_workbook
from campaigns.services.daily_reports import daily_report_submit
from campaigns.services.holiday_schedule import holiday_import_upload
from campaigns.services.hotline_import import hotline_import_upload, hotline_template
from campaigns.services.monthly import summary_generate, summary_request
from campaigns.services.notifications import Message, notify
from campaigns.services.people import people_import_upload
from campaigns.services.point_import import point_import_upload
from campaigns.services.point_import import template_workbook as points_template
from campaigns.services.problem_list import problem_list_upload
from campaigns.services.problem_list_read import pasted_read
from campaigns.services.quota_xlsx import quota_import_upload, quota_workbook
from campaigns.services.rectification_reports import rectification_report_generate, rectification_report_request
from campaigns.services.rounds import round_point_add
from campaigns.services.standard import standard_default
from campaigns.services.standard_xlsx import standard_import_upload, standard_workbook
from campaigns.services.units import units_import_upload, units_template
from ledger.celery import app
from security.accounts import account_create
from security.passwords import password_record

from .assessment_world import city_round, found
from .factories import District, UserFactory, form_key, jpeg_bytes, member, pending_photo
from .rounds_world import make_round

# ---------------------------------------------------------------------------------------
# Who
# ---------------------------------------------------------------------------------------

ANON = "anonymous"
TX_ROLES = ("staff", "unit_liaison", "supervisor", "admin", "leader")
DUTY_HOLDERS = ("security_admin", "audit_admin")  # system duties, no district
ACTORS = (ANON, *TX_ROLES, "city_admin", *DUTY_HOLDERS)

EVERYONE = frozenset({*TX_ROLES, "city_admin"})  # every district member
WORKERS = EVERYONE - {"leader"}  # may log problems
MANAGERS = frozenset({"supervisor", "admin", "city_admin"})  # triage, verify, return, reopen, void
OVERSEERS = MANAGERS | {"leader"}  # read rankings, summaries, daily-report roll-ups
ADMINS = frozenset({"admin", "city_admin"})  # set up, import, draft notices, resend deliveries
# The fixture's rectifying ticket and checklist item belong to tx's 执法局 (department), whose
# liaison is `unit_liaison`; `staff` sits in the first street, which files the daily report.
FIXERS = MANAGERS | {"unit_liaison"}
STREET = frozenset({"staff"})
SECURITY = frozenset({"security_admin"})  # 安全管理员: accounts, roles, unlocks, second factor
AUDIT = frozenset({"audit_admin"})  # 审计管理员: the audit log, read-only
CITY_ADMIN = frozenset({"city_admin"})  # a city office's admin: keeps the 节假日安排

# ---------------------------------------------------------------------------------------
# The world: both districts and one of everything a URL can point at, built once
# ---------------------------------------------------------------------------------------


@dataclass
class Side:
    """One district's objects, by the names the rules use."""

    code: str
    campaign: int
    area_code: str
    reported: str
    assigned: str  # 待签收
    rectifying: str
    submitted: str
    closed: str
    helped: str  # 待签收 with a 协办单位 (the first street) whose part is due
    photo: int
    pending_photo: int
    summary: int
    notice: int
    item: int
    evidence: int
    duty: int
    checklist_import: int
    point: int
    point_import: int
    delivery: int
    account: int
    membership: int
    unit: int
    work_group: int
    units_import: int
    people_import: int
    holiday_year: int  # the 节假日安排 is every district's: each side just gets its own year
    holiday_import: int
    problem_list_import: int  # a 问题清单 of one clean row, waiting for its confirm
    standard: int  # the standard is every district's: each side just gets its own
    standard_item: int
    standard_import: int
    quota_import: int
    notification: dict  # who → the notification a rule should try to open
    admin_objects: dict  # model class → pk
    markers: tuple  # text that shows this district's data
    on_hold: str  # 挂账, and under 挂牌督办 (its 督办单)
    inspection_round: int  # the district's own 自查 round, its 网格员 (staff) on the team
    round_point: int  # that round's one sampled point
    report_round: int  # a 市督查 round over this district with one finding, for its 整改报告
    rectification_report: int  # that round's 整改报告, written
    suggestion: int  # 疑似重复: the 协办 ticket looks like the reported one (same point, category)
    api_token: int  # a read token of the district's leader (issue 19)
    hotline_import: int  # a 12345 export with no rows (refused at upload: confirm goes back)


@dataclass
class World:
    tx: Side
    td: Side
    users: dict  # who → User
    clients: dict  # who → a Client signed in once for the module
    td_rows: frozenset  # (model label, pk) of every row that is td's
    media_root: str


TRACKED_APPS = {"campaigns", "auth", "admin", "otp_totp", "axes"}
LOG_MODELS = {"campaigns.AuditEvent"}  # written on purpose by refused and read-only acts
_tracked = {}  # db table → (model, fields)


def tracked():
    if not _tracked:
        for model in apps.get_models(include_auto_created=True):
            if model._meta.app_label in TRACKED_APPS:
                fields = [f.attname for f in model._meta.concrete_fields if f.attname != "last_login"]
                _tracked[model._meta.db_table] = (model, fields)
    return _tracked


def snapshot(tables=None):
    """Rows of the ledger, the accounts and the admin log (of `tables`, or all), as
    {(model, pk): values}."""
    rows = {}
    for table, (model, fields) in tracked().items():
        if tables is not None and table not in tables:
            continue
        label = model._meta.label
        for values in model._base_manager.order_by().values_list(model._meta.pk.attname, *fields):
            rows[(label, values[0])] = values[1:]
    return rows


def changed_rows(before, after):
    return {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}


def holiday_workbook(year):
    book = Workbook()
    book.active.append(["节日", "放假日期", "调休上班日期"])
    book.active.append(["元旦", f"{year}-01-01", ""])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def side_standard(d):
    """tx gets the national standard; td a small one of its own (its 项 are td's rows)."""
    if d.unit.code == "TX":
        return standard_default()
    meta = standard_data.StandardMeta(name="国家卫生乡镇标准", version=f"{d.unit.code} 试行", scope="town")
    row = standard_data.ItemRow("1", "爱国卫生组织管理", "1.1", "组织健全", "1.1.1", "乡镇爱卫会组织健全", "records")
    return standard_data.write_standard(apps.get_model, meta, [row], is_current=False)


def standard_imports(d, standard, city_admin):
    """A new version of the side's standard and its quotas, uploaded and waiting for a confirm."""
    items, _preview = standard_import_upload(
        standard=standard,
        actor=city_admin,
        uploaded=SimpleUploadedFile("标准.xlsx", standard_workbook(standard)),
        name=standard.name,
        version=f"{standard.version}（{d.unit.code} 修订）",
    )
    quotas, _preview = quota_import_upload(
        standard=standard, actor=city_admin, uploaded=SimpleUploadedFile("抽样.xlsx", quota_workbook(standard))
    )
    return items, quotas


def build_side(d, users, client):
    """One of everything, made the way the ledger makes it (workflow verbs, services, views)."""
    today = timezone.localdate()
    reported, rectifying, submitted, closed = d.log(), d.assigned(), d.submitted(), d.closed()
    assigned = d.assigned(signed=False)
    on_hold = workflow.ticket_hold(
        ticket=d.assigned(), actor=d.supervisor, until=today + datetime.timedelta(days=30), reason="列入预算"
    )
    workflow.ticket_supervise(
        ticket=on_hold,
        actor=d.supervisor,
        document_number=f"{d.unit.code}督〔2026〕1号",
        supervising_unit=f"{d.unit.name}创卫办",
        leader="区领导",
        deadline=today + datetime.timedelta(days=30),
        reason="长期未整改",
    )
    # 交办 to the 执法局 with the first street (staff's) as 协办单位.
    helped = workflow.ticket_assign(
        ticket=d.log(), actor=d.supervisor, unit=d.department, deadline=today, co_units=[d.street]
    )
    summary = summary_generate(summary_request(district=d.unit, month=today.replace(day=1), actor=d.admin))
    client.force_login(d.admin)
    response = client.post(reverse("campaigns:notice-draft", args=[d.unit.code]), {"submission": form_key()})
    assert response.status_code == 302, response
    notice = d.campaign.notices.get()
    item = ChecklistItem.objects.create(
        campaign=d.campaign,
        area=d.area,
        code="3.1",
        requirement=f"{d.unit.name}主次干道路面平整",
        full_score=Decimal(10),
        lead_unit=d.department,
    )
    checklist_item_update(
        item=item,
        actor=d.unit_liaison,
        note="已完成摸底",
        files=[SimpleUploadedFile("现场.jpg", jpeg_bytes(), content_type="image/jpeg")],
    )
    ReportSchedule.objects.create(campaign=d.campaign)
    duty = ReportingDuty.objects.create(campaign=d.campaign, unit=d.street, since=today - datetime.timedelta(days=30))
    daily_report_submit(duty=duty, actor=d.staff, day=today - datetime.timedelta(days=1), points_visited=3)
    record, _preview = checklist_import_upload(
        campaign=d.campaign, actor=d.admin, uploaded=SimpleUploadedFile("清单.xlsx", template_workbook(d.campaign))
    )
    hotline = HotlineSettings.objects.create(district=d.unit, enabled=True, campaign=d.campaign)
    hotline_record, _preview = hotline_import_upload(
        district=d.unit, actor=d.admin, uploaded=SimpleUploadedFile("12345.xlsx", hotline_template())
    )
    point_record, _preview = point_import_upload(
        district=d.unit, actor=d.admin, uploaded=SimpleUploadedFile("点位.xlsx", points_template(d.unit))
    )
    units_import, _preview = units_import_upload(
        district=d.unit, actor=d.admin, uploaded=SimpleUploadedFile("单位.xlsx", units_template(d.unit))
    )
    people_import, _preview = people_import_upload(
        district=d.unit, actor=d.admin, uploaded=SimpleUploadedFile("人员.xlsx", people_workbook(d))
    )
    holiday_year = 2027 if d.unit.code == "TX" else 2028
    holiday_import, _preview = holiday_import_upload(
        year=holiday_year,
        actor=users["city_admin"],
        uploaded=SimpleUploadedFile("节假日.xlsx", holiday_workbook(holiday_year)),
    )
    problem_list = f"序号\t问题描述\t地点\t所属街道\n1\t垃圾暴露\t{d.point.name}\t{d.street.name}\n"
    problem_list_import, _preview = problem_list_upload(
        office=d.unit,
        actor=d.admin,
        sheet=pasted_read(problem_list),
        pasted=problem_list,
        new_round={"name": f"{d.unit.name}市督查第 1 期", "kind": "supervision", "level": "city"},
    )
    assert _preview.is_clean, _preview.rows[0].errors
    standard = side_standard(d)
    standard_import, quota_import = standard_imports(d, standard, users["city_admin"])
    UnitWebhook.objects.create(unit=d.department, name=f"{d.unit.name}执法局群", url="http://127.0.0.1:9/hook")
    get_user_model().objects.filter(pk=d.admin.pk).update(email=f"{d.unit.code.lower()}-admin@example.com")
    is_tx = d.unit.code == "TX"
    people = [users[who] for who in EVERYONE] if is_tx else [d.staff, d.admin]
    notify(
        Message(
            district_id=d.unit.pk,
            kind=NotificationKind.TICKET_DUE_SOON,
            occasion=f"matrix-{d.unit.code}",
            title=f"{d.unit.name}：工单即将到期",
            body=submitted.number,
            link=reverse("campaigns:ticket-detail", args=[submitted.number]),
            user_ids=[u.pk for u in people],
        )
    )
    delivery = Delivery.objects.get(district=d.unit)  # e-mail to the admin
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED, attempts=6)
    mine = {n.recipient_id: n.pk for n in Notification.objects.filter(district=d.unit)}
    # On tx each person tries their own notification; on td, td staff's: someone else's.
    notification = {who: mine[(users[who] if is_tx and who in EVERYONE else d.staff).pk] for who in ACTORS}
    ticket = Ticket.objects.get(number=reported.number)
    photo = ticket.photos.first()
    staff_membership = Membership.objects.get(user=d.staff)
    admin_objects = {
        OrgUnit: d.street.pk,
        Membership: staff_membership.pk,
        Campaign: d.campaign.pk,
        AssessmentArea: d.area.pk,
        ProblemCategory: d.category.pk,
        PointType: d.point.point_type_id,  # shared by every district
        InspectionPoint: d.point.pk,
        WorkGroup: d.work_line.pk,
        Ticket: ticket.pk,
        TicketPhoto: photo.pk,
        ReportSchedule: ReportSchedule.objects.get(campaign=d.campaign).pk,
        ReportingDuty: duty.pk,
        UnitWebhook: UnitWebhook.objects.get(unit=d.department).pk,
        HotlineSettings: hotline.pk,
        DailyReport: DailyReport.objects.get(duty=duty).pk,
        Delivery: delivery.pk,
        get_user_model(): d.staff.pk,
        Group: Group.objects.create(name=f"{d.unit.code}-组").pk,
        # The 交办 chain's records, as its acts leave them (written here directly: the admin
        # only shows them).
        TicketCoUnit: TicketCoUnit.objects.create(ticket=rectifying, unit=d.department2).pk,
        Recheck: Recheck.objects.create(
            ticket=closed, district=d.unit, street=closed.street, days_after=7, due_on=today + datetime.timedelta(7)
        ).pk,
        Supervision: Supervision.objects.create(
            ticket=closed,
            district=d.unit,
            document_number=f"{d.unit.name}创卫督〔2026〕1号",
            supervising_unit="区创卫办",
            leader="区长",
            deadline=today + datetime.timedelta(days=10),
            created_by=d.admin,
        ).pk,
    }
    own_round = make_round([d], d.admin, [d.staff], name=f"{d.unit.name}四季度自查", level=RoundLevel.DISTRICT)
    round_point = round_point_add(inspection_round=own_round, point=d.point)
    report_round = city_round([d], users["city_admin"])
    finding = found(d, report_round, description=f"{d.unit.name}农贸市场垃圾桶满溢")
    report = rectification_report_generate(
        rectification_report_request(inspection_round=report_round, district=d.unit, actor=d.admin)
    )
    suggestion = DuplicateSuggestion.objects.create(
        district=d.unit, ticket=helped, candidate=reported, basis=DuplicateBasis.SAME_POINT
    )
    numbers = (reported.number, assigned.number, rectifying.number, submitted.number, closed.number, helped.number)
    numbers += (finding.ticket.number,)
    return Side(
        code=d.unit.code,
        campaign=d.campaign.pk,
        area_code=d.area.code,
        reported=reported.number,
        assigned=assigned.number,
        rectifying=rectifying.number,
        submitted=submitted.number,
        closed=closed.number,
        helped=helped.number,
        photo=photo.pk,
        pending_photo=pending_photo(d.staff).pk,
        summary=summary.pk,
        notice=notice.pk,
        item=item.pk,
        evidence=item.evidence.get().pk,
        duty=duty.pk,
        checklist_import=record.pk,
        point=d.point.pk,
        point_import=point_record.pk,
        delivery=delivery.pk,
        account=d.staff.pk,
        membership=staff_membership.pk,
        unit=d.community.pk,
        work_group=d.work_line.pk,
        units_import=units_import.pk,
        people_import=people_import.pk,
        holiday_year=holiday_year,
        holiday_import=holiday_import.pk,
        problem_list_import=problem_list_import.pk,
        standard=standard.pk,
        standard_item=standard_data.task_items(apps.get_model, standard.pk)[("1", "1.1")],
        standard_import=standard_import.pk,
        quota_import=quota_import.pk,
        notification=notification,
        admin_objects=admin_objects,
        markers=(d.unit.name, *numbers),
        on_hold=on_hold.number,
        inspection_round=own_round.pk,
        round_point=round_point.pk,
        report_round=report_round.pk,
        rectification_report=report.pk,
        suggestion=suggestion.pk,
        api_token=api_token_create(
            name=f"{d.unit.name}运管服", owner=d.leader, districts=[d.unit], scope="read", created_by=d.admin
        )[0].pk,
        hotline_import=hotline_record.pk,
    )


def people_workbook(d):
    """A people file with one newcomer to the district's first street."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["姓名", "账号", "手机号", "所属单位", "角色"])
    sheet.append([f"{d.unit.name}新人", f"{d.unit.code.lower()}_newcomer", "", d.street.name, "工作人员"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def duty_holder(username, duty, actor):
    """An account with a system duty and no district, made by the security admin's service."""
    # A duty holder's first password is mailed to their own address (mail.outbox here).
    user, _mailed = account_create(
        actor=actor, username=username, full_name=username, duty=duty, email=f"{username}@ledger.example"
    )
    password_record(user, must_change=False)  # as if the temporary password was replaced already
    return user


@contextmanager
def world_built(media_root):
    """Both districts, inside a transaction rolled back when the block ends (the caller has
    unblocked the database)."""
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    with override_settings(MEDIA_ROOT=media_root):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            # Only ever on the empty test database.
            assert not OrgUnit.objects.exists(), f"not an empty test database: {connection.settings_dict['NAME']}"
            city = OrgUnit.objects.create(name="四平市", kind=UnitKind.CITY, code="SP")
            tx = District(city, "铁西区", "TX", "tx")
            users = {who: getattr(tx, who) for who in TX_ROLES}
            users["city_admin"] = member(UserFactory(username="city_admin"), city, Role.ADMIN)
            users["security_admin"] = duty_holder("security_admin", Duty.SECURITY, users["city_admin"])
            users["audit_admin"] = duty_holder("audit_admin", Duty.AUDIT, users["security_admin"])
            tx_side = build_side(tx, users, Client())
            before_td = snapshot()
            td = District(city, "铁东区", "TD", "td")
            td_side = build_side(td, users, Client())
            td_rows = frozenset(snapshot().keys() - before_td.keys())
            clients = {ANON: Client()}
            for who in ACTORS[1:]:
                clients[who] = Client()
                clients[who].force_login(users[who])
            yield World(tx_side, td_side, users, clients, td_rows, media_root)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            app.conf.task_always_eager = eager


# ---------------------------------------------------------------------------------------
# Asking
# ---------------------------------------------------------------------------------------


def resolve_kwargs(spec, side, who):
    def value(item):
        if callable(item):
            return item(side, who)
        found = getattr(side, item)
        return found[who] if isinstance(found, dict) else found

    return {key: value(item) for key, item in spec.items()}


def body_of(response):
    # The test client closes the response itself (for a streamed one, once it is read). A
    # second close() here would fire request_finished, whose close_old_connections drops
    # the connection in the middle of the module's transaction on PostgreSQL.
    return b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content


def text_of(response, content):
    kind = response.get("Content-Type", "")
    if kind.startswith(("text/", "application/json")):
        return content.decode("utf-8", "replace")
    if content[:2] == b"PK":  # an Excel workbook: its strings are in its XML parts
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "".join(
                archive.read(name).decode("utf-8", "replace") for name in archive.namelist() if name.endswith(".xml")
            )
    return ""


@dataclass
class Answer:
    status: int
    location: str
    text: str
    changed: set
    file_cache: tuple = ()  # (Content-Disposition, Cache-Control) of an answer that is a file


WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO)\s+[`"]?(\w+)', re.IGNORECASE)


def ask(client, method, url, data=None):
    """One request inside a savepoint that is rolled back, with the rows it changed.

    Every SQL statement of the request is watched; for the tracked tables it wrote to, the
    rows after it are read inside the savepoint and the rows before it once the savepoint is
    rolled back. The client's cookies are put back too (a logout or a language switch stays
    inside the request).
    """
    written = set()

    def spy(execute, sql, params, many, context):
        match = WRITE.match(sql)
        if match and match[1] in tracked():
            written.add(match[1])
        return execute(sql, params, many, context)

    cookies = copy.deepcopy(client.cookies)
    after = None
    with transaction.atomic():
        with connection.execute_wrapper(spy):
            response = client.post(url, data or {}) if method == "POST" else client.get(url)
            content = body_of(response)
        if written:
            after = snapshot(written)
        transaction.set_rollback(True)
    client.cookies = cookies
    changed = changed_rows(snapshot(written), after) if after is not None else set()
    changed = {key for key in changed if key[0] not in LOG_MODELS}
    file_cache = ()
    if response.has_header("Content-Disposition"):
        file_cache = (response["Content-Disposition"], response.get("Cache-Control", ""))
    return Answer(response.status_code, response.get("Location", ""), text_of(response, content), changed, file_cache)
