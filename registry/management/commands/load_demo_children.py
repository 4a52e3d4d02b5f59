from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from registry.demo import load_demo_children


class Command(BaseCommand):
    help = "Create about 2,000 synthetic demo children over Hanjiang's villages (once; flagged as demo)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not User.objects.filter(username="mzj").exists():
            raise CommandError("Load the demo organisations and users first: manage.py load_demo")
        created = load_demo_children()
        if created:
            self.stdout.write(f"演示儿童：新建 {created} 名（姓名第二字为“演”或“示”，均为虚构）。")
        else:
            self.stdout.write("演示儿童已存在，未重复创建。")
