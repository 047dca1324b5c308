import shutil

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from campaigns.models import AuditKind, InspectionRound, Membership, Role, UnitKind
from campaigns.services.rectification_reports import (
    rectification_report_failed,
    rectification_report_generate,
    rectification_report_request,
)
from security.audit import audit_record


class Command(BaseCommand):
    help = "Write a district's 整改报告 for an inspection round (a new version, as the page makes it) as .docx."

    def add_arguments(self, parser):
        parser.add_argument("--round", required=True, type=int, dest="round_id", help="The round's id")
        parser.add_argument("--district", help="District code, e.g. TX (needed when the round covers several)")
        parser.add_argument("--output", required=True, help="Where to write the .docx")
        parser.add_argument("--user", help="Recorded as the one who generated it (default: the district's admin)")

    def handle(self, *args, round_id, output, district=None, user=None, **options):
        inspection_round = InspectionRound.objects.filter(pk=round_id).first()
        if inspection_round is None:
            raise CommandError(f"No inspection round with id {round_id}.")
        covered = inspection_round.districts.filter(kind=UnitKind.DISTRICT).order_by("order", "id")
        if district:
            unit = covered.filter(code=district.upper()).first()
            if unit is None:
                codes = ", ".join(covered.values_list("code", flat=True)) or "none"
                raise CommandError(f"Round {round_id} does not cover district {district!r} (it covers: {codes}).")
        elif covered.count() == 1:
            unit = covered.get()
        else:
            codes = ", ".join(covered.values_list("code", flat=True)) or "none"
            raise CommandError(f"Round {round_id} covers several districts ({codes}): pass --district.")
        memberships = Membership.objects.filter(role=Role.ADMIN).filter(
            Q(unit=unit) | Q(unit__kind=UnitKind.CITY, unit__children=unit)
        )
        if user:
            memberships = memberships.filter(user__username=user)
        membership = memberships.select_related("user").first()
        if membership is None:
            raise CommandError("No admin of this district to record as the author; pass --user.")
        report = rectification_report_request(inspection_round=inspection_round, district=unit, actor=membership.user)
        try:
            report = rectification_report_generate(report)
        except Exception as exc:
            rectification_report_failed(report.pk, exc)
            raise CommandError(f"The report could not be written: {exc}") from exc
        with report.file.open("rb") as source, open(output, "wb") as target:
            shutil.copyfileobj(source, target)
        audit_record(
            AuditKind.EXPORT,
            user=membership.user,
            district=unit.pk,
            target=f"整改报告 {inspection_round.name} {unit.name} v{report.version}",
            via="export_rectification_report command",
            output=str(output),
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"{inspection_round.name} · {unit.name} v{report.version}: "
                f"{report.finding_count} findings, {report.file_size} bytes → {output}"
            )
        )
