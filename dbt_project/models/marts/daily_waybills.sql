-- 危货运单日统计 (dashboards): waybills by Beijing day of departure and status.
select
    -- a departure time or status that could not be read is a group of its own ('?')
    coalesce(cast(cast(departed_at as date) as varchar), '?') || '|' || coalesce(status, '?') as daily_waybill_id,
    cast(departed_at as date) as departure_date,
    status,
    count(*) as waybills,
    sum(quantity_t) as quantity_t,
    count(distinct tractor_plate) as vehicles
from {{ ref('stg_hazchem__waybills') }}
group by all
