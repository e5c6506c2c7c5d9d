-- One row per alarm (bjid): an alarm is re-sent with a new gxsj when it is handled or closed; the latest wins.
-- Incremental: 2 M alarms after 90 days, a few ten thousand new ones a day; the alarms a delivery touched are
-- recomputed from all their versions (macros/incremental.sql).
{{ config(materialized='incremental', unique_key='alarm_id', incremental_strategy='delete+insert',
          on_schema_change='fail') }}
{%- set until = lake_snapshot() %}
{%- set mark = read_mark() %}

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
    {{ nearest_town('longitude', 'latitude') }} as town,  -- once per alarm: the marts count and place by it
    handling_status,
    updated_at,
    {{ lineage_columns() }},
    {{ until }} as lake_snapshot
from {{ source('transport', 'transport__alarm') }}
{%- if mark is not none %}
where alarm_id in (select alarm_id from {{ inserted_after(source('transport', 'transport__alarm'), mark) }})
{%- endif %}
{{ latest_per_key('alarm_id', 'updated_at desc') }}
