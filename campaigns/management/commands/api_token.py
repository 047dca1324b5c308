"""python manage.py api_token --user NAME --districts TX[,TD] --scope read|write [--name …]

Issues a token for scripts and CI (scripts/schemathesis.sh) and prints it once; only its
digest is kept. Revoke it on the 接口令牌 page."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from campaigns.models import ApiScope, OrgUnit, UnitKind
from campaigns.services.api_tokens import TokenRefused, api_token_create


class Command(BaseCommand):
    help = "Issue an API token acting as an account within some of its districts; print it once."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="the integration account the token acts as")
        parser.add_argument("--districts", required=True, help="district codes, comma-separated (e.g. TX,TD)")
        parser.add_argument("--scope", required=True, choices=ApiScope.values)
        parser.add_argument("--name", default="", help="which system uses it (default: 'script')")

    def handle(self, *args, **options):
        owner = get_user_model().objects.filter(username=options["user"], is_active=True).first()
        if owner is None:
            raise CommandError(f"no active account {options['user']!r}")
        codes = [c.strip().upper() for c in options["districts"].split(",") if c.strip()]
        districts = list(OrgUnit.objects.filter(kind=UnitKind.DISTRICT, code__in=codes))
        missing = set(codes) - {d.code for d in districts}
        if missing:
            raise CommandError(f"no district {', '.join(sorted(missing))}")
        try:
            _token, secret = api_token_create(
                name=options["name"] or "script",
                owner=owner,
                districts=districts,
                scope=options["scope"],
                created_by=None,
            )
        except TokenRefused as refused:
            raise CommandError(str(refused)) from None
        self.stdout.write(secret)
