-- 企业主数据 (golden record): one row per resolved enterprise, each attribute chosen by source priority
-- (A enterprise master > D registry > B platform > C construction > A waybill > E list), then recency.
with ranked as (
    select
        x.*,
        case x.dataset
            when 'hazchem.enterprise' then 1
            when 'special_equipment.equipment' then 2
            when 'transport.vehicle' then 3
            when 'construction.project' then 4
            when 'construction.device' then 4
            when 'hazchem.waybill' then 5
            else 6
        end as source_priority
    from {{ ref('enterprise_xref') }} as x
),

pick as (
    select
        enterprise_id,
        arg_min(reported_name, (source_priority, length(reported_name) < 6, - epoch(coalesce(seen_at, timestamp '1970-01-01'))))
            filter (where reported_name is not null) as name,
        min(reported_identifier) filter (where identifier_kind = 'uscc') as uscc,
        count(distinct reported_identifier) filter (where identifier_kind = 'uscc') as uscc_count,
        min(reported_identifier) filter (where identifier_kind = 'org_code') as org_code_reported,
        min(reported_identifier) filter (where identifier_kind = 'reg_no15') as reg_no15,
        arg_min(reported_town, (source_priority, - epoch(coalesce(seen_at, timestamp '1970-01-01'))))
            filter (where reported_town is not null) as town,
        arg_min(reported_address, (source_priority, - epoch(coalesce(seen_at, timestamp '1970-01-01'))))
            filter (where reported_address is not null) as address,
        bool_or(is_branch) as is_branch,
        list(distinct reported_name order by reported_name) filter (where reported_name is not null) as names_seen,
        list(distinct source_system order by source_system) as reporting_systems,
        count(*) as mention_count,
        min(match_probability) as weakest_match_probability
    from ranked
    group by enterprise_id
)

select
    enterprise_id,
    name,
    uscc,
    coalesce(substr(uscc, 9, 9), org_code_reported) as org_code,
    reg_no15,
    town,
    address,
    is_branch,
    names_seen,
    reporting_systems,
    mention_count,
    weakest_match_probability
from pick
