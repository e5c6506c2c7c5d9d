"""Small hand-made system A 企业信息 deliveries (raw-shaped: the department's header and formats) for the
breaker and replay tests: fast to load, every value known."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

HEADER = ["企业编号", "企业名称", "统一社会信用代码", "所属镇区", "详细地址", "企业类型", "重大危险源级别",
          "安全风险等级", "标准化等级", "从业人员数", "主要负责人", "联系电话", "经度", "纬度", "经营状态",
          "更新时间"]  # fmt: skip
USCC = ["91320585MA1MXQ7K8F", "91320585138294750M", "91320585MA1Q2R3T3E", "92320585MA1XK5N75R"]
TOWNS = ["浮桥镇", "城厢镇", "港区", "沙溪镇"]


def row(i: int, *, status: str = "在业", town: str | None = None, code: str | None = None) -> list[str]:
    key = f"HC{i:06d}" if code is None else code
    return [key, f"太仓市恒泰{i}化工有限公司", USCC[i % 4], town or TOWNS[i % 4], f"浮桥镇滨江大道{i}号",
            "生产、储存", "无", "黄", "二级", str(10 + i), "张伟", "13812345678", "121.147208", "31.622195",
            status, "2026-01-05 09:30:00"]  # fmt: skip


def drop_qyxx(landing: Path, day: date, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    """Write QYXX_<day>.csv (GB18030, CRLF) and its .ok marker."""
    path = landing / "hazchem" / f"{day:%Y%m%d}" / f"QYXX_{day:%Y%m%d}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [",".join(header)] + [",".join(r) for r in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gb18030"))
    path.with_name(path.name + ".ok").write_bytes(b"")
    return path


def days(n: int, start: date | None = None) -> list[date]:
    start = start or date.today() - timedelta(days=n + 5)
    return [start + timedelta(days=i) for i in range(n)]
