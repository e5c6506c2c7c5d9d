-- 超期未检设备: every machine in use (newest registration) whose periodic inspection is overdue, with its due date,
-- use unit and town — the machines behind equipment_inspection_status.overdue. Not the 18-digit equipment code:
-- some pass the ID-number check, and the publish's leak audit (rightly) refuses any such value in a masked view.
select
    r.equipment_id,
    r.reg_code,
    r.equipment_kind,
    r.equipment_variety,
    r.internal_no,
    r.use_unit_name,
    r.use_unit_uscc,
    u.enterprise_id as use_unit_enterprise_id,
    r.town,
    r.location,
    r.last_inspection_date,
    r.inspection_conclusion,
    r.inspection_due_on,
    cast(current_date - r.inspection_due_on as bigint) as days_overdue
from {{ ref('int_equipment_current_registration') }} as r
left join {{ ref('enterprise_xref') }} as u
    on u.dataset = 'special_equipment.equipment' and u.record_id = r.reg_code and u.role = 'use_unit'
where r.status = '在用' and r.inspection_due_on < current_date
