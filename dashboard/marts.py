"""Every query the dashboard runs over the published marts, in one place.

The queries name marts as `{mart}` placeholders: for the publish the dashboard shows they are the masked
session's views (and pass its query check); for the trend over earlier publishes they are the same masked
SELECTs, read at that publish's snapshots (`earlier_kpis`).
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from data_contracts.normalise import clean_identifier, normalise_plate
from entity_resolution.normalise import name_key
from warehouse.lake import sql_literal
from warehouse.masking import masked_select
from warehouse.publish import PublishEntry, mart_sql
from warehouse.reader import PublishedSession

TIMELINE_SHOWN = 200
KPI_MARTS = ("enterprise_profile", "cross_department_alerts", "equipment_inspection_status", "duplicate_reporting")
KPIS = """
select
    (select count(*) from {enterprise_profile}) as enterprises,
    (select count(*) from {enterprise_profile} where reporting_system_count > 1) as enterprises_in_several_departments,
    (select count(*) from {cross_department_alerts}) as open_alerts,
    (select coalesce(sum(overdue), 0) from {equipment_inspection_status}) as equipment_overdue,
    (select count(*) from {enterprise_profile} where is_dishonest) as dishonest_subjects,
    (select count(*) from {duplicate_reporting} where reported_by_several_departments) as entities_reported_twice,
    (select count(*) from {duplicate_reporting}
        where reported_by_several_departments and (name_disagrees or town_disagrees or address_disagrees))
        as entities_in_conflict
"""
KPI_LABELS = {
    "enterprises": "企业总数",
    "enterprises_in_several_departments": "多部门报送企业",
    "open_alerts": "跨部门预警",
    "equipment_overdue": "特种设备检验超期",
    "dishonest_subjects": "失信名单在列主体",
    "entities_reported_twice": "重复填报对象",
    "entities_in_conflict": "填报不一致对象",
}

ENTERPRISES_BY_DEPARTMENT = """
select system as department, count(*) as enterprises
from (select unnest(reporting_systems) as system from enterprise_profile)
group by 1 order by 2 desc, 1
"""

# The alert's town as the mart resolves it (the entity's own, the alarm position's, the project's or the
# waybill's shipper's: `town_from` says which).
ALERTS_BY_TYPE_AND_TOWN = """
select alert_type, coalesce(town, '未知') as town, count(*) as alerts
from cross_department_alerts
group by all order by 1, 3 desc, 2
"""
FRESHNESS = """
select dataset, arg_max(newest_delivery, loaded_at) as newest_delivery, max(loaded_at) as loaded_at,
    max(data_until) as data_until, bool_or(newer_delivery_held_back) as held_back,
    string_agg(distinct held_back_reason, '; ') as held_back_reason
from data_freshness group by dataset order by dataset
"""

# 一张图: each point with its risks, worst first (blacklisted > alert > overdue).
MAP_POINTS = """
with alert_records as (
    select distinct e.dataset, e.record_id, a.entity_type, a.entity_id
    from (select entity_type, entity_id, unnest(evidence) as e from cross_department_alerts) as a
),
enterprise_risk as (
    select p.enterprise_id,
        p.is_dishonest,
        p.equipment_overdue > 0 as overdue,
        exists (select 1 from cross_department_alerts as a
                where a.entity_type = 'enterprise' and a.entity_id = p.enterprise_id) as alert
    from enterprise_profile as p
),
crane_overdue as (
    select distinct x.record_id as device_sn
    from equipment_xref as x join overdue_equipment as o using (equipment_id)
    where x.dataset = 'construction.device'
),
project_risk as (
    select x.record_id as project_code, bool_or(p.is_dishonest) as is_dishonest
    from enterprise_xref as x join enterprise_profile as p using (enterprise_id)
    where x.dataset = 'construction.project' and x.role = 'contractor'
    group by 1
)
select m.map_point_id, m.layer, m.entity_id, m.label, m.town, m.longitude, m.latitude,
    case
        when coalesce(e.is_dishonest, pr.is_dishonest, false) then 'blacklisted'
        when coalesce(e.alert, false) or r.record_id is not null then 'alert'
        when coalesce(e.overdue, false) or co.device_sn is not null then 'overdue'
        else 'none'
    end as risk
