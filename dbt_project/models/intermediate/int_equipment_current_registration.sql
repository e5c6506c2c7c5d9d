-- The newest registration of each resolved machine in the special-equipment registry: a re-registered machine is
-- listed under its old and its new 注册代码, the newer one first by characters 11–16 of the code.
select equipment_id, unnest(e)
from (
    select q.equipment_id, arg_max(e, e.reg_code[11:16] || e.reg_code) as e
    from {{ ref('equipment_xref') }} as q
    join {{ ref('stg_special_equipment__equipment') }} as e on q.dataset = 'special_equipment.equipment' and e.reg_code = q.record_id
    group by q.equipment_id
) as newest
