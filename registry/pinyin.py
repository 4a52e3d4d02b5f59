"""Pinyin search keys for children's names.

A village officer's search box accepts pinyin: ``zs``, ``zhangsan``, ``zhang san`` or ``Zhang'San`` all find
张三. This module turns a name into lowercase ASCII keys and turns a query into the form those keys are
matched against. It is pure (no database, no Django) and never mutates pypinyin's global dictionaries: surname
readings come from the module's own tables and are applied to the first character(s) of the name only.

How a name becomes keys
-----------------------
* The name is NFKC-normalised and split into Han characters (anything pypinyin has a reading for) and runs
  of Latin letters (accents stripped, lower-cased). Everything else — ``·`` in names such as
  阿依古丽·买买提, digits, spaces, punctuation — is dropped.
* Surname: the name's first Han character(s), when the name (ignoring dropped characters) starts with Han
  characters. If it starts with a compound surname from :data:`COMPOUND_SURNAMES` (尉迟, 万俟, 欧阳…) or a
  single-character surname with a special reading from :data:`SURNAMES` (单 → shan, 曾 → zeng, 解 → xie…),
  that reading is the main one; the everyday reading pypinyin gives the character on its own is kept as an
  alternative (so an officer typing ``danxiaoming`` still finds 单小明, whose main key is ``shanxiaoming``).
  Any other first character is read as pypinyin reads it alone, with no alternatives.
* Given name: read by pypinyin with phrase context (``lazy_pinyin``); every heteronym
  (``pinyin(..., heteronym=True)``) of each character is an alternative reading (李乐 → ``lile`` and
  ``liyue``).
* Variants are the main reading first, then readings that differ from it in one character (left to right),
  then in two, and so on, deduplicated and cut off at :data:`MAX_VARIANTS`. ü is written ``v`` (``lvbu``).
* Initials are the first letter of each syllable (and of each Latin run): ``zs``, ``sxm``, ``lb``.

How the caller matches
----------------------
:func:`search_text` gives one string to store in an indexed text column::

    " zhangsan zs "                      # 张三
    " shanxiaoming sxm danxiaoming dxm " # 单小明 (main reading first, then variants)

Every token is preceded by a space, and the string ends with a space. A child matches a pinyin query ``q``
(the result of :func:`normalise_query`) when the search text contains ``" " + q``, i.e. ``q`` is a prefix of
one token::

    child_matches = (" " + q) in search_text(name)
    -- SQL: search_text LIKE '% ' || q || '%'     (Django: search_text__contains=" " + q)

So ``zs`` matches the token ``zs``, ``z`` matches both tokens, ``zhangs`` and ``zhangsan`` match the token
``zhangsan``, while ``an`` or ``san`` do not match 张三 because matching only happens at token starts. A
normalised query only contains ``a``-``z`` (no spaces), so it can never span two tokens and needs no escaping
of LIKE wildcards.

Limitations: mixed queries (``zhangs`` works, ``zsan`` or ``zhs`` do not), ``u`` typed for ü (``lubu`` does
not find 吕布; type ``lvbu`` or ``lübu``), searching by the given name alone (``xiaoming``) is not supported,
and Han characters pypinyin has no reading for are dropped.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from pypinyin import Style, lazy_pinyin, pinyin
from pypinyin.pinyin_dict import pinyin_dict

__all__ = [
    "COMPOUND_SURNAMES",
    "MAX_VARIANTS",
    "SURNAMES",
    "NameKeys",
    "is_pinyin_query",
    "name_keys",
    "normalise_query",
    "search_text",
]

#: Upper bound on ``NameKeys.variants`` and ``NameKeys.initial_variants`` (main reading included).
MAX_VARIANTS = 8

#: Compound (two-character) surnames and their readings, one syllable per character.
COMPOUND_SURNAMES: dict[str, tuple[str, str]] = {
    "尉迟": ("yu", "chi"),
    "万俟": ("mo", "qi"),
    "长孙": ("zhang", "sun"),
    "单于": ("chan", "yu"),
    "澹台": ("tan", "tai"),
    "宰父": ("zai", "fu"),
    "欧阳": ("ou", "yang"),
    "司马": ("si", "ma"),
    "上官": ("shang", "guan"),
    "诸葛": ("zhu", "ge"),
    "东方": ("dong", "fang"),
    "皇甫": ("huang", "fu"),
    "公孙": ("gong", "sun"),
    "慕容": ("mu", "rong"),
    "令狐": ("ling", "hu"),
    "宇文": ("yu", "wen"),
    "夏侯": ("xia", "hou"),
    "轩辕": ("xuan", "yuan"),
    "司徒": ("si", "tu"),
    "端木": ("duan", "mu"),
    "呼延": ("hu", "yan"),
    "南宫": ("nan", "gong"),
    "独孤": ("du", "gu"),
    "西门": ("xi", "men"),
    "百里": ("bai", "li"),
    "东郭": ("dong", "guo"),
    "闻人": ("wen", "ren"),
    "钟离": ("zhong", "li"),
    "赫连": ("he", "lian"),
    "太史": ("tai", "shi"),
    "申屠": ("shen", "tu"),
    "公冶": ("gong", "ye"),
    "羊舌": ("yang", "she"),
    "左丘": ("zuo", "qiu"),
    "梁丘": ("liang", "qiu"),
    "拓跋": ("tuo", "ba"),
    "第五": ("di", "wu"),
    "司空": ("si", "kong"),
    "公羊": ("gong", "yang"),
    "濮阳": ("pu", "yang"),
    "淳于": ("chun", "yu"),
    "仲孙": ("zhong", "sun"),
    "亓官": ("qi", "guan"),
    "司寇": ("si", "kou"),
    "子车": ("zi", "ju"),
    "颛孙": ("zhuan", "sun"),
    "巫马": ("wu", "ma"),
    "公西": ("gong", "xi"),
    "漆雕": ("qi", "diao"),
    "乐正": ("yue", "zheng"),
    "壤驷": ("rang", "si"),
    "公良": ("gong", "liang"),
    "谷梁": ("gu", "liang"),
    "段干": ("duan", "gan"),
    "东门": ("dong", "men"),
}

#: Single-character surnames whose surname reading differs from (or must not be left to) pypinyin's default.
SURNAMES: dict[str, str] = {
    "单": "shan",
    "曾": "zeng",
    "解": "xie",
    "区": "ou",
    "仇": "qiu",
    "朴": "piao",
    "查": "zha",
    "盖": "ge",
    "乐": "yue",
    "员": "yun",
    "缪": "miao",
    "繁": "po",
    "覃": "qin",
    "翟": "zhai",
    "召": "shao",
    "秘": "bi",
    "句": "gou",
    "黑": "he",
    "重": "chong",
    "种": "chong",
    "费": "fei",
    "华": "hua",
    "任": "ren",
    "纪": "ji",
    "长": "chang",
    "藏": "zang",
    "都": "du",
    "薄": "bo",
    "隗": "wei",
    "宓": "fu",
    "卜": "bu",
    "祭": "zhai",
    "阚": "kan",
    "角": "jue",
    "逢": "pang",
    "乜": "nie",
    "佴": "nai",
    "粘": "nian",
    "能": "nai",
    "折": "she",
    "沈": "shen",
    "褚": "chu",
    "贾": "jia",
    "柏": "bai",
    "燕": "yan",
    "尉": "wei",
}

# ü family (with and without tone marks) → "v", as Chinese input methods write it.
_U_UMLAUT = str.maketrans(dict.fromkeys("üǖǘǚǜ", "v"))
# Separators a pinyin query may contain: whitespace, apostrophes, hyphens, middle dots.
_QUERY_SEPARATORS = frozenset("'’‘ʼ`-‐‑·・")


@dataclass(frozen=True)
class NameKeys:
    """Pinyin keys of one name; all lowercase ASCII without spaces."""

    full: str  # main reading, e.g. "zhangsan", "shanxiaoming" for 单小明
    initials: str  # "zs", "sxm"
    variants: tuple[str, ...]  # all full readings incl. main (first), deduplicated, ≤ MAX_VARIANTS
    initial_variants: tuple[str, ...]  # all initials incl. main (first), deduplicated, ≤ MAX_VARIANTS


def _is_han(char: str) -> bool:
    return ord(char) in pinyin_dict


def _ascii_letters(text: str) -> str:
    """Lower-case ``text``, write ü as v, strip accents and keep only the letters a-z."""
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_U_UMLAUT))
    return "".join(c for c in decomposed if "a" <= c <= "z")


def _dedup(items: Sequence[str]) -> list[str]:
    return [item for item in dict.fromkeys(items) if item]


def _segments(name: str) -> list[tuple[bool, str]]:
    """Split ``name`` into ``(is_han, text)`` runs; Latin runs are already reduced to a-z, the rest dropped."""
    segments: list[tuple[bool, str]] = []
    han: list[str] = []
    latin: list[str] = []

    def flush() -> None:
        if han:
            segments.append((True, "".join(han)))
            han.clear()
        if latin:
            letters = _ascii_letters("".join(latin))
            if letters:
                segments.append((False, letters))
            latin.clear()

    for char in unicodedata.normalize("NFKC", name):
        if _is_han(char):
            if latin:
                flush()
            han.append(char)
        elif _ascii_letters(char):
            if han:
                flush()
            latin.append(char)
        else:
            flush()
    flush()
    return segments


def _alone(char: str) -> str:
    """pypinyin's default reading of one character on its own."""
    readings = lazy_pinyin(char, style=Style.NORMAL, errors="ignore")
    return _ascii_letters(readings[0]) if readings else ""


