-- One row per 运单编号: a waybill re-appears whenever its status changes; the latest 更新时间 wins
-- (also over an earlier state delivered twice in one file). Identifiers, plates and the plate colour (the JT/T 808
-- code system B uses, or the colour glued onto the plate) arrive normalised by validation.
-- Incremental (macros/incremental.sql): the waybills a delivery touched are recomputed from all their versions.
{{ config(materialized='incremental', unique_key='waybill_no', incremental_strategy='delete+insert',
          on_schema_change='fail') }}
{%- set until = lake_snapshot() %}
{%- set mark = read_mark() %}

with latest as (
    select *
    from {{ source('hazchem', 'hazchem__waybill') }}
    {%- if mark is not none %}
    where waybill_no in (select waybill_no from {{ inserted_after(source('hazchem', 'hazchem__waybill'), mark) }})
    {%- endif %}
    {{ latest_per_key('waybill_no', 'updated_at desc') }}
)

select
    waybill_no,
    status,
    {{ clean_name('shipper_name') }} as shipper_name,
    shipper_uscc,
    {{ clean_name('carrier_name') }} as carrier_name,
    carrier_uscc,
    tractor_plate,
    plate_colour as tractor_plate_colour,
    trailer_plate,
    -- GA 36: trailer plates are yellow whatever the tractor's plate colour.
    case when trailer_plate is not null then '2' end as trailer_plate_colour,
    {{ clean_name('driver_name') }} as driver_name,
    driver_id_number,
    {{ clean_name('escort_name') }} as escort_name,
    escort_id_number,
    goods_name,
    un_number,
    cas_number,
    hazard_class,
    quantity_t,
    {{ clean_text('origin') }} as origin,
    {{ clean_text('destination') }} as destination,
    departed_at,
    arrived_at,
    updated_at,
    status in ('已创建', '运输中') as is_active,
    {{ lineage_columns() }},
    {{ until }} as lake_snapshot
from latest
