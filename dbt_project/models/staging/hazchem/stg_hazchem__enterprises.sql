-- One row per 企业编号: the latest version across daily snapshots, corrections and re-sends.
select
    enterprise_code,
    {{ clean_name('enterprise_name') }} as enterprise_name,
    uscc,
    town,
    {{ clean_text('address') }} as address,
    enterprise_types,
    major_hazard_level,
    risk_level,
    standardisation_level,
    employee_count,
    {{ clean_name('principal_name') }} as principal_name,
    principal_phone,
    longitude,
    latitude,
    business_status,
    updated_at,
    {{ lineage_columns() }}
from {{ source('hazchem', 'hazchem__enterprise') }}
{{ latest_per_key('enterprise_code', 'updated_at desc') }}