def _heteronyms(char: str) -> list[str]:
    readings = pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore")
    return [_ascii_letters(r) for r in readings[0]] if readings else []


def _given_name_readings(run: str) -> list[list[str]]:
    """Candidate readings per character of a Han run: contextual main reading first, then heteronyms."""
    main = [_ascii_letters(r) for r in lazy_pinyin(run, style=Style.NORMAL, errors="ignore")]
    if len(main) != len(run):  # defensive: keep the per-character alignment
        main = [_alone(char) for char in run]
    return [_dedup([reading, *_heteronyms(char)]) for char, reading in zip(run, main, strict=True)]


def _surname_readings(run: str) -> tuple[int, list[list[str]]]:
    """Return how many leading characters of ``run`` are the surname, and their candidate readings."""
    compound = COMPOUND_SURNAMES.get(run[:2])
    if compound is not None:
        return 2, [_dedup([reading, _alone(char)]) for char, reading in zip(run[:2], compound, strict=True)]
    first = run[0]
    special = SURNAMES.get(first)
    if special is not None:
        return 1, [_dedup([special, _alone(first)])]
    return 1, [_dedup([_alone(first)])]


def _positions(name: str) -> list[list[str]]:
    """Candidate readings per syllable (or Latin run); the first candidate is the main reading."""
    positions: list[list[str]] = []
    for index, (is_han, text) in enumerate(_segments(name)):
        if not is_han:
            positions.append([text])
            continue
        if index == 0:  # the name starts with Han characters: the first one(s) are the surname
            taken, readings = _surname_readings(text)
            positions.extend(readings)
            text = text[taken:]
        if text:
            positions.extend(_given_name_readings(text))
    return [candidates for candidates in positions if candidates]


