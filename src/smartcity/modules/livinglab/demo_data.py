"""Texts of the demo living lab, written for this demo.

`VENDORS` (fictional) and `IDEAS` per domain, the templates from which the seed generates most
pilots (one per idea and site), are the same in every city. What belongs to a city — its test
fields, the pilots it is known for, the barriers its pilots met, pilots of its neighbours — is
data in the city profile's `livinglab.toml`, read by `city_texts`.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smartcity.core.city import DEFAULT_CITY, profile_directory

# Extra fictional vendors (code, name, English name).
VENDORS = [
    ("V-LORA", "遠距物聯網路（虛構）", "LongRange IoT (fictional)"),
    ("V-FINTECH", "街角支付科技（虛構）", "Corner Pay Tech (fictional)"),
    ("V-CIVIC", "公民科技協會（虛構）", "Civic Tech Association (fictional)"),
    ("V-GREEN", "綠網環境監測（虛構）", "GreenNet Monitoring (fictional)"),
    ("V-BUILD", "安居建築科技（虛構）", "SafeHome Building Tech (fictional)"),
    ("V-EDU", "學習樹教育（虛構）", "LearningTree Education (fictional)"),
    ("V-SAFE", "守望安全系統（虛構）", "Watchful Safety Systems (fictional)"),
    ("V-CHAIN", "信任帳本實驗室（虛構）", "TrustLedger Lab (fictional)"),
    ("V-AUDIO", "聲紋科技（虛構）", "SoundPrint Tech (fictional)"),
    ("V-CARE", "銀光照護（虛構）", "SilverLight Care (fictional)"),
    ("V-MAKER", "城市自造者社群（虛構）", "City Makers Community (fictional)"),
]

# Per domain: (title stem, summary, host department, field kind, vendor, KPI)
IDEAS: dict[str, list[tuple[str, str, str, str, str, tuple[str, str, float, float, str]]]] = {
    "government": [
        (
            "臨櫃智慧取號與等候預估",
            "民眾以手機遠端取號並看到預估等候時間，尖峰時段自動建議開啟備用櫃檯。",
            "DCA",
            "building",
            "V-CIVIC",
            ("平均等候時間", "分鐘", 38, 15, "lower"),
        ),
        (
            "公文雲端電子簽核",
            "公文與申請表單改為線上簽核，主管以手機核章，流程全程留痕。",
            "DOIT",
            "building",
            "V-CIVIC",
            ("平均簽核天數", "天", 6, 2, "lower"),
        ),
        (
            "市政問答聊天機器人",
            "以自然語言回答市民常見問題，無法回答時轉接 1999 並留下紀錄。",
            "DOIT",
            "building",
            "V-CIVIC",
            ("自動回答率", "%", 0, 60, "higher"),
        ),
        (
            "開放資料 API 平台試辦",
            "將局處資料集以標準 API 開放，提供開發者金鑰與使用統計。",
            "DOIT",
            "building",
            "V-MAKER",
            ("每月 API 呼叫數", "千次", 0, 500, "higher"),
        ),
        (
            "多語語音翻譯櫃檯",
            "在服務台提供即時語音翻譯，協助新住民與外籍旅客洽公。",
            "DCA",
            "building",
            "V-CIVIC",
            ("服務滿意度", "分", 3.2, 4.3, "higher"),
        ),
    ],
    "building": [
        (
            "公宅電梯預知保養",
            "在電梯機房加裝振動與電流感測，提早發現異常並派工。",
            "DUD",
            "building",
            "V-BUILD",
            ("困人事件（每季）", "件", 9, 3, "lower"),
        ),
        (
            "辦公大樓空調節能",
            "依室內人數與溫度自動調整空調，即時顯示各樓層用電。",
            "DOIT",
            "building",
            "V-GREEN",
            ("用電量減少", "%", 0, 15, "higher"),
        ),
        (
            "無人機外牆巡檢",
            "以無人機熱像儀拍攝老舊建物外牆，辨識磁磚空鼓與剝落風險。",
            "CMO",
            "building",
            "V-BUILD",
            ("高風險立面檢出率", "%", 40, 85, "higher"),
        ),
        (
            "工地安全帽與人員定位",
            "工地人員配戴定位標籤，進入危險區域時即時警示。",
            "CMO",
            "other",
            "V-SAFE",
            ("危險區域闖入（每月）", "件", 20, 5, "lower"),
        ),
    ],
    "transport": [
        (
            "路邊停車格空位偵測",
            "以地磁或影像感測路邊停車格有無車輛，提供即時空位與周轉率。",
            "PMO",
            "road",
            "V-SENSE",
            ("空位偵測準確率", "%", 85, 95, "higher"),
        ),
        (
            "YouBike 調度需求預測",
            "以借還紀錄與天氣預測各站車輛數，產生調度建議。",
            "DOT",
            "road",
            "V-MAKER",
            ("無車可借時數", "小時/站/月", 30, 12, "lower"),
        ),
        (
            "路口號誌適應性控制",
            "依即時車流調整號誌時相，減少路口延滯。",
            "DOT",
            "road",
            "V-MOBILITY",
            ("平均路口延滯", "秒", 55, 40, "lower"),
        ),
        (
            "公車到站預估精進",
            "以車載定位與歷史旅行時間改善公車到站預估。",
            "DOT",
            "road",
            "V-MOBILITY",
            ("預估誤差中位數", "秒", 150, 60, "lower"),
        ),
        (
            "捷運站無障礙室內導引",
            "以藍牙信標在車站內定位，語音引導視障與輪椅旅客。",
            "DORTS",
            "building",
            "V-CIVIC",
            ("導引成功率", "%", 0, 90, "higher"),
        ),
    ],
    "education": [
        (
            "教室冷氣智慧控制",
            "依課表、室溫與教室人數自動開關冷氣，避免空轉。",
            "DOE",
            "school",
            "V-GREEN",
            ("每班用電", "度/月", 420, 330, "lower"),
        ),
        (
            "個人化線上學習",
            "依學童程度推薦影片與練習題，老師看到學習進度。",
            "DOE",
            "school",
            "V-EDU",
            ("每週學習時數", "小時", 1.5, 3, "higher"),
        ),
        (
            "校園空氣品質看板",
            "教室與操場設置 PM2.5 感測器，依數值自動更新空品旗。",
            "DOE",
            "school",
            "V-SENSE",
            ("裝置上線率", "%", 75, 95, "higher"),
        ),
        (
            "校門訪客門禁",
            "訪客線上登記取得通行碼，未登記者進入時告警。",
            "DOE",
            "school",
            "V-CAMPUS",
            ("未登記入校（每月）", "件", 25, 5, "lower"),
        ),
    ],
    "health": [
        (
            "病床離床感測",
            "以床墊壓力感測偵測高風險病人夜間起身並通知護理站。",
            "TCH",
            "hospital",
            "V-HEALTH",
            ("住院跌倒事件（每千人日）", "件", 1.2, 0.5, "lower"),
        ),
        (
            "門診看診進度推播",
            "病人以手機查詢看診進度，快輪到時推播提醒。",
            "TCH",
            "hospital",
            "V-HEALTH",
            ("候診區尖峰人數", "人", 120, 70, "lower"),
        ),
        (
            "獨居長者用電關懷",
            "分析長者家中用電作息，異常時通知里長與社工。",
            "DSW",
            "other",
            "V-CARE",
            ("異常到關懷時間", "小時", 36, 6, "lower"),
        ),
        (
            "社區長照遠距復健",
            "長者在社區據點以體感設備做復健，治療師遠端指導。",
            "DOH",
            "other",
            "V-CARE",
            ("復健出席率", "%", 55, 80, "higher"),
        ),
        (
            "智慧藥袋用藥提醒",
            "藥袋 QR code 連結用藥說明與提醒，減少漏服。",
            "DOH",
            "hospital",
            "V-HEALTH",
            ("按時服藥率", "%", 62, 85, "higher"),
        ),
    ],
    "security": [
        (
            "邊坡位移監測預警",
            "在坡地社區設置 GNSS 與傾斜計，位移超標時發出疏散警報。",
            "PWD",
            "other",
            "V-SAFE",
            ("預警提前時間", "小時", 0, 6, "higher"),
        ),
        (
            "老舊公寓聯網火警偵測",
            "安裝聯網煙霧偵測器，起火時通知住戶與消防局。",
            "TFD",
            "building",
            "V-SAFE",
            ("通報時間中位數", "秒", 300, 60, "lower"),
        ),
        (
            "路面積水感測",
            "低窪路段設置水位計，即時回報積水深度。",
            "PWD",
            "road",
            "V-GREEN",
            ("積水通報延遲", "分鐘", 40, 5, "lower"),
        ),
        (
            "夜間巡邏熱點分析",
            "以報案資料找出夜間熱點，建議巡邏路線。",
            "TCPD",
            "other",
            "V-CIVIC",
            ("熱點區案件數（每月）", "件", 48, 35, "lower"),
        ),
    ],
    "environment": [
        (
            "垃圾車即時位置",
            "垃圾車裝設定位，市民在 App 看到位置與預估抵達時間。",
            "DEP",
            "road",
            "V-MAKER",
            ("錯過垃圾車抱怨（每月）", "件", 300, 120, "lower"),
        ),
        (
            "配水管網漏水偵測",
            "以聲學與壓力感測找出漏水管段，減少開挖。",
            "TWD",
            "road",
            "V-AUDIO",
            ("漏水率", "%", 16, 13, "lower"),
        ),
        (
            "行道樹傾斜監測",
            "在樹幹裝設傾斜感測器，颱風期間掌握傾倒風險。",
            "PSLO",
            "park",
            "V-GREEN",
            ("颱風倒樹數", "棵", 400, 250, "lower"),
        ),
        (
            "公園噪音連續監測",
            "公園周邊設置噪音計並分類聲源，找出擾鄰時段。",
            "DEP",
            "park",
            "V-AUDIO",
            ("超標時數（每月）", "小時", 60, 20, "lower"),
        ),
        (
            "智慧路燈節能調光",
            "依人車流量自動調整路燈亮度並回報故障。",
            "PSLO",
            "park",
            "V-LORA",
            ("路燈用電減少", "%", 0, 30, "higher"),
        ),
    ],
    "economy": [
        (
            "傳統市場行動支付",
            "攤商以 QR code 收款並取得每日對帳報表。",
            "MAO",
            "market",
            "V-FINTECH",
            ("行動支付攤商比率", "%", 5, 40, "higher"),
        ),
        (
            "商圈人流計數",
            "以 WiFi 探針與攝影機統計商圈人潮與時段變化。",
            "DOED",
            "market",
            "V-SENSE",
            ("資料可用率", "%", 0, 95, "higher"),
        ),
        (
            "市場攤位電子秤聯網",
            "攤位電子秤聯網記錄交易，提供食材溯源。",
            "MAO",
            "market",
            "V-FINTECH",
            ("溯源標示比率", "%", 10, 60, "higher"),
        ),
        (
            "觀光導覽多語 App",
            "提供景點與商圈多語導覽與優惠券。",
            "DOED",
            "other",
            "V-CIVIC",
            ("每月活躍使用者", "人", 0, 8000, "higher"),
        ),
    ],
}


@dataclass(frozen=True)
class Kpi:
    """A KPI a named pilot declares; a live one is computed from the sensor hub."""

    name: str
    unit: str
    baseline: float
    target: float
    direction: str
    live: bool = False


@dataclass(frozen=True)
class NamedPilot:
    """A pilot the city is known for, retold by the demo."""

    title: str
    summary: str
    domain: str
    track: str
    department: str
    vendor: str
    fields: list[str]
    final: str
    year: int
    kpis: list[Kpi]
    detectors: str | None = None
    """`acoustic` or `efence`: the pilot's detectors raise alerts (seed.DETECTOR_PILOTS)."""


