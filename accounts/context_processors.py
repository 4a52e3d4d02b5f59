"""What the layout needs on every page: the user's navigation and jurisdiction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.permissions import Perm, permissions_of


@dataclass(frozen=True)
class NavItem:
    label: Any
    url_name: str
    icon: str
    perm: Perm | None = None

    @property
    def url(self) -> str:
        return reverse(self.url_name)


NAVIGATION = [
    NavItem(_("Home"), "home", "house"),
    NavItem(_("To-do"), "todo_list", "check2-square"),
    NavItem(_("Children"), "child_list", "person-vcard", Perm.VIEW_CHILDREN),
    NavItem(_("Census"), "campaign_list", "clipboard-check"),
    NavItem(_("Data matching"), "discrepancy_list", "arrow-left-right", Perm.VERIFY_DISCREPANCIES),
    NavItem(_("Regions"), "region_index", "diagram-3", Perm.VIEW_REGIONS),
    NavItem(_("Organisations"), "organisation_list", "building", Perm.VIEW_ORGANISATIONS),
    NavItem(_("Users"), "user_list", "people", Perm.VIEW_USERS),
    NavItem(_("Audit trail"), "audit_list", "journal-text", Perm.VIEW_AUDIT),
]


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    perms = permissions_of(user)
    region = getattr(user, "jurisdiction", None)
    return {
        "nav_items": [item for item in NAVIGATION if item.perm is None or item.perm in perms],
        "user_perms": {p.value for p in perms},
        "jurisdiction_label": region.full_name if region is not None else _("All regions"),
    }
