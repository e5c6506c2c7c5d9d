-- 特种设备检验到期 (dashboards): per town and equipment kind, machines whose periodic inspection is overdue
-- or due within 30 days (newest registration of each machine).
with current_registration as (
    select q.equipment_id, arg_max(e, e.reg_code[11:16] || e.reg_code) as e
    from {{ ref('equipment_xref') }} as q
    join {{ ref('stg_special_equipment__equipment') }} as e on q.dataset = 'special_equipment.equipment' and e.reg_code = q.record_id
    group by q.equipment_id
)

select
    coalesce(e.town, '?') || '|' || coalesce(e.equipment_kind, '?') as equipment_inspection_status_id,
    e.town,
    e.equipment_kind,
    count(*) as equipment,
    count(*) filter (where e.status = '在用') as in_use,
    count(*) filter (where e.status = '在用' and e.inspection_due_on < current_date) as overdue,
    count(*) filter (where e.status = '在用' and e.inspection_due_on between current_date and current_date + 30) as due_in_30_days
from current_registration
group by all
