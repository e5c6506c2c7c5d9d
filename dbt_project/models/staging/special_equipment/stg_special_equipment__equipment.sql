-- One row per registration (注册代码) in the newest weekly ledger that lists it. A re-registered device
-- is listed twice (old and new registration); entity resolution joins them by 设备代码.
select
    reg_code,
    equipment_code,
    use_cert_no,
    equipment_kind,
    equipment_variety,
    {{ clean_name('use_unit_name') }} as use_unit_name,
    use_unit_uscc,
    {{ clean_text('location') }} as location,
    town,
    {{ clean_name('internal_no') }} as internal_no,
    last_inspection_date,
    inspection_conclusion,
    next_inspection_date,
    -- the due date to judge "overdue" by: not one earlier than the row's own last inspection (flagged
    -- end_before_start and kept as delivered; one of the two dates is wrong, so the due date is unknown)
    case when not list_contains(_warnings, 'end_before_start:next_inspection_date') then next_inspection_date end
        as inspection_due_on,
    status,
    equipment_kind in ('4000') as is_lifting_machinery,
    {{ lineage_columns() }}
from {{ source('special_equipment', 'special_equipment__equipment') }}
-- ledger files are named 特种设备台账_YYYYMMDD.xlsx: the newest file name is the newest snapshot
{{ latest_per_key('reg_code', '_source_file desc') }}