def _combinations(positions: list[list[str]]) -> Iterator[tuple[str, ...]]:
    """Yield readings: the main one, then those differing in 1, 2, … positions (left to right)."""
    main = tuple(candidates[0] for candidates in positions)
    yield main
    varying = [i for i, candidates in enumerate(positions) if len(candidates) > 1]
    for count in range(1, len(varying) + 1):
        for chosen in itertools.combinations(varying, count):
            for alternatives in itertools.product(*(positions[i][1:] for i in chosen)):
                reading = list(main)
                for i, alternative in zip(chosen, alternatives, strict=True):
                    reading[i] = alternative
                yield tuple(reading)


def _readings(name: str) -> list[tuple[str, str]]:
    """``(full, initials)`` pairs: main reading first, deduplicated on ``full``, at most MAX_VARIANTS."""
    positions = _positions(name)
    pairs: dict[str, str] = {}
    if not positions:
        return []
    for reading in _combinations(positions):
        full = "".join(reading)
        if full not in pairs:
            pairs[full] = "".join(syllable[0] for syllable in reading)
            if len(pairs) >= MAX_VARIANTS:
                break
    return list(pairs.items())


def name_keys(name: str) -> NameKeys:
    """Pinyin keys of ``name``: main reading, its initials and bounded alternatives (see the module docs)."""
    pairs = _readings(name)
    if not pairs:
        return NameKeys(full="", initials="", variants=(), initial_variants=())
    return NameKeys(
        full=pairs[0][0],
        initials=pairs[0][1],
        variants=tuple(full for full, _ in pairs),
        initial_variants=tuple(_dedup([initials for _, initials in pairs])),
    )


def search_text(name: str) -> str:
    """Space-separated tokens to store for token-prefix search: ``" full initials variant2 initials2 … "``.

    Lowercase ASCII only, with a leading and a trailing space; empty when the name yields no keys. A child
    matches the normalised query ``q`` when ``(" " + q) in search_text(name)`` — in SQL
    ``search_text LIKE '% ' || q || '%'``.
    """
    tokens = _dedup([token for pair in _readings(name) for token in pair])
    return f" {' '.join(tokens)} " if tokens else ""


def normalise_query(query: str) -> str | None:
    """Normalise a pinyin-like query (``"zs"``, ``"zhang san"``, ``"Zhang'San"``, ``"ZHANGSAN"``, ``"lüb"``).

    Returns the lowercase letters a-z with spaces, apostrophes and hyphens removed, ü written as ``v`` and
    tone marks stripped. Returns ``None`` when the query is not pinyin: it contains Han characters, digits or
    other symbols, or is blank — the caller then searches by name or ID instead.
    """
    text = unicodedata.normalize("NFKC", query).lower().translate(_U_UMLAUT)
    letters: list[str] = []
    for char in text:
        if char.isspace() or char in _QUERY_SEPARATORS:
            continue
        if _is_han(char) or unicodedata.category(char).startswith("N"):
            return None
        decomposed = unicodedata.normalize("NFKD", char)
        base = decomposed[0]
        if not ("a" <= base <= "z") or any(not unicodedata.combining(mark) for mark in decomposed[1:]):
            return None
        letters.append(base)
    return "".join(letters) or None


def is_pinyin_query(query: str) -> bool:
    """True when :func:`normalise_query` accepts ``query`` as pinyin."""
    return normalise_query(query) is not None
