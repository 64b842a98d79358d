"""identity's part of the demo city: departments, providers, people and their bindings.

Everything here is invented for the demo; a department that bears the city's name gets the
served city's (`{city}` below).
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from smartcity.core.auth import Role
from smartcity.core.platform import Platform
from smartcity.core.time import local_today
from smartcity.core.uow import UnitOfWork
from smartcity.modules.identity import service
from smartcity.modules.identity.oauth import server
from smartcity.modules.identity.values import (
    BindingKind,
    OrganisationKind,
    VerificationLevel,
)

DEMO_PASSWORD = "demo1234"  # noqa: S105  # the demo city's published password
DEMO_CITIZEN_ID = "A123456789"
DEMO_ADMIN_EMAIL = "admin@demo.city"

DEPARTMENTS = [
    ("DOF", "財政局", "Department of Finance"),
    ("TRSO", "稅捐稽徵處", "Revenue Service Office"),
    ("DOT", "交通局", "Department of Transportation"),
    ("PMO", "停車管理工程處", "Parking Management Office"),
    ("TWD", "{city}自來水事業處", "{city_en} Water Department"),
    ("DOH", "衛生局", "Department of Health"),
    ("TCH", "{city}市立聯合醫院", "{city_en} City Hospital"),
    ("DOE", "教育局", "Department of Education"),
    ("DSW", "社會局", "Department of Social Welfare"),
    ("DEP", "環境保護局", "Department of Environmental Protection"),
    ("TCPD", "警察局", "Police Department"),
    ("DCA", "民政局", "Department of Civil Affairs"),
    ("DLAND", "地政局", "Department of Land Administration"),
    ("DUD", "都市發展局", "Department of Urban Development"),
    ("CMO", "建築管理工程處", "Construction Management Office"),
    ("PWD", "工務局", "Public Works Department"),
    ("PSLO", "公園路燈工程管理處", "Parks and Street Lights Office"),
    ("DOED", "產業發展局", "Department of Economic Development"),
    ("MAO", "市場處", "Market Administration Office"),
    ("DOL", "勞動局", "Department of Labor"),
    ("DOCA", "文化局", "Department of Cultural Affairs"),
    ("DOS", "體育局", "Department of Sports"),
    ("DOIT", "資訊局", "Department of Information Technology"),
    ("TFD", "消防局", "Fire Department"),
    ("DORTS", "捷運工程局", "Department of Rapid Transit Systems"),
    ("DOLA", "法務局", "Department of Legal Affairs"),
    ("APO", "動物保護處", "Animal Protection Office"),
    ("SCPMO", "智慧城市專案辦公室", "Smart City Project Management Office"),
]
PROVIDERS = [
    ("BOT", "臺灣銀行", "Bank of Taiwan"),
    ("TFB", "臺北富邦銀行", "Taipei Fubon Bank"),
    ("LAND", "土地銀行", "Land Bank of Taiwan"),
    ("POST", "中華郵政", "Chunghwa Post"),
    ("711", "統一超商", "7-ELEVEN"),
    ("FAMI", "全家便利商店", "FamilyMart"),
    ("HILIFE", "萊爾富", "Hi-Life"),
    ("OKMART", "OK超商", "OK Mart"),
    ("LINEPAY", "LINE Pay", "LINE Pay"),
    ("JKOPAY", "街口支付", "JKOPAY"),
    ("EASYWALLET", "悠遊付", "easy wallet"),
    ("TWPAY", "台灣Pay", "Taiwan Pay"),
    ("SANDBOX", "沙盒支付（測試）", "Sandbox provider (testing)"),
]
DEVICE_OWNERS = [
    ("LASS", "LASS 環境感測網路社群", "LASS community sensor network"),
    ("SCHOOLS", "{city}市立國民小學空氣盒子", "{city_en} elementary school Airboxes"),
    ("PARKSENSE", "路邊停車感測（示範）", "Roadside parking sensors (demo)"),
]
VENDORS = [
    ("V-MOBILITY", "城行自駕科技（虛構）", "CityRide Autonomous (fictional)"),
    ("V-SENSE", "微感物聯（虛構）", "MicroSense IoT (fictional)"),
    ("V-HEALTH", "安心智慧醫療（虛構）", "CalmCare Health (fictional)"),
    ("V-CAMPUS", "校園守護 AI（虛構）", "Campus Guard AI (fictional)"),
    ("V-NTU-LAB", "大學城市科學實驗室（虛構）", "University Urban Science Lab (fictional)"),
]
SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴周"
GIVEN = [
    "怡君",
    "志明",
    "淑芬",
    "家豪",
    "雅婷",
    "俊傑",
    "美玲",
    "建宏",
    "佳穎",
    "宗翰",
    "思妤",
    "冠宇",
    "欣怡",
    "承恩",
    "詩涵",
    "柏翰",
    "郁婷",
    "彥廷",
    "佩珊",
    "品妤",
]
_LETTER_CODES = dict(zip("ABCDEFGHJKLMNPQRSTUVXYWZIO", range(10, 36), strict=True))


def national_id(letter: str, sex: int, body: int) -> str:
    """A checksum-valid national ID number for demo people."""
    stem = f"{letter}{sex}{body:07d}"
    code = _LETTER_CODES[letter]
    weights = [1, 9, 8, 7, 6, 5, 4, 3, 2, 1]
    digits = [code // 10, code % 10] + [int(c) for c in stem[1:]]
    total = sum(d * w for d, w in zip(digits, weights, strict=True))
    return stem + str((10 - total % 10) % 10)


def _in_city(name: str, platform: Platform) -> str:
    """A demo name with the served city's short name in it, where `{city}` stands."""
    city = platform.settings.city_profile
    short = city.short_names[0] if city.short_names else city.name_zh.removesuffix("市")
    return name.format(city=short, city_en=city.name_en.removesuffix(" City"))


