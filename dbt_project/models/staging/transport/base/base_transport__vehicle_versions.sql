-- Every version of every vehicle of the 两客一危 platform (one per clid and gxsj; one delivered twice: the later
-- load), cleaned once for staging (the latest version) and the alerts (a vehicle's status at a waybill's dispatch).
select
    vehicle_id,
    plate,
    plate_colour,
    business_type,
    {{ clean_name('operator_name') }} as operator_name,
    operator_uscc,
    transport_cert_no,
    seats,
    rated_load_kg,
    status,
    review_valid_until,
    updated_at,
    {{ lineage_columns() }}
from {{ source('transport', 'transport__vehicle') }}
{{ latest_per_key('vehicle_id, updated_at', 'updated_at desc') }}