@dataclass(frozen=True)
class DemoField:
    """A test field: where pilots run."""

    key: str
    name: str
    kind: str
    department: str
    address: str
    point: tuple[float, float]
    capacity: int
    domains: list[str]


@dataclass(frozen=True)
class DemoBarrier:
    """A law or rule a pilot found in the way."""

    law: str
    article: str
    blocks: str
    workaround: str
    amendment: str
    status: str
    domain: str


@dataclass(frozen=True)
class PilotElsewhere:
    """A pilot of another (simulated) city, imported as a signed record."""

    city: str
    title: str
    domain: str
    state: str
    vendor: str


@dataclass(frozen=True)
class CityTexts:
    """The city's part of the demo living lab (`livinglab.toml` in its profile)."""

    contact_phone: str
    fields: list[DemoField]
    sites: dict[str, list[str]]
    """Field keys by kind: where the generated pilots of each kind run, in turn."""
    named: list[NamedPilot]
    barriers: list[DemoBarrier]
    elsewhere: list[PilotElsewhere]


TEXTS_FILE = "livinglab.toml"


def city_texts(city: str) -> CityTexts:
    """The living-lab texts of the city SMARTCITY_CITY names (the default city's for a profile
    that brings none)."""
    path = profile_directory(city) / TEXTS_FILE
    if not path.exists():
        path = profile_directory(DEFAULT_CITY) / TEXTS_FILE
    return parse_texts(path)


def parse_texts(path: Path) -> CityTexts:
    """Read a `livinglab.toml`; a missing or malformed entry is a ValueError naming the file."""
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
        return CityTexts(
            contact_phone=str(data["contact_phone"]),
            fields=[
                DemoField(**{**f, "point": (float(f["point"][0]), float(f["point"][1]))})
                for f in data["fields"]
            ],
            sites={kind: list(keys) for kind, keys in data["sites"].items()},
            named=[
                NamedPilot(**{**n, "kpis": [Kpi(**k) for k in n["kpis"]]}) for n in data["named"]
            ],
            barriers=[DemoBarrier(**b) for b in data.get("barriers", [])],
            elsewhere=[PilotElsewhere(**e) for e in data.get("elsewhere", [])],
        )
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, IndexError) as error:
        raise ValueError(f"{path}: not a living lab's demo texts ({error!r})") from error
