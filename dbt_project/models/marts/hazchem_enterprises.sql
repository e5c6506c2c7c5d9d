-- 危化企业名录: every enterprise system A currently reports, for analysts and dashboards.
select
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
    principal_name,
    principal_phone,
    longitude,
    latitude,
    business_status,
    business_status in ('在业', '停产', '停业整顿') as is_operating,
    updated_at
from {{ ref('stg_hazchem__enterprises') }}
