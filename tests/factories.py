"""Small factories for the ledger's stories. Tickets are made through the workflow verbs."""

import datetime
import io

import factory
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from campaigns import workflow
from campaigns.models import (
    AssessmentArea,
    Campaign,
    CampaignKind,
    CampaignStatus,
    InspectionPoint,
    Membership,
    OrgUnit,
    PhotoKind,
    PointType,
    ProblemCategory,
    Role,
    UnitKind,
    WorkGroup,
    WorkGroupKind,
)
from campaigns.services.photos import photo_store
from campaigns.services.submissions import submission_key_new

PASSWORD = "Test@2026pass"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"测试{n}")
    password = factory.django.Password(PASSWORD)


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrgUnit

    name = factory.Sequence(lambda n: f"单位{n}")
    kind = UnitKind.COMMUNITY


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"巩固国家卫生城市行动{n}")
    kind = CampaignKind.CONSOLIDATE
    status = CampaignStatus.RUNNING
    start_date = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))
    inspection_date = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=40))


def member(user, unit, role):
    Membership.objects.create(user=user, unit=unit, role=role)
    return user


def jpeg_bytes(size=(64, 48), color=(200, 80, 40)):
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


def photo_upload(name="problem.jpg", content=None):
    return SimpleUploadedFile(name, content or jpeg_bytes(), content_type="image/jpeg")


def form_key():
    """The one-time key a freshly opened create form carries (campaigns/once.py)."""
    return submission_key_new()


def pending_photo(user, kind=PhotoKind.BEFORE):
    return photo_store(photo_upload(), user=user, kind=kind)


class District:
    """One district's world: its units, campaign, data and named people."""

    def __init__(self, city, name, code, prefix):
        self.unit = OrgUnit.objects.create(name=name, kind=UnitKind.DISTRICT, code=code, parent=city)
        self.street = OrgUnit.objects.create(name=f"{name}第一街道", kind=UnitKind.STREET, parent=self.unit)
        self.street2 = OrgUnit.objects.create(name=f"{name}第二街道", kind=UnitKind.STREET, parent=self.unit)
        self.community = OrgUnit.objects.create(name=f"{name}北沟社区", kind=UnitKind.COMMUNITY, parent=self.street)
        self.department = OrgUnit.objects.create(name=f"{name}执法局", kind=UnitKind.DEPARTMENT, parent=self.unit)
        self.department2 = OrgUnit.objects.create(name=f"{name}卫健局", kind=UnitKind.DEPARTMENT, parent=self.unit)
        self.campaign = CampaignFactory(district=self.unit)
        self.area = AssessmentArea.objects.create(campaign=self.campaign, code="3", name="市容环境卫生", order=3)
        self.area2 = AssessmentArea.objects.create(campaign=self.campaign, code="8", name="病媒生物预防控制", order=8)
        self.category = ProblemCategory.objects.create(
            campaign=self.campaign, area=self.area, name="垃圾暴露", default_deadline_days=3
        )
        self.category2 = ProblemCategory.objects.create(
            campaign=self.campaign, area=self.area2, name="鼠迹", default_deadline_days=5
        )
        point_type, _ = PointType.objects.get_or_create(name="农贸市场")
        self.point = InspectionPoint.objects.create(
            unit=self.community,
            point_type=point_type,
            name=f"{name}农贸市场",
            address="中心路1号",
            responsible_department=self.department,
        )
        self.work_line = WorkGroup.objects.create(
            campaign=self.campaign, kind=WorkGroupKind.WORK_LINE, name="城市管理专线"
        )
        self.finder_group = WorkGroup.objects.create(
            campaign=self.campaign, kind=WorkGroupKind.FINDER_GROUP, name="发现问题第一组"
        )
        self.staff = member(UserFactory(username=f"{prefix}_staff", first_name="网格员"), self.street, Role.STAFF)
        self.finder_group.members.add(self.staff)
        self.unit_liaison = member(UserFactory(username=f"{prefix}_unit"), self.department, Role.STAFF)
        self.supervisor = member(UserFactory(username=f"{prefix}_supervisor"), self.unit, Role.SUPERVISOR)
        self.supervisor2 = member(UserFactory(username=f"{prefix}_supervisor2"), self.unit, Role.SUPERVISOR)
        self.admin = member(UserFactory(username=f"{prefix}_admin"), self.unit, Role.ADMIN)
        self.leader = member(UserFactory(username=f"{prefix}_leader"), self.unit, Role.LEADER)

    # --- tickets through the workflow, the way people make them ----------------------------
    def log(self, actor=None, **kwargs):
        actor = actor or self.staff
        params = {
            "actor": actor,
            "campaign": self.campaign,
            "category": self.category,
            "description": "垃圾桶满溢，周边散落垃圾",
            "photos": [pending_photo(actor)],
            "point": self.point,
        }
        params.update(kwargs)
        return workflow.ticket_log(**params)

    def assigned(self, unit=None, deadline=None, signed=True, **kwargs):
        """A ticket handed to a unit; signed for (整改中) unless `signed=False` (待签收)."""
        ticket = self.log(**kwargs)
        ticket = workflow.ticket_assign(
            ticket=ticket,
            actor=self.supervisor,
            unit=unit or self.department,
            person="张三",
            deadline=deadline or timezone.localdate() + datetime.timedelta(days=3),
        )
        if signed:
            ticket = workflow.ticket_sign(ticket=ticket, actor=self.supervisor, note="电话签收")
        return ticket

    def submitted(self, by=None, **kwargs):
        ticket = self.assigned(**kwargs)
        by = by or self.unit_liaison
        return workflow.ticket_submit_fix(
            ticket=ticket, actor=by, note="已清理完毕", photos=[pending_photo(by, PhotoKind.AFTER)]
        )

    def closed(self, **kwargs):
        ticket = self.submitted(**kwargs)
        return workflow.ticket_close_out(ticket=ticket, actor=self.supervisor, note="核验通过")
