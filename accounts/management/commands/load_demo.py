from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounts.demo import COUNTY_CODE, DEMO_PASSWORD, load_demo
from regions.models import Region


class Command(BaseCommand):
    help = "Create or refresh the Hanjiang demo organisations and users (all flagged as demo). Idempotent."

    def handle(self, *args: Any, **options: Any) -> None:
        if not Region.objects.filter(code=COUNTY_CODE).exists():
            raise CommandError("Load the Hanjiang regions first: manage.py load_regions regions/data/*.csv")
        logins = load_demo()
        self.stdout.write("")
        self.stdout.write("演示账号（数据均为虚构）  Demo logins — password for all: " + DEMO_PASSWORD)
        for login in logins:
            self.stdout.write(f"  {login.username:<16} {login.role}（{login.where}）")
        self.stdout.write("  每个乡镇的督导员为 dd+乡镇代码后三位（如 dd104），每个村的儿童主任为 cz+村代码后六位。")
        self.stdout.write("")
