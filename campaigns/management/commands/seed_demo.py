from django.core.management.base import BaseCommand

from campaigns.services.demo import DEMO_LOGINS, DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Load the demo city (四平市: 铁西区 TX and 铁东区 TD) with people, points and tickets. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEMO_PASSWORD, help="Password for newly created demo accounts.")
        parser.add_argument("--seed", type=int, default=20261122, help="Random seed, for a repeatable demo.")

    def handle(self, *args, password, seed, **options):
        seed_demo(password=password, seed=seed, log=lambda line: self.stdout.write(line))
        self.stdout.write(self.style.SUCCESS(f"演示数据已就绪。演示账号（密码 {password}）："))
        for username, role in DEMO_LOGINS:
            self.stdout.write(f"  {username:<15} {role}")