def seed(uow: UnitOfWork, platform: Platform) -> None:
    """Load the demo organisations, staff, citizens and bindings."""
    rng = random.Random(2017)  # noqa: S311  # demo data must be the same on every load
    for kind, rows in (
        (OrganisationKind.DEPARTMENT, DEPARTMENTS),
        (OrganisationKind.PROVIDER, PROVIDERS),
        (OrganisationKind.DEVICE_OWNER, DEVICE_OWNERS),
        (OrganisationKind.VENDOR, VENDORS),
    ):
        for code, name, name_en in rows:
            service.create_organisation(
                uow, code, kind, _in_city(name, platform), _in_city(name_en, platform)
            )
    service.create_staff(
        uow, role=Role.ADMIN, name="平台管理員", email=DEMO_ADMIN_EMAIL, password=DEMO_PASSWORD
    )
    for index, (code, name, _en) in enumerate(DEPARTMENTS):
        service.create_staff(
            uow,
            role=Role.OFFICER,
            name=f"{SURNAMES[index % len(SURNAMES)]}專員（{_in_city(name, platform)}）",
            email=f"officer.{code.lower()}@demo.city",
            password=DEMO_PASSWORD if index < 8 else None,
            department_code=code,
            staff_roles=["clerk"] if index % 3 else ["clerk", "supervisor"],
        )
    demo = service.register_citizen(
        uow,
        platform.keys,
        national_id=DEMO_CITIZEN_ID,
        name="王小明",
        phone="0912345678",
        email="xiaoming@demo.city",
        password=DEMO_PASSWORD,
        verification_level=VerificationLevel.VERIFIED,
    )
    districts = [district.code for district in platform.settings.city_profile.districts]
    city = platform.settings.city_profile
    home = city.district_of(*city.centre)
    service.record_citizen_facts(
        uow, demo, birth_date=date(1986, 5, 20), lives_in=home.code if home else districts[0]
    )
    today = local_today()
    plate = service.add_binding(
        uow, demo, kind=BindingKind.PLATE, value="ABC-1234", label="家用車 Family car"
    )
    service.add_binding(
        uow, demo, kind=BindingKind.UTILITY_ACCOUNT, value="2-13-045678-9", label="自來水 Water"
    )
    bank = service.add_binding(
        uow,
        demo,
        kind=BindingKind.BANK_ACCOUNT,
        value="004-0012345678901",
        label="薪轉帳戶 Salary account",
    )
    card = service.add_binding(
        uow,
        demo,
        kind=BindingKind.PAYMENT_METHOD,
        value="tok_demo_4242",
        label="信用卡末四碼 4242",
        provider_code="SANDBOX",
        effective_from=today + timedelta(days=1),
    )
    for binding in (plate, bank, card):
        service.decide_binding(uow, binding.id, verified=True, reason="demo")
    letters = "ABCDEFGHJKLMNPQ"
    for index in range(60):
        name = SURNAMES[rng.randrange(len(SURNAMES))] + GIVEN[rng.randrange(len(GIVEN))]
        citizen = service.register_citizen(
            uow,
            platform.keys,
            national_id=national_id(
                letters[index % len(letters)], 1 + index % 2, 1_000_000 + index * 7919
            ),
            name=name,
            phone=f"09{rng.randrange(10**8):08d}",
            password=DEMO_PASSWORD if index < 3 else None,
            verification_level=VerificationLevel.VERIFIED
            if index % 3 == 0
            else VerificationLevel.BASIC,
        )
        # Ages from 12 to 85, so that votes with an age rule refuse a few.
        service.record_citizen_facts(
            uow,
            citizen,
            birth_date=date(today.year - 12 - (index * 37) % 74, 1 + index % 12, 1 + index % 28),
            lives_in=districts[index % len(districts)],
            works_in=districts[(index * 5) % len(districts)] if index % 3 == 1 else None,
        )
        if index % 2 == 0:
            plate_value = (
                f"{rng.choice('ABKRT')}{rng.choice('ACDE')}{rng.choice('BFHK')}-"
                f"{rng.randrange(1000, 9999)}"
            )
            binding = service.add_binding(uow, citizen, kind=BindingKind.PLATE, value=plate_value)
            if index % 4 == 0:
                service.decide_binding(uow, binding.id, verified=True, reason="demo")
        if index % 5 == 0:
            service.add_binding(
                uow,
                citizen,
                kind=BindingKind.STUDENT_NUMBER,
                value=f"TP{353600 + index}-{rng.randrange(10**5):05d}",
                label="子女學號 Child's student number",
            )
    server.register_client(
        uow,
        client_id="demo-parking-app",
        name="停車繳費 App（示範） Parking app (demo)",
        redirect_uris=["http://127.0.0.1:8765/callback"],
        scopes=["openid", "profile", "payments"],
    )
