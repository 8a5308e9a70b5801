"""Write talentcast/data/reference/region_names.csv: every province and prefecture city with an English name.

A dev-only tool, run once when the city panel changes (its output is the shipped, reviewed CSV; talentcast does
not import pypinyin):

    .tools/bin/uv venv /tmp/pinyin && .tools/bin/uv pip install --python /tmp/pinyin/bin/python pypinyin
    /tmp/pinyin/bin/python scripts/region_names_en.py

Names:
- provinces and Guangxi's cities: the curated rows already in the file (`name_en_source` "curated") are kept;
- every other prefecture city: Hanyu Pinyin of its Chinese name without tones, syllables joined, an apostrophe
  before a syllable that starts with a, o or e (Xi'an, Ji'an, Lu'an), ü kept (Lüliang) - `name_en_source`
  "pinyin (pypinyin <version>)"; pypinyin's reading of a polyphonic character is checked by hand below;
- where the official English name is not the pinyin (Mongolian, Uyghur and Tibetan place names: Hohhot,
  Urumqi, Lhasa ...) or pypinyin reads a character wrongly (长治 Changzhi, not Zhangzhi): the hand-verified
  name of `HAND_VERIFIED`, `name_en_source` "hand-verified".

Chinese names are the panel's short names + 市, except `OFFICIAL_ZH` (an autonomous prefecture is no 市).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pypinyin
from pypinyin import Style, lazy_pinyin

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "talentcast" / "data" / "real"
OUT = ROOT / "talentcast" / "data" / "reference" / "region_names.csv"
PANELS = ("city_employment_by_sector_2003_2015.csv", "city_totals_2003_2015.csv")

# Official or established English names that differ from plain pinyin, and polyphones pypinyin misreads.
HAND_VERIFIED = {
    "150100": "Hohhot",        # 呼和浩特 (Mongolian Kökeqota)
    "150200": "Baotou",
    "150600": "Ordos",         # 鄂尔多斯
    "150700": "Hulunbuir",     # 呼伦贝尔
    "150800": "Bayannur",      # 巴彦淖尔
    "150900": "Ulanqab",       # 乌兰察布
    "140400": "Changzhi",      # 长治: chang, not zhang
    "211300": "Chaoyang",      # 朝阳 (Liaoning): chao, not zhao
    "411100": "Luohe",         # 漯河: luo, not ta
    "230100": "Harbin",        # 哈尔滨
    "230200": "Qiqihar",       # 齐齐哈尔
    "540100": "Lhasa",         # 拉萨
    "540200": "Shigatse",      # 日喀则 (Xigazê)
    "540300": "Qamdo",         # 昌都
    "540400": "Nyingchi",      # 林芝
    "540500": "Shannan",       # 山南 (Lhoka)
    "540600": "Nagqu",         # 那曲
    "650100": "Urumqi",        # 乌鲁木齐
    "650200": "Karamay",       # 克拉玛依
    "650400": "Turpan",        # 吐鲁番
    "650500": "Hami",          # 哈密 (Kumul)
    "632500": "Hainan Tibetan Autonomous Prefecture",  # 海南藏族自治州 (Qinghai), not Hainan province
}
OFFICIAL_ZH = {"632500": "海南藏族自治州"}


def pinyin_name(name: str) -> str:
    syllables = lazy_pinyin(name, style=Style.NORMAL, v_to_u=True)
    out = syllables[0]
    for syllable in syllables[1:]:
        out += ("'" if syllable[:1] in "aoe" else "") + syllable
    return out[:1].upper() + out[1:]


def main() -> None:
    with OUT.open(encoding="utf-8") as handle:
        curated = {row["code"]: row for row in csv.DictReader(handle)}
    cities: dict[str, tuple[str, str]] = {}
    for panel in PANELS:
        with (REAL / panel).open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if row["region_code"] != row["province_code"]:
                    cities.setdefault(row["region_code"], (row["region_name"], row["province_code"]))
    rows = []
    for code, row in curated.items():
        if row["level"] == "province":
            rows.append({**row, "name_en_source": "curated"})
    source = f"pinyin (pypinyin {pypinyin.__version__})"
    for code, (short, province) in sorted(cities.items()):
        name_zh = OFFICIAL_ZH.get(code, short if short.endswith("市") else f"{short}市")
        if code in curated and curated[code]["level"] == "city" and curated[code].get("name_en_source", "curated") \
                in ("curated", ""):
            name_en, how = curated[code]["name_en"], "curated"
        elif code in HAND_VERIFIED:
            name_en, how = HAND_VERIFIED[code], "hand-verified"
        else:
            name_en, how = pinyin_name(short), source
        rows.append({"code": code, "name_zh": name_zh, "name_en": name_en, "parent": province, "level": "city",
                     "name_en_source": how})
    with OUT.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["code", "name_zh", "name_en", "parent", "level",
                                                    "name_en_source"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{OUT}: {len(rows)} regions")


if __name__ == "__main__":
    main()
