-- One row per 企业编号: the latest version across daily snapshots, corrections and re-sends.
with validated as (
    select * from {{ source('hazchem', 'hazchem__enterprise') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by enterprise_code
            order by updated_at desc, _loaded_at desc, _record_number desc
        ) as version_rank
    from validated
)

select
    enterprise_code,
    {{ clean_text('enterprise_name') }} as enterprise_name,
    {{ clean_identifier('uscc') }} as uscc,
    {{ canonical_town('town') }} as town,
    {{ clean_text('address') }} as address,
    enterprise_types,
    major_hazard_level,
    risk_level,
    standardisation_level,
    employee_count,
    principal_name,
    principal_phone,
    longitude,
    latitude,
    business_status,
    updated_at,
    _source_file as source_file,
    _record_number as source_record_number,
    _loaded_at as loaded_at
from ranked
where version_rank = 1
