-- 跨部门预警: facts only visible when two departments' data are joined, each with its evidence rows
-- (dataset, record_id, role) so anyone can check it at the source.
with ent as (select * from {{ ref('enterprise_xref') }}),

listing as (  -- current version of every list entry, on the resolved enterprise
    select x.enterprise_id, h.entry_id, h.listed_from, h.listed_until
    from {{ ref('dishonest_entry_history') }} as h
    join ent as x on x.dataset = 'credit.dishonest_entry' and x.record_id = h.entry_id
    where h.is_current
),

waybills as (
    select * from {{ ref('stg_hazchem__waybills') }} where status <> '作废'
),

-- 1. blacklisted shipper or carrier on a waybill dispatched on or after its listing date
blacklisted_party as (
    select
        'blacklisted_party_on_waybill' as alert_type,
        'enterprise' as entity_type,
        x.enterprise_id as entity_id,
        w.departed_at as occurred_at,
        '失信主体作为' || case x.role when 'shipper' then '托运人' else '承运人' end || '出现在运单 ' || w.waybill_no
            as description,
        [{'dataset': 'hazchem.waybill', 'record_id': w.waybill_no, 'role': x.role},
         {'dataset': 'credit.dishonest_entry', 'record_id': l.entry_id, 'role': 'subject'}] as evidence,
        null as alarm_town
    from waybills as w
    join ent as x on x.dataset = 'hazchem.waybill' and x.record_id = w.waybill_no
    join listing as l on l.enterprise_id = x.enterprise_id
    where cast(w.departed_at as date) >= l.listed_from
      and (l.listed_until is null or cast(w.departed_at as date) < l.listed_until)
),

platform_versions as (  -- every version of every platform vehicle, valid from its gxsj to the next one
    select
        vehicle_id as platform_vehicle_id,
        plate || '/' || coalesce(plate_colour, '?') as vehicle_key,
        status,
        business_type,
        updated_at as valid_from,
        lead(updated_at) over (partition by vehicle_id order by updated_at) as valid_to,
        row_number() over (partition by vehicle_id order by updated_at) = 1 as is_first
    from {{ ref('base_transport__vehicle_versions') }}
),

platform_vehicles as (
    select r.vehicle_id, p.*
    from platform_versions as p
    join (select distinct vehicle_key, vehicle_id from {{ source('resolution', 'vehicle_mention_map') }}) as r
        using (vehicle_key)
),

-- 2. waybill tractor or trailer that is not a registered, active 危货 vehicle on the platform at dispatch
--    (the platform version current at departure; a vehicle registered later counts with its first version)
waybill_vehicles as (  -- each waybill's tractor and trailer on its resolved vehicle
    select w.waybill_no, w.departed_at, w.arrived_at, w.status, v.vehicle_id, v.role, v.plate
    from waybills as w
    join {{ ref('vehicle_xref') }} as v on v.dataset = 'hazchem.waybill' and v.record_id = w.waybill_no
),

-- An inner join, so that the vehicle is its hash key: as the outer join's condition below, the version's span made
-- DuckDB try every waybill vehicle against every platform version (2.1 s at 90 days of history).
platform_at_departure as (
    select wv.waybill_no, wv.role, p.platform_vehicle_id, p.status, p.business_type
    from waybill_vehicles as wv
    join platform_vehicles as p on p.vehicle_id = wv.vehicle_id
    where (p.valid_from <= wv.departed_at or p.is_first) and (p.valid_to is null or wv.departed_at < p.valid_to)
),

unregistered_vehicle as (
    select
        'unregistered_waybill_vehicle' as alert_type,
        'vehicle' as entity_type,
        v.vehicle_id as entity_id,
        v.departed_at as occurred_at,
        '运单 ' || v.waybill_no || ' 的' || case v.role when 'tractor' then '牵引车 ' else '挂车 ' end || v.plate
            || case when any_value(p.platform_vehicle_id) is null then ' 未在两客一危平台登记'
                    else ' 在平台状态为 ' || coalesce(any_value(p.status), '未知') || '/' || coalesce(any_value(p.business_type), '未知') end
            as description,
        list_concat(
            [{'dataset': 'hazchem.waybill', 'record_id': v.waybill_no, 'role': v.role}],
            coalesce(list(distinct {'dataset': 'transport.vehicle', 'record_id': p.platform_vehicle_id, 'role': 'vehicle'})
                filter (where p.platform_vehicle_id is not null), [])
        ) as evidence,
        null as alarm_town
    from waybill_vehicles as v
    left join platform_at_departure as p on p.waybill_no = v.waybill_no and p.role = v.role
    group by v.vehicle_id, v.departed_at, v.waybill_no, v.role, v.plate
    having not coalesce(bool_or(p.status = '营运' and p.business_type = '危货运输'), false)
),

