-- 车辆报警日统计 (dashboards): 两客一危 alarms by Beijing day, nearest town and alarm category.
with alarms as (
    select a.*, {{ nearest_town('a.longitude', 'a.latitude') }} as town
    from {{ ref('stg_transport__alarms') }} as a
)

select
    cast(started_at as date) || '|' || coalesce(town, '?') || '|' || alarm_category as daily_vehicle_alarm_id,
    cast(started_at as date) as alarm_date,
    town,
    alarm_category,
    count(*) as alarms,
    count(distinct plate || '/' || plate_colour) as vehicles,
    count(*) filter (where handling_status = '0') as unhandled
from alarms
group by all
