-- One row per installed device (deviceSn; a crane that moves gets a new deviceSn on its next project).
select
    device_sn,
    project_code,
    device_type,
    {{ clean_name('self_no') }} as self_no,
    {{ clean_identifier('equipment_code') }} as equipment_code,
    {{ clean_identifier('use_reg_no') }} as use_reg_no,
    {{ clean_name('model') }} as model,
    rated_load_t,
    {{ clean_name('manufacturer') }} as manufacturer,
    {{ clean_identifier('factory_no') }} as factory_no,
    {{ clean_name('property_unit_name') }} as property_unit_name,
    {{ clean_identifier('property_unit_uscc') }} as property_unit_uscc,
    in_date,
    out_date,
    {{ beijing_time('updated_at') }} as updated_at,
    {{ lineage_columns() }}
from {{ source('construction', 'construction__device') }}
{{ latest_per_key('device_sn', 'updated_at desc') }}
