-- 一企一档: one row per resolved enterprise with everything the five departments report about it.
with xref as (select * from {{ ref('enterprise_xref') }}),

hazchem as (
    select x.enterprise_id, arg_max(e, e.updated_at) as e
    from xref as x
    join {{ ref('stg_hazchem__enterprises') }} as e on x.dataset = 'hazchem.enterprise' and e.enterprise_code = x.record_id
    group by x.enterprise_id
),

vehicles as (
    select x.enterprise_id, count(distinct v.vehicle_id) as vehicles_operated,
        list(distinct v.plate order by v.plate) as plates_operated
    from xref as x
    join {{ ref('vehicle_xref') }} as v on v.dataset = 'transport.vehicle' and v.record_id = x.record_id
    where x.dataset = 'transport.vehicle'
    group by x.enterprise_id
),

waybills as (
    select enterprise_id,
        count(*) filter (where role = 'shipper') as waybills_as_shipper,
        count(*) filter (where role = 'carrier') as waybills_as_carrier
    from xref where dataset = 'hazchem.waybill'
    group by enterprise_id
),

projects as (
    select x.enterprise_id,
        count(distinct p.project_code) filter (where x.role = 'contractor') as projects_as_contractor,
        count(distinct p.project_code) filter (where x.role = 'owner') as projects_as_owner,
        count(distinct p.project_code) filter (where p.is_active) as active_projects
    from xref as x
    join {{ ref('stg_construction__projects') }} as p on x.dataset = 'construction.project' and p.project_code = x.record_id
    group by x.enterprise_id
),

equipment as (
    select x.enterprise_id,
        count(distinct q.equipment_id) as equipment_used,
        count(distinct q.equipment_id) filter (where s.status = '在用' and s.inspection_due_on < current_date) as equipment_overdue
    from xref as x
    join {{ ref('stg_special_equipment__equipment') }} as s on x.dataset = 'special_equipment.equipment' and s.reg_code = x.record_id
    join {{ ref('equipment_xref') }} as q on q.dataset = 'special_equipment.equipment' and q.record_id = s.reg_code
    group by x.enterprise_id
),

listing as (
    select x.enterprise_id,
        bool_or(h.listed_from <= current_date and (h.listed_until is null or current_date < h.listed_until)) as is_dishonest,
        min(h.listed_from) as first_listed_on,
        list(distinct h.entry_id order by h.entry_id) as dishonest_entry_ids
    from xref as x
    join {{ ref('dishonest_entry_history') }} as h on x.dataset = 'credit.dishonest_entry' and h.entry_id = x.record_id and h.is_current
    group by x.enterprise_id
)

select
    g.enterprise_id,
    g.name,
    g.uscc,
    g.org_code,
    g.reg_no15,
    g.is_branch,
    g.names_seen,
    coalesce(g.town, h.e.town) as town,
    coalesce(h.e.address, g.address) as address,
    h.e.enterprise_code as hazchem_enterprise_code,
    h.e.enterprise_types as hazchem_enterprise_types,
    h.e.major_hazard_level,
    h.e.risk_level,
    h.e.business_status,
    h.e.longitude,
    h.e.latitude,
    coalesce(v.vehicles_operated, 0) as vehicles_operated,
    v.plates_operated,
    coalesce(w.waybills_as_shipper, 0) as waybills_as_shipper,
    coalesce(w.waybills_as_carrier, 0) as waybills_as_carrier,
    coalesce(p.projects_as_contractor, 0) as projects_as_contractor,
    coalesce(p.projects_as_owner, 0) as projects_as_owner,
    coalesce(p.active_projects, 0) as active_projects,
    coalesce(q.equipment_used, 0) as equipment_used,
    coalesce(q.equipment_overdue, 0) as equipment_overdue,
    coalesce(l.is_dishonest, false) as is_dishonest,
    l.first_listed_on,
    l.dishonest_entry_ids,
    g.reporting_systems,
    len(g.reporting_systems) as reporting_system_count,
    g.mention_count
from {{ ref('golden_enterprises') }} as g
left join hazchem as h using (enterprise_id)
left join vehicles as v using (enterprise_id)
left join waybills as w using (enterprise_id)
left join projects as p using (enterprise_id)
left join equipment as q using (enterprise_id)
left join listing as l using (enterprise_id)
