"""Roles, and which kinds of organisation may hold each."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SYSTEM_ADMIN = "system_admin", _("System administrator")
    DISTRICT_ADMIN = "district_admin", _("District civil-affairs administrator")
    DEPARTMENT_LIAISON = "department_liaison", _("Department liaison")
    TOWNSHIP_SUPERVISOR = "township_supervisor", _("Township supervisor")
    VILLAGE_DIRECTOR = "village_director", _("Village child director")
    SCHOOL_LIAISON = "school_liaison", _("School liaison")
    POLICE_OFFICER = "police_officer", _("Police officer")
    SERVICE_PROVIDER = "service_provider", _("Service provider")
    LEADER = "leader", _("Leader (read-only)")


class OrgKind(models.TextChoices):
    CIVIL_AFFAIRS = "civil_affairs", _("Civil-affairs bureau")
    DEPARTMENT = "department", _("Government department")
    PEOPLES_ORGANISATION = "peoples_organisation", _("People's organisation")
    COURT = "court", _("Court")
    PROCURATORATE = "procuratorate", _("Procuratorate")
    POLICE_BUREAU = "police_bureau", _("Public-security bureau")
    POLICE_STATION = "police_station", _("Police station")
    TOWNSHIP_GOVERNMENT = "township_government", _("Township government")
    VILLAGE_COMMITTEE = "village_committee", _("Village or residents' committee")
    SCHOOL = "school", _("School")
    KINDERGARTEN = "kindergarten", _("Kindergarten")
    HOSPITAL = "hospital", _("Medical institution")
    SOCIAL_WORK = "social_work", _("Social-work organisation")
    SOCIAL_ORGANISATION = "social_organisation", _("Social organisation or volunteer team")
    RELIEF_STATION = "relief_station", _("Relief station")


# The region level an organisation of each kind sits at (None: any level).
ORG_KIND_LEVEL: dict[str, str | None] = {
    OrgKind.CIVIL_AFFAIRS: "county",
    OrgKind.DEPARTMENT: "county",
    OrgKind.PEOPLES_ORGANISATION: "county",
    OrgKind.COURT: "county",
    OrgKind.PROCURATORATE: "county",
    OrgKind.POLICE_BUREAU: "county",
    OrgKind.POLICE_STATION: "township",
    OrgKind.TOWNSHIP_GOVERNMENT: "township",
    OrgKind.VILLAGE_COMMITTEE: "village",
    OrgKind.SCHOOL: None,
    OrgKind.KINDERGARTEN: None,
    OrgKind.HOSPITAL: None,
    OrgKind.SOCIAL_WORK: None,
    OrgKind.SOCIAL_ORGANISATION: None,
    OrgKind.RELIEF_STATION: "county",
}

# Which organisations a person with each role may belong to.
ROLE_ORG_KINDS: dict[str, frozenset[str]] = {
    Role.SYSTEM_ADMIN: frozenset({OrgKind.CIVIL_AFFAIRS}),
    Role.DISTRICT_ADMIN: frozenset({OrgKind.CIVIL_AFFAIRS}),
    Role.DEPARTMENT_LIAISON: frozenset(
        {
            OrgKind.CIVIL_AFFAIRS,
            OrgKind.DEPARTMENT,
            OrgKind.PEOPLES_ORGANISATION,
            OrgKind.COURT,
            OrgKind.PROCURATORATE,
            OrgKind.POLICE_BUREAU,
            OrgKind.RELIEF_STATION,
            OrgKind.HOSPITAL,
        }
    ),
    Role.TOWNSHIP_SUPERVISOR: frozenset({OrgKind.TOWNSHIP_GOVERNMENT}),
    Role.VILLAGE_DIRECTOR: frozenset({OrgKind.VILLAGE_COMMITTEE}),
    Role.SCHOOL_LIAISON: frozenset({OrgKind.SCHOOL, OrgKind.KINDERGARTEN}),
    Role.POLICE_OFFICER: frozenset({OrgKind.POLICE_STATION, OrgKind.POLICE_BUREAU}),
    Role.SERVICE_PROVIDER: frozenset({OrgKind.SOCIAL_WORK, OrgKind.SOCIAL_ORGANISATION, OrgKind.HOSPITAL}),
    Role.LEADER: frozenset(
        {
            OrgKind.CIVIL_AFFAIRS,
            OrgKind.DEPARTMENT,
            OrgKind.PEOPLES_ORGANISATION,
            OrgKind.POLICE_BUREAU,
            OrgKind.TOWNSHIP_GOVERNMENT,
        }
    ),
}
