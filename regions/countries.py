"""Countries, for a parent who works abroad (Hanjiang is a home of overseas Chinese: many parents
work in South-East Asia, Africa or elsewhere).

The list is ISO 3166-1 (the same codes as GB/T 2659) from ``pycountry``, with its Chinese names.
China itself, and Taiwan, Hong Kong and Macao, are not countries here: they are provinces of the
administrative division code table, where a place of work in China is found.
"""

from __future__ import annotations

import gettext
import unicodedata
from functools import cache

import pycountry
from django.utils.functional import lazy
from django.utils.translation import get_language

NOT_COUNTRIES = {"CN", "TW", "HK", "MO"}

# Names people write that the ISO list spells otherwise.
ALIASES = {
    "柬埔寨": "KH",
    "韩国": "KR",
    "南韩": "KR",
    "朝鲜": "KP",
    "北韩": "KP",
    "老挝": "LA",
    "阿联酋": "AE",
    "迪拜": "AE",
    "英国": "GB",
    "美国": "US",
    "俄罗斯": "RU",
    "越南": "VN",
    "伊朗": "IR",
    "叙利亚": "SY",
    "坦桑尼亚": "TZ",
    "玻利维亚": "BO",
    "委内瑞拉": "VE",
    "刚果（金）": "CD",
    "刚果金": "CD",
    "刚果（布）": "CG",
    "刚果布": "CG",
    "科特迪瓦": "CI",
    "捷克": "CZ",
    "荷兰": "NL",
    "土耳其": "TR",
    "印尼": "ID",
    "沙特": "SA",
    "澳洲": "AU",
    "USA": "US",
    "UK": "GB",
    "阿拉伯联合酋长国": "AE",
    "UAE": "AE",
    "Korea": "KR",
    "South Korea": "KR",
    "Russia": "RU",
    "Turkey": "TR",
    "England": "GB",
    "Britain": "GB",
    "Great Britain": "GB",
    "America": "US",
    "Czech": "CZ",
    "Czech Republic": "CZ",
    "Palestine": "PS",
    "Ivory Coast": "CI",
    "Brunei": "BN",
    "Burma": "MM",
    "Holland": "NL",
    "Saudi": "SA",
    "Swaziland": "SZ",
    "Macedonia": "MK",
}

# pycountry's Chinese names that differ from the names used on the mainland (外交部 usage).
NAME_FIXES = {
    "BD": "孟加拉国",
    "BO": "玻利维亚",
    "CD": "刚果（金）",
    "CG": "刚果（布）",
    "GT": "危地马拉",
    "KG": "吉尔吉斯斯坦",
    "KH": "柬埔寨",
    "MN": "蒙古国",
    "MT": "马耳他",
    "PF": "法属波利尼西亚",
}

# Cities where people from Hanjiang often work, typed without their country.
CITIES = {
    "吉隆坡": "MY",
    "新山": "MY",
    "槟城": "MY",
    "沙巴": "MY",
    "雅加达": "ID",
    "泗水": "ID",
    "东京": "JP",
    "大阪": "JP",
    "首尔": "KR",
    "纽约": "US",
    "洛杉矶": "US",
    "旧金山": "US",
    "曼谷": "TH",
    "金边": "KH",
    "西哈努克": "KH",
    "罗安达": "AO",
    "马尼拉": "PH",
    "仰光": "MM",
    "万象": "LA",
    "河内": "VN",
    "胡志明市": "VN",
    "伦敦": "GB",
    "巴黎": "FR",
    "悉尼": "AU",
    "阿布扎比": "AE",
    "约翰内斯堡": "ZA",
    "拉各斯": "NG",
    "内罗毕": "KE",
}

# Words around a country's name: "国外：马来西亚", "境外（新加坡）", "在日本".
FRAME_WORDS = ("国外", "境外", "出国", "海外", "在")


@cache
def _chinese() -> gettext.NullTranslations:
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["zh_CN"], fallback=True)


def _countries() -> list[tuple[str, str, str, list[str]]]:
    """(code, Chinese name, English name, every name it may be written as) of each country."""
    zh = _chinese()
    rows = []
    for country in pycountry.countries:
        code = country.alpha_2
        if code in NOT_COUNTRIES:
            continue
        english = getattr(country, "common_name", None) or country.name
        names = [country.name, english, getattr(country, "official_name", "") or ""]
        chinese = NAME_FIXES.get(code) or zh.gettext(english)
        spellings = {code, country.alpha_3, chinese, *names, *(zh.gettext(n) for n in names if n)}
        rows.append((code, chinese, english, sorted(s for s in spellings if s)))
    return rows


@cache
def _index() -> dict[str, str]:
    index: dict[str, str] = {}
    for code, _chinese_name, _english, spellings in _countries():
        for spelling in spellings:
            index.setdefault(_fold(spelling), code)
    for alias, code in {**CITIES, **ALIASES}.items():
        index[_fold(alias)] = code
    return index


@cache
def _names() -> dict[str, tuple[str, str]]:
    return {code: (chinese, english) for code, chinese, english, _spellings in _countries()}


_PUNCTUATION = str.maketrans("", "", ".'’-·")


def _fold(text: str) -> str:
    """For comparing: no spaces, case, accents or dots ("U.S.", "Côte d'Ivoire" = "cote divoire")."""
    text = unicodedata.normalize("NFKC", text)
    if text.isascii() or any(unicodedata.combining(c) for c in unicodedata.normalize("NFKD", text)):
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return "".join(text.translate(_PUNCTUATION).split()).casefold()


def without_frame(text: str, words: tuple[str, ...] = FRAME_WORDS) -> str:
    """``text`` without a leading word of ``words`` and the punctuation after it ("国外：新加坡")."""
    for word in words:
        if text.startswith(word) and len(text) > len(word):
            return text[len(word) :].lstrip(":：-—(（").rstrip(")）")
    return text


def country_from_text(text: str) -> str | None:
    """The ISO code of the country ``text`` names ("马来西亚", "国外：新加坡", "Angola", "AO", "日本国",
    "马来西亚吉隆坡"), or None."""
    folded = without_frame(_fold(text))
    index = _index()
    if folded in index:
        return index[folded]
    if folded.endswith("国") and folded[:-1] in index:  # 日本国, 新加坡国
        return index[folded[:-1]]
    # A country and a city: 马来西亚吉隆坡, 美国纽约. The longest Chinese name the text starts with.
    for length in range(min(len(folded) - 1, _longest_chinese_name()), 1, -1):
        code = index.get(folded[:length])
        if code is not None and not folded[:length].isascii():
            return code
    return None


@cache
def _longest_chinese_name() -> int:
    return max(len(name) for name in _index() if not name.isascii())


def country_name(code: str) -> str:
    """The country's name in the active language (Chinese, or English for an English page)."""
    names = _names().get(code)
    if names is None:
        return code
    chinese, english = names
    return chinese if (get_language() or "zh-hans").startswith("zh") else english


country_label = lazy(country_name, str)


def country_choices() -> list[tuple[str, str]]:
    """Every country, for the model field's choices (labels follow the language at display)."""
    return [(code, country_label(code)) for code in sorted(_names(), key=lambda c: _names()[c][0])]
