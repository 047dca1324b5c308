"""Tickets (整改工单), their photos and their append-only timeline."""

import datetime
import hashlib
import json
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.policy import CLOCK_STATES, OPEN_STATES, ChainRules, Scope, TicketAction, TicketState

from .campaign import AssessmentArea, Campaign, InspectionPoint, ProblemCategory, WorkGroup
from .org import OrgUnit


class TicketQuerySet(models.QuerySet):
    def visible_to(self, scope: Scope) -> "TicketQuerySet":
        """The tickets of the districts this reach sees (campaigns.access.visible_tickets(user))."""
        return self.filter(district_id__in=scope.district_ids)

    def delete(self):
        raise TypeError("Tickets are voided, never deleted.")

    def open(self):
        return self.filter(state__in=OPEN_STATES)

    def for_rows(self):
        """What a ticket row shows, in a fixed number of queries: its names and its first photo."""
        return self.select_related("district", "street", "category", "point", "responsible_unit").prefetch_related(
            models.Prefetch(
                "photos",
                queryset=TicketPhoto.objects.filter(kind=PhotoKind.BEFORE).order_by("id"),
                to_attr="before_photos",
            )
        )

    def overdue(self, today=None):
        """Overdue is not a state: any ticket on the clock whose deadline has passed (a 挂账
        ticket is open but off the clock)."""
        return self.filter(state__in=CLOCK_STATES, deadline__lt=today or timezone.localdate())

    def sign_late(self, now=None):
        """超时未签收: 待签收 past the 签收时限."""
        return self.filter(state=TicketState.ASSIGNED, sign_due_at__lt=now or timezone.now())


