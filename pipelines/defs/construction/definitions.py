"""System C — 智慧工地监管平台 (市住房和城乡建设局): hourly JSON Lines feeds, raw then validated."""

from connectors import construction
from pipelines.defs.landing import landing_department

defs = landing_department(construction)