from map_points as m
left join enterprise_risk as e on m.layer = 'enterprise' and e.enterprise_id = m.entity_id
left join project_risk as pr on m.layer = 'construction_project' and pr.project_code = m.entity_id
left join crane_overdue as co on m.layer = 'crane' and co.device_sn = m.entity_id
left join (select distinct dataset, record_id from alert_records) as r
    on r.record_id = m.entity_id
    and r.dataset = case m.layer when 'construction_project' then 'construction.project'
                                 when 'vehicle_alarm' then 'transport.alarm'
                                 when 'crane' then 'construction.device' end
order by m.layer, m.map_point_id
"""
# Towns labelled where their points are: the data's own coordinates, no base map needed.
TOWN_LABELS = """
select town, avg(longitude) as longitude, avg(latitude) as latitude, count(*) as points
from map_points where town is not null group by town order by town
"""

# 一企一档 search: how each candidate was found, the most certain way first.
SEARCH = """
with found as (
    select enterprise_id, 1 as rank, 'USCC / 证照号' as how from enterprise_profile
        where {identifier} is not null and {identifier} in (uscc, org_code, reg_no15)
    union all select enterprise_id, 1, 'USCC / 证照号' from enterprise_xref where reported_identifier = {identifier}
    union all select enterprise_id, 2, '名称匹配键 ' || name_key from enterprise_xref where name_key = {key}
    union all select enterprise_id, 3, '来源记录键 ' || dataset from enterprise_xref where record_id = {text}
    union all
    select x.enterprise_id, 3, '车牌 ' || v.plate
    from vehicle_xref as v join enterprise_xref as x on x.dataset = v.dataset and x.record_id = v.record_id
    where v.plate = {plate}
    union all
    select enterprise_id, 4, '名称包含 ' || {key} from enterprise_xref
        where length({key}) >= 2 and contains(name_key, {key})
    union all select enterprise_id, 4, '名称包含 ' || {text} from enterprise_profile where contains(name, {text})
)
select p.enterprise_id, p.name, p.uscc, p.town, p.reporting_systems, arg_min(f.how, f.rank) as matched_by
from found as f join enterprise_profile as p using (enterprise_id)
group by all order by min(f.rank), p.name limit 50
"""

PROFILE = "select p.*, g.weakest_match_probability from enterprise_profile as p join golden_enterprises as g using (enterprise_id) where enterprise_id = {id}"  # noqa: E501
MENTIONS = """
select dataset, record_id, role, reported_name, reported_identifier, identifier_kind, name_key, reported_town,
    match_rule, match_probability, seen_at, source_file, source_record_number
from enterprise_xref where enterprise_id = {id} order by dataset, seen_at desc nulls last, record_id
"""
# The enterprise's own records ({records}: a list of 'dataset|record_id', from MENTIONS) select the rest.
ENTERPRISE_ALERTS = """
select alert_id, alert_type, entity_type, entity_id, occurred_at, description, evidence
from cross_department_alerts as a
where (a.entity_type = 'enterprise' and a.entity_id = {id})
   or list_has_any(list_transform(a.evidence, e -> e.dataset || '|' || e.record_id), {records})
order by occurred_at desc
"""
EQUIPMENT = """
with machines as (
    select distinct equipment_id from equipment_xref where list_contains({records}, dataset || '|' || record_id)
)
select q.equipment_id, any_value(q.reg_code) as reg_code, any_value(q.use_cert_no) as use_cert_no,
    count(*) filter (where q.dataset = 'special_equipment.equipment') as registry_records,
    count(*) filter (where q.dataset = 'special_equipment.inspection') as inspection_reports,
    count(*) filter (where q.dataset = 'construction.device') as site_devices,
    exists (select 1 from cross_department_alerts as a
            where a.entity_type = 'equipment' and a.entity_id = q.equipment_id) as alert_while_overdue,
    list(distinct q.source_file || ' #' || q.source_record_number) as sources
from equipment_xref as q join machines using (equipment_id)
group by q.equipment_id order by q.equipment_id
"""
VEHICLES = """
select vehicle_id, any_value(plate) as plate, any_value(plate_colour) as plate_colour, list(distinct role) as roles,
    count(distinct record_id) filter (where dataset = 'hazchem.waybill') as waybills,
    list(distinct source_file || ' #' || source_record_number) as sources
