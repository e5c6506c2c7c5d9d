-- One row per crane/hoist alarm; a re-sent alarm with its recovery time wins over the open one.
select
    alarm_id,
    device_sn,
    alarm_code,
    case alarm_code
        when '1' then '起重量' when '3' then '幅度向内' when '5' then '幅度向外' when '7' then '高度向上'
        when '9' then '力矩' when '11' then '单机防碰撞' when '13' then '多机防碰撞' when '15' then '风速'
        when '16' then '倾角' when '21' then '超载' when '22' then '超速' when '23' then '门限位'
    end as alarm_name,
    level,
    value,
    threshold,
    {{ beijing_time('occurred_at') }} as occurred_at,
    {{ beijing_time('recovered_at') }} as recovered_at,
    {{ lineage_columns() }}
from {{ source('construction', 'construction__alarm') }}
{{ latest_per_key('alarm_id', 'recovered_at desc nulls last') }}
