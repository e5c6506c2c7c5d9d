-- 设备交叉引用: every mention of a piece of special equipment (registry row, inspection report, crane/hoist
-- installation, crane alarm) and the machine it resolved to. The 18-digit 设备代码 stays in staging: the
-- publish leak scanner cannot tell it from an ID number.
select
    m.mention_id,
    i.equipment_id,
    m.source_system,
    m.dataset,
    m.record_id,
    m.role,
    m.reg_code,
    m.use_cert_no,
    m.device_sn,
    m.manufacturer_key,
    m.factory_no,
    r.match_rule,
    m.source_file,
    m.source_record_number
from {{ ref('int_equipment_mentions') }} as m
join {{ ref('int_equipment_resolution') }} as r using (mention_id)
join {{ source('resolution', 'equipment_mention_map') }} as i using (mention_id)
