"""The demo catalogue: a city's taxes, fees, fines, deposits and tuition, by department.

Names follow the city's published fee schedules; amounts are illustrative. A `None`
amount means the officer states it on each bill (variable amount rule).
"""

from __future__ import annotations

# (department, kind, Chinese name, English name, fixed amount or None)
_ALL = "store,bank,card,wallet"
_NO_STORE = "bank,card,wallet"

ITEMS: dict[str, list[tuple[str, str, str, int | None]]] = {
    "TRSO": [
        ("tax", "房屋稅", "House tax", None),
        ("tax", "地價稅", "Land value tax", None),
        ("tax", "使用牌照稅", "Vehicle licence tax", None),
        ("tax", "土地增值稅", "Land value increment tax", None),
        ("tax", "契稅", "Deed tax", None),
        ("tax", "印花稅", "Stamp tax", None),
        ("tax", "娛樂稅", "Amusement tax", None),
        ("fine", "逾期繳納滯納金", "Late payment surcharge", None),
        ("fee", "稅務證明書工本費", "Tax certificate fee", 50),
        ("fine", "違章漏稅罰鍰", "Tax evasion penalty", None),
    ],
    "DOF": [
        ("fee", "市有財產租金", "Rent of city property", None),
        ("fee", "市有土地使用補償金", "Compensation for use of city land", None),
        ("deposit", "標售保證金", "Tender bid bond", None),
        ("deposit", "履約保證金", "Performance bond", None),
        ("fee", "公有房地占用費", "Occupation fee of public premises", None),
        ("fee", "公庫代理手續費", "Treasury agency fee", 30),
        ("fee", "市有財產出售價款", "Sale price of city property", None),
        ("fine", "國有財產占用罰款", "Penalty for occupying public property", None),
    ],
    "DOT": [
        ("fine", "違規停車罰鍰", "Illegal parking fine", 900),
        ("fine", "闖紅燈罰鍰", "Red light fine", 2700),
        ("fine", "超速罰鍰", "Speeding fine", None),
        ("fine", "未戴安全帽罰鍰", "No helmet fine", 500),
        ("fee", "拖吊費（汽車）", "Towing fee (car)", 1000),
        ("fee", "拖吊費（機車）", "Towing fee (motorcycle)", 200),
        ("fee", "車輛保管費", "Vehicle storage fee", None),
        ("fee", "計程車駕駛人執業登記證費", "Taxi driver registration fee", 300),
        ("fee", "道路使用許可費", "Road use permit fee", None),
        ("fine", "占用道路罰鍰", "Road obstruction fine", None),
    ],
    "PMO": [
        ("fee", "路邊停車費", "Roadside parking fee", None),
        ("fee", "路外停車場停車費", "Off-street car park fee", None),
        ("fee", "停車場月票", "Car park monthly pass", 4200),
        ("fee", "機車停車費", "Motorcycle parking fee", None),
        ("fee", "停車催繳工本費", "Parking reminder notice fee", 60),
        ("fee", "身障停車證工本費", "Disabled parking permit fee", 100),
        ("fee", "充電停車位使用費", "EV charging bay fee", None),
        ("deposit", "停車場委外保證金", "Car park concession deposit", None),
    ],
    "TWD": [
        ("fee", "水費", "Water bill", None),
        ("fee", "下水道使用費", "Sewer use fee", None),
        ("fee", "新裝水表費", "New water meter fee", 2450),
        ("fee", "復水費", "Water reconnection fee", 300),
        ("fee", "水表檢驗費", "Water meter test fee", 800),
        ("fee", "過戶手續費", "Account transfer fee", 100),
        ("deposit", "用水保證金", "Water service deposit", 600),
        ("fine", "竊水賠償金", "Water theft compensation", None),
    ],
    "DOH": [
        ("fee", "食品業者登錄費", "Food business registration fee", 500),
        ("fee", "醫事人員執業執照費", "Medical practitioner licence fee", 500),
        ("fee", "醫療機構開業執照費", "Clinic licence fee", 3000),
        ("fine", "違反食品安全衛生管理法罰鍰", "Food safety penalty", None),
        ("fine", "違反菸害防制法罰鍰", "Tobacco control penalty", 2000),
        ("fee", "預防接種費", "Vaccination fee", None),
        ("fee", "健康檢查費", "Health check fee", None),
        ("fee", "衛生檢驗費", "Sanitary inspection fee", None),
    ],
    "TCH": [
        ("fee", "門診醫療費用", "Outpatient medical fee", None),
        ("fee", "住院醫療費用", "Inpatient medical fee", None),
        ("fee", "急診醫療費用", "Emergency medical fee", None),
        ("fee", "診斷證明書費", "Medical certificate fee", 150),
        ("fee", "病歷複製費", "Medical record copy fee", None),
        ("fee", "自費健康檢查", "Self-paid health check", None),
        ("fee", "掛號費", "Registration fee", 150),
        ("deposit", "住院保證金", "Hospital admission deposit", None),
        ("fee", "居家照護費", "Home care fee", None),
    ],
    "DOE": [
        ("tuition", "市立高中學費", "Municipal senior high school tuition", None),
        ("tuition", "市立高職實習費", "Vocational school practicum fee", None),
        ("tuition", "國中代收代辦費", "Junior high school collected fees", None),
        ("tuition", "國小課後照顧費", "Elementary after-school care fee", None),
        ("tuition", "公立幼兒園學費", "Public kindergarten tuition", None),
        ("fee", "學生午餐費", "School lunch fee", None),
        ("fee", "校外教學費", "School trip fee", None),
        ("fee", "學生平安保險費", "Student insurance premium", 358),
        ("fee", "社區大學學費", "Community college tuition", None),
        ("fee", "場地借用費（學校）", "School venue rental fee", None),
    ],
    "DSW": [
        ("fee", "老人公寓使用費", "Senior apartment fee", None),
        ("fee", "日間照顧服務費", "Day care service fee", None),
        ("fee", "托嬰中心月費", "Infant care centre monthly fee", None),
        ("fee", "居家服務部分負擔", "Home service co-payment", None),
        ("fee", "社會福利機構場地費", "Welfare facility venue fee", None),
        ("fine", "溢領補助追繳款", "Recovery of overpaid subsidy", None),
        ("fee", "身心障礙輔具租借費", "Assistive device rental fee", None),
        ("fee", "敬老卡補發工本費", "Senior card replacement fee", 100),
    ],
    "DEP": [
        ("fine", "亂丟垃圾罰鍰", "Littering fine", 1200),
        ("fine", "噪音管制罰鍰", "Noise control fine", None),
        ("fine", "空氣污染罰鍰", "Air pollution fine", None),
        ("fee", "事業廢棄物清除費", "Commercial waste collection fee", None),
        ("fee", "大型垃圾清運費", "Bulky waste collection fee", None),
        ("fee", "專用垃圾袋費", "Designated garbage bag fee", None),
        ("fee", "機車排氣檢驗費", "Motorcycle emission test fee", 200),
        ("fee", "營建工程空污費", "Construction air pollution fee", None),
        ("fee", "水污染防治費", "Water pollution control fee", None),
        ("fine", "狗便未清罰鍰", "Dog waste fine", 1200),
    ],
    "TCPD": [
        ("fine", "違反社會秩序維護法罰鍰", "Public order penalty", None),
        ("fee", "交通事故資料申請費", "Traffic accident record fee", 100),
        ("fee", "良民證（警察刑事紀錄證明）費", "Police criminal record certificate fee", 100),
        ("fee", "道路交通事故現場圖費", "Accident scene diagram fee", 100),
        ("fee", "車輛尋獲保管費", "Recovered vehicle storage fee", None),
        ("fine", "酒駕罰鍰", "Drink-driving fine", None),
        ("fee", "警察勤務協助費", "Police assistance fee", None),
        ("fee", "槍砲許可證費", "Firearm permit fee", None),
    ],
    "DCA": [
        ("fee", "戶籍謄本費", "Household registration transcript fee", 15),
        ("fee", "身分證補發工本費", "ID card replacement fee", 50),
        ("fee", "印鑑證明費", "Seal certificate fee", 20),
        ("fee", "殯葬設施使用費", "Funeral facility fee", None),
        ("fee", "納骨塔使用費", "Columbarium fee", None),
        ("fee", "禮堂租用費", "Ceremony hall rental", None),
        ("fee", "結婚登記證書工本費", "Marriage certificate fee", 100),
        ("fee", "戶口名簿工本費", "Household book fee", 30),
    ],
    "DLAND": [
        ("fee", "土地登記規費", "Land registration fee", None),
        ("fee", "地籍謄本費", "Cadastral transcript fee", 20),
        ("fee", "土地複丈費", "Land resurvey fee", 4000),
        ("fee", "建物測量費", "Building survey fee", None),
        ("fee", "書狀費", "Title deed fee", 80),
        ("fine", "登記罰鍰", "Late registration penalty", None),
        ("fee", "實價登錄查詢費", "Actual price registration query fee", None),
        ("fee", "區段徵收配餘地價款", "Zone expropriation land price", None),
    ],
    "DUD": [
        ("fee", "都市計畫書圖工本費", "Urban plan document fee", None),
        ("fee", "土地使用分區證明費", "Zoning certificate fee", 100),
        ("fee", "容積移轉代金", "Floor area transfer payment", None),
        ("fee", "公共住宅租金", "Public housing rent", None),
        ("deposit", "公共住宅押金", "Public housing deposit", None),
        ("fee", "都市更新審查費", "Urban renewal review fee", None),
        ("fine", "違反都市計畫法罰鍰", "Urban planning penalty", None),
        ("fee", "公共住宅停車位租金", "Public housing parking rent", None),
    ],
    "CMO": [
        ("fee", "建造執照規費", "Building permit fee", None),
        ("fee", "使用執照規費", "Occupancy permit fee", None),
        ("fee", "雜項執照規費", "Miscellaneous permit fee", None),
        ("fine", "違章建築罰鍰", "Illegal structure penalty", None),
        ("fee", "招牌廣告許可費", "Signboard permit fee", None),
        ("fee", "建築執照謄本費", "Permit copy fee", 100),
        ("fine", "違規使用罰鍰", "Unauthorised use penalty", None),
        ("fee", "昇降設備檢查費", "Lift inspection fee", None),
    ],
    "PWD": [
        ("fee", "道路挖掘許可費", "Road excavation permit fee", None),
        ("fee", "路面修復費", "Road surface restoration fee", None),
        ("deposit", "道路挖掘保證金", "Excavation deposit", None),
        ("fee", "公共設施使用費", "Public facility use fee", None),
        ("fine", "道路挖掘違規罰鍰", "Excavation violation penalty", None),
        ("fee", "河濱公園場地使用費", "Riverside park venue fee", None),
        ("fee", "衛生下水道接管費", "Sewer connection fee", None),
        ("fee", "騎樓整平代辦費", "Arcade levelling fee", None),
    ],
    "PSLO": [
        ("fee", "公園場地使用費", "Park venue fee", None),
        ("fee", "路燈遷移費", "Street light relocation fee", None),
        ("fee", "行道樹移植費", "Street tree transplant fee", None),
        ("fine", "損壞公園設施賠償", "Park damage compensation", None),
        ("fee", "花卉試驗中心門票", "Flower centre admission", 50),
        ("fee", "兒童新樂園門票", "Children's amusement park ticket", 30),
        ("deposit", "場地保證金（公園）", "Park venue deposit", None),
        ("fee", "公園攤販使用費", "Park vendor fee", None),
    ],
    "DOED": [
        ("fee", "公司登記規費", "Company registration fee", None),
        ("fee", "商業登記規費", "Business registration fee", 1000),
        ("fee", "工廠登記費", "Factory registration fee", None),
        ("fee", "商業登記抄錄費", "Business record copy fee", 50),
        ("fine", "違反商業登記法罰鍰", "Business registration penalty", None),
        ("fee", "農產品檢驗費", "Agricultural product test fee", None),
        ("fee", "電子遊戲場業營業級別證費", "Arcade licence fee", None),
        ("fee", "動物用藥品販賣許可費", "Veterinary drug licence fee", None),
    ],
    "MAO": [
        ("fee", "市場攤位使用費", "Market stall fee", None),
        ("fee", "市場清潔費", "Market cleaning fee", None),
        ("fee", "攤販管理費", "Hawker management fee", None),
        ("deposit", "攤位保證金", "Stall deposit", None),
        ("fine", "攤販違規罰鍰", "Hawker violation fine", None),
        ("fee", "果菜市場管理費", "Produce market management fee", None),
        ("fee", "夜市攤位費", "Night market stall fee", None),
        ("fee", "市場電費分攤", "Market electricity share", None),
    ],
    "DOL": [
        ("fine", "違反勞動基準法罰鍰", "Labour standards penalty", None),
        ("fee", "職業訓練課程費", "Vocational training fee", None),
        ("fee", "技術士技能檢定費", "Skills certification fee", None),
        ("fee", "就業服務機構許可費", "Employment agency licence fee", None),
        ("fine", "違反就業服務法罰鍰", "Employment services penalty", None),
        ("fee", "外國人聘僱許可審查費", "Foreign worker permit review fee", 100),
        ("fine", "違反職業安全衛生法罰鍰", "Occupational safety penalty", None),
        ("fee", "勞工育樂中心場地費", "Workers' recreation centre fee", None),
    ],
    "DOCA": [
        ("fee", "市民會堂場地租金", "City hall auditorium rental", None),
        ("fee", "城市舞台場地費", "Metropolitan Hall venue fee", None),
        ("fee", "古蹟參觀門票", "Historic site admission", None),
        ("fee", "藝文補助返還款", "Return of arts grant", None),
        ("fee", "文化資產審議費", "Cultural heritage review fee", None),
        ("deposit", "演出場地保證金", "Performance venue deposit", None),
        ("fee", "市立圖書館逾期罰款", "Library overdue fee", None),
        ("fee", "街頭藝人證照費", "Street performer licence fee", 200),
    ],
    "DOS": [
        ("fee", "運動中心場地費", "Sports centre venue fee", None),
        ("fee", "小巨蛋場地費", "Arena rental", None),
        ("fee", "游泳池門票", "Swimming pool ticket", 110),
        ("fee", "體育場租借費", "Stadium rental", None),
        ("deposit", "體育場地保證金", "Sports venue deposit", None),
        ("fee", "運動課程報名費", "Sports course fee", None),
        ("fee", "馬拉松報名費", "Marathon entry fee", 1200),
        ("fee", "河濱球場使用費", "Riverside court fee", None),
    ],
    "DOIT": [
        ("fee", "公共網路介接費", "Public network interconnection fee", None),
        ("fee", "機房代管費", "Data centre hosting fee", None),
        ("fee", "資料申請費", "Data request fee", None),
        ("fee", "光纖管道租用費", "Fibre conduit rental", None),
        ("fee", "資訊教育課程費", "IT course fee", None),
        ("fee", "電子憑證工本費", "Digital certificate fee", 200),
        ("deposit", "網路建設保證金", "Network works deposit", None),
        ("fee", "智慧路燈掛載費", "Smart pole attachment fee", None),
    ],
    "TFD": [
        ("fine", "違反消防法罰鍰", "Fire safety penalty", None),
        ("fee", "消防安全設備審查費", "Fire equipment review fee", None),
        ("fee", "危險物品場所許可費", "Hazardous materials permit fee", None),
        ("fee", "救護車使用費", "Ambulance fee", None),
        ("fee", "防火管理人訓練費", "Fire manager training fee", None),
        ("fee", "消防證明書工本費", "Fire certificate fee", 100),
        ("fine", "爆竹煙火違規罰鍰", "Fireworks penalty", None),
        ("fee", "消防檢修申報費", "Fire inspection filing fee", None),
    ],
    "DORTS": [
        ("fee", "捷運沿線開發權利金", "Transit-oriented development royalty", None),
        ("deposit", "捷運工程保證金", "Rapid transit works deposit", None),
        ("fee", "捷運禁限建審查費", "Transit zone review fee", None),
        ("fine", "違反捷運法罰鍰", "Mass Rapid Transit Act penalty", 1500),
        ("fee", "捷運用地租金", "MRT land rent", None),
        ("fee", "聯合開發投資金", "Joint development investment", None),
        ("fee", "工程圖說複製費", "Engineering drawing copy fee", None),
        ("fee", "捷運設施損壞賠償", "MRT facility damage compensation", None),
    ],
    "DOLA": [
        ("fee", "調解申請費", "Mediation fee", None),
        ("fine", "消費者保護法罰鍰", "Consumer protection penalty", None),
        ("fee", "法律扶助部分負擔", "Legal aid co-payment", None),
        ("fee", "國家賠償返還款", "Return of state compensation", None),
        ("fine", "違反公平交易罰鍰", "Fair trade penalty", None),
        ("fee", "法規彙編工本費", "Code compilation fee", None),
        ("fee", "採購申訴審議費", "Procurement appeal fee", None),
        ("fee", "訴願卷證影印費", "Appeal file copy fee", None),
    ],
    "APO": [
        ("fee", "寵物登記費", "Pet registration fee", 1000),
        ("fee", "絕育補助返還款", "Return of neutering subsidy", None),
        ("fee", "動物收容認養費", "Shelter adoption fee", None),
        ("fine", "違反動物保護法罰鍰", "Animal protection penalty", None),
        ("fee", "狂犬病預防注射費", "Rabies vaccination fee", 200),
        ("fee", "寵物業許可費", "Pet business licence fee", None),
        ("fee", "動物醫院執照費", "Veterinary clinic licence fee", None),
        ("fine", "寵物未登記罰鍰", "Unregistered pet fine", 3000),
    ],
    "SCPMO": [
        ("fee", "智慧城市實證場域使用費", "Smart city test site fee", None),
        ("deposit", "實證計畫保證金", "Proof-of-concept deposit", None),
        ("fee", "開放資料專案服務費", "Open data project service fee", None),
        ("fee", "創新提案審查費", "Innovation proposal review fee", None),
    ],
}

