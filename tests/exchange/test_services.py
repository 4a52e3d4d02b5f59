"""The exchange pipeline end to end: upload → worker → preview → apply → verify; bad files;
atomic apply; the census guard; merging duplicates; school updates; the views."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from openpyxl import load_workbook

from conftest import Cast, client_for
from core.idnumber import check_character
from exchange import pipeline, services
from exchange.models import BatchStatus, Discrepancy, DiscrepancyStatus, ImportBatch, RowError
from registry.models import Child
from tests.factories import make_child
from worklist.models import ItemKind, ItemStatus, WorkItem

HUKOU_HEADER = "户号,姓名,公民身份号码,性别,出生日期,与户主关系,户籍地址,人员状态,变动日期,居住地"


def make_id(birth: str, seq: str = "123", area: str = "350303") -> str:
    first17 = area + birth + seq
    return first17 + check_character(first17)


# Household H1: the parents live in 晋江; their son 王小明 is not in the registry (omission).
# Household H2: 陈红 is in the registry as 陈虹 (correction). Household H3: 林东 moved out (exit).
FATHER = make_id("19850101", "111")
MOTHER = make_id("19860202", "222")
OMITTED = make_id("20160305", "131")
CHEN = make_id("20150606", "142")
LIN = make_id("20140707", "153")


def hukou_csv(village: str = "350303104201", *, extra: str = "") -> str:
    rows = [
        HUKOU_HEADER,
        f"H1,王大明,{FATHER},男,1985-01-01,02,{village},正常,,晋江市",
        f"H1,李秀英,{MOTHER},女,1986/2/2,10,{village},正常,,福建省泉州市晋江市",
        f"H1,王小明,{OMITTED},男,20160305,20,{village},正常,,",
        f"H2,陈红,{CHEN},女,2015年6月6日,30,{village},正常,,",
        f"H3,林东,{LIN},男,2014.7.7,20,{village},迁出,2026-10-01,",
    ]
    return "\n".join(rows) + "\n" + extra


def registered(cast: Cast, **values: Any) -> Child:
    child = make_child(cast.village_a, actor=cast.district_admin, **values)
    Child.objects.filter(pk=child.pk).update(status="registered")
    child.refresh_from_db()
    return child


def upload(cast: Cast, content: bytes, name: str = "户籍.csv", kind: str = "hukou", **kwargs: Any) -> ImportBatch:
    batch = services.batch_create(
        actor=kwargs.pop("actor", cast.supervisor_a),
        kind=kind,
        upload=SimpleUploadedFile(name, content),
        region_code=kwargs.pop("region_code", cast.township_a.code),
        period="2026Q4",
        **kwargs,
    )
    pipeline.process(batch.pk)
    batch.refresh_from_db()
    return batch


@pytest.fixture
def children(cast: Cast) -> dict[str, Child]:
    return {
        "chen": registered(
            cast, name="陈虹", id_number=CHEN, hukou_unregistered=False, gender="2", birth_date=date(2015, 6, 6)
        ),
        "lin": registered(
            cast, name="林东", id_number=LIN, hukou_unregistered=False, gender="1", birth_date=date(2014, 7, 7)
        ),
        "ghost": registered(
            cast,
            name="赵无影",
            id_number=make_id("20130808", "164"),
            hukou_unregistered=False,
            gender="1",
            birth_date=date(2013, 8, 8),
        ),
    }


def kinds(batch: ImportBatch) -> dict[str, int]:
    return {k: v for k, v in batch.summary["kinds"].items() if v}


def test_hukou_gbk_csv_end_to_end(cast: Cast, children: dict[str, Child]) -> None:
    batch = upload(cast, hukou_csv().encode("gbk"))
    assert batch.status == BatchStatus.READY, batch.error_message
    assert batch.detected_encoding in {"gb18030", "gbk"}
    assert (batch.rows_total, batch.rows_valid, batch.rows_rejected) == (5, 5, 0)
    found = kinds(batch)
    assert found["hukou_omission"] == 1
    assert found["hukou_correction"] == 1
    assert found["hukou_exit"] == 1
    assert found["hukou_not_found"] == 1
    # Nothing is changed before the user applies.
    assert not Discrepancy.objects.exists()

    services.batch_apply(actor=cast.supervisor_a, batch=batch)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.APPLIED
    assert Discrepancy.objects.filter(status=DiscrepancyStatus.OPEN).count() >= 4
    omission = Discrepancy.objects.get(kind="hukou_omission")
    assert omission.region_code == cast.village_a.code
    page = client_for(cast.director_a).get(reverse("discrepancy_detail", args=[omission.pk])).content.decode()
    assert "王大明" in page and "晋江市" in page  # the household: who lives where
    # "Register this child" opens the registration form filled in from the 户籍 row.
    form = client_for(cast.director_a).get(reverse("child_create") + f"?from_discrepancy={omission.pk}")
    assert form.context["form"].initial["id_number"] == OMITTED
    assert form.context["form"].initial["hukou_village"] == cast.village_a
    # Another village's officer gets an empty form, not the person.
    other = client_for(cast.director_b).get(reverse("child_create") + f"?from_discrepancy={omission.pk}")
    assert not other.context["form"].initial.get("id_number")
    # Saving the registration resolves the discrepancy, with a link to the new file.
    new = make_child(cast.village_a, actor=cast.director_a, name="王小明", id_number=OMITTED, hukou_unregistered=False)
    services.discrepancy_registered(actor=cast.director_b, pk=omission.pk, child=new)
    omission.refresh_from_db()
    assert omission.status == DiscrepancyStatus.OPEN  # not theirs
    services.discrepancy_registered(actor=cast.director_a, pk=omission.pk, child=new)
    omission.refresh_from_db()
    assert omission.status == DiscrepancyStatus.CORRECTED and str(new.pk) in omission.resolution_note
    assert omission.details["person"]["name"] == "王小明"
    assert "*" in omission.details["person"]["id_number"]
    exit_candidate = Discrepancy.objects.get(kind="hukou_exit")
    assert exit_candidate.details["person"]["status"] == "迁出"
    assert exit_candidate.details["person"]["change_date"] == "2026-10-01"
    correction = Discrepancy.objects.get(kind="hukou_correction")
    assert correction.child == children["chen"]
    assert "name" in correction.details["fields"]
    items = WorkItem.objects.filter(kind=ItemKind.VERIFY, status=ItemStatus.OPEN)
    assert items.count() == Discrepancy.objects.filter(status=DiscrepancyStatus.OPEN).count()
    assert {item.owner_organisation for item in items} == {cast.committee_a}
    assert WorkItem.objects.owned_by(cast.director_a).filter(kind=ItemKind.VERIFY).exists()


def test_a_second_import_does_not_open_the_same_finding_twice(cast: Cast, children: dict[str, Child]) -> None:
    first = upload(cast, hukou_csv().encode())
    services.batch_apply(actor=cast.supervisor_a, batch=first)
    opened = Discrepancy.objects.count()
    second = upload(cast, hukou_csv().encode())
    services.batch_apply(actor=cast.supervisor_a, batch=second)
    second.refresh_from_db()
    assert Discrepancy.objects.count() == opened
    assert second.applied_changes["already_open"] == opened


def test_bad_rows_are_reported_and_the_rest_go_on(cast: Cast, children: dict[str, Child]) -> None:
    bad_id = OMITTED[:-1] + ("0" if OMITTED[-1] != "0" else "1")
    extra = (
        f"H4,坏号码,{bad_id},男,2016-03-05,20,350303104201,正常,,\n"
        "H5,=cmd|' /C calc'!A0,,男,2016-13-45,20,350303104201,正常,,\n"
    )
    batch = upload(cast, hukou_csv(extra=extra).encode())
    assert batch.status == BatchStatus.READY
    assert batch.rows_valid == 5 and batch.rows_rejected == 2
    rows = set(RowError.objects.filter(batch=batch).values_list("row_no", flat=True))
    assert rows == {7, 8}
    assert RowError.objects.filter(batch=batch, row_no=7).get().column == "公民身份号码"
    # The report downloads as .xlsx, with formulas neutralised and IDs masked.
    response = client_for(cast.supervisor_a).get(reverse("batch_errors", args=[batch.pk]))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.active
    assert sheet is not None
    values = [str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None]
    assert not any(v.startswith("=") for v in values)
    assert bad_id not in " ".join(values)


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "户籍.xlsx"),
        (b"PK\x03\x04broken", "户籍.xlsx"),
        (b"", "empty.csv"),
        (HUKOU_HEADER.encode("utf-8") + b"\n", "header-only.csv"),
        ("姓名,性别\n张三,男\n".encode(), "missing-columns.csv"),
    ],
)
def test_bad_files_are_rejected_with_a_reason(cast: Cast, content: bytes, name: str) -> None:
    if not content:
        with pytest.raises(ValidationError):
            upload(cast, content, name=name)
        return
    batch = upload(cast, content, name=name)
    assert batch.status == BatchStatus.REJECTED
    assert batch.error_message
    assert not batch.hukou_records.exists()


def test_upload_limits_and_types(cast: Cast) -> None:
    with pytest.raises(ValidationError):
        upload(cast, b"hello", name="notes.docx")
    with override_settings(EXCHANGE_MAX_BYTES=10), pytest.raises(ValidationError):
        upload(cast, hukou_csv().encode(), name="big.csv")
    with pytest.raises(PermissionDenied):
        upload(cast, hukou_csv().encode(), actor=cast.director_a)
    with pytest.raises(PermissionDenied):
        upload(cast, hukou_csv().encode(), actor=cast.supervisor_b)


def test_rows_of_another_township_are_rejected(cast: Cast) -> None:
    batch = upload(cast, hukou_csv(village=cast.village_b.code).encode())
    assert batch.rows_valid == 0
    assert batch.rows_rejected == 5


def test_apply_is_atomic(cast: Cast, children: dict[str, Child], monkeypatch: pytest.MonkeyPatch) -> None:
    batch = upload(cast, hukou_csv().encode())

    def explode(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_open_items", explode)
    services.batch_request_apply(actor=cast.supervisor_a, batch=batch)
    services.batch_apply_job(batch.pk)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.READY
    assert batch.error_message
    assert not Discrepancy.objects.exists()
    assert not WorkItem.objects.filter(kind=ItemKind.VERIFY).exists()


def test_verifying_a_discrepancy_closes_its_item(cast: Cast, children: dict[str, Child]) -> None:
    batch = upload(cast, hukou_csv().encode())
    services.batch_apply(actor=cast.supervisor_a, batch=batch)
    omission = Discrepancy.objects.get(kind="hukou_omission")
    with pytest.raises(ValidationError):
        services.discrepancy_resolve(actor=cast.director_a, discrepancy=omission, outcome="dismissed", note="")
    with pytest.raises(PermissionDenied):
        services.discrepancy_resolve(actor=cast.director_b, discrepancy=omission, outcome="confirmed")
    services.discrepancy_resolve(actor=cast.director_a, discrepancy=omission, outcome="corrected", note="已登记")
    omission.refresh_from_db()
    assert omission.status == DiscrepancyStatus.CORRECTED and omission.resolved_by == cast.director_a
    item = WorkItem.objects.get(target_id=str(omission.pk), kind=ItemKind.VERIFY)
    assert item.status == ItemStatus.DONE


def test_census_cannot_be_certified_while_discrepancies_are_open(cast: Cast, children: dict[str, Child]) -> None:
    from django.utils import timezone

    from census import services as census
    from census.models import VillageReturn

    batch = upload(cast, hukou_csv().encode())
    services.batch_apply(actor=cast.supervisor_a, batch=batch)
    today = timezone.localdate()
    campaign = census.campaign_open(
        actor=cast.district_admin, name="四季度摸底", district=cast.county, starts_on=today, ends_on=today
    )
    village_return = VillageReturn.objects.get(campaign=campaign, region_code=cast.village_a.code)
    census.village_return_save(
        actor=cast.director_a,
        village_return=village_return,
        households_visited=10,
        children_found=3,
        left_behind_found=1,
    )
    with pytest.raises(ValidationError) as caught:
        census.village_return_certify(actor=cast.director_a, village_return=village_return)
    assert "差异" in str(caught.value)
    for discrepancy in Discrepancy.objects.filter(region_code=cast.village_a.code):
        services.discrepancy_resolve(actor=cast.director_a, discrepancy=discrepancy, outcome="confirmed")
    census.village_return_certify(actor=cast.director_a, village_return=village_return)


def test_duplicates_are_found_and_merged_keeping_both_histories(cast: Cast) -> None:
    first = registered(cast, name="黄志强", birth_date=date(2015, 1, 9))
    second = registered(cast, name="黄志强", birth_date=date(2015, 1, 9))
    batch = upload(cast, hukou_csv().encode())
    assert kinds(batch).get("duplicate") == 1
    services.batch_apply(actor=cast.supervisor_a, batch=batch)
    duplicate = Discrepancy.objects.get(kind="duplicate")
    assert {duplicate.child_id, duplicate.other_child_id} == {first.pk, second.pk}
    services.duplicate_merge(actor=cast.supervisor_a, discrepancy=duplicate, keep=first)
    second.refresh_from_db()
    duplicate.refresh_from_db()
    assert second.status == "exited" and str(first.pk) in second.exit_note
    assert duplicate.status == DiscrepancyStatus.CORRECTED
    from core.models import AuditEvent

    assert AuditEvent.objects.filter(object_id=str(first.pk), action="exchange.merge").exists()
    assert AuditEvent.objects.filter(object_id=str(second.pk), action="exchange.merge").exists()


SCHOOL_HEADER = "全国学籍号,姓名,身份证件号,性别,出生日期,学校名称,年级,是否住校,学籍状态,是否留守儿童,户口所在地"


def test_school_extract_updates_and_dropouts(cast: Cast, children: dict[str, Child]) -> None:
    rows = [
        SCHOOL_HEADER,
        f"G1,陈虹,{CHEN},女,2015-06-06,江口中学,七年级,是,在读,否,350303104201",
        f"G2,林东,{LIN},男,2014-07-07,江口中学,八年级,否,辍学,否,350303104201",
        f"G3,王小明,{OMITTED},男,2016-03-05,江口中心小学,四年级,否,在读,是,350303104201",
    ]
    batch = upload(cast, ("\n".join(rows) + "\n").encode("utf-8-sig"), name="学籍.csv", kind="school")
    assert batch.status == BatchStatus.READY, batch.error_message
    found = kinds(batch)
    assert found.get("school_update", 0) >= 1
    assert found.get("school_dropout") == 1
    assert found.get("school_omission") == 1
    services.batch_apply(actor=cast.supervisor_a, batch=batch)
    chen = Child.objects.get(pk=children["chen"].pk)
    assert (chen.school_name, chen.grade, chen.is_boarding) == ("江口中学", "七年级", True)
    assert Discrepancy.objects.filter(kind="school_dropout", child=children["lin"]).exists()


def test_upload_page_and_progress_views(cast: Cast, children: dict[str, Child]) -> None:
    client = client_for(cast.supervisor_a)
    assert client.get(reverse("batch_upload")).status_code == 200
    response = client.post(
        reverse("batch_upload"),
        {
            "kind": "hukou",
            "region": cast.township_a.code,
            "period": "2026Q4",
            "encoding": "auto",
            "file": SimpleUploadedFile("户籍.csv", hukou_csv().encode("gbk")),
        },
    )
    assert response.status_code == 302
    batch = ImportBatch.objects.get()
    pipeline.process(batch.pk)
    page = client.get(reverse("batch_detail", args=[batch.pk]))
    assert page.status_code == 200 and 'data-testid="preview"' in page.content.decode()
    partial = client.get(reverse("batch_detail", args=[batch.pk]), HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode()
    template = client.get(reverse("exchange_template", args=["hukou"]))
    assert template.status_code == 200 and template.content[:2] == b"PK"


def test_wrong_file_in_the_form_is_an_error_at_the_field(cast: Cast) -> None:
    client = client_for(cast.supervisor_a)
    response = client.post(
        reverse("batch_upload"),
        {
            "kind": "hukou",
            "region": cast.township_a.code,
            "encoding": "auto",
            "file": SimpleUploadedFile("photo.png", b"\x89PNG"),
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not ImportBatch.objects.exists()


def test_monthly_exchange_files_neutralise_formulas(cast: Cast) -> None:
    child = registered(cast, id_number=CHEN, hukou_unregistered=False, birth_date=date(2015, 6, 6))
    Child.objects.filter(pk=child.pk).update(name="=HYPERLINK(1)")
    for target in ("civil", "police", "education"):
        response = client_for(cast.district_admin).get(reverse("monthly_export", args=[target]))
        assert response.status_code == 200
        book = load_workbook(io.BytesIO(response.content))
        sheet = book.active
        assert sheet is not None
        values = [str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None]
        assert "'=HYPERLINK(1)" in values, target
        if target != "police":
            assert "江口镇" in values, target  # the township, so that the receiver can sort by it


def test_ledger_round_trip_apply_and_undo(cast: Cast) -> None:
    """A county's Excel ledger: the registry's own export reads back as unchanged; a ledger with a
    new child creates a draft file on apply, and undoing the batch removes it again."""
    import openpyxl

    from regions.models import Region
    from registry import exports

    jinjiang = Region.objects.get(code="350582000000")
    family = [
        {
            "relationship": "51",
            "name": "陈父",
            "status": "away_for_work",
            "left_on": date(2024, 2, 1),
            "work_region": jinjiang,
        },
        {
            "relationship": "52",
            "name": "林母",
            "status": "away_for_work",
            "left_on": date(2024, 2, 1),
            "work_region": jinjiang,
        },
    ]
    registered(
        cast,
        name="陈虹",
        id_number=CHEN,
        hukou_unregistered=False,
        gender="2",
        birth_date=date(2015, 6, 6),
        family=family,
    )
    response = client_for(cast.supervisor_a).get(reverse("ledger_export") + "?full=1")
    assert response.status_code == 200
    batch = upload(cast, response.content, name="台账.xlsx", kind="ledger")
    assert batch.status == BatchStatus.READY, batch.error_message
    assert batch.summary["unchanged"] == 1 and batch.summary["new"] == 0, batch.summary["entries"]

    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.active
    assert sheet is not None
    headers = [cell.value for cell in sheet[1]]
    row = {header: cell.value for header, cell in zip(headers, sheet[2], strict=True)}
    row.update({"姓名": "林新来", "公民身份号码": OMITTED, "性别": "男", "出生日期": "2016-03-05"})
    sheet.append([row[header] for header in headers])
    buffer = io.BytesIO()
    book.save(buffer)
    batch = upload(cast, buffer.getvalue(), name="台账2.xlsx", kind="ledger")
    assert batch.summary["new"] == 1 and batch.summary["unchanged"] == 1, batch.summary
    preview = client_for(cast.supervisor_a).get(reverse("batch_detail", args=[batch.pk])).content.decode()
    assert 'data-testid="ledger-rows"' in preview and "新增" in preview
    services.batch_apply(actor=cast.supervisor_a, batch=batch)
    created = Child.objects.get(id_number=OMITTED)
    assert created.status == "draft" and created.name == "林新来"
    services.batch_undo(actor=cast.supervisor_a, batch=batch)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.UNDONE
    assert not Child.objects.filter(id_number=OMITTED).exists()
    assert len(exports.ledger_headers()) == len(headers)


def _as_file(rows: list[list[Any]], fmt: str) -> tuple[bytes, str]:
    """The same table as a real .xlsx (openpyxl), .xls (xlwt) or GBK .csv, as office software saves it."""
    if fmt == "xlsx":
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(["江口镇数据（导出）"])  # a title row above the header
        for row in rows:
            sheet.append(row)
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue(), "data.xlsx"
    if fmt == "xls":
        import xlwt  # type: ignore[import-untyped]

        book = xlwt.Workbook(encoding="utf-8")
        sheet = book.add_sheet("Sheet1")
        sheet.write(0, 0, "江口镇数据（导出）")
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row):
                sheet.write(r, c, "" if value is None else value)
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue(), "data.xls"
    import csv

    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["江口镇数据（导出）"])
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    return text.getvalue().encode("gbk"), "data.csv"


def _school_rows() -> list[list[Any]]:
    return [
        SCHOOL_HEADER.split(","),
        ["G1", "陈虹", CHEN, "女", "2015-06-06", "江口中学", "七年级", "是", "在读", "否", "350303104201"],
        ["G2", "林东", LIN, "男", "2014-07-07", "江口中学", "八年级", "否", "辍学", "否", "350303104201"],
    ]


def test_a_ledger_row_registered_in_another_township_is_a_read_in_that_townships_log(cast: Cast) -> None:
    """As on the registration form: an ID number of another township's file, in an imported
    ledger, tells the importer only the township's name, and the holder sees who looked it up."""
    from core.models import AuditEvent

    theirs = registered(
        cast, name="白沙孩子", id_number=CHEN, hukou_unregistered=False, gender="2", birth_date=date(2015, 6, 6)
    )
    Child.objects.filter(pk=theirs.pk).update(hukou_village=cast.village_b, region_code=cast.village_b.code)
    ledger = client_for(cast.district_admin).get(reverse("ledger_export") + f"?village={cast.village_b.code}&full=1")
    assert ledger.status_code == 200
    batch = upload(cast, ledger.content, name="台账.xlsx", kind="ledger")
    # The row is not imported (its village is outside township A, too); the number's reason names
    # only the township that holds it.
    (entry,) = batch.summary["entries"]
    (reason,) = [error["message"] for error in entry["errors"] if error["column"] == "id_number"]
    assert "白沙镇登记" in reason and "白沙孩子" not in str(entry)
    (event,) = AuditEvent.objects.filter(action="child.found_elsewhere")
    assert event.object_id == str(theirs.pk) and event.region_code == cast.village_b.code
    assert event.actor == cast.supervisor_a and event.kind == "read"
    assert event.detail.endswith("台账第2行中的身份证号"), event.detail
    # The holding township's supervisor sees it in the audit trail of their jurisdiction.
    trail = client_for(cast.supervisor_b).get(reverse("audit_list")).content.decode()
    assert cast.supervisor_a.display_name in trail


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "csv"])
@pytest.mark.parametrize("kind", ["hukou", "school", "ledger"])
def test_each_kind_reads_from_xlsx_xls_and_gbk_csv(cast: Cast, children: dict[str, Child], kind: str, fmt: str) -> None:
    if kind == "hukou":
        rows: list[list[Any]] = [line.split(",") for line in hukou_csv().strip().splitlines()]
    elif kind == "school":
        rows = _school_rows()
    else:
        import openpyxl

        export = client_for(cast.supervisor_a).get(reverse("ledger_export") + "?full=1")
        sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
        assert sheet is not None
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    content, name = _as_file(rows, fmt)
    batch = upload(cast, content, name=name, kind=kind)
    assert batch.status == BatchStatus.READY, batch.error_message
    assert batch.header_row == 2
    assert batch.rows_total == len(rows) - 1
    if kind == "ledger":
        # The three files of the fixture come back; those a form would refuse are reported, not lost.
        assert batch.rows_valid + batch.rows_rejected == batch.rows_total
    else:
        assert batch.rows_valid == batch.rows_total, list(batch.row_errors.values_list("row_no", "message"))


