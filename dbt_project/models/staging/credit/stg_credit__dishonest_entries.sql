-- One row per list entry: its latest version (gxsj). All versions: history/dishonest_entry_history.
select *
from {{ ref('base_credit__dishonest_entry_versions') }}
qualify row_number() over (partition by entry_id order by updated_at desc) = 1
