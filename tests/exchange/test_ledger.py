"""Importing the registry ledger (登记表 layout): plan, apply, undo."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation

from accounts.models import User
from conftest import Cast
from core.idnumber import check_character, mask
from core.models import AuditEvent
from exchange.ledger import LEDGER_KEYS, Action, LedgerPlan, apply_ledger, parse_date, plan_ledger, undo_ledger
from exchange.models import ImportBatch
from registry import exports, services
from registry.codes import ChildStatus
from registry.models import Child, EntrustedGuardian, FamilyMember
from tests.factories import make_child

KEYS = [key for key, _msgid in LEDGER_KEYS]
BORN = date(2016, 3, 5)


def id_for(born: date, seq: str = "123", county: str = "350303") -> str:
    first = f"{county}{born:%Y%m%d}{seq}"
    return first + check_character(first)


def ledger_row(**overrides: Any) -> dict[str, Any]:
    """A complete row for a new child of 东大村委会 (江口镇), as a county's own ledger has it."""
    row: dict[str, Any] = {
        "no": "1",
        "township": "江口镇",
        "village": "东大村委会",
        "name": "王小明",
        "gender": "男",
        "ethnicity": "汉族",
        "birth_date": "2016-03-05",
        "id_number": id_for(BORN),
        "health": "健康",
        "schooling": "小学",
        "school": "江口中心小学",
        "grade": "四年级",
        "is_boarding": "否",
        "living_arrangement": "与祖父母或外祖父母共同生活",
        "father_name": "王父",
        "father_id_number": id_for(date(1985, 6, 1), "111"),
        "father_phone": "13800001234",
        "father_status": "外出务工",
        "father_work_place": "晋江市",
        "mother_name": "李母",
        "mother_id_number": "",
        "mother_phone": "",
        "mother_status": "外出务工",
        "mother_work_place": "广东省深圳市宝安区",
        "guardian_name": "王奶奶",
        "guardian_relationship": "奶奶",
        "guardian_phone": "13800005678",
        "guardianship_type": "监护情况一般",
        "guardianship_assessment": "一般",
        "left_behind_kind": "",
        "flags": "",
        "status": "",
        "entry_date": "",
    }
    row.update(overrides)
    return row


def frame(*rows: dict[str, Any], first_row: int = 2) -> pl.DataFrame:
    data: dict[str, Any] = {"_row": pl.Series("_row", range(first_row, first_row + len(rows)), dtype=pl.Int64)}
    for key in KEYS:
        values = [None if row.get(key) is None else str(row.get(key)) for row in rows]
        data[key] = pl.Series(key, values, dtype=pl.Utf8)
    return pl.DataFrame(data)


def plan(cast: Cast, *rows: dict[str, Any], actor: User | None = None, prefix: str = "350303") -> LedgerPlan:
    return plan_ledger(frame(*rows), actor=actor or cast.district_admin, region_prefix=prefix)


def batch_for(cast: Cast, user: User | None = None) -> ImportBatch:
    return ImportBatch.objects.create(
        kind="ledger",
        region_code=cast.county.code,
        original_name="台账.xlsx",
        file="exchange/台账.xlsx",
        created_by=user or cast.district_admin,
    )


def apply(cast: Cast, the_plan: LedgerPlan, batch: ImportBatch) -> dict[str, Any]:
    with transaction.atomic():
        return apply_ledger(the_plan, actor=cast.district_admin, batch=batch)


def export_rows(child: Child, *, full: bool) -> dict[str, Any]:
    """What the registry's own ledger export writes for this child, keyed as the parser keys it."""
    with translation.override("zh-hans"):
        values = next(iter(exports.ledger_rows(Child.objects.filter(pk=child.pk), full=full)))
    return dict(zip(KEYS, ["" if v is None else str(v) for v in values], strict=True))


# --- Cells ----------------------------------------------------------------------------------


def test_keys_follow_the_export_headers() -> None:
    with translation.override(None):
        assert [msgid for _key, msgid in LEDGER_KEYS] == exports.ledger_headers()


