-- 车辆报警日统计 (dashboards): 两客一危 alarms by Beijing day, nearest town and alarm category.
-- Incremental (macros/incremental.sql): the days of the alarms staging rewrote since the last build are counted
-- again, with the days their earlier versions fell on (from the delivered versions); a day left without alarms
-- keeps one placeholder row in the batch, which the post-hook deletes, so that its old rows are deleted too.
-- depends_on: {{ source('transport', 'transport__alarm') }}
{{ config(materialized='incremental', unique_key='alarm_date', incremental_strategy='delete+insert',
          on_schema_change='fail', post_hook="{{ delete_placeholders('daily_vehicle_alarm_id') }}") }}
{%- set until = lake_snapshot() %}
{%- set mark = read_mark() %}

{%- if mark is not none %}
with rewritten as (
    select alarm_id, started_at from {{ inserted_after(ref('stg_transport__alarms'), mark) }}
),

days as (
    select cast(started_at as date) as alarm_date from rewritten
    union
    select cast(v.started_at as date)
    from {{ source('transport', 'transport__alarm') }} as v
    where v.alarm_id in (select alarm_id from rewritten)
),
{%- else %}
with
{%- endif %}

alarms as (
    select a.*
    from {{ ref('stg_transport__alarms') }} as a
    {%- if mark is not none %}
    where cast(a.started_at as date) in (select alarm_date from days)
    {%- endif %}
),

counted as (
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
)

select *, {{ until }} as lake_snapshot from counted
{%- if mark is not none %}
union all by name
select alarm_date, {{ until }} as lake_snapshot  -- placeholder of a day left without alarms
from days
where alarm_date is not null and alarm_date not in (select alarm_date from counted)
{%- endif %}