class Ticket(models.Model):
    number = models.CharField(_("台账编号"), max_length=24, unique=True, editable=False)
    # Led by the district's composite indexes in Meta; see the note at `street`.
    district = models.ForeignKey(
        OrgUnit, verbose_name=_("区"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    campaign = models.ForeignKey(Campaign, verbose_name=_("活动"), on_delete=models.PROTECT, related_name="tickets")
    state = models.CharField(_("状态"), max_length=16, choices=TicketState.choices, default=TicketState.REPORTED)

    point = models.ForeignKey(
        InspectionPoint, verbose_name=_("点位"), null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    place = models.CharField(_("地点"), max_length=200, blank=True, help_text=_("不在点位清单里时，写明具体位置。"))
    # db_index=False on foreign keys that lead a composite index below: a second, single-column
    # index would only cost every write (a 销号 updates each index of the row) and serve nothing.
    street = models.ForeignKey(
        OrgUnit, verbose_name=_("街道/乡镇"), on_delete=models.PROTECT, related_name="street_tickets", db_index=False
    )
    area = models.ForeignKey(
        AssessmentArea, verbose_name=_("测评类别"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    category = models.ForeignKey(
        ProblemCategory, verbose_name=_("问题类别"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    description = models.TextField(_("问题描述"))

    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发现人"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    reported_at = models.DateTimeField(_("发现时间"), default=timezone.now)
    finder_group = models.ForeignKey(
        WorkGroup,
        verbose_name=_("发现问题组"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    work_group = models.ForeignKey(
        WorkGroup,
        verbose_name=_("负责专线"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    responsible_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("责任单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="responsible_tickets",
        db_index=False,
    )
    responsible_person = models.CharField(_("责任人"), max_length=50, blank=True)
    responsible_phone = models.CharField(_("责任人电话"), max_length=30, blank=True)
    deadline = models.DateField(_("整改时限"), null=True, blank=True)
    assigned_at = models.DateTimeField(_("交办时间"), null=True, blank=True)

    fix_submitted_at = models.DateTimeField(_("提交整改时间"), null=True, blank=True)
    # The last person who submitted the fix; four eyes: they may never close this ticket.
    fix_submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交整改人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("销号人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The inspection round (暗访, 督查 …) that found it, when one did: its source, e.g. 市督查第 3 期.
    inspection_round = models.ForeignKey(
        "campaigns.InspectionRound",
        verbose_name=_("来源轮次"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    checklist_item = models.ForeignKey(
        "campaigns.ChecklistItem",
        verbose_name=_("关联任务"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        help_text=_("这个问题影响的任务清单条目，计入该任务的风险分。"),
        db_index=False,
    )
    return_count = models.PositiveSmallIntegerField(_("退回次数"), default=0)
    reopen_count = models.PositiveSmallIntegerField(_("反弹次数"), default=0)

    # The 交办 chain (issue 15).
    sign_due_at = models.DateTimeField(_("签收时限"), null=True, blank=True)
    signed_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    extensions_used = models.PositiveSmallIntegerField(_("已延期次数"), default=0)
    # Set while a 申请延期 waits for its answer: the deadline the unit asked for.
    extension_requested_until = models.DateField(_("申请延期至"), null=True, blank=True)
    hold_until = models.DateField(_("挂账计划恢复日期"), null=True, blank=True)
    # Steps of the overdue ladder already taken (each at most once): 1 催办, 2 告知负责人, 3 黄牌.
    escalation_step = models.PositiveSmallIntegerField(_("逾期升级步数"), default=0)
    yellow_card_at = models.DateTimeField(_("黄牌时间"), null=True, blank=True)
    supervised_at = models.DateTimeField(_("挂牌督办时间"), null=True, blank=True)
    # Levels of the 销号 chain passed since the fix was last submitted, and by whom (nobody
    # verifies twice); both start again at every 提交整改.
    # How many 协办单位 the ticket has: most have none, and then nobody reads their parts.
    co_units_count = models.PositiveSmallIntegerField(_("协办单位数"), default=0)
    review_level = models.PositiveSmallIntegerField(_("已复核层级"), default=0)
    reviewed_by = models.JSONField(_("本轮复核人"), default=list, blank=True)
    # The earliest 复查 of the last 销号 still to be done (kept with the Recheck rows), so a
    # page learns whether one is due without reading them.
    next_recheck_on = models.DateField(_("下次复查日期"), null=True, blank=True)
    # 重复问题合并: the ticket this one was merged into (it is then 已撤销, and the kept ticket
    # shows it among its sources). Indexed apart below: very few tickets have one.
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("合并至"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_duplicates",
        db_index=False,
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("整改工单")
        verbose_name_plural = _("整改工单")
        ordering = ["-reported_at", "-id"]
        indexes = [
            models.Index(fields=["district", "state", "deadline"], name="ticket_district_state_dl"),
            models.Index(fields=["district", "-reported_at"], name="ticket_district_reported"),
            # The list filtered by state, newest first, paged by id (deferred join): index-only.
            models.Index(fields=["district", "state", "-reported_at", "-id"], name="ticket_list_state"),
            models.Index(fields=["district", "closed_at"], name="ticket_district_closed"),
            models.Index(fields=["street", "state"], name="ticket_street_state"),
            models.Index(fields=["responsible_unit", "state"], name="ticket_unit_state"),
            models.Index(fields=["area", "state"], name="ticket_area_state"),
            models.Index(fields=["category", "state"], name="ticket_category_state"),
            models.Index(fields=["work_group", "state"], name="ticket_work_group_state"),
            models.Index(fields=["finder_group", "state"], name="ticket_finder_group_state"),
            models.Index(fields=["reported_by", "-reported_at"], name="ticket_reporter"),
            # A task's open and overdue problems are counted from the index alone.
            models.Index(fields=["checklist_item", "state", "deadline"], name="ticket_checklist_state_dl"),
            # 超时未签收: assigned tickets past their 签收时限, per district.
            models.Index(fields=["district", "state", "sign_due_at"], name="ticket_sign_due"),
            models.Index(fields=["district", "state", "hold_until"], name="ticket_hold_until"),
            # The board's overdue counts per street, unit and area, read from the index alone
            # (a busy district has tens of thousands of overdue problems).
            models.Index(
                fields=["district", "deadline"],
                include=["street", "responsible_unit", "area"],
                condition=models.Q(state__in=sorted(CLOCK_STATES)),
                name="ticket_clock_deadline",
            ),
            # Fixes waiting for 销号 at a level, counted for "my tasks" from the index alone.
            models.Index(
                fields=["district", "campaign", "review_level"],
                include=["fix_submitted_by"],
                condition=models.Q(state="submitted"),
                name="ticket_waiting_review",
            ),
            # The map: open problems per point with their state and deadline, from the index
            # alone (a district of 400,000 tickets has tens of thousands open) …
            models.Index(
                fields=["district", "point"],
                include=["state", "deadline"],
                condition=models.Q(state__in=sorted(OPEN_STATES)),
                name="ticket_map_open",
            ),
            # … and the heat view: problems found per point over a period.
            models.Index(fields=["district", "reported_at"], include=["point", "state"], name="ticket_map_heat"),
            # 黄牌 and 挂牌督办 are rare: the board finds them without reading the open tickets.
            models.Index(fields=["district"], condition=models.Q(yellow_card_at__isnull=False), name="ticket_yellow"),
            models.Index(
                fields=["district"], condition=models.Q(supervised_at__isnull=False), name="ticket_supervised"
            ),
            # 疑似重复: a district's open tickets of one category found since a day, whatever the
            # size of the ledger (campaigns/services/duplicates.py).
            models.Index(
                fields=["district", "category", "reported_at"],
                include=["point", "place"],
                condition=models.Q(state__in=sorted(OPEN_STATES)),
                name="ticket_open_category",
            ),
            models.Index(fields=["merged_into"], condition=models.Q(merged_into__isnull=False), name="ticket_merged"),
        ]

    # Not a column: the newest link of the ticket's event chain, on a ticket the workflow has
    # locked (read with the lock) or just created, so its act's event can hang on it.
    chain_head: str | None

    def __str__(self):
        return self.number

    def delete(self, *args, **kwargs):
        raise TypeError("Tickets are voided, never deleted.")

    @property
    def is_open(self):
        return self.state in OPEN_STATES

    @property
    def is_overdue(self):
        return self.state in CLOCK_STATES and self.deadline is not None and self.deadline < timezone.localdate()

    @property
    def is_sign_late(self):
        """超时未签收: still 待签收 after its 签收时限."""
        return self.state == TicketState.ASSIGNED and self.sign_due_at is not None and self.sign_due_at < timezone.now()

    @property
    def chain_rules(self) -> ChainRules:
        return self.campaign.chain_rules

    @property
    def co_unit_ids(self) -> frozenset[int]:
        if not self.co_units_count:
            return frozenset()
        return frozenset(part.unit_id for part in self.co_unit_parts.all())

    @property
    def recheck_due(self) -> bool:
        return (
            self.state == TicketState.CLOSED
            and self.next_recheck_on is not None
            and self.next_recheck_on <= timezone.localdate()
        )

    @property
    def parts_outstanding(self) -> frozenset[int]:
        if not self.co_units_count:
            return frozenset()
        return frozenset(part.unit_id for part in self.co_unit_parts.all() if part.is_outstanding)

    @property
    def row_photo(self):
        photos = getattr(self, "before_photos", None)
        return photos[0] if photos else None

    @property
    def place_display(self):
        if self.point_id:
            return f"{self.point.name}（{self.place}）" if self.place else self.point.name
        return self.place


class LedgerSequence(models.Model):
    """The last ledger number handed out per district and month.

    Incremented under a row lock inside the transaction that creates the ticket, so a
    rolled-back ticket gives its number back and the sequence stays gapless.
    """

    district = models.ForeignKey(OrgUnit, verbose_name=_("区"), on_delete=models.PROTECT, related_name="+")
    period = models.CharField(_("月份"), max_length=6, help_text=_("YYYYMM"))
    last = models.PositiveIntegerField(_("当前序号"), default=0)

    class Meta:
        verbose_name = _("台账编号序列")
        verbose_name_plural = _("台账编号序列")
        constraints = [models.UniqueConstraint(fields=["district", "period"], name="unique_ledger_sequence")]

    def __str__(self):
        return f"{self.district.code}-{self.period}: {self.last}"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Ticket events are append-only; they cannot be updated.")

    def delete(self):
        raise TypeError("Ticket events are append-only; they cannot be deleted.")


class TicketEvent(models.Model):
    # Indexed by event_ticket_at (ticket, at), which leads with it: no second index to write.
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("工单"), on_delete=models.PROTECT, related_name="events", db_index=False
    )
    action = models.CharField(_("操作"), max_length=16, choices=TicketAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)
    from_state = models.CharField(_("原状态"), max_length=16, choices=TicketState.choices, blank=True)
    to_state = models.CharField(_("新状态"), max_length=16, choices=TicketState.choices)
    note = models.TextField(_("说明"), blank=True)
    # What the act decided (unit, person, deadline …), as shown to people at the time.
    details = models.JSONField(_("详情"), default=dict, blank=True)
    # sha256 over this event and the hash of the ticket's previous event (in the order
    # written, i.e. by id, so clock skew between servers cannot reorder the chain): an edit
    # behind the app's back breaks the chain, and `python manage.py verify_ledger` names the first broken link.
    chain_hash = models.CharField(_("校验值"), max_length=64, blank=True, editable=False)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("工单记录")
        verbose_name_plural = _("工单记录")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["ticket", "at"], name="event_ticket_at"), models.Index(fields=["action", "at"])]

    def __str__(self):
        return f"{self.ticket_id} {self.action} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Ticket events are append-only; an event cannot be changed once written.")
        if not self.chain_hash:
            self.chain_hash = chain_link(self)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Ticket events are append-only; they cannot be deleted.")


def chain_link(event: TicketEvent, previous: str | None = None) -> str:
    """The link `event` adds to its ticket's chain: the one place a link is made.

    `previous` is the ticket's newest link when the caller knows it (read with the locked
    ticket row, or "" for a ticket's first event); otherwise it is looked up, by id, so the
    order written is the order chained.
    """
    if previous is None:
        previous = (
            TicketEvent.objects.filter(ticket_id=event.ticket_id)
            .order_by("-id")
            .values_list("chain_hash", flat=True)
            .first()
        ) or ""
    return event_hash(previous, event)


def event_hash(previous: str, event) -> str:
    """sha256 of the previous link and this event's content, canonically written (verify_ledger
    recomputes it from stored rows)."""
    at = event.at if isinstance(event.at, str) else event.at.astimezone(datetime.UTC).isoformat(timespec="microseconds")
    content = json.dumps(
        [
            previous,
            event.ticket_id,
            event.action,
            event.actor_id,
            at,
            event.from_state,
            event.to_state,
            event.note,
            event.details,
        ],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(content.encode()).hexdigest()


class PhotoKind(models.TextChoices):
    BEFORE = "before", _("整改前")
    AFTER = "after", _("整改后")
    PART = "part", _("协办")
    REVIEW = "review", _("现场核验")
    RECHECK = "recheck", _("复查")
    EVIDENCE = "evidence", _("延期/挂账依据")


class CaptureSource(models.TextChoices):
    """Where a photo's time or place came from: the photo's own EXIF is trusted first; the
    phone's clock and position, noted by the page when the photo was taken (offline, it may
    be sent hours later), second."""

    EXIF = "exif", _("照片自带")
    DEVICE = "device", _("手机拍摄时记录")


def photo_upload_to(instance, filename):
    now = timezone.localtime()
    return f"photos/{now:%Y/%m}/{uuid.uuid4().hex}.{instance.extension}"


def thumb_upload_to(instance, filename):
    now = timezone.localtime()
    return f"thumbs/{now:%Y/%m}/{uuid.uuid4().hex}.jpg"


class TicketPhoto(models.Model):
    """A photo of a problem or of its fix.

    A photo without a ticket is one a person chose on a form that failed validation; it is
    kept so they need not take it again, and purged if no ticket claims it within a day.
    """

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("工单"), null=True, blank=True, on_delete=models.PROTECT, related_name="photos"
    )
    event = models.ForeignKey(
        TicketEvent, verbose_name=_("所属记录"), null=True, blank=True, on_delete=models.PROTECT, related_name="photos"
    )
    kind = models.CharField(_("类型"), max_length=8, choices=PhotoKind.choices)
    image = models.ImageField(_("照片"), upload_to=photo_upload_to, width_field="width", height_field="height")
    thumbnail = models.ImageField(_("缩略图"), upload_to=thumb_upload_to, blank=True)
    width = models.PositiveIntegerField(_("宽"), default=0)
    height = models.PositiveIntegerField(_("高"), default=0)
    size = models.PositiveIntegerField(_("大小（字节）"), default=0)
    content_type = models.CharField(_("格式"), max_length=40)
    original_name = models.CharField(_("原文件名"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)
    # Read from the photo's EXIF before it is stripped from the file: the file itself is
    # stored and served without metadata (个人信息保护法).
    taken_at = models.DateTimeField(
        _("拍摄时间"), null=True, blank=True, help_text=_("照片自带的拍摄时间；手机未记录时为空。")
    )
    latitude = models.DecimalField(
        _("拍摄纬度"), max_digits=9, decimal_places=6, null=True, blank=True, help_text=_("照片自带的定位。")
    )
    longitude = models.DecimalField(
        _("拍摄经度"), max_digits=9, decimal_places=6, null=True, blank=True, help_text=_("照片自带的定位。")
    )
    taken_at_source = models.CharField(
        _("拍摄时间来源"), max_length=8, choices=CaptureSource.choices, blank=True, help_text=_("为空表示不知道。")
    )
    location_source = models.CharField(
        _("拍摄位置来源"), max_length=8, choices=CaptureSource.choices, blank=True, help_text=_("为空表示不知道。")
    )
    location_accuracy = models.PositiveIntegerField(
        _("定位精度（米）"), null=True, blank=True, help_text=_("手机定位给出的误差半径；照片自带的定位没有这一项。")
    )
    # Evidence (照片证据核验): the stored file's SHA-256 goes into the event that took the photo,
    # so verify_ledger proves the file was not swapped; the perceptual hash finds a photo used
    # again (resized or re-encoded), looked up by its four 16-bit bands (see photo_evidence.py).
    sha256 = models.CharField(_("文件校验值"), max_length=64, blank=True, help_text=_("保存的原始文件的 SHA-256。"))
    phash = models.CharField(_("感知哈希"), max_length=16, blank=True, help_text=_("64 位感知哈希（十六进制）。"))
    phash_b0 = models.PositiveIntegerField(_("感知哈希第1段"), null=True, blank=True)
    phash_b1 = models.PositiveIntegerField(_("感知哈希第2段"), null=True, blank=True)
    phash_b2 = models.PositiveIntegerField(_("感知哈希第3段"), null=True, blank=True)
    phash_b3 = models.PositiveIntegerField(_("感知哈希第4段"), null=True, blank=True)
    reused_of = models.ForeignKey(
        "self",
        verbose_name=_("疑似重复使用的照片"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("与这张整改后照片几乎相同的更早照片。"),
    )
    evidence_checked_at = models.DateTimeField(_("查重时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("照片")
        verbose_name_plural = _("照片")
        ordering = ["uploaded_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "kind"], name="photo_ticket_kind"),
            models.Index(fields=["uploaded_by", "ticket"], name="photo_pending"),
            *(models.Index(fields=[f"phash_b{band}"], name=f"photo_phash_b{band}") for band in range(4)),
            models.Index(fields=["reused_of"], name="photo_reused", condition=models.Q(reused_of__isnull=False)),
        ]

    def __str__(self):
        return self.original_name or self.image.name

    @property
    def extension(self):
        return {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}.get(self.content_type, "bin")


class TicketTally(models.Model):
    """How many tickets sit in each cell (district, street, unit, area, state), kept by the workflow.

    Every verb moves its ticket from one cell to another in the same transaction that
    changes the ticket, so boards and lists read exact counts without scanning a million
    rows. `python manage.py tally --check` recounts from the tickets; `--rebuild` repairs.
    `unit` is the responsible unit's id, 0 while nobody is responsible yet.
    """

    district = models.ForeignKey(OrgUnit, verbose_name=_("区"), on_delete=models.CASCADE, related_name="+")
    street = models.ForeignKey(OrgUnit, verbose_name=_("街道/乡镇"), on_delete=models.CASCADE, related_name="+")
    unit = models.PositiveBigIntegerField(_("责任单位"), default=0)
    area = models.ForeignKey(AssessmentArea, verbose_name=_("测评类别"), on_delete=models.CASCADE, related_name="+")
    state = models.CharField(_("状态"), max_length=16, choices=TicketState.choices)
    tickets = models.IntegerField(_("工单数"), default=0)
    returns = models.IntegerField(_("退回次数"), default=0)
    reopens = models.IntegerField(_("反弹次数"), default=0)

    class Meta:
        verbose_name = _("工单计数")
        verbose_name_plural = _("工单计数")
        constraints = [
            models.UniqueConstraint(fields=["district", "street", "unit", "area", "state"], name="unique_tally_cell")
        ]

    def __str__(self):
        return f"{self.district_id}/{self.street_id}/{self.unit}/{self.area_id}/{self.state}: {self.tickets}"


class TicketDay(models.Model):
    """Per district and day (Beijing time): tickets found that day, and tickets closed that day
    split by the whole hours they took from report to 销号. Kept by the workflow with TicketTally.

    The board's 30-day trend, its week and month figures and the median time to close read a
    few hundred of these rows instead of a month of tickets (a busy district finds thousands a
    day). The median read from whole hours is within half an hour of the exact one.
    """

    class Kind(models.TextChoices):
        FOUND = "found", _("发现")
        CLOSED = "closed", _("销号")

    district = models.ForeignKey(OrgUnit, verbose_name=_("区"), on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("日期"))
    kind = models.CharField(_("类别"), max_length=8, choices=Kind.choices)
    hours = models.IntegerField(_("办结小时数"), default=0)  # 0 on a 'found' row
    tickets = models.IntegerField(_("工单数"), default=0)

    class Meta:
        verbose_name = _("每日工单计数")
        verbose_name_plural = _("每日工单计数")
        constraints = [
            # Its index also serves every read: a district's days in a range.
            models.UniqueConstraint(fields=["district", "day", "kind", "hours"], name="unique_ticket_day_cell")
        ]

    def __str__(self):
        return f"{self.district_id}/{self.day}/{self.kind}/{self.hours}: {self.tickets}"
