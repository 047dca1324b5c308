from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from devdata.demo import DEMO_LOGINS, DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Load the demo city (四平市: 铁西区 TX and 铁东区 TD) with people, points and tickets. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEMO_PASSWORD, help="Password for newly created demo accounts.")
        parser.add_argument("--seed", type=int, default=20261122, help="Random seed, for a repeatable demo.")
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Load it on production settings (benchmarks and load tests only).",
        )

    def handle(self, *args, password, seed, allow_production=False, **options):
        # Demo accounts with a published password are exactly the default accounts an
        # assessed system must not have (等保: 不得存在默认账号).
        if not settings.DEVELOPMENT and not settings.TESTING and not allow_production:
            raise CommandError(
                "演示数据带有公开密码的演示账号，不能装入生产环境（DEMO 和 DEBUG 都未开启）。"
                "开发请用 make run（DEMO=1）；压测环境请加 --allow-production。"
            )
        seed_demo(password=password, seed=seed, log=lambda line: self.stdout.write(line))
        self.stdout.write(self.style.SUCCESS(f"演示数据已就绪。演示账号（密码 {password}）："))
        for username, role in DEMO_LOGINS:
            self.stdout.write(f"  {username:<15} {role}")
