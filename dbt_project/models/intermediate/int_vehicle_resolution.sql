-- Resolved vehicles: one per plate + colour. The id is derived from that natural key, so it never changes
-- when other data arrives.
select distinct
    vehicle_key,
    {{ surrogate_id('VEH-', 'vehicle_key') }} as vehicle_id
from {{ ref('int_vehicle_mentions') }}
