"""Parents who work abroad: the country typed in the place-of-work box, stored as its ISO code."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from conftest import Cast, client_for
from regions.countries import country_from_text, country_name
from registry.models import Child, FamilyMember
from tests.test_registry import form_data


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("马来西亚", "MY"),
        ("国外：新加坡", "SG"),
        ("境外（日本）", "JP"),
        ("在 阿联酋", "AE"),
        ("柬埔寨", "KH"),
        ("Angola", "AO"),
        ("angola", "AO"),
        ("ＡＯ", "AO"),
        ("United States", "US"),
        ("美国", "US"),
        ("韩国", "KR"),
        ("日本国", "JP"),
        ("印尼", "ID"),
        ("沙特", "SA"),
        ("马来西亚吉隆坡", "MY"),
        ("美国纽约", "US"),
        ("USA", "US"),
        ("U.S.", "US"),
        ("Korea", "KR"),
        ("Cote d'Ivoire", "CI"),
        ("吉隆坡", "MY"),
        ("安哥拉罗安达", "AO"),
        ("阿拉伯联合酋长国", "AE"),
        ("危地马拉", "GT"),
        ("吉尔吉斯斯坦", "KG"),
        ("孟加拉国", "BD"),
        ("马耳他", "MT"),
        # China and its provinces are places of the code table, never countries.
        ("中国", None),
        ("台湾", None),
        ("香港", None),
        ("澳门", None),
        ("CN", None),
        ("火星", None),
        ("国外", None),
    ],
)
def test_country_from_text(typed: str, code: str | None) -> None:
    assert country_from_text(typed) == code


def test_country_names_follow_the_language() -> None:
    with translation.override("zh-hans"):
        assert country_name("MY") == "马来西亚"
        # The list's Chinese names that differ from mainland usage are corrected.
        assert [country_name(c) for c in ("KH", "BO", "GT", "MT", "KG", "BD")] == [
            "柬埔寨",
            "玻利维亚",
            "危地马拉",
            "马耳他",
            "吉尔吉斯斯坦",
            "孟加拉国",
        ]
    with translation.override("en"):
        assert country_name("MY") == "Malaysia"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("马来西亚", "abroad:MY"), ("国外：印度尼西亚", "abroad:ID"), ("香港", "810000000000"), ("晋江", "350582000000")],
)
def test_the_place_of_work_box_takes_a_country_after_the_places_of_china(cast: Cast, typed: str, expected: str) -> None:
    from conftest import _region
    from regions.models import Kind, Level
    from registry.forms import Abroad, WorkPlaceField

    _region("810000000000", "香港特别行政区", Level.PROVINCE, Kind.PROVINCE, None)

    place = WorkPlaceField(required=False).clean(typed)
    assert place is not None
    shown = f"abroad:{place.code}" if isinstance(place, Abroad) else place.code
    assert shown == expected


def test_an_unknown_place_says_a_country_is_accepted_too(cast: Cast) -> None:
    from registry.forms import WorkPlaceField

    with pytest.raises(ValidationError) as raised, translation.override("zh-hans"):
        WorkPlaceField(required=False).clean("火星")
    assert "马来西亚" in raised.value.messages[0]


def test_a_child_whose_father_works_in_malaysia_is_registered_left_behind(cast: Cast) -> None:
    client = client_for(cast.director_a)
    response = client.post(reverse("child_create"), form_data(cast, **{"family-0-work_place": "马来西亚"}))
    assert response.status_code == 302, response.content.decode()[:3000]
    child = Child.objects.get()
    father = FamilyMember.objects.get(child=child, relationship="51")
    assert father.work_country == "MY" and father.work_region is None
    assert child.is_left_behind
    page = client.get(reverse("child_detail", args=[child.pk])).content.decode()
    assert "马来西亚" in page
    # The history names the country, not its code.
    (event,) = child_events(child)
    assert any("马来西亚" in str(new) for _label, _old, new in event.change_rows())
    # The edit form shows the country as typed; saving it again changes nothing.
    edit = client.get(reverse("child_update", args=[child.pk])).content.decode()
    assert 'value="马来西亚"' in edit
    # The ledger names the country where a place in China would be.
    import io

    from openpyxl import load_workbook

    ledger = client_for(cast.supervisor_a).get(reverse("ledger_export"))
    book = load_workbook(io.BytesIO(ledger.content), read_only=True)
    cells = [str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row if v]
    assert "马来西亚" in cells


def child_events(child: Child):  # type: ignore[no-untyped-def]
    from registry.selectors import timeline

    return list(timeline(child).filter(action="child.create"))


def test_a_place_in_china_and_a_country_at_once_is_refused(cast: Cast) -> None:
    from regions.models import Region
    from tests.factories import make_child

    child = make_child(cast.village_a, actor=cast.district_admin)
    member = FamilyMember(
        child=child,
        relationship="51",
        name="王父",
        status="away_for_work",
        work_region=Region.objects.get(code="350582000000"),
        work_country="MY",
        left_on=date(2024, 2, 1),
    )
    with pytest.raises(ValidationError):
        member.full_clean()


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("福建省晋江市", "350582000000"),
        ("泉州晋江", "350582000000"),
        ("福建晋江", "350582000000"),
        ("在晋江", "350582000000"),
        ("中国香港", "810000000000"),
        ("境外：香港", "810000000000"),
        ("Hong Kong", "810000000000"),
        ("HK", "810000000000"),
    ],
)
def test_places_in_china_written_with_their_province_or_framed(cast: Cast, typed: str, code: str) -> None:
    from conftest import _region
    from regions.models import Kind, Level, Region
    from registry.forms import WorkPlaceField

    _region("810000000000", "香港特别行政区", Level.PROVINCE, Kind.PROVINCE, None)
    place = WorkPlaceField(required=False).clean(typed)
    assert isinstance(place, Region) and place.code == code


def test_the_message_quotes_the_place_as_typed(cast: Cast) -> None:
    from registry.forms import WorkPlaceField

    with pytest.raises(ValidationError) as raised, translation.override("zh-hans"):
        WorkPlaceField(required=False).clean("Republic of Mars")
    assert "“Republic of Mars”" in raised.value.messages[0]
