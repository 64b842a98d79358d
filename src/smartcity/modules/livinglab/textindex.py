"""livinglab's concept lexicon for the search service's lexical channel.

A small hand-written lexicon folds synonyms of the pilot domains that share no characters
(停車格 / 車位 / 格位) into one token; search's BM25 over character bigrams does the rest.
"""

from __future__ import annotations

import smartcity.modules.search.service as search

# Each concept: the terms that mean it. Written for the pilot domains of the demo city.
CONCEPTS: dict[str, tuple[str, ...]] = {
    "parking": ("停車", "車位", "車格", "格位", "泊車", "路邊停車", "parking"),
    "bus": ("公車", "巴士", "客運", "接駁車", "小巴", "bus"),
    "selfdriving": ("自駕", "自動駕駛", "無人駕駛", "無人車", "autonomous"),
    "v2x": ("車聯網", "DSRC", "V2X", "路側單元", "RSU", "號誌優先"),
    "traffic": ("車流", "壅塞", "塞車", "交通量", "路口", "號誌"),
    "crash": ("車禍", "事故", "碰撞", "撞擊"),
    "sound": ("聲音", "聲響", "音訊", "聲學", "麥克風", "噪音", "噪聲", "分貝"),
    "bike": ("自行車", "腳踏車", "單車", "YouBike", "微笑單車"),
    "pedestrian": ("行人", "步行", "斑馬線", "行穿線"),
    "air": ("空氣", "空品", "PM2.5", "懸浮微粒", "細懸浮", "空污", "空氣盒子", "airbox"),
    "water": ("水質", "自來水", "漏水", "水管", "管線", "水壓"),
    "flood": ("淹水", "積水", "水位", "豪雨", "排水", "下水道", "雨水"),
    "waste": ("垃圾", "廚餘", "回收", "資源回收", "清運", "垃圾車"),
    "energy": ("節能", "用電", "電力", "能源", "電表", "冷氣", "空調"),
    "solar": ("太陽能", "光電", "儲能", "綠能"),
    "light": ("路燈", "照明", "燈具", "LED"),
    "tree": ("行道樹", "樹木", "植栽", "綠地", "傾倒"),
    "school": ("校園", "學校", "國小", "國中", "小學", "學生", "學童", "師生", "教室"),
    "learning": ("學習", "教學", "課程", "數位學習", "作業", "閱讀", "教材"),
    "hospital": ("醫院", "病房", "院區", "門診", "急診", "護理站", "住院"),
    "care": ("長照", "照護", "照顧", "失智", "獨居", "長者", "老人", "高齡", "銀髮"),
    "vital": ("生理", "心率", "血壓", "體溫", "血氧", "生命徵象"),
    "fall": ("跌倒", "離床", "墜床"),
    "nurse": ("護理", "護理師", "醫護", "人力"),
    "medicine": ("藥品", "用藥", "藥物", "給藥", "藥袋"),
    "appointment": ("掛號", "候診", "叫號", "預約"),
    "camera": ("影像", "攝影機", "監視器", "鏡頭", "錄影", "視覺", "camera"),
    "ai": ("人工智慧", "AI", "機器學習", "深度學習", "辨識", "模型", "演算法"),
    "fence": ("電子圍籬", "圍籬", "越界", "入侵", "陌生人", "門禁"),
    "fire": ("火災", "消防", "煙霧", "起火", "火警"),
    "police": ("治安", "警察", "巡邏", "犯罪", "報案"),
    "disaster": ("防災", "災害", "避難", "疏散", "地震", "颱風", "坡地", "土石"),
    "elevator": ("電梯", "昇降機", "升降機"),
    "building": ("建築", "大樓", "公宅", "社會住宅", "住宅", "建物", "屋頂", "外牆"),
    "construction": ("工地", "施工", "營建", "工程", "鷹架"),
    "structure": ("結構", "裂縫", "傾斜", "橋梁", "橋樑", "沉陷"),
    "market": ("市場", "攤商", "攤位", "傳統市場", "菜市場", "夜市"),
    "payment": ("支付", "付款", "繳費", "收銀", "電子支付", "行動支付", "QR", "掃碼"),
    "shop": ("商圈", "店家", "商家", "零售", "消費", "商店"),
    "tourism": ("觀光", "旅客", "遊客", "旅遊", "導覽", "景點"),
    "job": ("就業", "求職", "職缺", "勞工", "媒合"),
    "document": ("公文", "文件", "表單", "申請書", "簽核", "紙本"),
    "chatbot": ("聊天機器人", "客服", "問答", "對話", "智慧客服", "chatbot"),
    "identity": ("身分", "身份", "市民卡", "數位身分", "憑證", "認證"),
    "ledger": ("區塊鏈", "分散式帳本", "帳本", "blockchain"),
    "opendata": ("開放資料", "資料平台", "儀表板", "API", "數據", "資料"),
    "iot": ("物聯網", "感測器", "感測", "偵測器", "IoT", "LoRa", "NB-IoT"),
    "wireless": ("LoRa", "WiFi", "Wi-Fi", "5G", "NB-IoT", "無線", "基地台"),
    "robot": ("機器人", "無人機", "robot", "drone"),
    "citizen": ("市民", "民眾", "居民", "里民"),
    "counter": ("櫃檯", "臨櫃", "服務台", "排隊", "等候"),
    "translation": ("翻譯", "多語", "外語", "語音"),
    "animal": ("動物", "流浪犬", "流浪貓", "寵物", "犬隻"),
    "park": ("公園", "河濱", "綠園道", "遊戲場"),
    "noise": ("噪音", "噪聲", "分貝", "擾鄰"),
    "temperature": ("高溫", "熱島", "溫度", "降溫", "熱浪"),
    "mrt": ("捷運", "車站", "月台", "地鐵"),
    "accessibility": ("無障礙", "輪椅", "視障", "聽障", "身障"),
}

_TERM_TO_CONCEPT: list[tuple[str, str]] = sorted(
    ((term.lower(), concept) for concept, terms in CONCEPTS.items() for term in terms),
    key=lambda pair: -len(pair[0]),
)


def concepts_in(text: str) -> set[str]:
    """The concepts `text` mentions."""
    lowered = text.lower()
    return {concept for term, concept in _TERM_TO_CONCEPT if term in lowered}


def tokens(text: str, *, with_concepts: bool = True) -> list[str]:
    """Character bigrams of CJK runs, Latin words and (optionally) concept tokens."""
    return search.lexical_tokens(text, concepts_in if with_concepts else None)