def test_an_area_no_extract_covered_is_not_compared(cast: Cast, children: dict[str, Child]) -> None:
    from exchange import selectors

    rows = {row["region"].code: row for row in selectors.completeness(cast.district_admin, cast.county)}
    assert not rows[cast.township_a.code]["compared"] and not rows[cast.township_a.code]["clear"]
    batch = upload(cast, hukou_csv().encode())
    services.batch_apply(actor=cast.supervisor_a, batch=batch)
    rows = {row["region"].code: row for row in selectors.completeness(cast.district_admin, cast.county)}
    assert rows[cast.township_a.code]["compared"] and rows[cast.township_a.code]["open"]
    assert not rows[cast.township_b.code]["compared"] and not rows[cast.township_b.code]["clear"]
    page = client_for(cast.supervisor_b).get(reverse("completeness")).content.decode()
    assert "尚未比对" in page


def test_a_duplicate_across_villages_goes_to_the_township(cast: Cast) -> None:
    from regions.models import Region

    second = Region.objects.create(
        code="350303104202",
        name="东二村委会",
        full_name="东二村委会",
        level="village",
        kind="village_committee",
        parent=cast.township_a,
    )
    first = registered(cast, name="黄志强", birth_date=date(2015, 1, 9))
    other = make_child(second, actor=cast.district_admin, name="黄志强", birth_date=date(2015, 1, 9))
    Child.objects.filter(pk=other.pk).update(status="registered")
    services.batch_apply(actor=cast.supervisor_a, batch=upload(cast, hukou_csv().encode()))
    duplicate = Discrepancy.objects.get(kind="duplicate")
    assert {duplicate.child_id, duplicate.other_child_id} == {first.pk, other.pk}
    assert duplicate.region_code == cast.township_a.code
    item = WorkItem.objects.get(target_id=str(duplicate.pk))
    assert item.owner_organisation == cast.township_gov_a and "黄志强" in item.title


def test_household_shows_only_people_in_the_officers_jurisdiction(cast: Cast) -> None:
    """A county-wide 户籍 file may hold one household number in two townships: the household table
    of a discrepancy shows a village officer only the members registered in their jurisdiction."""
    rows = [
        HUKOU_HEADER,
        f"H1,王大明,{FATHER},男,1985-01-01,02,{cast.village_b.code},正常,,晋江市",
        f"H1,李秀英,{MOTHER},女,1986/2/2,10,{cast.village_a.code},正常,,晋江市",
        f"H1,王小明,{OMITTED},男,20160305,20,{cast.village_a.code},正常,,",
    ]
    batch = upload(cast, ("\n".join(rows) + "\n").encode(), actor=cast.district_admin, region_code=cast.county.code)
    services.batch_apply(actor=cast.district_admin, batch=batch)
    omission = Discrepancy.objects.get(kind="hukou_omission", region_code=cast.village_a.code)
    page = client_for(cast.director_a).get(reverse("discrepancy_detail", args=[omission.pk])).content.decode()
    assert "李秀英" in page
    assert "王大明" not in page
    page = client_for(cast.district_admin).get(reverse("discrepancy_detail", args=[omission.pk])).content.decode()
    assert "王大明" in page
