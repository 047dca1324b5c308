"""What the API answers: one schema per thing, named as the pages name it (DOMAIN.md)."""

import datetime

from ninja import Field, Schema


class Ref(Schema):
    """A unit, street, category or point named in a ticket."""

    id: int
    name: str


class TicketRow(Schema):
    number: str = Field(description="台账编号，例如 TX-202611-0042")
    district: str = Field(description="区代码")
    state: str = Field(description="状态：reported/assigned/rectifying/submitted/on_hold/closed/voided")
    state_label: str = Field(description="状态（中文）")
    category: Ref
    street: Ref | None
    point: Ref | None
    place: str
    description: str
    reported_at: datetime.datetime
    deadline: datetime.date | None
    responsible_unit: Ref | None
    responsible_person: str
    overdue: bool = Field(description="逾期：未办结且已过整改时限")
    closed_at: datetime.datetime | None
    return_count: int
    reopen_count: int


class TicketPage(Schema):
    count: int
    next_offset: int | None
    results: list[TicketRow]


class PhotoOut(Schema):
    id: int
    kind: str = Field(description="before 问题照片 / after 整改后照片 …")
    url: str = Field(description="原图（用同一令牌读取）")
    thumbnail_url: str


class EventOut(Schema):
    action: str
    action_label: str
    at: datetime.datetime
    actor: str
    from_state: str
    to_state: str
    note: str
    photos: list[int] = Field(description="这次操作附带的照片编号")


class TicketDetail(TicketRow):
    area: Ref
    campaign_id: int
    photos: list[PhotoOut]
    events: list[EventOut]
    actions: list[str] = Field(description="令牌对接账号现在可以做的操作")


class PointOut(Schema):
    id: int
    name: str
    district: str
    street: Ref | None
    point_type: str
    address: str
    latitude: float | None
    longitude: float | None
    is_active: bool


class PointPage(Schema):
    count: int
    next_offset: int | None
    results: list[PointOut]


class UnitOut(Schema):
    id: int
    name: str
    kind: str
    district: str | None
    street_id: int | None


class UnitPage(Schema):
    count: int
    next_offset: int | None
    results: list[UnitOut]


class CategoryOut(Schema):
    id: int
    name: str
    district: str
    campaign_id: int
    area: Ref
    default_deadline_days: int


class CategoryPage(Schema):
    count: int
    next_offset: int | None
    results: list[CategoryOut]


class DailyReportOut(Schema):
    id: int
    date: datetime.date
    district: str
    reporter: str = Field(description="报送单位或工作组")
    nothing_found: bool
    points_visited: int
    problems_found: int
    problems_fixed: int
    notes: str
    submitted_at: datetime.datetime
    is_late: bool


class DailyReportPage(Schema):
    count: int
    next_offset: int | None
    results: list[DailyReportOut]


class BoardRow(Schema):
    id: int
    name: str
    total: int
    open: int
    overdue: int
    closed: int
    closure_rate: float | None


class BoardOut(Schema):
    district: str
    today: datetime.date
    computed_at: datetime.datetime
    figures: dict[str, int] = Field(description="各状态工单数、逾期数、退回数、反弹数 …")
    closure_rate: float | None = Field(description="销号率（%）")
    median_days_to_close: float | None
    by_street: list[BoardRow]
    by_unit: list[BoardRow]
    by_area: list[BoardRow]
