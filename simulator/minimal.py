"""Placeholder until the full simulator lands: writes system A's 企业信息 snapshot for each day."""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
TOWNS = [
    "城厢镇",
    "沙溪镇",
    "浏河镇",
    "浮桥镇",
    "璜泾镇",
    "双凤镇",
    "娄东街道",
    "陆渡街道",
    "太仓港经济技术开发区",
    "科教新城",
    "高新区",
]
HEADER = ["企业编号", "企业名称", "统一社会信用代码", "所属镇区", "详细地址", "企业类型", "重大危险源级别", "安全风险等级",
          "标准化等级", "从业人员数", "主要负责人", "联系电话", "经度", "纬度", "经营状态", "更新时间"]  # fmt: skip


def _uscc(rng: random.Random) -> str:
    body = "91320585" + "".join(rng.choice(USCC_CHARS[:10]) for _ in range(9))
    total = sum(USCC_CHARS.index(c) * pow(3, i, 31) for i, c in enumerate(body))
    return body + USCC_CHARS[(31 - total % 31) % 31]


@dataclass
class SimulationSummary:
    records: dict[str, int] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)


def simulate(landing_dir: Path, world_dir: Path, *, days: int = 3, scale: float = 1.0, seed: int = 1,
             profile: str = "realistic", start: date | None = None) -> SimulationSummary:  # fmt: skip
    rng = random.Random(seed)
    start = start or date.today() - timedelta(days=days)
    n = max(10, int(3000 * scale))
    firms = [
        (f"HC{i:06d}", f"太仓市{rng.choice('恒泰华信金港新和')}{i}化工有限公司", _uscc(rng), rng.choice(TOWNS))
        for i in range(1, n + 1)
    ]
    summary = SimulationSummary()
    for d in range(days):
        day = start + timedelta(days=d)
        out = landing_dir / "hazchem" / day.strftime("%Y%m%d") / f"QYXX_{day:%Y%m%d}.csv"
        out.parent.mkdir(parents=True, exist_ok=True)
        buf = io.StringIO(newline="")
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(HEADER)
        for code, name, uscc, town in firms:
            w.writerow([code, name, uscc, town, f"{town}某路{rng.randint(1, 999)}号", "生产、储存", "无", rng.choice("红橙黄蓝"),
                        "二级", rng.randint(5, 900), "张伟", f"13{rng.randint(100000000, 999999999)}",
                        f"{rng.uniform(121.0, 121.3):.6f}", f"{rng.uniform(31.4, 31.7):.6f}", "在业", f"{day} 01:00:00"])  # fmt: skip
        out.write_bytes(buf.getvalue().encode("gb18030"))
        out.with_name(out.name + ".ok").write_bytes(b"")
        summary.files.append(out)
        summary.records["hazchem.enterprise"] = summary.records.get("hazchem.enterprise", 0) + len(firms)
    world_dir.mkdir(parents=True, exist_ok=True)
    return summary
