-- 重复填报: per resolved entity, how many records in how many departments describe it, and for each attribute
-- whether the departments disagree (after normalisation) — what the data centre can tell a department it
-- no longer needs to collect.
with enterprise as (
    select
        'enterprise' as entity_type,
        enterprise_id as entity_id,
        count(*) as record_count,
        count(distinct source_system) as department_count,
        list(distinct source_system order by source_system) as departments,
        count(distinct name_key) as distinct_names,
        count(distinct reported_town) as distinct_towns,
        count(distinct regexp_replace(reported_address, '[\s,，]', '', 'g')) as distinct_addresses,
        count(distinct source_system) filter (where reported_name is not null) as departments_reporting_name,
        count(distinct source_system) filter (where reported_town is not null) as departments_reporting_town,
        count(distinct source_system) filter (where reported_address is not null) as departments_reporting_address,
        list(distinct reported_name order by reported_name) as name_variants,
        list(distinct reported_town order by reported_town) filter (where reported_town is not null) as town_variants
    from {{ ref('enterprise_xref') }}
    group by enterprise_id
),

vehicle as (
    select
        'vehicle', vehicle_id, count(*), count(distinct source_system), list(distinct source_system order by source_system),
        null::bigint, null::bigint, null::bigint, null::bigint, null::bigint, null::bigint, null::varchar[], null::varchar[]
    from {{ ref('vehicle_xref') }}
    where dataset <> 'transport.alarm'  -- alarms are events about the vehicle, not descriptions of it
    group by vehicle_id
),

equipment as (
    select
        'equipment', equipment_id, count(*), count(distinct source_system), list(distinct source_system order by source_system),
        null::bigint, null::bigint, null::bigint, null::bigint, null::bigint, null::bigint, null::varchar[], null::varchar[]
    from {{ ref('equipment_xref') }}
    where dataset in ('special_equipment.equipment', 'construction.device')
    group by equipment_id
),

combined as (
    select * from enterprise
    union all select * from vehicle
    union all select * from equipment
)

select
    entity_type || ':' || entity_id as duplicate_reporting_id,
    entity_type,
    entity_id,
    record_count,
    department_count,
    departments,
    department_count > 1 as reported_by_several_departments,
    distinct_names,
    distinct_names > 1 as name_disagrees,
    distinct_towns,
    distinct_towns > 1 as town_disagrees,
    distinct_addresses,
    distinct_addresses > 1 as address_disagrees,
    departments_reporting_name,
    departments_reporting_town,
    departments_reporting_address,
    name_variants,
    town_variants
from combined
