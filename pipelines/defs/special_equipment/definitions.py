"""System D — 特种设备安全监管平台 (市市场监督管理局): the weekly workbook's two sheets, raw then validated."""

from connectors import special_equipment
from pipelines.defs.landing import landing_department

defs = landing_department(special_equipment)
