"""From a department's name in the city's open data to the identity organisation's code.

The FAQ's `deptName` is a full name (臺北市政府警察局交通警察大隊); units are filed under the
department they belong to. Names with no organisation keep their name only.
"""

from __future__ import annotations

# Taipei City Government departments and their codes in the identity module's demo city.
NAME_TO_CODE: dict[str, str] = {
    "財政局": "DOF",
    "稅捐稽徵處": "TRSO",
    "交通局": "DOT",
    "停車管理工程處": "PMO",
    "自來水事業處": "TWD",
    "臺北自來水事業處": "TWD",
    "衛生局": "DOH",
    "聯合醫院": "TCH",
    "立聯合醫院": "TCH",
    "教育局": "DOE",
    "社會局": "DSW",
    "環境保護局": "DEP",
    "警察局": "TCPD",
    "民政局": "DCA",
    "地政局": "DLAND",
    "都市發展局": "DUD",
    "建築管理工程處": "CMO",
    "工務局": "PWD",
    "公園路燈工程管理處": "PSLO",
    "產業發展局": "DOED",
    "市場處": "MAO",
    "勞動局": "DOL",
    "文化局": "DOCA",
    "體育局": "DOS",
    "資訊局": "DOIT",
    "消防局": "TFD",
    "捷運工程局": "DORTS",
    "法務局": "DOLA",
    "動物保護處": "APO",
    "智慧城市專案辦公室": "SCPMO",
}
_PREFIXES = ("臺北市政府", "台北市政府", "臺北市", "台北市")


def code_for(name: str) -> str | None:
    """The department code a full agency name belongs to, if the city has one."""
    short = name.strip()
    for prefix in _PREFIXES:
        if short.startswith(prefix):
            short = short[len(prefix) :]
            break
    best: tuple[int, str] | None = None
    for known, code in NAME_TO_CODE.items():
        if short.startswith(known) and (best is None or len(known) > best[0]):
            best = (len(known), code)
    return best[1] if best else None
