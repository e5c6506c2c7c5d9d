-- One row per alarm (bjid): an alarm is re-sent with a new gxsj when it is handled or closed; the latest wins.
select
    alarm_id,
    plate,
    plate_colour,
    alarm_type,
    alarm_name,
    case
        when alarm_type in ('1') then 'speeding'
        when alarm_type in ('2', '6501') then 'fatigue'
        when alarm_type in ('13') then 'overtime_driving'
        when alarm_type in ('3') then 'emergency'
        when alarm_type in ('11') then 'route_deviation'
        when alarm_type in ('6401', '6402', '6502', '6503', '6504') then 'active_safety'
        else 'other'
    end as alarm_category,
    started_at,
    ended_at,
    max_speed_kmh,
    speed_limit_kmh,
    longitude,
    latitude,
    handling_status,
    updated_at,
    {{ lineage_columns() }}
from {{ source('transport', 'transport__alarm') }}
{{ latest_per_key('alarm_id', 'updated_at desc') }}
