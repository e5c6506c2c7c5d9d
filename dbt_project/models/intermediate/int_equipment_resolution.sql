-- Which physical machine each equipment mention is about (domain_dictionary §8.3, INTERFACES "How the
-- five connect"):
--   registry (D): 设备代码 is life-long, so a re-registered device listed twice is one machine (a row
--   without one: the code of the installation with its 使用登记证编号, else its own 注册代码);
--   an inspection report: its 注册代码 -> the ledger row;
--   a construction device (C): its 设备代码, else its 使用登记证编号 found in the registry, else any other
--   installation of the same manufacturer + 出厂编号 (a crane moving between projects) that has one,
--   else manufacturer + 出厂编号 itself;
--   a construction alarm: its deviceSn -> the installation.
-- The machine key is no id (a smaller key joining a group moves it): intermediate/equipment_resolution gives
-- each machine an id carried over from run to run.
-- A ledger row without its 设备代码 (older equipment, or a value lost in a numeric cell) takes the one a
-- construction installation with the same 使用登记证编号 reports, when that is unambiguous.
with codes_by_use_cert as (
    select use_cert_no, min(equipment_code) as equipment_code
    from {{ ref('int_equipment_mentions') }}
    where dataset = 'construction.device' and use_cert_no is not null and equipment_code is not null
    group by use_cert_no
    having count(distinct equipment_code) = 1
),

registry as (
    select e.reg_code, e.use_cert_no, 'EC:' || coalesce(e.equipment_code, c.equipment_code, e.reg_code) as machine_key
    from {{ ref('stg_special_equipment__equipment') }} as e
    left join codes_by_use_cert as c using (use_cert_no)
),

by_use_cert as (
    select use_cert_no, min(machine_key) as machine_key
    from registry
    where use_cert_no is not null
    group by use_cert_no
),

devices as (
    select
        d.device_sn,
        d.manufacturer_key,
        d.factory_no,
        coalesce('EC:' || d.equipment_code, u.machine_key) as direct_key
    from {{ ref('int_equipment_mentions') }} as d
    left join by_use_cert as u on u.use_cert_no = d.use_cert_no
    where d.dataset = 'construction.device'
),

by_machine as (
    select manufacturer_key, factory_no, min(direct_key) as machine_key
    from devices
    where manufacturer_key is not null and factory_no is not null
    group by manufacturer_key, factory_no
),

device_keys as (
    select
        d.device_sn,
        coalesce(
            d.direct_key,
            b.machine_key,
            case when d.manufacturer_key is not null and d.factory_no is not null
                then 'MF:' || d.manufacturer_key || '|' || d.factory_no end,
            'SN:' || d.device_sn
        ) as machine_key,
        case
            when d.direct_key is not null then 'equipment_code_or_use_cert'
            when b.machine_key is not null then 'manufacturer_factory_no'
            else 'construction_only'
        end as match_rule
    from devices as d
    left join by_machine as b using (manufacturer_key, factory_no)
),

resolved as (
    select m.mention_id, r.machine_key, 'equipment_code' as match_rule
    from {{ ref('int_equipment_mentions') }} as m
    join registry as r using (reg_code)
    where m.dataset = 'special_equipment.equipment'
    union all
    select m.mention_id, coalesce(r.machine_key, 'RC:' || m.reg_code), case when r.reg_code is null then 'unregistered_report' else 'reg_code' end
    from {{ ref('int_equipment_mentions') }} as m
    left join registry as r using (reg_code)
    where m.dataset = 'special_equipment.inspection'
    union all
    select m.mention_id, k.machine_key, k.match_rule
    from {{ ref('int_equipment_mentions') }} as m
    join device_keys as k using (device_sn)
    where m.dataset = 'construction.device'
    union all
    select m.mention_id, coalesce(k.machine_key, 'SN:' || m.device_sn), case when k.machine_key is null then 'unknown_device' else 'device_sn' end
    from {{ ref('int_equipment_mentions') }} as m
    left join device_keys as k using (device_sn)
    where m.dataset = 'construction.alarm'
)

select mention_id, machine_key, match_rule
from resolved
