-- 塔吊/升降机报警日统计 (dashboards): construction-site alarms by Beijing day, project town and alarm.
select
    cast(a.occurred_at as date) || '|' || coalesce(p.town, '?') || '|' || coalesce(a.alarm_code, '?')
        as daily_construction_alarm_id,
    cast(a.occurred_at as date) as alarm_date,
    p.town,
    a.alarm_code,
    a.alarm_name,
    count(*) as alarms,
    count(*) filter (where a.level = 'ALARM') as level_alarm,
    count(distinct a.device_sn) as devices
from {{ ref('stg_construction__alarms') }} as a
left join {{ ref('stg_construction__devices') }} as d using (device_sn)
left join {{ ref('stg_construction__projects') }} as p using (project_code)
group by all
