-- One row per installed device (deviceSn; a crane that moves gets a new deviceSn on its next project).
select
    device_sn,
    project_code,
    device_type,
    {{ clean_name('self_no') }} as self_no,
    equipment_code,
    use_reg_no,
    {{ clean_name('model') }} as model,
    rated_load_t,
    {{ clean_name('manufacturer') }} as manufacturer,
    factory_no,
    {{ clean_name('property_unit_name') }} as property_unit_name,
    property_unit_uscc,
    in_date,
    out_date,
    {{ beijing_time('updated_at') }} as updated_at,
    {{ lineage_columns() }}
from {{ source('construction', 'construction__device') }}
{{ latest_per_key('device_sn', 'updated_at desc') }}
