-- One row per 运单编号: a waybill re-appears whenever its status changes; the latest 更新时间 wins
-- (also over an earlier state delivered twice in one file). Plates without separators, case or a glued-on
-- colour; the plate colour as the JT/T 808 code that system B uses.
with latest as (
    select *
    from {{ source('hazchem', 'hazchem__waybill') }}
    {{ latest_per_key('waybill_no', 'updated_at desc') }}
)

select
    waybill_no,
    status,
    {{ clean_name('shipper_name') }} as shipper_name,
    {{ clean_identifier('shipper_uscc') }} as shipper_uscc,
    {{ clean_name('carrier_name') }} as carrier_name,
    {{ clean_identifier('carrier_uscc') }} as carrier_uscc,
    sdc_plate(tractor_plate) as tractor_plate,
    coalesce(sdc_plate_colour_code(plate_colour), sdc_plate_glued_colour(tractor_plate)) as tractor_plate_colour,
    sdc_plate(trailer_plate) as trailer_plate,
    -- GA 36: trailer plates are yellow whatever the tractor's plate colour.
    case when trailer_plate is not null then coalesce(sdc_plate_glued_colour(trailer_plate), '2') end
        as trailer_plate_colour,
    {{ clean_name('driver_name') }} as driver_name,
    {{ clean_identifier('driver_id_number') }} as driver_id_number,
    {{ clean_name('escort_name') }} as escort_name,
    {{ clean_identifier('escort_id_number') }} as escort_id_number,
    goods_name,
    {{ clean_identifier('un_number') }} as un_number,
    cas_number,
    hazard_class,
    quantity_t,
    {{ clean_text('origin') }} as origin,
    {{ clean_text('destination') }} as destination,
    departed_at,
    arrived_at,
    updated_at,
    status in ('已创建', '运输中') as is_active,
    {{ lineage_columns() }}
from latest
