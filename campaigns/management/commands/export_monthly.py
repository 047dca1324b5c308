import shutil

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from campaigns.models import AuditKind, Membership, OrgUnit, Role, UnitKind
from campaigns.services.monthly import parse_month, summary_generate, summary_request
from security.audit import audit_record


class Command(BaseCommand):
    help = "Generate a district's monthly summary (a new frozen version) and write its .xlsx."

    def add_arguments(self, parser):
        parser.add_argument("--district", required=True, help="District code, e.g. TX")
        parser.add_argument("--month", required=True, help="YYYY-MM, e.g. 2026-11")
        parser.add_argument("--output", required=True, help="Where to write the .xlsx")
        parser.add_argument("--user", help="Recorded as the one who generated it (default: the district's admin)")
        parser.add_argument(
            "--language",
            default=settings.LANGUAGE_CODE,
            choices=[code for code, _name in settings.LANGUAGES],
            help="The language of the workbook (default: zh-hans)",
        )

    def handle(self, *args, district, month, output, user=None, language=settings.LANGUAGE_CODE, **options):
        unit = OrgUnit.objects.filter(kind=UnitKind.DISTRICT, code=district.upper()).first()
        if unit is None:
            raise CommandError(f"No district with code {district!r}.")
        try:
            first = parse_month(month)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        memberships = Membership.objects.filter(role=Role.ADMIN).filter(
            Q(unit=unit) | Q(unit__kind=UnitKind.CITY, unit__children=unit)
        )
        if user:
            memberships = memberships.filter(user__username=user)
        membership = memberships.select_related("user").first()
        if membership is None:
            raise CommandError("No admin of this district to record as the author; pass --user.")
        summary = summary_generate(
            summary_request(district=unit, month=first, actor=membership.user, language=language)
        )
        with summary.file.open("rb") as source, open(output, "wb") as target:
            shutil.copyfileobj(source, target)
        audit_record(
            AuditKind.EXPORT,
            user=membership.user,
            district=unit.pk,
            target=f"monthly summary {first:%Y-%m} v{summary.version}",
            via="export_monthly command",
            output=str(output),
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"{unit.name} {first:%Y-%m} v{summary.version}: {summary.ticket_count} tickets → {output}"
            )
        )
