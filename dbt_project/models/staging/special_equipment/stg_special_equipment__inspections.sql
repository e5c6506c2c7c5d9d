-- One row per inspection report (报告编号), from the newest ledger that lists it.
select
    report_no,
    reg_code,
    inspection_kind,
    inspection_date,
    conclusion,
    next_inspection_date,
    {{ clean_name('inspection_body') }} as inspection_body,
    {{ lineage_columns() }}
from {{ source('special_equipment', 'special_equipment__inspection') }}
{{ latest_per_key('report_no', '_source_file desc') }}
