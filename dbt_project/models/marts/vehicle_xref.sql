-- 车辆交叉引用: every mention of a vehicle (waybill tractor/trailer, platform vehicle, platform alarm) and
-- the vehicle (plate + colour) it resolved to.
-- Incremental (macros/incremental.sql): a build recomputes the records whose mentions, or whose mentions'
-- vehicles, were written since the last one, and those with a row whose mention is gone; a record left without
-- mentions is deleted through a placeholder row.
{{ config(materialized='incremental', unique_key=['dataset', 'record_id'], incremental_strategy='delete+insert',
          on_schema_change='fail', post_hook="{{ delete_placeholders('mention_id') }}") }}
{%- set until = lake_snapshot() %}
{%- set mark = read_mark() %}
{%- set mentions = ref('int_vehicle_mentions') %}
{%- set vehicles = source('resolution', 'vehicle_mention_map') %}

with
{%- if mark is not none %}
touched as (
    select dataset, record_id from {{ inserted_after(mentions, mark) }}
    union
    select m.dataset, m.record_id
    from {{ inserted_after(vehicles, mark) }} as v
    join {{ mentions }} as m using (mention_id)
    union  -- a mention gone (the resolution drops a mention only when the mentions lose it)
    select x.dataset, x.record_id from {{ this }} as x anti join {{ mentions }} as m using (mention_id)
),
{%- endif %}

xref as (
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
    from {{ mentions }} as m
    join {{ vehicles }} as v using (mention_id)
    {%- if mark is not none %}
    where exists (select 1 from touched as t where t.dataset = m.dataset and t.record_id = m.record_id)
    {%- endif %}
)

select *, {{ until }} as lake_snapshot from xref
{%- if mark is not none %}
union all by name
select dataset, record_id, {{ until }} as lake_snapshot  -- placeholder of a record left without mentions
from touched as t
where t.dataset is not null
  and not exists (select 1 from xref as x where x.dataset = t.dataset and x.record_id = t.record_id)
{%- endif %}
