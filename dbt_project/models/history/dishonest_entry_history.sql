-- SCD type 2 of the dishonest-subject list (system E): one row per version of an entry, from every version
-- the validated layer has kept (the list API only ever shows the current state; the lake is append-only,
-- so this history can be rebuilt at any time and never depends on when dbt happened to run).
-- valid_from / valid_to: when this version was current in system E (gxsj). listed_from / listed_until:
-- the business interval the entry puts its subject on the list ([lrrq, ycrq or yxqz)).
with versions as (
    select
        *,
        md5(concat_ws('|', subject_name, subject_code, situation_code, listed_on, management_ends_on, status, removed_on))
            as version_hash
    from {{ ref('base_credit__dishonest_entry_versions') }}
),

changes as (
    select *, lag(version_hash) over (partition by entry_id order by updated_at) as previous_hash
    from versions
)

select
    entry_id || '@' || strftime(updated_at, '%Y%m%d%H%M%S') as entry_version_id,
    entry_id,
    subject_name,
    subject_type,
    subject_code,
    situation_code,
    deciding_department,
    listed_on,
    management_ends_on,
    status,
    removed_on,
    -- a 列入日期 that could not be read (kept NULL, flagged): on the list at least since system E first showed it
    coalesce(listed_on, cast(min(updated_at) over (partition by entry_id) as date)) as listed_from,
    listed_on is null as listed_from_inferred,
    case when status = '已移出' then coalesce(removed_on, cast(updated_at as date)) else management_ends_on end
        as listed_until,
    updated_at as valid_from,
    lead(updated_at) over (partition by entry_id order by updated_at) as valid_to,
    lead(updated_at) over (partition by entry_id order by updated_at) is null as is_current,
    source_file,
    source_record_number
from changes
where previous_hash is null or previous_hash <> version_hash
