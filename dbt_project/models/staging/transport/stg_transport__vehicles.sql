-- One row per vehicle of the 两客一危 platform (clid): the version with the latest gxsj.
select *
from {{ ref('base_transport__vehicle_versions') }}
qualify row_number() over (partition by vehicle_id order by updated_at desc) = 1
