"""System A — 危险化学品全流程监管系统 (市应急管理局): landing-zone CSV feeds, raw then validated."""

from connectors import hazchem
from pipelines.defs.landing import landing_department

defs = landing_department(hazchem)
