-- One row per mention of an enterprise in any source: (dataset, record_id, role). What the entity
-- resolution (entity_resolution.enterprises, Dagster asset intermediate/enterprise_resolution) reads.
with mentions as (
    select
        'hazchem' as source_system, 'hazchem.enterprise' as dataset, enterprise_code as record_id,
        'enterprise' as role, enterprise_name as name, uscc as identifier, town, address,
        principal_name, principal_phone, updated_at as seen_at, source_file, source_record_number
    from {{ ref('stg_hazchem__enterprises') }}
    union all
    select
        'hazchem', 'hazchem.waybill', waybill_no, 'shipper', shipper_name, shipper_uscc, null, null,
        null, null, updated_at, source_file, source_record_number
    from {{ ref('stg_hazchem__waybills') }}
    union all
    select
        'hazchem', 'hazchem.waybill', waybill_no, 'carrier', carrier_name, carrier_uscc, null, null,
        null, null, updated_at, source_file, source_record_number
    from {{ ref('stg_hazchem__waybills') }}
    union all
    select
        'transport', 'transport.vehicle', vehicle_id, 'operator', operator_name, operator_uscc, null, null,
        null, null, updated_at, source_file, source_record_number
    from {{ ref('stg_transport__vehicles') }}
    union all
    select
        'construction', 'construction.project', project_code, 'contractor', contractor_name, contractor_uscc,
        null, null, null, null, updated_at, source_file, source_record_number
    from {{ ref('stg_construction__projects') }}
    union all
    select
        'construction', 'construction.project', project_code, 'owner', owner_name, owner_uscc,
        null, null, null, null, updated_at, source_file, source_record_number
    from {{ ref('stg_construction__projects') }}
    union all
    select
        'construction', 'construction.device', device_sn, 'property_unit', property_unit_name,
        property_unit_uscc, null, null, null, null, updated_at, source_file, source_record_number
    from {{ ref('stg_construction__devices') }}
    union all
    select
        'special_equipment', 'special_equipment.equipment', reg_code, 'use_unit', use_unit_name, use_unit_uscc,
        town, null, null, null, cast(loaded_at as timestamp), source_file, source_record_number
    from {{ ref('stg_special_equipment__equipment') }}
    union all
    select
        'credit', 'credit.dishonest_entry', entry_id, 'subject', subject_name, subject_code, null, null,
        null, null, updated_at, source_file, source_record_number
    from {{ ref('stg_credit__dishonest_entries') }}
    where is_organisation
),

classified as (
    -- identifiers arrive normalised (validation); each is classified once
    select *, sdc_identifier_kind(identifier) as identifier_kind
    from mentions
)

select
    dataset || '|' || record_id || '|' || role as mention_id,
    source_system,
    dataset,
    record_id,
    role,
    name,
    identifier,
    identifier_kind,
    case when identifier_kind = 'uscc' then identifier end as uscc,
    sdc_org_code(identifier) as org_code,
    case when identifier_kind = 'reg_no15' then identifier end as reg_no15,
    sdc_name_key(name) as name_key,
    sdc_name_core(name) as name_core,
    case when name is not null then sdc_is_branch_name(name) end as is_branch,  -- no name: unknown, constrains no merge
    town,
    address,
    principal_name,
    principal_phone,
    seen_at,
    source_file,
    source_record_number
from classified
where name is not null or identifier is not null
