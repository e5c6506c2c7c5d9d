-- SCD type 2 of system A's enterprise master (QYXX, a full snapshot every day): one row per version of an
-- enterprise whose attributes changed, valid from its 更新时间 until the next change. Rebuilt from every
-- delivered snapshot in the validated layer, so any past date can be asked about.
with versions as (
    select
        enterprise_code,
        {{ clean_name('enterprise_name') }} as enterprise_name,
        {{ clean_identifier('uscc') }} as uscc,
        {{ canonical_town('town') }} as town,
        {{ clean_text('address') }} as address,
        enterprise_types,
        major_hazard_level,
        risk_level,
        standardisation_level,
        employee_count,
        business_status,
        updated_at,
        _source_file as source_file,
        _record_number as source_record_number,
        md5(concat_ws('|', enterprise_name, uscc, town, address, enterprise_types, major_hazard_level, risk_level,
            standardisation_level, employee_count, business_status)) as version_hash
    from {{ source('hazchem', 'hazchem__enterprise') }}
    qualify row_number() over (
        partition by enterprise_code, updated_at order by _loaded_at desc, _source_file desc, _record_number desc
    ) = 1
),

changes as (
    select *, lag(version_hash) over (partition by enterprise_code order by updated_at) as previous_hash
    from versions
),

kept as (
    select * from changes where previous_hash is null or previous_hash <> version_hash
)

select
    enterprise_code || '@' || strftime(updated_at, '%Y%m%d%H%M%S') as enterprise_version_id,
    enterprise_code,
    enterprise_name,
    uscc,
    town,
    address,
    enterprise_types,
    major_hazard_level,
    risk_level,
    standardisation_level,
    employee_count,
    business_status,
    updated_at as valid_from,
    lead(updated_at) over (partition by enterprise_code order by updated_at) as valid_to,
    lead(updated_at) over (partition by enterprise_code order by updated_at) is null as is_current,
    source_file,
    source_record_number
from kept
