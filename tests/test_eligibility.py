"""Table-driven tests of the eligibility rules, edges included."""

from __future__ import annotations

from datetime import date

import pytest

from registry.eligibility import (
    BOTH_AWAY,
    DE_FACTO_UNSUPPORTED,
    IN_DIFFICULTY,
    KEY_TARGET,
    LIVES_ALONE,
    ONE_AWAY_OTHER_INCAPABLE,
    ChildFacts,
    GuardianFacts,
    ParentFacts,
    Thresholds,
    age_on,
    evaluate,
    explain,
    months_between,
)

TODAY = date(2026, 11, 28)
AWAY_LONG = ParentFacts(status="away_for_work", left_on=date(2025, 1, 1))
AWAY_SHORT = ParentFacts(status="away_for_work", left_on=date(2026, 8, 1))
AT_HOME = ParentFacts(status="at_home")
DECEASED = ParentFacts(status="deceased")
ILL = ParentFacts(status="seriously_ill")
DISABLED = ParentFacts(status="seriously_disabled")
IMPRISONED = ParentFacts(status="imprisoned")
CHILD_BORN = date(2016, 3, 5)


def facts(**kw: object) -> ChildFacts:
    base: dict[str, object] = {"birth_date": CHILD_BORN, "father": AWAY_LONG, "mother": AWAY_LONG}
    base.update(kw)
    return ChildFacts(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("case", "child", "left_behind", "kind"),
    [
        ("both away long", facts(), True, BOTH_AWAY),
        ("father away, mother at home", facts(mother=AT_HOME), False, ""),
        ("father away, mother seriously ill", facts(mother=ILL), True, ONE_AWAY_OTHER_INCAPABLE),
        ("mother away, father seriously disabled", facts(father=DISABLED), True, ONE_AWAY_OTHER_INCAPABLE),
        ("one parent deceased, the other away", facts(father=DECEASED), True, ONE_AWAY_OTHER_INCAPABLE),
        ("one parent imprisoned, the other away", facts(mother=IMPRISONED), True, ONE_AWAY_OTHER_INCAPABLE),
        ("both away under six months", facts(father=AWAY_SHORT, mother=AWAY_SHORT), False, ""),
        ("one away long, other away short", facts(mother=AWAY_SHORT), False, ""),
        ("turns 16 today", facts(birth_date=date(2010, 11, 28)), False, ""),
        ("turns 16 tomorrow", facts(birth_date=date(2010, 11, 29)), True, BOTH_AWAY),
        ("urban household registration", facts(rural_hukou=False), False, ""),
        ("both at home", facts(father=AT_HOME, mother=AT_HOME), False, ""),
        ("father unknown, mother away", facts(father=None), False, ""),
        ("away with no date recorded", facts(father=ParentFacts(status="away_for_work")), True, BOTH_AWAY),
        (
            "returned home recently resets the clock",
            facts(
                mother=ParentFacts(status="away_for_work", left_on=date(2020, 1, 1), last_returned_on=date(2026, 10, 1))
            ),
            False,
            "",
        ),
        (
            "exactly six months away",
            facts(father=ParentFacts(status="away_for_work", left_on=date(2026, 5, 28))),
            True,
            BOTH_AWAY,
        ),
        (
            "one day short of six months",
            facts(father=ParentFacts(status="away_for_work", left_on=date(2026, 5, 29))),
            False,
            "",
        ),
        ("newborn, both away", facts(birth_date=date(2026, 11, 1)), True, BOTH_AWAY),
    ],
)
def test_left_behind(case: str, child: ChildFacts, left_behind: bool, kind: str) -> None:
    result = evaluate(child, today=TODAY)
    assert (result.is_left_behind, result.kind) == (left_behind, kind), (case, result.reasons)
    assert result.reasons, "every decision carries its reasons"


