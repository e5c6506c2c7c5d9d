-- One row per project: the latest updatedAt wins. System C sends UTC instants: shown here in Beijing time.
select
    project_code,
    {{ clean_name('project_name') }} as project_name,
    permit_no,
    town,
    {{ clean_text('address') }} as address,
    longitude,
    latitude,
    status,
    status = '在建' as is_active,
    {{ clean_name('contractor_name') }} as contractor_name,
    contractor_uscc,
    {{ clean_name('owner_name') }} as owner_name,
    owner_uscc,
    start_date,
    planned_end_date,
    {{ beijing_time('updated_at') }} as updated_at,
    {{ lineage_columns() }}
from {{ source('construction', 'construction__project') }}
{{ latest_per_key('project_code', 'updated_at desc') }}