-- 3. speeding or fatigue alarm on a vehicle during one of its active waybills
trips as (  -- each waybill's tractor with the span of its trip; open while 运输中 without an arrival
    select vehicle_id, waybill_no, departed_at,
        case when arrived_at is not null then arrived_at
             when status = '运输中' then 'infinity'::timestamp end as trip_until
    from waybill_vehicles
    where role = 'tractor'
),

-- Materialized, so that the vehicle and the span meet in one join: matched on the vehicle alone first, an alarm
-- and every trip of its vehicle made 69 M pairs at 90 days of history (14 GiB).
vehicle_alarms as materialized (  -- each speeding or fatigue alarm on its resolved vehicle
    select s.alarm_id, s.started_at, s.plate, s.alarm_name, s.town, a.vehicle_id
    from {{ ref('stg_transport__alarms') }} as s
    join {{ ref('vehicle_xref') }} as a on a.dataset = 'transport.alarm' and a.record_id = s.alarm_id
    where s.alarm_category in ('speeding', 'fatigue')
),

-- Each trip once per day it spans within the alarms' days (an open trip until the last alarm), so that an alarm meets
-- only its vehicle's trips of its day: on the vehicle alone it met all of them (0.5 s at 90 days of history).
trip_days as (
    select tr.*, unnest(generate_series(
        date_trunc('day', greatest(tr.departed_at, a.first_alarm)), least(tr.trip_until, a.last_alarm), interval 1 day
    )) as trip_day
    from trips as tr
    join (select min(started_at) as first_alarm, max(started_at) as last_alarm from vehicle_alarms) as a
        on a.last_alarm is not null
),

alarm_on_trip as (
    select
        'alarm_during_active_waybill' as alert_type,
        'vehicle' as entity_type,
        s.vehicle_id as entity_id,
        s.started_at as occurred_at,
        '运单 ' || tr.waybill_no || ' 运输途中 ' || s.plate || ' 发生' || coalesce(s.alarm_name, '报警（类型未知）') as description,
        [{'dataset': 'transport.alarm', 'record_id': s.alarm_id, 'role': 'vehicle'},
         {'dataset': 'hazchem.waybill', 'record_id': tr.waybill_no, 'role': 'tractor'}] as evidence,
        s.town as alarm_town
    from vehicle_alarms as s
    join trip_days as tr
        on tr.vehicle_id = s.vehicle_id and tr.trip_day = date_trunc('day', s.started_at)
        and s.started_at >= tr.departed_at and s.started_at <= tr.trip_until
),

-- 4. crane/hoist alarms on a project while its newest registration says its inspection is overdue or it is not 在用
crane_alarm as (
    select
        'crane_alarm_while_overdue' as alert_type,
        'equipment' as entity_type,
        q.equipment_id as entity_id,
        min(a.occurred_at) as occurred_at,
        '项目 ' || coalesce(d.project_code, '（未知）') || ' 的' || coalesce(any_value(d.self_no), d.device_sn) || ' 报警 ' || count(*) || ' 次，'
            || case when any_value(r.status) <> '在用' then '登记状态为' || any_value(r.status)
                    else '定期检验已于 ' || cast(any_value(r.inspection_due_on) as varchar) || ' 到期' end
            as description,
        list_concat(
            [{'dataset': 'special_equipment.equipment', 'record_id': any_value(r.reg_code), 'role': 'equipment'},
             {'dataset': 'construction.device', 'record_id': d.device_sn, 'role': 'device'}],
            list({'dataset': 'construction.alarm', 'record_id': a.alarm_id, 'role': 'device'} order by a.alarm_id)
        ) as evidence,
        null as alarm_town
    from {{ ref('stg_construction__alarms') }} as a
    join {{ ref('stg_construction__devices') }} as d using (device_sn)
    join {{ ref('equipment_xref') }} as q on q.dataset = 'construction.device' and q.record_id = d.device_sn
    join {{ ref('int_equipment_current_registration') }} as r using (equipment_id)
    where r.status <> '在用' or r.inspection_due_on < cast(a.occurred_at as date)
    group by q.equipment_id, d.project_code, d.device_sn
),