def test_keys_are_the_parsers_keys() -> None:
    columns = pytest.importorskip("exchange.columns")
    assert list(columns.LEDGER_KEYS) == KEYS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2010-05-03", date(2010, 5, 3)),
        ("2010/5/3", date(2010, 5, 3)),
        ("2010.5.3", date(2010, 5, 3)),
        ("20100503", date(2010, 5, 3)),
        ("2010年5月3日", date(2010, 5, 3)),
        ("２０１０年５月３日", date(2010, 5, 3)),
        ("2010-05-03 00:00:00", date(2010, 5, 3)),
        ("2010-02-30", None),
        ("03/05/2010", None),
        ("五月", None),
    ],
)
def test_dates_in_the_usual_forms(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected


# --- Planning -------------------------------------------------------------------------------


def test_new_row_becomes_the_registrys_codes(cast: Cast) -> None:
    result = plan(cast, ledger_row(birth_date="2016年3月5日"))
    (entry,) = result.entries
    assert entry.action == Action.NEW and entry.row_no == 2 and not entry.errors
    assert result.counts == {"new": 1, "changed": 0, "unchanged": 0, "conflict": 0, "error": 0}
    assert entry.write is not None
    values = entry.write.values
    assert values["gender"] == "1" and values["ethnicity"] == "01" and values["birth_date"] == BORN
    assert values["hukou_village"] == cast.village_a and values["school"] == cast.school_a
    assert values["schooling"] == "primary" and values["living_arrangement"] == "with_grandparents"
    assert values["guardianship_type"] == "fair" and values["is_boarding"] is False
    assert not values["hukou_unregistered"]
    father, mother = (values for _pk, values in entry.write.members)
    assert father["relationship"] == "51" and father["status"] == "away_for_work"
    assert father["work_region"].name == "晋江市" and mother["work_region"].name == "宝安区"
    assert entry.write.guardian is not None and entry.write.guardian["relationship"] == "62"
    assert Child.objects.count() == 0


def test_english_labels_and_village_by_code(cast: Cast) -> None:
    row = ledger_row(
        township="",
        village=cast.village_a.code,
        gender="Male",
        health="Healthy",
        schooling="Primary school",
        living_arrangement="With grandparents",
        guardianship_type="Guardianship adequate",
        guardianship_assessment="Fair",
        is_boarding="yes",
    )
    (entry,) = plan(cast, row).entries
    assert entry.action == Action.NEW, entry.errors
    assert entry.write is not None and entry.write.values["is_boarding"] is True


@pytest.mark.parametrize(
    ("overrides", "column"),
    [
        ({"id_number": id_for(BORN)[:17] + ("0" if id_for(BORN)[17] != "0" else "1")}, "id_number"),
        ({"village": "不存在村"}, "village"),
        ({"township": "不存在镇"}, "village"),
        ({"birth_date": "2016-13-05"}, "birth_date"),
        ({"schooling": "读书中"}, "schooling"),
        ({"gender": "未知"}, "gender"),
        ({"father_status": "在外"}, "father_status"),
        ({"guardian_relationship": "邻居阿姨"}, "guardian_relationship"),
        ({"father_work_place": "火星"}, "father_work_place"),
        ({"is_boarding": "有时"}, "is_boarding"),
        ({"father_phone": "12345"}, "father_phone"),
        ({"name": ""}, "name"),
        ({"birth_date": "2016-03-06"}, "birth_date"),
    ],
)
def test_bad_rows_are_errors_with_row_and_column(cast: Cast, overrides: dict[str, str], column: str) -> None:
    good = ledger_row(id_number=id_for(date(2015, 1, 2), "457"), name="陈好", birth_date="2015-01-02")
    result = plan(cast, good, ledger_row(**overrides))
    assert result.entries[0].action == Action.NEW
    entry = result.entries[1]
    assert entry.action == Action.ERROR and entry.row_no == 3 and entry.write is None
    assert column in [issue.column for issue in entry.errors], entry.errors
    assert all(issue.message for issue in entry.errors)
    assert result.counts["error"] == result.error_count() == 1
    report = result.errors_frame()
    assert report.columns == ["_row", "column", "value", "message"] and report.height == len(entry.errors)
    assert set(report.get_column("_row").to_list()) == {3}


def test_bad_checksum_reason_is_in_chinese_and_the_value_masked(cast: Cast) -> None:
    number = id_for(BORN)
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    (entry,) = plan(cast, ledger_row(id_number=wrong)).entries
    (issue,) = [i for i in entry.errors if i.column == "id_number"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in issue.message)
    assert issue.value == mask(wrong) and wrong not in repr(entry)
    assert issue.column_label == "公民身份号码" or issue.column_label


def test_known_file_unchanged_and_changed(cast: Cast) -> None:
    batch = batch_for(cast)
    apply(cast, plan(cast, ledger_row()), batch)
    child = Child.objects.get()

    same = plan(cast, ledger_row(birth_date="2016/3/5", gender="1", schooling="primary"))
    assert [e.action for e in same.entries] == [Action.UNCHANGED]
    assert same.entries[0].child_id == child.pk

    changed = plan(cast, ledger_row(grade="五年级", father_phone="139 0000 1111", guardian_name="王外婆"))
    (entry,) = changed.entries
    assert entry.action == Action.CHANGED and entry.child_id == child.pk
    assert set(entry.changed) == {"grade", "father_phone", "guardian_name"}
    assert len(entry.changed_labels) == 3 and all(entry.changed_labels)
    assert entry.as_dict()["changed"] == entry.changed_labels


def test_the_registrys_own_export_reads_back_unchanged(cast: Cast) -> None:
    apply(cast, plan(cast, ledger_row()), batch_for(cast))
    child = Child.objects.get()
    full = export_rows(child, full=True)
    masked = export_rows(child, full=False)
    assert "*" in masked["id_number"] and "*" in masked["father_phone"]
    result = plan(cast, full, masked)
    # The full and the masked export are the same child twice in one file.
    assert [e.action for e in result.entries] == [Action.CONFLICT, Action.CONFLICT]
    assert [e.action for e in plan(cast, full).entries] == [Action.UNCHANGED]
    assert [e.action for e in plan(cast, masked).entries] == [Action.UNCHANGED]


def test_masked_number_that_does_not_match_is_an_error(cast: Cast) -> None:
    apply(cast, plan(cast, ledger_row()), batch_for(cast))
    (entry,) = plan(cast, ledger_row(id_number="350303********9999")).entries
    assert entry.action == Action.ERROR and entry.errors[0].column == "id_number"
    (entry,) = plan(cast, ledger_row(father_phone="139****0000")).entries
    assert entry.action == Action.ERROR and entry.errors[0].column == "father_phone"
    other = ledger_row(id_number=id_for(date(2015, 1, 2), "457"), name="陈好", birth_date="2015-01-02")
    (entry,) = plan(cast, {**other, "mother_id_number": "350303********0000"}).entries
    assert entry.action == Action.ERROR and entry.errors[0].column == "mother_id_number"


def test_file_in_another_jurisdiction_is_a_conflict(cast: Cast) -> None:
    make_child(cast.village_b, actor=cast.district_admin, id_number=id_for(BORN), hukou_unregistered=False)
    (entry,) = plan(cast, ledger_row(), actor=cast.supervisor_a, prefix=cast.township_a.prefix).entries
    assert entry.action == Action.CONFLICT and entry.child_id is None
    assert "白沙镇" in entry.errors[0].message
    # The district sees the file, but a batch for township A does not cover it either.
    (entry,) = plan(cast, ledger_row(), prefix=cast.township_a.prefix).entries
    assert entry.action == Action.CONFLICT


def test_same_id_twice_in_the_file_is_a_conflict_on_both_rows(cast: Cast) -> None:
    result = plan(cast, ledger_row(), ledger_row(grade="五年级"), ledger_row(id_number=id_for(date(2015, 1, 2))))
    first, second, other = result.entries
    assert (first.action, second.action) == (Action.CONFLICT, Action.CONFLICT)
    assert "3" in first.errors[0].message and "2" in second.errors[0].message
    assert other.action == Action.ERROR  # the ID gives another birth date than the row
    assert result.counts["conflict"] == 2


def test_row_without_id_matches_the_unregistered_file(cast: Cast) -> None:
    child = make_child(cast.village_a, actor=cast.district_admin, name="王小明", birth_date=BORN)
    result = plan(cast, ledger_row(id_number="", father_id_number="", father_phone="", grade="四年级"))
    (entry,) = result.entries
    assert entry.child_id == child.pk and entry.action == Action.CHANGED
    # A row with an ID for a file registered without one may be the same child: checked by hand.
    (entry,) = plan(cast, ledger_row()).entries
    assert entry.action == Action.CONFLICT


def test_two_matching_files_are_a_conflict(cast: Cast) -> None:
    make_child(cast.village_a, actor=cast.district_admin, name="王小明", birth_date=BORN)
    make_child(cast.village_a, actor=cast.district_admin, name="王小明", birth_date=BORN)
    (entry,) = plan(cast, ledger_row(id_number="")).entries
    assert entry.action == Action.CONFLICT and entry.child_id is None
    (entry,) = plan(cast, ledger_row(id_number="", name="陈好")).entries
    assert entry.action == Action.NEW
    assert entry.write is not None and entry.write.values["hukou_unregistered"] is True


def test_exited_or_reviewed_files_are_not_changed(cast: Cast) -> None:
    apply(cast, plan(cast, ledger_row()), batch_for(cast))
    child = Child.objects.get()
    Child.objects.filter(pk=child.pk).update(status=ChildStatus.AWAITING_REVIEW)
    (entry,) = plan(cast, ledger_row(grade="五年级"), actor=cast.director_a, prefix=cast.village_a.prefix).entries
    assert entry.action == Action.CONFLICT and entry.child_id == child.pk
    (entry,) = plan(cast, ledger_row(grade="五年级")).entries
    assert entry.action == Action.CHANGED  # the district may
    Child.objects.filter(pk=child.pk).update(status=ChildStatus.EXITED)
    (entry,) = plan(cast, ledger_row(grade="五年级")).entries
    assert entry.action == Action.CONFLICT
    (entry,) = plan(cast, ledger_row()).entries
    assert entry.action == Action.UNCHANGED


# --- Applying -------------------------------------------------------------------------------


def test_apply_creates_drafts_with_family_and_guardian(cast: Cast) -> None:
    batch = batch_for(cast)
    second = ledger_row(
        id_number=id_for(date(2015, 1, 2), "457"),
        name="陈好",
        birth_date="2015-01-02",
        guardian_name="",
        guardian_relationship="",
        guardian_phone="",
        mother_name="",
        mother_status="",
        mother_work_place="",
    )
    changes = apply(cast, plan(cast, ledger_row(), second), batch)
    assert len(changes["created"]) == 2 and changes["changed"] == []
    child = Child.objects.get(name="王小明")
    assert child.status == ChildStatus.DRAFT and child.school == cast.school_a and child.region_code == "350303104201"
    father = FamilyMember.objects.get(child=child, relationship="51")
    assert father.phone == "13800001234" and father.work_region is not None and father.work_region.name == "晋江市"
    assert EntrustedGuardian.objects.get(child=child).relationship == "62"
    assert child.is_left_behind  # eligibility ran
    other = Child.objects.get(name="陈好")
    assert list(other.family.values_list("relationship", flat=True)) == ["51"]
    assert not EntrustedGuardian.objects.filter(child=other).exists()
    assert AuditEvent.objects.filter(action="child.create", object_id=str(child.pk)).exists()
    assert {item["child_id"] for item in changes["created"]} == {child.pk, other.pk}


def test_apply_from_rows_plans_in_the_batchs_jurisdiction(cast: Cast) -> None:
    with transaction.atomic():
        changes = apply_ledger(frame(ledger_row()), actor=cast.district_admin, batch=batch_for(cast))
    assert len(changes["created"]) == 1


def test_failure_in_the_middle_leaves_nothing_applied(cast: Cast) -> None:
    first = ledger_row()
    second = ledger_row(id_number=id_for(date(2015, 1, 2), "457"), name="陈好", birth_date="2015-01-02")
    the_plan = plan(cast, first, second)
    # Someone registers the second child between the preview and the apply.
    make_child(
        cast.village_b, actor=cast.district_admin, id_number=id_for(date(2015, 1, 2), "457"), hukou_unregistered=False
    )
    before = set(Child.objects.values_list("pk", flat=True))
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as raised, transaction.atomic():
        apply_ledger(the_plan, actor=cast.district_admin, batch=batch_for(cast))
    assert "3" in raised.value.messages[0]
    assert set(Child.objects.values_list("pk", flat=True)) == before
    assert AuditEvent.objects.count() == events


def test_failure_in_child_save_rolls_back_earlier_rows(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    the_plan = plan(
        cast,
        ledger_row(),
        ledger_row(id_number=id_for(date(2015, 1, 2), "457"), name="陈好", birth_date="2015-01-02"),
    )
    real = services.child_save
    calls = []

    def failing(**kwargs: Any) -> Child:
        calls.append(1)
        if len(calls) == 2:
            raise ValidationError("boom")
        return real(**kwargs)

    monkeypatch.setattr(services, "child_save", failing)
    with pytest.raises(ValidationError), transaction.atomic():
        apply_ledger(the_plan, actor=cast.district_admin, batch=batch_for(cast))
    assert Child.objects.count() == 0 and FamilyMember.objects.count() == 0


def test_stale_plan_for_a_changed_file_is_refused(cast: Cast) -> None:
    apply(cast, plan(cast, ledger_row()), batch_for(cast))
    the_plan = plan(cast, ledger_row(grade="五年级"))
    child = Child.objects.get()
    services.child_save(actor=cast.district_admin, values={"grade": "六年级"}, members=[], guardian=None, child=child)
    with pytest.raises(ValidationError):
        apply(cast, the_plan, batch_for(cast))
    assert Child.objects.get().grade == "六年级"


# --- Undoing --------------------------------------------------------------------------------


def _snapshot(child: Child) -> dict[str, Any]:
    child.refresh_from_db()
    return {
        "grade": child.grade,
        "school_name": child.school_name,
        "school": child.school_id,
        "family": sorted(child.family.values_list("relationship", "name", "phone", "status", "work_region_id")),
        "guardian": list(EntrustedGuardian.objects.filter(child=child).values_list("name", "relationship", "phone")),
        "flags": child.flags,
    }


def test_undo_restores_the_previous_state(cast: Cast) -> None:
    existing = make_child(
        cast.village_a, actor=cast.district_admin, name="王小明", id_number=id_for(BORN), hukou_unregistered=False
    )
    before = _snapshot(existing)
    batch = batch_for(cast)
    new = ledger_row(id_number=id_for(date(2015, 1, 2), "457"), name="陈好", birth_date="2015-01-02")
    result = plan(cast, ledger_row(grade="五年级"), new)
    assert [e.action for e in result.entries] == [Action.CHANGED, Action.NEW]
    changes = apply(cast, result, batch)
    assert _snapshot(existing) != before
    assert Child.objects.count() == 2

    with transaction.atomic():
        undo_ledger(changes, actor=cast.district_admin, batch=batch)
    assert list(Child.objects.values_list("pk", flat=True)) == [existing.pk]
    assert _snapshot(existing) == before
    assert AuditEvent.objects.filter(action="child.delete").count() == 1
    assert AuditEvent.objects.filter(action="child.update", object_id=str(existing.pk)).count() == 2


def test_undo_is_refused_when_a_created_file_was_edited_since(cast: Cast) -> None:
    batch = batch_for(cast)
    changes = apply(cast, plan(cast, ledger_row()), batch)
    child = Child.objects.get()
    services.child_save(
        actor=cast.director_a, values={"grade": "五年级"}, members=[], guardian=_guardian(child), child=child
    )
    with pytest.raises(ValidationError) as raised, transaction.atomic():
        undo_ledger(changes, actor=cast.district_admin, batch=batch)
    assert "2" in raised.value.messages[0]
    assert Child.objects.get().grade == "五年级"


def test_undo_is_refused_when_a_created_file_was_submitted(cast: Cast) -> None:
    batch = batch_for(cast)
    changes = apply(cast, plan(cast, ledger_row()), batch)
    Child.objects.update(status=ChildStatus.AWAITING_REVIEW)
    with pytest.raises(ValidationError), transaction.atomic():
        undo_ledger(changes, actor=cast.district_admin, batch=batch)
    assert Child.objects.count() == 1


def test_undo_is_refused_when_a_changed_file_was_edited_since(cast: Cast) -> None:
    existing = make_child(
        cast.village_a, actor=cast.district_admin, name="王小明", id_number=id_for(BORN), hukou_unregistered=False
    )
    batch = batch_for(cast)
    changes = apply(cast, plan(cast, ledger_row(grade="五年级")), batch)
    services.child_save(
        actor=cast.district_admin, values={"grade": "六年级"}, members=[], guardian=None, child=existing
    )
    with pytest.raises(ValidationError), transaction.atomic():
        undo_ledger(changes, actor=cast.district_admin, batch=batch)
    existing.refresh_from_db()
    assert existing.grade == "六年级"


def _guardian(child: Child) -> dict[str, Any] | None:
    guardian = EntrustedGuardian.objects.filter(child=child).first()
    return {name: getattr(guardian, name) for name in services.GUARDIAN_FIELDS} if guardian else None


def test_a_parent_working_abroad_reads_in_writes_out_and_reads_back_unchanged(cast: Cast) -> None:
    apply(cast, plan(cast, ledger_row(father_work_place="国外：马来西亚")), batch_for(cast))
    child = Child.objects.get()
    father = FamilyMember.objects.get(child=child, relationship="51")
    assert father.work_country == "MY" and father.work_region is None
    full = export_rows(child, full=True)
    assert full["father_work_place"] == "马来西亚"
    assert [e.action for e in plan(cast, full).entries] == [Action.UNCHANGED]
    # Another country, or a place in China, is a change of the father's place of work.
    (moved,) = plan(cast, {**full, "father_work_place": "新加坡"}).entries
    (home,) = plan(cast, {**full, "father_work_place": "晋江市"}).entries
    assert moved.action == Action.CHANGED and home.action == Action.CHANGED
    apply(cast, plan(cast, {**full, "father_work_place": "晋江市"}), batch_for(cast))
    father.refresh_from_db()
    assert father.work_country == "" and father.work_region is not None and father.work_region.name == "晋江市"


def test_a_school_name_with_full_width_brackets_reads_back_as_the_same_school(cast: Cast) -> None:
    # Cells are read NFKC-normalised: "（演示）" arrives as "(演示)". The school must still be found,
    # or re-importing one's own ledger would unlink every child from its school.
    cast.school_a.name = "江口中学（演示）"
    cast.school_a.save()
    apply(cast, plan(cast, ledger_row(school="江口中学（演示）")), batch_for(cast))
    child = Child.objects.get()
    assert child.school == cast.school_a and not child.school_name
    assert [e.action for e in plan(cast, export_rows(child, full=True)).entries] == [Action.UNCHANGED]


def test_the_preview_says_what_a_changed_place_of_work_or_school_becomes(cast: Cast) -> None:
    apply(cast, plan(cast, ledger_row()), batch_for(cast))
    child = Child.objects.get()
    full = export_rows(child, full=True)
    with translation.override("zh-hans"):
        (abroad,) = plan(cast, {**full, "father_work_place": "国外：柬埔塞"}).entries
        (typed,) = plan(cast, {**full, "school": "江口中学"}).entries
        (renamed,) = plan(cast, {**full, "father_name": "王新父"}).entries
        assert abroad.as_dict()["changed"] == ["父亲务工地：柬埔寨"]
        assert typed.as_dict()["changed"] == ["学校：江口中学"]
        # A name or a number is never shown in the preview, only that it changes.
        assert renamed.as_dict()["changed"] == ["父亲姓名"]
