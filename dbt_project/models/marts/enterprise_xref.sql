-- 企业交叉引用: every mention of an enterprise in any source and the enterprise it resolved to, with the
-- rule that decided it — the audit trail of the enterprise resolution.
select
    m.mention_id,
    r.enterprise_id,
    m.source_system,
    m.dataset,
    m.record_id,
    m.role,
    m.name as reported_name,
    m.identifier as reported_identifier,
    m.identifier_kind,
    m.name_key,
    m.is_branch,
    m.town as reported_town,
    m.address as reported_address,
    r.match_rule,
    r.match_probability,
    m.seen_at,
    m.source_file,
    m.source_record_number
from {{ ref('int_enterprise_mentions') }} as m
join {{ source('resolution', 'enterprise_mention_map') }} as r using (mention_id)