from vehicle_xref
where dataset in ('transport.vehicle', 'hazchem.waybill') and list_contains({records}, dataset || '|' || record_id)
group by vehicle_id order by plate
"""


def rows(session: PublishedSession, sql: str) -> list[dict[str, Any]]:
    cursor = session.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def overview(session: PublishedSession) -> dict[str, Any]:
    kpis = rows(session, KPIS.format(**{m: m for m in KPI_MARTS}))[0]
    return {
        "kpis": kpis,
        "labels": KPI_LABELS,
        "enterprises_by_department": rows(session, ENTERPRISES_BY_DEPARTMENT),
        "alerts_by_type_and_town": rows(session, ALERTS_BY_TYPE_AND_TOWN),
        "freshness": rows(session, FRESHNESS),
    }


def earlier_kpis(session: PublishedSession, entry: PublishEntry) -> dict[str, Any] | None:
    """The KPIs of an earlier publish, over the same masked SELECTs at that publish's mart snapshots (trusted
    code on the session's connection: the query check admits no time travel); None when a mart was missing."""
    if not set(KPI_MARTS) <= set(entry.marts):
        return None
    tables = {m: f"({masked_select(mart_sql(m, entry.snapshot_of(m)), entry.classifications[m])})" for m in KPI_MARTS}
    cursor = session.connection.execute(KPIS.format(**tables))
    return dict(zip([d[0] for d in cursor.description], cursor.fetchone(), strict=True))


def map_data(session: PublishedSession) -> dict[str, Any]:
    return {"points": rows(session, MAP_POINTS), "towns": rows(session, TOWN_LABELS)}


def search(session: PublishedSession, text: str) -> list[dict[str, Any]]:
    """Enterprises by any name variant (through the normalised name key), USCC or other identifier, short name,
    a source's record key (waybill, project, list entry) or a plate of a vehicle they operate."""
    text = text.strip()
    if not text:
        return []
    plate, _ = normalise_plate(text)
    values = {"text": text, "key": name_key(text), "identifier": clean_identifier(text), "plate": plate}
    return rows(session, SEARCH.format(**{k: sql_literal(v) for k, v in values.items()}))


def enterprise(session: PublishedSession, enterprise_id: str) -> dict[str, Any] | None:
    """一企一档: the golden record, its mentions (how it was resolved), alerts, equipment, vehicles, waybills,
    dishonest-list entries and a timeline."""
    key = {"id": sql_literal(enterprise_id)}
    profile = rows(session, PROFILE.format(**key))
    if not profile:
        return None
    mentions = rows(session, MENTIONS.format(**key))
    key["records"] = "[" + ", ".join(sql_literal(f"{m['dataset']}|{m['record_id']}") for m in mentions) + "]::VARCHAR[]"
    alerts = rows(session, ENTERPRISE_ALERTS.format(**key))
    mentioned = [
        {"happened_at": m["seen_at"], "source": m["dataset"], "event": f"{m['role']} 记录 {m['record_id']} 更新"}
        for m in mentions
        if m["seen_at"] is not None
    ]
    alerted = [{"happened_at": a["occurred_at"], "source": "cross_department_alerts",
                "event": f"{a['alert_type']}: {a['description']}"} for a in alerts]  # fmt: skip
    listed = profile[0]["first_listed_on"]
    listing = [{"happened_at": datetime.combine(listed, time()), "source": "credit.dishonest_entry",
                "event": "首次列入失信名单"}] if listed else []  # fmt: skip
    timeline = sorted([*mentioned, *alerted, *listing], key=lambda e: e["happened_at"], reverse=True)
    return {
        "profile": profile[0],
        "mentions": mentions,
        "alerts": alerts,
        "equipment": rows(session, EQUIPMENT.format(**key)),
        "vehicles": rows(session, VEHICLES.format(**key)),
        "waybills": [_record(m, "waybill_no") for m in mentions if m["dataset"] == "hazchem.waybill"],
        "dishonest_entries": [_record(m, "entry_id") for m in mentions if m["dataset"] == "credit.dishonest_entry"],
        "timeline": timeline[:TIMELINE_SHOWN],
    }


def _record(mention: dict[str, Any], key: str) -> dict[str, Any]:
    fields = ("role", "reported_name", "seen_at", "source_file", "source_record_number")
    return {key: mention["record_id"], **{f: mention[f] for f in fields}}
