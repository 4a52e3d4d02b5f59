"""Who is a left-behind child, and why: pure functions over plain facts.

The rules (涵政综〔2017〕31号, 国发〔2016〕13号, 国发〔2016〕36号, 民发〔2019〕62号):

- Left-behind child: under 16, rural household registration, and either both parents away for
  work, or one away and the other without guardianship capacity. "Away" means away for work
  for at least ``months_away`` months (counted from leaving, or from the last return home).
- A parent without guardianship capacity: seriously ill or seriously disabled (the policy's
  words), and also deceased, missing or imprisoned, who cannot exercise it at all.
- De-facto unsupported child: both parents deceased, missing, imprisoned, seriously ill or
  seriously disabled (none away for work: the child is not left-behind but unsupported).
- Living alone without a guardian: a mandatory-report situation (未成年人保护法 art. 21).
- Child in difficulty: family poverty, the child's own disability, or absent guardianship.
- Key target: poor guardianship, illness or disability, or an entrusted guardian who is too old
  or seriously ill to look after the child.

Nothing here touches the database: the registry builds ``ChildFacts`` from a child's file and
stores the result, with its reasons, on the child.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

AWAY = "away_for_work"
INCAPABLE_STATUSES = frozenset({"seriously_ill", "seriously_disabled", "deceased", "missing", "imprisoned"})
UNSUPPORTED_STATUSES = INCAPABLE_STATUSES
POVERTY_FLAGS = frozenset({"registered_poor", "monitored_household", "dibao_household", "tekun"})

# Kinds of left-behind child.
BOTH_AWAY = "both_away"
ONE_AWAY_OTHER_INCAPABLE = "one_away_other_incapable"

# Flags.
LIVES_ALONE = "lives_alone"
IN_DIFFICULTY = "in_difficulty"
DE_FACTO_UNSUPPORTED = "de_facto_unsupported"
KEY_TARGET = "key_target"

FLAG_LABELS: dict[str, StrOrPromise] = {
    LIVES_ALONE: _("Living alone without a guardian"),
    IN_DIFFICULTY: _("Child in difficulty"),
    DE_FACTO_UNSUPPORTED: _("De-facto unsupported child"),
    KEY_TARGET: _("Key target"),
}
KIND_LABELS: dict[str, StrOrPromise] = {
    BOTH_AWAY: _("Both parents away for work"),
    ONE_AWAY_OTHER_INCAPABLE: _("One parent away, the other without guardianship capacity"),
}


# A reason is stored as {"m": English msgid, "p": parameters}, and put into words when shown,
# in the reader's language. Parameters that are words are stored as codes.
Reason = dict[str, object]
PARENT_WORDS: dict[str, StrOrPromise] = {"father": _("father"), "mother": _("mother")}


def say(reasons: list[Reason], message: str, params: dict[str, object] | None = None) -> None:
    reasons.append({"m": message, "p": params or {}})


def explain(reason: object) -> str:
    """One stored reason in the active language (plain text from older records is shown as is)."""
    if not isinstance(reason, dict):
        return str(reason)
    params = dict(reason.get("p") or {})
    words: dict[str, dict[str, StrOrPromise]] = {"parent": PARENT_WORDS, "status": STATUS_WORDS, "kind": KIND_LABELS}
    for key, table in words.items():
        if key in params:
            params[key] = str(table.get(str(params[key]), params[key]))
    text = gettext(str(reason.get("m", "")))
    return text % params if params else text


@dataclass(frozen=True)
class Thresholds:
    age_limit: int = 16
    months_away: int = 6
    guardian_max_age: int = 70


@dataclass(frozen=True)
class ParentFacts:
    status: str = ""
    left_on: date | None = None
    last_returned_on: date | None = None


@dataclass(frozen=True)
class GuardianFacts:
    age: int | None = None
    health: str = "healthy"


@dataclass(frozen=True)
class ChildFacts:
    birth_date: date
    rural_hukou: bool = True
    health: str = "healthy"
    living_arrangement: str = ""
    guardianship_type: str = ""
    guardianship_assessment: str = ""
    poverty_flags: frozenset[str] = frozenset()
    assistance: frozenset[str] = frozenset()
    father: ParentFacts | None = None
    mother: ParentFacts | None = None
    guardian: GuardianFacts | None = None


@dataclass
class Eligibility:
    is_left_behind: bool = False
    kind: str = ""
    flags: set[str] = field(default_factory=set)
    reasons: list[Reason] = field(default_factory=list)


def age_on(birth_date: date, day: date) -> int:
    """Whole years of age on ``day`` (one turns 16 on the 16th birthday; 29 Feb birthdays on 1 Mar)."""
    years = day.year - birth_date.year
    if (day.month, day.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def months_between(start: date, end: date) -> int:
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if end.day < start.day:
        months -= 1
    return months


def _parent_away(
    parent: ParentFacts | None, today: date, limits: Thresholds, label: str, reasons: list[Reason]
) -> bool:
    if parent is None or parent.status != AWAY:
        return False
    dates = [d for d in (parent.left_on, parent.last_returned_on) if d is not None]
    since = max(dates) if dates else None
    if since is None:
        say(reasons, gettext_noop("The %(parent)s is away for work (date of leaving not recorded)."), {"parent": label})
        return True
    months = months_between(since, today)
    if months < limits.months_away:
        say(
            reasons,
            gettext_noop("The %(parent)s has been away for %(months)s months, less than %(limit)s."),
            {"parent": label, "months": max(months, 0), "limit": limits.months_away},
        )
        return False
    say(
        reasons,
        gettext_noop("The %(parent)s has been away for work for %(months)s months."),
        {"parent": label, "months": months},
    )
    return True


def _parent_incapable(parent: ParentFacts | None, label: str, reasons: list[Reason]) -> bool:
    if parent is None or parent.status not in INCAPABLE_STATUSES:
        return False
    say(
        reasons,
        gettext_noop("The %(parent)s cannot exercise guardianship (%(status)s)."),
        {"parent": label, "status": parent.status},
    )
    return True


def _parent_neither(parent: ParentFacts | None, label: str, reasons: list[Reason]) -> None:
    """A parent who is neither away for work nor without capacity: said, so that a child who is not
    on the list (one parent at home) reads why, and not only what the other parent does."""
    if parent is None:
        say(reasons, gettext_noop("No %(parent)s is recorded in the family."), {"parent": label})
    elif parent.status == "at_home":
        say(reasons, gettext_noop("The %(parent)s is at home, not away for work."), {"parent": label})
    elif parent.status != AWAY and parent.status not in INCAPABLE_STATUSES:
        say(
            reasons,
            gettext_noop("The %(parent)s is neither away for work nor without guardianship capacity."),
            {"parent": label},
        )


STATUS_WORDS: dict[str, StrOrPromise] = {
    "seriously_ill": _("seriously ill"),
    "seriously_disabled": _("seriously disabled"),
    "deceased": _("deceased"),
    "missing": _("missing"),
    "imprisoned": _("imprisoned"),
}


def evaluate(facts: ChildFacts, *, today: date, limits: Thresholds | None = None) -> Eligibility:
    limits = limits or Thresholds()
    result = Eligibility()
    reasons = result.reasons
    father_word, mother_word = "father", "mother"

    age = age_on(facts.birth_date, today)
    under_age = 0 <= age < limits.age_limit
    if under_age:
        say(reasons, gettext_noop("Aged %(age)s, under %(limit)s."), {"age": age, "limit": limits.age_limit})
    else:
        say(reasons, gettext_noop("Aged %(age)s: not under %(limit)s."), {"age": age, "limit": limits.age_limit})
    if facts.rural_hukou:
        say(reasons, gettext_noop("Rural household registration."))
    else:
        say(reasons, gettext_noop("Not a rural household registration."))

    father_away = _parent_away(facts.father, today, limits, father_word, reasons)
    mother_away = _parent_away(facts.mother, today, limits, mother_word, reasons)
    father_incapable = _parent_incapable(facts.father, father_word, reasons)
    mother_incapable = _parent_incapable(facts.mother, mother_word, reasons)
    _parent_neither(facts.father, father_word, reasons)
    _parent_neither(facts.mother, mother_word, reasons)

    if under_age and facts.rural_hukou:
        if father_away and mother_away:
            result.is_left_behind, result.kind = True, BOTH_AWAY
        elif (father_away and mother_incapable) or (mother_away and father_incapable):
            result.is_left_behind, result.kind = True, ONE_AWAY_OTHER_INCAPABLE
    if result.is_left_behind:
        say(reasons, gettext_noop("Left-behind child: %(kind)s."), {"kind": result.kind})
    else:
        say(reasons, gettext_noop("Not a left-behind child under the policy's definition."))

    if not under_age:
        return result

    if facts.living_arrangement == "alone" or facts.guardianship_type == "unsupervised":
        result.flags.add(LIVES_ALONE)
        say(reasons, gettext_noop("Lives alone without a guardian: report to the police at once (mandatory report)."))

    if (
        facts.father is not None
        and facts.mother is not None
        and facts.father.status in UNSUPPORTED_STATUSES
        and facts.mother.status in UNSUPPORTED_STATUSES
    ):
        result.flags.add(DE_FACTO_UNSUPPORTED)
        say(reasons, gettext_noop("Neither parent can support the child: de-facto unsupported child."))

    if facts.poverty_flags & POVERTY_FLAGS or "dibao" in facts.assistance:
        result.flags.add(IN_DIFFICULTY)
        say(reasons, gettext_noop("Family in poverty: child in difficulty."))
    if facts.health == "disabled":
        result.flags.update({IN_DIFFICULTY, KEY_TARGET})
        say(reasons, gettext_noop("The child is disabled: child in difficulty and key target."))
    if LIVES_ALONE in result.flags or DE_FACTO_UNSUPPORTED in result.flags:
        result.flags.update({IN_DIFFICULTY, KEY_TARGET})
        say(reasons, gettext_noop("Without guardianship or support: child in difficulty and key target."))
    if facts.health == "ill":
        result.flags.add(KEY_TARGET)
        say(reasons, gettext_noop("The child is ill: key target."))
    if facts.guardianship_assessment == "poor" or facts.guardianship_type in {
        "parent_incapable",
        "entrusted_insufficient",
    }:
        result.flags.add(KEY_TARGET)
        say(reasons, gettext_noop("Guardianship is poor or insufficient: key target."))
    guardian = facts.guardian
    if guardian is not None and result.is_left_behind:
        if guardian.age is not None and guardian.age >= limits.guardian_max_age:
            result.flags.add(KEY_TARGET)
            say(
                reasons,
                gettext_noop("The entrusted guardian is %(age)s, aged %(limit)s or over: key target."),
                {"age": guardian.age, "limit": limits.guardian_max_age},
            )
        if guardian.health in {"serious_illness", "disabled"}:
            result.flags.add(KEY_TARGET)
            say(reasons, gettext_noop("The entrusted guardian is seriously ill or disabled: key target."))
    return result
