-- One row per mention of a vehicle: waybill tractor and trailer (A), the platform's vehicle list and its
-- alarms (B). A vehicle is its plate + plate colour (domain_dictionary §8.2); a waybill without a usable
-- colour takes the colour of the only platform vehicle with that plate.
with mentions as (
    select 'hazchem' as source_system, 'hazchem.waybill' as dataset, waybill_no as record_id, 'tractor' as role,
        tractor_plate as plate, tractor_plate_colour as plate_colour, updated_at as seen_at,
        source_file, source_record_number
    from {{ ref('stg_hazchem__waybills') }}
    where tractor_plate is not null
    union all
    select 'hazchem', 'hazchem.waybill', waybill_no, 'trailer', trailer_plate, trailer_plate_colour, updated_at,
        source_file, source_record_number
    from {{ ref('stg_hazchem__waybills') }}
    where trailer_plate is not null
    union all
    select 'transport', 'transport.vehicle', vehicle_id, 'vehicle', plate, plate_colour, updated_at,
        source_file, source_record_number
    from {{ ref('stg_transport__vehicles') }}
    where plate is not null  -- a damaged plate is kept in staging, flagged; it names no vehicle
    union all
    select 'transport', 'transport.alarm', alarm_id, 'vehicle', plate, plate_colour, updated_at,
        source_file, source_record_number
    from {{ ref('stg_transport__alarms') }}
    where plate is not null
),

platform_colour as (
    select plate, min(plate_colour) as plate_colour
    from {{ ref('stg_transport__vehicles') }}
    group by plate
    having count(distinct plate_colour) = 1
)

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
