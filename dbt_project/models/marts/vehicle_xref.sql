-- 车辆交叉引用: every mention of a vehicle (waybill tractor/trailer, platform vehicle, platform alarm) and
-- the vehicle (plate + colour) it resolved to.
select
    m.mention_id,
    v.vehicle_id,
    m.source_system,
    m.dataset,
    m.record_id,
    m.role,
    m.plate,
    m.plate_colour,
    case when m.plate_colour is null then 'plate_only' else 'plate_colour' end as match_rule,
    m.seen_at,
    m.source_file,
    m.source_record_number
from {{ ref('int_vehicle_mentions') }} as m
join {{ source('resolution', 'vehicle_mention_map') }} as v using (mention_id)
