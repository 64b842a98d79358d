"""Write the gettext catalogues from the translation tables below (run after adding texts).

Usage: python tools/write_catalogues.py
Each table maps an English message id to its Traditional Chinese text; the
English catalogue is the identity mapping. tests/core/test_i18n.py fails when a
template uses a text that has no translation here.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "src" / "smartcity"

SHELL = {
    "City services": "市政服務",
    "Skip to content": "跳到主要內容",
    "City as a platform": "城市即平台",
    "Main": "主選單",
    "Staff console": "同仁工作台",
    "My services": "我的服務",
    "Transparency log": "透明稽核紀錄",
    "Sign out": "登出",
    "Sign in": "登入",
    "Every change on this platform is recorded in a public, verifiable log.": "本平台的每一筆異動都記錄在公開、可驗證的紀錄中。",
    "See the log": "查看紀錄",
    "Error code": "錯誤代碼",
    "Request": "請求",
    "Back to the home page": "回首頁",
    "Home": "首頁",
    "One login for every city service": "一次登入，所有市政服務",
    "Pay bills, bind your plate or water account, follow air quality and city pilots — with one "
    "digital citizen ID.": "繳費、綁定車牌或水號、關心空氣品質與城市實證計畫——一個數位市民身分就夠了。",
    "Go to my services": "前往我的服務",
    "What the platform offers": "平台提供的服務",
    "Anyone can check that no record was changed after the fact.": "任何人都能驗證紀錄未被事後竄改。",
    "Signed in as": "目前登入",
    "Audit log": "稽核紀錄",
    "Who changed what, and when.": "誰在何時異動了什麼。",
    "Entries in the log": "紀錄筆數",
    "Time": "時間",
    "Actor": "執行者",
    "Action": "動作",
    "Object": "對象",
    "Older entries": "較舊的紀錄",
    "Every change on this platform is a leaf of a Merkle tree (RFC 9162). The platform signs the "
    "tree head; anyone can ask for proofs that an entry is in the log and that the log only grows.": "本平台的每一筆異動都是默克爾樹（RFC 9162）的一片葉子。平台簽署樹根；任何人都能索取證明，"
    "確認某筆紀錄在其中，且紀錄只增不改。",
    "Signed tree head": "已簽署的樹根",
    "Entries": "筆數",
    "Checkpoint": "檢查點",
    "Latest entries": "最新紀錄",
    "People and objects appear only as keyed digests.": "人與對象僅以加密摘要呈現。",
    # Problem titles (core/errors.py, core/http.py)
    "Bad request": "請求格式錯誤",
    "Invalid input": "輸入內容有誤",
    "Invalid request": "請求內容有誤",
    "Authentication required": "需要登入",
    "Permission denied": "沒有權限",
    "Not found": "找不到",
    "Conflict": "狀態衝突",
    "Request too large": "請求內容過大",
    "Method not allowed": "不支援此方法",
    "Internal error": "系統錯誤",
    "HTTP error": "HTTP 錯誤",
}

IDENTITY = {
    "Sign in": "登入",
    "Signing in to": "登入至",
    "National ID number or e-mail": "身分證字號或電子郵件",
    "Password": "密碼",
    "or": "或",
    "Sign in with": "使用其他身分登入：",
    "Demo accounts": "示範帳號",
    "Citizen": "市民",
    "Officer": "承辦同仁",
    "Administrator": "系統管理員",
    "The ID or password is not right.": "帳號或密碼不正確。",
    "Allow access": "授權存取",
    "asks to:": "想要：",
    "Allow": "同意",
    "Deny": "拒絕",
    "My profile": "我的資料",
    "Name": "姓名",
    "National ID": "身分證字號",
    "Verification level": "驗證等級",
    "Verified (gold)": "已驗證（金質）",
    "Basic": "一般",
    "E-mail": "電子郵件",
    "Phone": "電話",
    "Manage bindings": "管理綁定",
    "My bindings": "我的綁定",
    "Kind": "類別",
    "Identifier": "識別號碼",
    "Label": "標籤",
    "State": "狀態",
    "From": "生效日",
    "Actions": "操作",
    "End": "解除",
    "You have not bound anything yet.": "您尚未綁定任何項目。",
    "Bind a licence plate, a utility account, a student number, a payment method or a receiving "
    "bank account to your digital ID, so that city services find what is yours.": "將車牌、水號、學號、付款工具或收款帳戶綁定到您的數位身分，市政服務就能找到屬於您的項目。",
    "Add a binding": "新增綁定",
    "What to bind": "綁定項目",
    "e.g. ABC-1234 for a plate; 004-0012345678901 for a bank account": "例如車牌 ABC-1234；銀行帳戶 004-0012345678901",
    "Label (optional)": "標籤（選填）",
    "Payment provider (payment methods only)": "支付業者（僅付款工具）",
    "Effective from (optional)": "生效日（選填）",
    "Add binding": "新增綁定",
    "Choose what to bind and a valid date.": "請選擇綁定項目並填寫正確日期。",
    "Citizens": "市民查詢",
    "Search by name or e-mail": "以姓名或電子郵件搜尋",
    "Search": "搜尋",
    "Registered": "註冊時間",
    "Bindings to review": "綁定審核",
    "Requested": "申請時間",
    "Decision": "決定",
    "Confirm": "確認",
    "Refuse": "退回",
    "Nothing waits for a decision.": "目前沒有待審核的項目。",
    "API keys": "API 金鑰",
    "New key — copy it now, it will not be shown again": "新金鑰——請立即複製，之後不會再顯示",
    "Issue a key": "核發金鑰",
    "Organisation": "機關／業者",
    "Role": "角色",
    "Issue key": "核發",
    "Prefix": "前綴",
    "Last used": "最後使用",
    "revoked": "已撤銷",
    "Revoke": "撤銷",
    # Vocabularies shown in tables (values.py, core/auth.py)
    "plate": "車牌",
    "utility_account": "水電瓦斯帳號",
    "student_number": "學號",
    "payment_method": "付款工具",
    "bank_account": "收款帳戶",
    "pending": "審核中",
    "verified": "已驗證",
    "rejected": "已退回",
    "basic": "一般",
    "admin": "系統管理員",
    "officer": "承辦同仁",
    "provider": "支付業者",
    "device": "感測裝置",
    "vendor": "廠商",
    "citizen": "市民",
    # OAuth scope descriptions (oauth/server.py)
    "Know who you are": "知道您是誰",
    "Read your name and verification level": "讀取您的姓名與驗證等級",
    "Read and manage the identifiers bound to your ID": "讀取並管理綁定在您身分上的項目",
    "See and pay your bills": "查詢並繳納您的帳單",
    "Use city services in your name": "以您的名義使用市政服務",
}

CATALOGUES = {
    ROOT / "web" / "locales": SHELL,
    ROOT / "modules" / "identity" / "locales": IDENTITY,
}


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write(folder: Path, table: dict[str, str]) -> None:
    """Write zh_Hant and en catalogues for one table."""
    for locale, translate in (("zh_Hant", True), ("en", False)):
        target = folder / locale / "LC_MESSAGES" / "messages.po"
        target.parent.mkdir(parents=True, exist_ok=True)
        lines = [
            "# smartcity messages. Generated by tools/write_catalogues.py; edit the tables there.",
            'msgid ""',
            'msgstr ""',
            '"Content-Type: text/plain; charset=UTF-8\\n"',
            f'"Language: {locale}\\n"',
            "",
        ]
        for msgid in sorted(table):
            lines += [
                f"msgid {_quote(msgid)}",
                f"msgstr {_quote(table[msgid] if translate else msgid)}",
                "",
            ]
        target.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    for folder, table in CATALOGUES.items():
        write(folder, table)
        print(f"wrote {folder}")