@pytest.mark.parametrize(
    ("case", "child", "present", "absent"),
    [
        ("entrusted guardian aged 70", facts(guardian=GuardianFacts(age=70)), {KEY_TARGET}, set()),
        ("entrusted guardian aged 69", facts(guardian=GuardianFacts(age=69)), set(), {KEY_TARGET}),
        ("entrusted guardian over 70", facts(guardian=GuardianFacts(age=78)), {KEY_TARGET}, set()),
        (
            "entrusted guardian seriously ill",
            facts(guardian=GuardianFacts(age=55, health="serious_illness")),
            {KEY_TARGET},
            set(),
        ),
        ("lives alone", facts(living_arrangement="alone"), {LIVES_ALONE, KEY_TARGET, IN_DIFFICULTY}, set()),
        ("unsupervised", facts(guardianship_type="unsupervised"), {LIVES_ALONE}, set()),
        (
            "both parents deceased",
            facts(father=DECEASED, mother=DECEASED),
            {DE_FACTO_UNSUPPORTED, IN_DIFFICULTY},
            set(),
        ),
        ("deceased and imprisoned", facts(father=DECEASED, mother=IMPRISONED), {DE_FACTO_UNSUPPORTED}, set()),
        ("one deceased, other away", facts(father=DECEASED), set(), {DE_FACTO_UNSUPPORTED}),
        ("disabled child", facts(health="disabled"), {IN_DIFFICULTY, KEY_TARGET}, set()),
        ("ill child", facts(health="ill"), {KEY_TARGET}, {IN_DIFFICULTY}),
        ("poor guardianship", facts(guardianship_assessment="poor"), {KEY_TARGET}, set()),
        ("dibao household", facts(poverty_flags=frozenset({"dibao_household"})), {IN_DIFFICULTY}, {KEY_TARGET}),
        (
            "healthy, good guardianship",
            facts(guardianship_assessment="good"),
            set(),
            {KEY_TARGET, IN_DIFFICULTY, LIVES_ALONE},
        ),
        (
            "aged 16 living alone: no child flags",
            facts(birth_date=date(2010, 1, 1), living_arrangement="alone"),
            set(),
            {LIVES_ALONE},
        ),
    ],
)
def test_flags(case: str, child: ChildFacts, present: set[str], absent: set[str]) -> None:
    result = evaluate(child, today=TODAY)
    assert present <= result.flags, (case, result.flags)
    assert not (absent & result.flags), (case, result.flags)


def test_thresholds_are_settings() -> None:
    child = facts(father=AWAY_SHORT, mother=AWAY_SHORT)
    assert not evaluate(child, today=TODAY).is_left_behind
    assert evaluate(child, today=TODAY, limits=Thresholds(months_away=3)).is_left_behind
    assert not evaluate(facts(birth_date=date(2012, 1, 1)), today=TODAY, limits=Thresholds(age_limit=14)).is_left_behind


def test_reasons_explain_the_decision() -> None:
    reasons = " ".join(explain(r) for r in evaluate(facts(mother=AWAY_SHORT), today=TODAY).reasons)
    assert "6" in reasons and "3" in reasons  # away 3 months, less than 6
    assert "母亲" in reasons  # put into words in the reader's language when shown


def test_reasons_are_stored_as_messages_and_shown_in_the_active_language() -> None:
    from django.utils import translation

    reason = evaluate(facts(father=DECEASED), today=TODAY).reasons
    stored = next(r for r in reason if "guardianship" in str(r))
    assert stored == {
        "m": "The %(parent)s cannot exercise guardianship (%(status)s).",
        "p": {"parent": "father", "status": "deceased"},
    }
    assert "父亲" in explain(stored) and "死亡" in explain(stored)
    with translation.override("en"):
        assert explain(stored) == "The father cannot exercise guardianship (deceased)."
    assert explain("older plain text") == "older plain text"


@pytest.mark.parametrize(
    ("born", "day", "age"),
    [
        (date(2010, 11, 28), date(2026, 11, 28), 16),
        (date(2010, 11, 29), date(2026, 11, 28), 15),
        (date(2012, 2, 29), date(2028, 2, 28), 15),
        (date(2012, 2, 29), date(2028, 2, 29), 16),
        (date(2012, 2, 29), date(2027, 3, 1), 15),
    ],
)
def test_age_on(born: date, day: date, age: int) -> None:
    assert age_on(born, day) == age


def test_months_between() -> None:
    assert months_between(date(2026, 5, 28), date(2026, 11, 28)) == 6
    assert months_between(date(2026, 5, 29), date(2026, 11, 28)) == 5
    assert months_between(date(2026, 12, 1), date(2026, 11, 28)) < 0


def test_a_child_not_on_the_list_reads_why() -> None:
    """One parent away and the other at home: the reasons name the parent at home, not only the one away."""
    reasons = [explain(r) for r in evaluate(facts(father=AWAY_LONG, mother=AT_HOME), today=TODAY).reasons]
    assert "母亲在家，未外出务工。" in reasons
    reasons = [explain(r) for r in evaluate(facts(father=AWAY_LONG, mother=None), today=TODAY).reasons]
    assert "家庭成员中未登记母亲。" in reasons
    other = ParentFacts(status="other")
    reasons = [explain(r) for r in evaluate(facts(father=AWAY_LONG, mother=other), today=TODAY).reasons]
    assert "母亲既未外出务工，也不属于无监护能力的情形。" in reasons


def test_every_flag_has_a_reason_line() -> None:
    """A child living alone (or without support) is also in difficulty and a key target: a line says why."""
    result = evaluate(facts(father=AWAY_LONG, mother=AWAY_LONG, living_arrangement="alone"), today=TODAY)
    assert {LIVES_ALONE, IN_DIFFICULTY, KEY_TARGET} <= result.flags
    reasons = [explain(r) for r in result.reasons]
    assert any("困境儿童" in r and "重点对象" in r for r in reasons), reasons
