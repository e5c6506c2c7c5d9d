-- One row per list entry: its latest version (gxsj). The full history is in history/dishonest_entry_history.
select
    entry_id,
    {{ clean_name('subject_name') }} as subject_name,
    subject_type,
    subject_type = '法人及非法人组织' as is_organisation,
    {{ clean_identifier('subject_code') }} as subject_code,
    situation_code,
    reason,
    deciding_department,
    listed_on,
    management_ends_on,
    status,
    removed_on,
    updated_at,
    {{ lineage_columns() }}
from {{ source('credit', 'credit__dishonest_entry') }}
{{ latest_per_key('entry_id', 'updated_at desc') }}
