-- One row per mention of a vehicle: waybill tractor and trailer (A), the platform's vehicle list and its
-- alarms (B). A vehicle is its plate + plate colour (domain_dictionary §8.2); a waybill without a usable
-- colour takes the colour of the only platform vehicle with that plate.
-- Incremental (macros/incremental.sql): every alarm is a mention (2 M after 90 days). A build recomputes the
-- records staging rewrote since the last one, and the records whose colour comes from the platform for a plate
-- whose platform vehicles changed; a record left without mentions is deleted through a placeholder row.
-- depends_on: {{ ref('base_transport__vehicle_versions') }}
{{ config(materialized='incremental', unique_key=['dataset', 'record_id'], incremental_strategy='delete+insert',
          on_schema_change='fail', post_hook="{{ delete_placeholders('mention_id') }}") }}
{%- set until = lake_snapshot() %}
{%- set mark = read_mark() %}
{#- each source's rows restricted to the touched records in its own scan (a filter after the union would read
    and key every alarm first) -#}
{%- set only_touched = "and {key} in (select record_id from touched where dataset = '{dataset}')"
    if mark is not none else "" %}

with platform_colour as (
    select plate, min(plate_colour) as plate_colour
    from {{ ref('stg_transport__vehicles') }}
    group by plate
    having count(distinct plate_colour) = 1
),

{%- if mark is not none %}

rewritten_vehicles as (
    select vehicle_id, plate from {{ inserted_after(ref('stg_transport__vehicles'), mark) }}
),

recoloured as (  -- plates whose platform colour may have changed: the rewritten vehicles' plates, now and before
    select plate from rewritten_vehicles
    union
    select v.plate from {{ ref('base_transport__vehicle_versions') }} as v
    where v.vehicle_id in (select vehicle_id from rewritten_vehicles)
),

touched as (
    select 'hazchem.waybill' as dataset, waybill_no as record_id
    from {{ inserted_after(ref('stg_hazchem__waybills'), mark) }}
    union
    select 'hazchem.waybill', waybill_no from {{ ref('stg_hazchem__waybills') }}
    where (tractor_plate_colour is null and tractor_plate in (select plate from recoloured))
       or (trailer_plate_colour is null and trailer_plate in (select plate from recoloured))
    union
    select 'transport.vehicle', vehicle_id from rewritten_vehicles
    union
    select 'transport.vehicle', vehicle_id from {{ ref('stg_transport__vehicles') }}
    where plate_colour is null and plate in (select plate from recoloured)
    union
    select 'transport.alarm', alarm_id from {{ inserted_after(ref('stg_transport__alarms'), mark) }}
    union
    select 'transport.alarm', alarm_id from {{ ref('stg_transport__alarms') }}
    where plate_colour is null and plate in (select plate from recoloured)
),
{%- endif %}

mentions as (
    select 'hazchem' as source_system, 'hazchem.waybill' as dataset, waybill_no as record_id, 'tractor' as role,
        tractor_plate as plate, tractor_plate_colour as plate_colour, updated_at as seen_at,
        source_file, source_record_number
    from {{ ref('stg_hazchem__waybills') }}
    where tractor_plate is not null {{ only_touched.format(key='waybill_no', dataset='hazchem.waybill') }}
    union all
    select 'hazchem', 'hazchem.waybill', waybill_no, 'trailer', trailer_plate, trailer_plate_colour, updated_at,
        source_file, source_record_number
    from {{ ref('stg_hazchem__waybills') }}
    where trailer_plate is not null {{ only_touched.format(key='waybill_no', dataset='hazchem.waybill') }}
    union all
    select 'transport', 'transport.vehicle', vehicle_id, 'vehicle', plate, plate_colour, updated_at,
        source_file, source_record_number
    from {{ ref('stg_transport__vehicles') }}
    -- a damaged plate is kept in staging, flagged; it names no vehicle
    where plate is not null {{ only_touched.format(key='vehicle_id', dataset='transport.vehicle') }}
    union all
    select 'transport', 'transport.alarm', alarm_id, 'vehicle', plate, plate_colour, updated_at,
        source_file, source_record_number
    from {{ ref('stg_transport__alarms') }}
    where plate is not null {{ only_touched.format(key='alarm_id', dataset='transport.alarm') }}
),

resolved as (
    select
        m.dataset || '|' || m.record_id || '|' || m.role as mention_id,
        m.source_system,
        m.dataset,
        m.record_id,
        m.role,
        m.plate,
        coalesce(m.plate_colour, p.plate_colour) as plate_colour,
        m.plate || '/' || coalesce(m.plate_colour, p.plate_colour, '?') as vehicle_key,
        m.seen_at,
        m.source_file,
        m.source_record_number
    from mentions as m
    left join platform_colour as p on p.plate = m.plate
)

select *, {{ until }} as lake_snapshot from resolved
{%- if mark is not none %}
union all by name
select dataset, record_id, {{ until }} as lake_snapshot  -- placeholder of a record left without mentions
from touched as t
where not exists (select 1 from resolved as r where r.dataset = t.dataset and r.record_id = t.record_id)
{%- endif %}
