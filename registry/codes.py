"""Code tables for the child registry (农村留守儿童基本情况登记表).

Where a national standard assigns codes, the stored values are those codes (GB/T 2261.1 sex,
GB/T 3304-1991 ethnic groups, GB/T 4761-2008 family relationships); elsewhere they are short
lower_snake English words. Labels are English msgids; the Chinese UI comes from the translation
catalogue, and the official Chinese name sits in a comment on each line for the translator.

The ``*_from_text`` helpers turn what people type into import spreadsheets (a code, a Chinese
name, a common alias, an English label) into the stored code, or None when nothing matches.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

# ---------------------------------------------------------------------------------------------
# Standard code tables
# ---------------------------------------------------------------------------------------------


class Gender(models.TextChoices):
    """GB/T 2261.1-2003 人的性别代码."""

    UNKNOWN = "0", _("Unknown sex")  # 未知的性别
    MALE = "1", _("Male")  # 男（男性）
    FEMALE = "2", _("Female")  # 女（女性）
    UNSPECIFIED = "9", _("Unspecified sex")  # 未说明的性别


class Ethnicity(models.TextChoices):
    """GB/T 3304-1991 中国各民族名称的罗马字母拼写法和代码 (numeric codes)."""

    HAN = "01", _("Han")  # 汉族
    MONGOL = "02", _("Mongol")  # 蒙古族
    HUI = "03", _("Hui")  # 回族
    TIBETAN = "04", _("Tibetan")  # 藏族
    UYGHUR = "05", _("Uyghur")  # 维吾尔族
    MIAO = "06", _("Miao")  # 苗族
    YI = "07", _("Yi")  # 彝族
    ZHUANG = "08", _("Zhuang")  # 壮族
    BOUYEI = "09", _("Bouyei")  # 布依族
    KOREAN = "10", _("Korean")  # 朝鲜族
    MANCHU = "11", _("Manchu")  # 满族
    DONG = "12", _("Dong")  # 侗族
    YAO = "13", _("Yao")  # 瑶族
    BAI = "14", _("Bai")  # 白族
    TUJIA = "15", _("Tujia")  # 土家族
    HANI = "16", _("Hani")  # 哈尼族
    KAZAKH = "17", _("Kazakh")  # 哈萨克族
    DAI = "18", _("Dai")  # 傣族
    LI = "19", _("Li")  # 黎族
    LISU = "20", _("Lisu")  # 傈僳族
    VA = "21", _("Va")  # 佤族
    SHE = "22", _("She")  # 畲族
    GAOSHAN = "23", _("Gaoshan")  # 高山族
    LAHU = "24", _("Lahu")  # 拉祜族
    SUI = "25", _("Sui")  # 水族
    DONGXIANG = "26", _("Dongxiang")  # 东乡族
    NAXI = "27", _("Naxi")  # 纳西族
    JINGPO = "28", _("Jingpo")  # 景颇族
    KYRGYZ = "29", _("Kyrgyz")  # 柯尔克孜族
    TU = "30", _("Tu")  # 土族
    DAUR = "31", _("Daur")  # 达斡尔族
    MULAO = "32", _("Mulao")  # 仫佬族
    QIANG = "33", _("Qiang")  # 羌族
    BLANG = "34", _("Blang")  # 布朗族
    SALAR = "35", _("Salar")  # 撒拉族
    MAONAN = "36", _("Maonan")  # 毛南族
    GELAO = "37", _("Gelao")  # 仡佬族
    XIBE = "38", _("Xibe")  # 锡伯族
    ACHANG = "39", _("Achang")  # 阿昌族
    PUMI = "40", _("Pumi")  # 普米族
    TAJIK = "41", _("Tajik")  # 塔吉克族
    NU = "42", _("Nu")  # 怒族
    UZBEK = "43", _("Uzbek")  # 乌孜别克族
    RUSSIAN = "44", _("Russian")  # 俄罗斯族
    EWENKI = "45", _("Ewenki")  # 鄂温克族
    DEANG = "46", _("De'ang")  # 德昂族
    BONAN = "47", _("Bonan")  # 保安族
    YUGUR = "48", _("Yugur")  # 裕固族
    GIN = "49", _("Gin")  # 京族
    TATAR = "50", _("Tatar")  # 塔塔尔族
    DERUNG = "51", _("Derung")  # 独龙族
    OROQEN = "52", _("Oroqen")  # 鄂伦春族
    HEZHEN = "53", _("Hezhen")  # 赫哲族
    MONBA = "54", _("Monba")  # 门巴族
    LHOBA = "55", _("Lhoba")  # 珞巴族
    JINO = "56", _("Jino")  # 基诺族
    OTHER = "97", _("Other")  # 其他
    FOREIGN_ORIGIN = "98", _("Chinese citizen of foreign origin")  # 外国血统中国籍人士


ETHNICITY_CHINESE: dict[str, str] = {
    "01": "汉族",
    "02": "蒙古族",
    "03": "回族",
    "04": "藏族",
    "05": "维吾尔族",
    "06": "苗族",
    "07": "彝族",
    "08": "壮族",
    "09": "布依族",
    "10": "朝鲜族",
    "11": "满族",
    "12": "侗族",
    "13": "瑶族",
    "14": "白族",
    "15": "土家族",
    "16": "哈尼族",
    "17": "哈萨克族",
    "18": "傣族",
    "19": "黎族",
    "20": "傈僳族",
    "21": "佤族",
    "22": "畲族",
    "23": "高山族",
    "24": "拉祜族",
    "25": "水族",
    "26": "东乡族",
    "27": "纳西族",
    "28": "景颇族",
    "29": "柯尔克孜族",
    "30": "土族",
    "31": "达斡尔族",
    "32": "仫佬族",
    "33": "羌族",
    "34": "布朗族",
    "35": "撒拉族",
    "36": "毛南族",
    "37": "仡佬族",
    "38": "锡伯族",
    "39": "阿昌族",
    "40": "普米族",
    "41": "塔吉克族",
    "42": "怒族",
    "43": "乌孜别克族",
    "44": "俄罗斯族",
    "45": "鄂温克族",
    "46": "德昂族",
    "47": "保安族",
    "48": "裕固族",
    "49": "京族",
    "50": "塔塔尔族",
    "51": "独龙族",
    "52": "鄂伦春族",
    "53": "赫哲族",
    "54": "门巴族",
    "55": "珞巴族",
    "56": "基诺族",
    "97": "其他",
    "98": "外国血统中国籍人士",
}

# Spellings found in older records: 崩龙族 was renamed 德昂族 in 1985, 毛难族 became 毛南族 in 1986.
_ETHNICITY_ALIASES: dict[str, str] = {
    "崩龙族": "46",
    "毛难族": "36",
    "其它": "97",
}


class Relationship(models.TextChoices):
    """GB/T 4761-2008 家庭关系代码: the relation of a person to the reference person.

    The standard defines the relation to the household head (户主); in the registry the
    reference person is the child, so 61 祖父 on a guardian means "the child's paternal grandfather".
    """

    SELF = "01", _("Self")  # 本人
    HOUSEHOLD_HEAD = "02", _("Head of household")  # 户主
    SPOUSE = "10", _("Spouse")  # 配偶
    HUSBAND = "11", _("Husband")  # 夫
    WIFE = "12", _("Wife")  # 妻
    SON = "20", _("Son")  # 子
    ONLY_SON = "21", _("Only son")  # 独生子
    ELDEST_SON = "22", _("Eldest son")  # 长子
    SECOND_SON = "23", _("Second son")  # 次子
    THIRD_SON = "24", _("Third son")  # 三子
    FOURTH_SON = "25", _("Fourth son")  # 四子
    FIFTH_SON = "26", _("Fifth son")  # 五子
    ADOPTED_OR_STEP_SON = "27", _("Adopted son or stepson")  # 养子或继子
    SON_IN_LAW = "28", _("Son-in-law")  # 女婿
    OTHER_SON = "29", _("Other son")  # 其他儿子
    DAUGHTER = "30", _("Daughter")  # 女
    ONLY_DAUGHTER = "31", _("Only daughter")  # 独生女
    ELDEST_DAUGHTER = "32", _("Eldest daughter")  # 长女
    SECOND_DAUGHTER = "33", _("Second daughter")  # 次女
    THIRD_DAUGHTER = "34", _("Third daughter")  # 三女
    FOURTH_DAUGHTER = "35", _("Fourth daughter")  # 四女
    FIFTH_DAUGHTER = "36", _("Fifth daughter")  # 五女
    ADOPTED_OR_STEP_DAUGHTER = "37", _("Adopted daughter or stepdaughter")  # 养女或继女
    DAUGHTER_IN_LAW = "38", _("Daughter-in-law")  # 儿媳
    OTHER_DAUGHTER = "39", _("Other daughter")  # 其他女儿
    GRANDCHILD = "40", _("Grandchild")  # 孙子、孙女或外孙子、外孙女
    SONS_SON = "41", _("Grandson (son's son)")  # 孙子
    SONS_DAUGHTER = "42", _("Granddaughter (son's daughter)")  # 孙女
    DAUGHTERS_SON = "43", _("Grandson (daughter's son)")  # 外孙子
    DAUGHTERS_DAUGHTER = "44", _("Granddaughter (daughter's daughter)")  # 外孙女
    GRANDSONS_WIFE = "45", _("Grandson's wife")  # 孙媳妇或外孙媳妇
    GRANDDAUGHTERS_HUSBAND = "46", _("Granddaughter's husband")  # 孙女婿或外孙女婿
    GREAT_GRANDSON = "47", _("Great-grandson")  # 曾孙子或外曾孙子
    GREAT_GRANDDAUGHTER = "48", _("Great-granddaughter")  # 曾孙女或外曾孙女
    OTHER_GRANDCHILD = "49", _("Other grandchild")  # 其他孙子、孙女或外孙子、外孙女
    PARENT = "50", _("Parent")  # 父母
    FATHER = "51", _("Father")  # 父亲
    MOTHER = "52", _("Mother")  # 母亲
    HUSBANDS_FATHER = "53", _("Husband's father")  # 公公
    HUSBANDS_MOTHER = "54", _("Husband's mother")  # 婆婆
    WIFES_FATHER = "55", _("Wife's father")  # 岳父
    WIFES_MOTHER = "56", _("Wife's mother")  # 岳母
    STEP_OR_ADOPTIVE_FATHER = "57", _("Stepfather or adoptive father")  # 继父或养父
    STEP_OR_ADOPTIVE_MOTHER = "58", _("Stepmother or adoptive mother")  # 继母或养母
    OTHER_PARENT = "59", _("Other parental relationship")  # 其他父母关系
    GRANDPARENT = "60", _("Grandparent")  # 祖父母或外祖父母
    PATERNAL_GRANDFATHER = "61", _("Paternal grandfather")  # 祖父
    PATERNAL_GRANDMOTHER = "62", _("Paternal grandmother")  # 祖母
    MATERNAL_GRANDFATHER = "63", _("Maternal grandfather")  # 外祖父
    MATERNAL_GRANDMOTHER = "64", _("Maternal grandmother")  # 外祖母
    SPOUSES_GRANDPARENT = "65", _("Spouse's grandparent")  # 配偶的祖父母或外祖父母
    GREAT_GRANDFATHER = "66", _("Great-grandfather")  # 曾祖父
    GREAT_GRANDMOTHER = "67", _("Great-grandmother")  # 曾祖母
    SPOUSES_GREAT_GRANDPARENT = "68", _("Spouse's great-grandparent")  # 配偶的曾祖父母或外曾祖父母
    OTHER_GRANDPARENT = "69", _("Other grandparental relationship")  # 其他祖父母或外祖父母关系
    SIBLING = "70", _("Sibling")  # 兄弟姐妹
    ELDER_BROTHER = "71", _("Elder brother")  # 兄
    ELDER_BROTHERS_WIFE = "72", _("Elder brother's wife")  # 嫂
    YOUNGER_BROTHER = "73", _("Younger brother")  # 弟
    YOUNGER_BROTHERS_WIFE = "74", _("Younger brother's wife")  # 弟媳
    ELDER_SISTER = "75", _("Elder sister")  # 姐姐
    ELDER_SISTERS_HUSBAND = "76", _("Elder sister's husband")  # 姐夫
    YOUNGER_SISTER = "77", _("Younger sister")  # 妹妹
    YOUNGER_SISTERS_HUSBAND = "78", _("Younger sister's husband")  # 妹夫
    OTHER_SIBLING = "79", _("Other sibling")  # 其他兄弟姐妹
    OTHER = "80", _("Other")  # 其他
    FATHERS_ELDER_BROTHER = "81", _("Father's elder brother")  # 伯父
    FATHERS_ELDER_BROTHERS_WIFE = "82", _("Wife of father's elder brother")  # 伯母
    FATHERS_YOUNGER_BROTHER = "83", _("Father's younger brother")  # 叔父
    FATHERS_YOUNGER_BROTHERS_WIFE = "84", _("Wife of father's younger brother")  # 婶母
    MOTHERS_BROTHER = "85", _("Mother's brother")  # 舅父
    MOTHERS_BROTHERS_WIFE = "86", _("Wife of mother's brother")  # 舅母
    MOTHERS_SISTERS_HUSBAND = "87", _("Husband of mother's sister")  # 姨父
    MOTHERS_SISTER = "88", _("Mother's sister")  # 姨母
    FATHERS_SISTERS_HUSBAND = "89", _("Husband of father's sister")  # 姑父
    FATHERS_SISTER = "90", _("Father's sister")  # 姑母
    PATERNAL_COUSIN = "91", _("Cousin (child of father's brother)")  # 堂兄弟、堂姐妹
    OTHER_COUSIN = "92", _("Cousin (child of father's sister or of mother's sibling)")  # 表兄弟、表姐妹
    BROTHERS_SON = "93", _("Nephew (brother's son)")  # 侄子
    BROTHERS_DAUGHTER = "94", _("Niece (brother's daughter)")  # 侄女
    SISTERS_SON = "95", _("Nephew (sister's son)")  # 外甥
    SISTERS_DAUGHTER = "96", _("Niece (sister's daughter)")  # 外甥女
    OTHER_RELATIVE = "97", _("Other relative")  # 其他亲属
    NON_RELATIVE = "99", _("Non-relative")  # 非亲属


RELATIONSHIP_CHINESE: dict[str, str] = {
    "01": "本人",
    "02": "户主",
    "10": "配偶",
    "11": "夫",
    "12": "妻",
    "20": "子",
    "21": "独生子",
    "22": "长子",
    "23": "次子",
    "24": "三子",
    "25": "四子",
    "26": "五子",
    "27": "养子或继子",
    "28": "女婿",
    "29": "其他儿子",
    "30": "女",
    "31": "独生女",
    "32": "长女",
    "33": "次女",
    "34": "三女",
    "35": "四女",
    "36": "五女",
    "37": "养女或继女",
    "38": "儿媳",
    "39": "其他女儿",
    "40": "孙子、孙女或外孙子、外孙女",
    "41": "孙子",
    "42": "孙女",
    "43": "外孙子",
    "44": "外孙女",
    "45": "孙媳妇或外孙媳妇",
    "46": "孙女婿或外孙女婿",
    "47": "曾孙子或外曾孙子",
    "48": "曾孙女或外曾孙女",
    "49": "其他孙子、孙女或外孙子、外孙女",
    "50": "父母",
    "51": "父亲",
    "52": "母亲",
    "53": "公公",
    "54": "婆婆",
    "55": "岳父",
    "56": "岳母",
    "57": "继父或养父",
    "58": "继母或养母",
    "59": "其他父母关系",
    "60": "祖父母或外祖父母",
    "61": "祖父",
    "62": "祖母",
    "63": "外祖父",
    "64": "外祖母",
    "65": "配偶的祖父母或外祖父母",
    "66": "曾祖父",
    "67": "曾祖母",
    "68": "配偶的曾祖父母或外曾祖父母",
    "69": "其他祖父母或外祖父母关系",
    "70": "兄弟姐妹",
    "71": "兄",
    "72": "嫂",
    "73": "弟",
    "74": "弟媳",
    "75": "姐姐",
    "76": "姐夫",
    "77": "妹妹",
    "78": "妹夫",
    "79": "其他兄弟姐妹",
    "80": "其他",
    "81": "伯父",
    "82": "伯母",
    "83": "叔父",
    "84": "婶母",
    "85": "舅父",
    "86": "舅母",
    "87": "姨父",
    "88": "姨母",
    "89": "姑父",
    "90": "姑母",
    "91": "堂兄弟、堂姐妹",
    "92": "表兄弟、表姐妹",
    "93": "侄子",
    "94": "侄女",
    "95": "外甥",
    "96": "外甥女",
    "97": "其他亲属",
    "99": "非亲属",
}

# Everyday words people write instead of the standard's names.
_RELATIONSHIP_ALIASES: dict[str, str] = {
    "爸爸": "51",
    "父": "51",
    "妈妈": "52",
    "母": "52",
    "爷爷": "61",
    "奶奶": "62",
    "外公": "63",
    "姥爷": "63",
    "外婆": "64",
    "姥姥": "64",
    "伯伯": "81",
    "叔叔": "83",
    "婶婶": "84",
    "舅舅": "85",
    "舅妈": "86",
    "姨夫": "87",
    "姨妈": "88",
    "阿姨": "88",
    "姑姑": "90",
    "姑妈": "90",
    "哥哥": "71",
    "哥": "71",
    "嫂子": "72",
    "弟弟": "73",
    "姐": "75",
    "妹": "77",
    "儿子": "20",
    "女儿": "30",
    "继父": "57",
    "养父": "57",
    "继母": "58",
    "养母": "58",
    "其它": "80",
}

PARENT_RELATIONSHIPS: frozenset[str] = frozenset(
    {
        Relationship.FATHER.value,
        Relationship.MOTHER.value,
        Relationship.STEP_OR_ADOPTIVE_FATHER.value,
        Relationship.STEP_OR_ADOPTIVE_MOTHER.value,
    }
)
GRANDPARENT_RELATIONSHIPS: frozenset[str] = frozenset(
    {
        Relationship.PATERNAL_GRANDFATHER.value,
        Relationship.PATERNAL_GRANDMOTHER.value,
        Relationship.MATERNAL_GRANDFATHER.value,
        Relationship.MATERNAL_GRANDMOTHER.value,
    }
)

# ---------------------------------------------------------------------------------------------
# Registry tables (no national code; values are lower_snake words)
# ---------------------------------------------------------------------------------------------


class ParentStatus(models.TextChoices):
    AWAY_FOR_WORK = "away_for_work", _("Working away from home")  # 外出务工
    AT_HOME = "at_home", _("At home")  # 在家
    DECEASED = "deceased", _("Deceased")  # 死亡
    MISSING = "missing", _("Missing")  # 失踪
    IMPRISONED = "imprisoned", _("Serving a sentence or in custody")  # 服刑在押
    SERIOUSLY_ILL = "seriously_ill", _("Seriously ill")  # 重病
    SERIOUSLY_DISABLED = "seriously_disabled", _("Severely disabled")  # 重残
    OTHER = "other", _("Other")  # 其他


class HealthStatus(models.TextChoices):
    HEALTHY = "healthy", _("Healthy")  # 健康
    ILL = "ill", _("Ill")  # 患病
    DISABLED = "disabled", _("With a disability")  # 残疾


class DisabilityCategory(models.TextChoices):
    """The seven categories of GB/T 26341-2010 残疾人残疾分类和分级."""

    VISUAL = "visual", _("Visual disability")  # 视力残疾
    HEARING = "hearing", _("Hearing disability")  # 听力残疾
    SPEECH = "speech", _("Speech disability")  # 言语残疾
    PHYSICAL = "physical", _("Physical disability")  # 肢体残疾
    INTELLECTUAL = "intellectual", _("Intellectual disability")  # 智力残疾
    MENTAL = "mental", _("Mental disability")  # 精神残疾
    MULTIPLE = "multiple", _("Multiple disabilities")  # 多重残疾


class DisabilityGrade(models.TextChoices):
    """GB/T 26341-2010: grade 1 is the most severe."""

    GRADE_1 = "1", _("Disability grade 1")  # 一级
    GRADE_2 = "2", _("Disability grade 2")  # 二级
    GRADE_3 = "3", _("Disability grade 3")  # 三级
    GRADE_4 = "4", _("Disability grade 4")  # 四级


class SchoolingStatus(models.TextChoices):
    NOT_IN_KINDERGARTEN = "not_in_kindergarten", _("Not in kindergarten")  # 未入园
    KINDERGARTEN = "kindergarten", _("Kindergarten")  # 幼儿园
    PRIMARY = "primary", _("Primary school")  # 小学
    JUNIOR = "junior", _("Junior secondary school")  # 初中
    SENIOR = "senior", _("Senior secondary school")  # 高中
    VOCATIONAL = "vocational", _("Secondary vocational school")  # 中职
    DROPPED_OUT = "dropped_out", _("Dropped out")  # 辍学
    NOT_IN_SCHOOL = "not_in_school", _("Not in school (other)")  # 未在校（其他）


class LivingArrangement(models.TextChoices):
    WITH_ONE_PARENT = "with_one_parent", _("With the father or the mother")  # 与父亲或母亲共同生活
    WITH_GRANDPARENTS = "with_grandparents", _("With grandparents")  # 与祖父母或外祖父母共同生活
    WITH_OTHER_RELATIVES = "with_other_relatives", _("With other relatives")  # 与其他亲属共同生活
    WITH_ENTRUSTED_GUARDIAN = "with_entrusted_guardian", _("With an entrusted guardian")  # 与受委托监护人共同生活
    ALONE = "alone", _("Living alone")  # 独自居住
    BOARDING_SCHOOL = "boarding_school", _("Boarding at school")  # 寄宿学校
    INSTITUTION = "institution", _("In a welfare or relief institution")  # 福利或救助机构
    OTHER = "other", _("Other")  # 其他


class IncomeSource(models.TextChoices):
    """Several may apply to one household."""

    WAGES_REMITTED = "wages_remitted", _("Parents' earnings from work away")  # 父母务工收入
    FARMING = "farming", _("Farming income")  # 务农收入
    LOCAL_WORK = "local_work", _("Earnings from local work")  # 本地务工收入
    SOCIAL_ASSISTANCE = "social_assistance", _("Minimum living allowance or other social assistance")  # 低保等社会救助
    PENSION = "pension", _("Pension")  # 养老金
    RELATIVES = "relatives", _("Support from relatives and friends")  # 亲友资助
    OTHER = "other", _("Other")  # 其他


class AssistanceKind(models.TextChoices):
    """Several may apply to one child."""

    DIBAO = "dibao", _("Minimum living allowance")  # 最低生活保障
    TEMPORARY_RELIEF = "temporary_relief", _("Temporary relief")  # 临时救助
    MEDICAL_ASSISTANCE = "medical_assistance", _("Medical assistance")  # 医疗救助
    HOUSING_ASSISTANCE = "housing_assistance", _("Housing assistance")  # 住房救助
    EDUCATION_AID = "education_aid", _("Education aid")  # 教育资助
    ORPHAN_ALLOWANCE = (
        "orphan_allowance",
        _("Basic living allowance for orphans and de facto unsupported children"),  # 孤儿或事实无人抚养儿童基本生活补贴
    )
    DISABILITY_ALLOWANCE = "disability_allowance", _("Disability living and nursing allowances")  # 残疾人两项补贴
    OTHER = "other", _("Other")  # 其他


class PovertyFlag(models.TextChoices):
    """Several may apply to one household."""

    REGISTERED_POOR = "registered_poor", _("Registered poor household")  # 建档立卡贫困户
    MONITORED_HOUSEHOLD = "monitored_household", _("Household monitored against relapse into poverty")  # 防止返贫监测户
    DIBAO_HOUSEHOLD = "dibao_household", _("Minimum-living-allowance household")  # 低保户
    TEKUN = "tekun", _("Supported as extremely poor")  # 特困供养
    NONE = "none", _("None")  # 无


class GuardianshipType(models.TextChoices):
    UNSUPERVISED = "unsupervised", _("No one provides guardianship")  # 无人监护
    PARENT_INCAPABLE = "parent_incapable", _("Father or mother unable to act as guardian")  # 父或母无监护能力
    ENTRUSTED_INSUFFICIENT = (
        "entrusted_insufficient",
        _("Entrusted guardian not fully able to act as guardian"),  # 受委托监护人监护能力不足
    )
    FAIR = "fair", _("Guardianship adequate")  # 监护情况一般
    GOOD = "good", _("Guardianship good")  # 监护情况较好


class GuardianshipAssessment(models.TextChoices):
    GOOD = "good", _("Good")  # 较好
    FAIR = "fair", _("Fair")  # 一般
    POOR = "poor", _("Poor")  # 差


class GuardianHealth(models.TextChoices):
    HEALTHY = "healthy", _("Healthy")  # 健康
    CHRONIC_ILLNESS = "chronic_illness", _("Chronic illness")  # 慢性病
    SERIOUS_ILLNESS = "serious_illness", _("Serious illness")  # 重病
    DISABLED = "disabled", _("With a disability")  # 残疾


class ContactFrequency(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")  # 每周
    MONTHLY = "monthly", _("Monthly")  # 每月
    QUARTERLY = "quarterly", _("Quarterly")  # 每季度
    YEARLY = "yearly", _("Yearly")  # 每年
    RARELY = "rarely", _("Rarely or never")  # 很少或从不


class ChildStatus(models.TextChoices):
    """Where a child's record stands in the registration workflow.

    A new file goes draft -> awaiting_review (the township reviews) -> awaiting_confirmation (the
    district confirms) -> registered; either reviewer may send it back as returned.
    """

    DRAFT = "draft", _("Draft")  # 草稿
    AWAITING_REVIEW = "awaiting_review", _("Awaiting review")  # 待审核
    AWAITING_CONFIRMATION = "awaiting_confirmation", _("Awaiting confirmation")  # 待确认
    RETURNED = "returned", _("Returned for correction")  # 已退回
    REGISTERED = "registered", _("Registered")  # 已登记
    EXITED = "exited", _("Exited")  # 已退出


class ExitReason(models.TextChoices):
    TURNED_16 = "turned_16", _("Turned 16")  # 年满十六周岁
    PARENT_RETURNED = (
        "parent_returned",
        _("A parent has returned home and can act as guardian"),  # 父母一方返乡且具备监护能力
    )
    MOVED_WITH_PARENTS = "moved_with_parents", _("Moved away to live with the parents")  # 随父母外出生活
    HUKOU_MOVED = "hukou_moved", _("Household registration moved out")  # 户籍迁出
    DIED = "died", _("Deceased")  # 死亡
    OTHER = "other", _("Other")  # 其他


class DifficultyKind(models.TextChoices):
    """困境儿童 under 国发〔2016〕36号 (several may apply)."""

    # The official wording is too long for a same-line comment, so it goes in a translator comment.
    FAMILY_POVERTY = (
        "family_poverty",
        # Translators: 因家庭贫困导致生活、就医、就学等困难
        _("Hardship in daily living, medical care or schooling because of family poverty"),
    )
    DISABILITY = (
        "disability",
        # Translators: 因自身残疾导致康复、照料、护理和社会融入等困难
        _("Hardship in rehabilitation, care, nursing or social integration because of own disability"),
    )
    GUARDIANSHIP_ABSENT = (
        "guardianship_absent",
        # Translators: 因家庭监护缺失或监护不当遭受虐待、遗弃、意外伤害、不法侵害等导致人身安全受到威胁或侵害
        _(
            "Personal safety threatened or harmed by abuse, abandonment, accidental injury or unlawful harm "
            "through absent or improper family guardianship"
        ),
    )


# ---------------------------------------------------------------------------------------------
# Matching text from imports
# ---------------------------------------------------------------------------------------------

_IGNORED = re.compile(r"[\s_\-]+")


def _key(text: str) -> str:
    """Fold width, case, apostrophes, spaces, underscores and hyphens away."""
    text = unicodedata.normalize("NFKC", text).replace("\u2019", "'").replace("\u2018", "'")
    return _IGNORED.sub("", text).casefold()


@functools.cache
def _english_keys(choices: type[models.TextChoices]) -> dict[str, str]:
    """Folded English msgid -> value, with translation switched off."""
    with translation.override(None):
        return {_key(str(label)): str(value) for value, label in zip(choices.values, choices.labels, strict=True)}


def choice_from_text(choices: type[models.TextChoices], text: str, chinese: dict[str, str] | None = None) -> str | None:
    """The value of ``choices`` that ``text`` names, or None.

    Accepted, in this order: the value itself (numeric codes also without leading zeros, so "1"
    finds "01"), the English label (case-insensitively), the Chinese name from ``chinese``, and
    the label in the active language.
    """
    key = _key(text)
    if not key:
        return None
    values = [str(value) for value in choices.values]
    for value in values:
        if _key(value) == key:
            return value
    if key.isascii() and key.isdigit():
        for value in values:
            if value.isdigit() and int(value) == int(key):
                return value
    english = _english_keys(choices)
    if key in english:
        return english[key]
    if chinese:
        for value, name in chinese.items():
            if _key(name) == key:
                return value
    for value, label in zip(values, choices.labels, strict=True):
        if _key(str(label)) == key:
            return value
    return None


_GENDER_ALIASES: dict[str, str] = {
    "男": "1",
    "男性": "1",
    "m": "1",
    "女": "2",
    "女性": "2",
    "f": "2",
    "未知的性别": "0",
    "未说明的性别": "9",
}


def gender_from_text(text: str) -> str | None:
    """Sex code (GB/T 2261.1) from 男/女, 1/2, M/F, male/female."""
    return _GENDER_ALIASES.get(_key(text)) or choice_from_text(Gender, text)


def ethnicity_from_text(text: str) -> str | None:
    """GB/T 3304 code from "01", "1", "汉族", "汉", "Han" and the like."""
    key = _key(text)
    if not key:
        return None
    candidates = [key] if key.endswith("族") else [key, key + "族"]
    for candidate in candidates:
        found = choice_from_text(Ethnicity, candidate, ETHNICITY_CHINESE) or _ETHNICITY_ALIASES.get(candidate)
        if found:
            return found
    return None


def relationship_from_text(text: str) -> str | None:
    """GB/T 4761 code from "51", "父亲", "爸爸", "Father" and the like."""
    return choice_from_text(Relationship, text, RELATIONSHIP_CHINESE) or _RELATIONSHIP_ALIASES.get(_key(text))
