-- Every version of every list entry (one per entry and gxsj; one delivered twice: the later load), cleaned
-- once for staging (the latest version) and history (all of them).
select
    entry_id,
    {{ clean_name('subject_name') }} as subject_name,
    subject_type,
    subject_type = '法人及非法人组织' as is_organisation,
    subject_code,
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
{{ latest_per_key('entry_id, updated_at', 'updated_at desc') }}
