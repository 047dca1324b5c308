"""Cities, districts, units, people, campaigns, checklists and reporting duties for the bench."""

import datetime
import hashlib
import io
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from campaigns.models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    ChecklistItem,
    InspectionPoint,
    Membership,
    OrgUnit,
    ProblemCategory,
    ReportingDuty,
    ReportSchedule,
    Role,
    UnitKind,
)
from campaigns.services.checklist import checklist_apply_standard
from campaigns.services.standard import campaign_apply_standard, point_types_ensure

from .constants import BENCH_PASSWORD, CITIES, DEPARTMENTS  # noqa: F401


@dataclass
class DistrictWorld:
    unit: OrgUnit
    campaign: Campaign
    streets: list
    departments: list
    points: list  # (id, street_id, responsible_department_id)
    categories: list  # (id, area_id)
    items_by_area: dict
    staff_by_street: dict
    liaison_by_unit: dict
    supervisors: list
    admin: object
    events: int = 0
    extra: dict = field(default_factory=dict)


def _photo_files():
    files = []
    for index, color in enumerate([(130, 100, 80), (80, 140, 110)]):
        out = io.BytesIO()
        Image.new("RGB", (320, 240), color).save(out, "JPEG", quality=60)
        name = default_storage.save(f"photos/scale/{index}.jpg", ContentFile(out.getvalue()))
        files.append((name, len(out.getvalue()), hashlib.sha256(out.getvalue()).hexdigest()))
    return files


def _user(username, name, password_hash, is_staff=False):
    user, _ = get_user_model().objects.get_or_create(
        username=username, defaults={"first_name": name, "password": password_hash, "is_staff": is_staff}
    )
    return user


def build_structure(rng, password_hash, log):
    """Cities, districts, units, people, campaigns, checklists and reporting duties."""
    types = point_types_ensure()
    worlds = []
    for city_name, city_code, districts in CITIES:
        city, _ = OrgUnit.objects.get_or_create(
            parent=None, name=city_name, defaults={"kind": UnitKind.CITY, "code": city_code}
        )
        city_admin = _user(f"bench_city_{city_code.lower()}", f"{city_name}创卫办", password_hash, True)
        Membership.objects.get_or_create(user=city_admin, unit=city, role=Role.ADMIN)
        for name, code in districts:
            district = OrgUnit.objects.filter(kind=UnitKind.DISTRICT, code=code).first()
            if district is None:
                district = OrgUnit(name=name, kind=UnitKind.DISTRICT, code=code, parent=city)
                district.save()
            prefix = f"bench_{code.lower()}"
            streets = []
            for s in range(5):
                street, _ = OrgUnit.objects.get_or_create(
                    parent=district, name=f"{name}第{s + 1}街道", defaults={"kind": UnitKind.STREET, "order": s}
                )
                streets.append(street)
                for c in range(4):
                    OrgUnit.objects.get_or_create(
                        parent=street, name=f"{street.name}{c + 1}社区", defaults={"kind": UnitKind.COMMUNITY}
                    )
            departments = []
            for d, dept_name in enumerate(DEPARTMENTS):
                dept, _ = OrgUnit.objects.get_or_create(
                    parent=district, name=dept_name, defaults={"kind": UnitKind.DEPARTMENT, "order": d}
                )
                departments.append(dept)
            admin = _user(f"{prefix}_admin", f"{name}管理员", password_hash, True)
            Membership.objects.get_or_create(user=admin, unit=district, role=Role.ADMIN)
            supervisors = []
            for i in range(2):
                sup = _user(f"{prefix}_supervisor{i + 1}", f"{name}督导{i + 1}", password_hash)
                Membership.objects.get_or_create(user=sup, unit=district, role=Role.SUPERVISOR)
                supervisors.append(sup)
            leader = _user(f"{prefix}_leader", f"{name}领导", password_hash)
            Membership.objects.get_or_create(user=leader, unit=district, role=Role.LEADER)
            staff_by_street = {}
            for s, street in enumerate(streets):
                people = []
                for i in range(3):
                    user = _user(f"{prefix}_staff{s + 1}_{i + 1}", f"{street.name}网格员{i + 1}", password_hash)
                    Membership.objects.get_or_create(user=user, unit=street, role=Role.STAFF)
                    people.append(user)
                staff_by_street[street.pk] = people
            liaison_by_unit = {}
            for d, dept in enumerate(departments):
                user = _user(f"{prefix}_unit{d + 1}", f"{dept.name}联络员", password_hash)
                Membership.objects.get_or_create(user=user, unit=dept, role=Role.STAFF)
                liaison_by_unit[dept.pk] = user
            for street in streets:
                liaison_by_unit[street.pk] = staff_by_street[street.pk][0]
            today = timezone.localdate()
            campaign, created = Campaign.objects.get_or_create(
                district=district,
                name=f"{name}巩固国家卫生城市行动",
                defaults={
                    "kind": CampaignKind.CONSOLIDATE,
                    "status": CampaignStatus.RUNNING,
                    "start_date": today - datetime.timedelta(days=400),
                    "inspection_date": today + datetime.timedelta(days=60),
                },
            )
            campaign_apply_standard(campaign)
            checklist_apply_standard(campaign=campaign, actor=admin)
            ReportSchedule.objects.get_or_create(campaign=campaign)
            for street in streets:
                ReportingDuty.objects.get_or_create(
                    campaign=campaign, unit=street, defaults={"since": campaign.start_date}
                )
            points = []
            existing = list(
                InspectionPoint.objects.filter(district=district).values_list(
                    "id", "street_id", "responsible_department_id"
                )
            )
            if existing:
                points = existing
            else:
                for p in range(50):
                    street = streets[p % len(streets)]
                    point = InspectionPoint(
                        unit=street,
                        point_type=types[p % len(types)],
                        name=f"{street.name}点位{p + 1}",
                        address=f"{street.name}{p + 1}号",
                        responsible_department=departments[p % len(departments)],
                    )
                    point.save()
                    points.append((point.pk, street.pk, point.responsible_department_id))
            categories = list(ProblemCategory.objects.filter(campaign=campaign).values_list("id", "area_id"))
            items_by_area = {}
            for item_id, area_id in ChecklistItem.objects.filter(campaign=campaign).values_list("id", "area_id"):
                items_by_area.setdefault(area_id, []).append(item_id)
            worlds.append(
                DistrictWorld(
                    unit=district,
                    campaign=campaign,
                    streets=streets,
                    departments=departments,
                    points=points,
                    categories=categories,
                    items_by_area=items_by_area,
                    staff_by_street=staff_by_street,
                    liaison_by_unit=liaison_by_unit,
                    supervisors=supervisors,
                    admin=admin,
                )
            )
            log(f"  {name} ({code}) ready")
    return worlds