-- 5. enterprise on the dishonest list as contractor of an active project
blacklisted_contractor as (
    select
        'blacklisted_contractor_on_active_project' as alert_type,
        'enterprise' as entity_type,
        x.enterprise_id as entity_id,
        cast(greatest(l.listed_from, p.start_date) as timestamp) as occurred_at,
        '失信主体为在建项目 ' || p.project_code || ' 的施工单位' as description,
        [{'dataset': 'construction.project', 'record_id': p.project_code, 'role': 'contractor'},
         {'dataset': 'credit.dishonest_entry', 'record_id': l.entry_id, 'role': 'subject'}] as evidence,
        null as alarm_town
    from {{ ref('stg_construction__projects') }} as p
    join ent as x on x.dataset = 'construction.project' and x.role = 'contractor' and x.record_id = p.project_code
    join listing as l on l.enterprise_id = x.enterprise_id
    where p.is_active
      and l.listed_from <= current_date
      and (l.listed_until is null or current_date < l.listed_until)
),

alerts as (
    select * from blacklisted_party
    union all select * from unregistered_vehicle
    union all select * from alarm_on_trip
    union all select * from crane_alarm
    union all select * from blacklisted_contractor
),

identified as (
    select
        alert_type || ':' || translate(substr(md5(alert_type || entity_id || cast(evidence[1] as varchar)
            || coalesce(cast(evidence[2] as varchar), '')), 1, 16), '0123456789', 'ghjklmnpqr') as alert_id,
        *
    from alerts
),

-- An alarm's alert is placed by its alarm's town, known here; only the others look through their evidence.
evidence_rows as (
    select alert_id, unnest(evidence, recursive := true) from identified where alarm_town is null
),

-- Where each alert happened, most direct first: the town of the entity it concerns (an enterprise's golden record,
-- a machine's registration); else the nearest town to the alarm's position; else the construction project's town;
-- else (a waybill vehicle) the town of the waybill's shipper, then its carrier.
places as (
    select i.alert_id, 1 as priority, 'entity' as town_from, g.town
    from identified as i
    join {{ ref('golden_enterprises') }} as g on i.entity_type = 'enterprise' and g.enterprise_id = i.entity_id
    union all
    select i.alert_id, 1, 'entity', r.town
    from identified as i
    join {{ ref('int_equipment_current_registration') }} as r on i.entity_type = 'equipment' and r.equipment_id = i.entity_id
    union all
    select alert_id, 2, 'alarm_position', alarm_town from identified where alarm_town is not null
    union all
    -- a project, or a device's project: two equi-joins (one join on either key went through all evidence rows
    -- block by block, 1.6 s at 90 days)
    select v.alert_id, 3, 'project', p.town
    from evidence_rows as v
    join {{ ref('stg_construction__projects') }} as p on v.dataset = 'construction.project' and p.project_code = v.record_id
    union all
    select v.alert_id, 3, 'project', p.town
    from evidence_rows as v
    join {{ ref('stg_construction__devices') }} as d on v.dataset = 'construction.device' and d.device_sn = v.record_id
    join {{ ref('stg_construction__projects') }} as p on p.project_code = d.project_code
    union all
    select v.alert_id, case x.role when 'shipper' then 4 else 5 end, 'waybill_' || x.role, g.town
    from evidence_rows as v
    join {{ ref('enterprise_xref') }} as x
        on v.dataset = 'hazchem.waybill' and x.dataset = 'hazchem.waybill' and x.record_id = v.record_id
        and x.role in ('shipper', 'carrier')
    join {{ ref('golden_enterprises') }} as g on g.enterprise_id = x.enterprise_id
),

alert_towns as (
    select alert_id, arg_min({'town': town, 'town_from': town_from}, (priority, town)) as place
    from places
    where town is not null
    group by alert_id
)

select
    i.alert_id,
    i.alert_type,
    i.entity_type,
    i.entity_id,
    i.occurred_at,
    i.description,
    i.evidence,
    len(i.evidence) as evidence_count,
    t.place.town as town,
    t.place.town_from as town_from
from identified as i
left join alert_towns as t using (alert_id)
