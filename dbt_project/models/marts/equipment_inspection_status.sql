-- 特种设备检验到期 (dashboards): per town and equipment kind, machines whose periodic inspection is overdue
-- or due within 30 days (newest registration of each machine; the machines themselves: overdue_equipment).
select
    coalesce(town, '?') || '|' || coalesce(equipment_kind, '?') as equipment_inspection_status_id,
    town,
    equipment_kind,
    count(*) as equipment,
    count(*) filter (where status = '在用') as in_use,
    count(*) filter (where status = '在用' and inspection_due_on < current_date) as overdue,
    count(*) filter (where status = '在用' and inspection_due_on between current_date and current_date + 30) as due_in_30_days
from {{ ref('int_equipment_current_registration') }}
group by all