PARKING_EXIT_CAP = 3_000
"""The most one car-park exit of the demo may be billed (and autopay charge), NTD."""

ROADSIDE_FEE = "PMO-FEE01"
"""The roadside parking fee, which parking bills its sensed stays under and autopay charges."""

_PREFIX = {"tax": "TAX", "fee": "FEE", "fine": "FINE", "deposit": "DEP", "tuition": "TUI"}


def catalogue() -> list[dict[str, object]]:
    """Every demo item as column values for `payments_items`."""
    rows: list[dict[str, object]] = []
    for department, entries in ITEMS.items():
        counters: dict[str, int] = {}
        for kind, name, name_en, amount in entries:
            counters[kind] = counters.get(kind, 0) + 1
            code = f"{department}-{_PREFIX[kind]}{counters[kind]:02d}"
            large = kind in ("tax", "deposit") or "保證金" in name
            rows.append(
                {
                    "code": code,
                    "name": name,
                    "name_en": name_en,
                    "department": department,
                    "kind": kind,
                    "amount_rule": "fixed" if amount else "variable",
                    "amount": amount,
                    "channels": (_NO_STORE if large else _ALL).split(","),
                    "refundable": kind in ("deposit", "tuition") or kind == "fee",
                    "partial_allowed": kind in ("tax", "tuition"),
                    "write_off_rule": "on_payment",
                    "active": True,
                    "autopay": False,
                    "max_amount": None,
                }
            )
    # Roadside stays are parking fees too: a bound plate's autopay charges them, capped alike.
    roadside = next(row for row in rows if row["code"] == ROADSIDE_FEE)
    roadside.update(
        channels=[*_ALL.split(","), "autopay"], autopay=True, max_amount=PARKING_EXIT_CAP
    )
    # The one item car-park exits bill and autopay charges, capped at a long day's stay.
    rows.append(
        {
            "code": "PMO-PARK-OFFSTREET",
            "name": "路外停車場停車費（自動扣款）",
            "name_en": "Off-street parking (autopay)",
            "department": "PMO",
            "kind": "fee",
            "amount_rule": "variable",
            "amount": None,
            "channels": ["store", "bank", "card", "wallet", "autopay"],
            "refundable": True,
            "partial_allowed": False,
            "write_off_rule": "on_payment",
            "active": True,
            "autopay": True,
            "max_amount": PARKING_EXIT_CAP,
        }
    )
    return rows
