-- One row per mention of a piece of special equipment: the registry's ledger rows and inspection reports
-- (D), the construction feed's crane/hoist installations and their alarms (C), with the identifiers
-- each carries. Resolution (int_equipment_resolution) links them.
select
    'special_equipment.equipment|' || reg_code || '|equipment' as mention_id,
    'special_equipment' as source_system, 'special_equipment.equipment' as dataset, reg_code as record_id,
    'equipment' as role, equipment_code, reg_code, use_cert_no, null as device_sn,
    null as manufacturer_key, null as factory_no, source_file, source_record_number
from {{ ref('stg_special_equipment__equipment') }}
union all
select
    'special_equipment.inspection|' || report_no || '|equipment', 'special_equipment', 'special_equipment.inspection',
    report_no, 'equipment', null, reg_code, null, null, null, null, source_file, source_record_number
from {{ ref('stg_special_equipment__inspections') }}
union all
select
    'construction.device|' || device_sn || '|device', 'construction', 'construction.device', device_sn, 'device',
    equipment_code, null, use_reg_no, device_sn, sdc_name_key(manufacturer), factory_no,
    source_file, source_record_number
from {{ ref('stg_construction__devices') }}
union all
select
    'construction.alarm|' || alarm_id || '|device', 'construction', 'construction.alarm', alarm_id, 'device',
    null, null, null, device_sn, null, null, source_file, source_record_number
from {{ ref('stg_construction__alarms') }}
