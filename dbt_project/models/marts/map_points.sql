-- 一张图: every geolocated object in one coordinate system (WGS-84): hazchem enterprises (A, WGS-84),
-- construction projects (C sends GCJ-02: converted), open 两客一危 alarms (B, WGS-84), and the cranes and hoists
-- installed on a project (C reports no position of its own for a device: the project's).
select
    'enterprise:' || enterprise_id as map_point_id, 'enterprise' as layer, enterprise_id as entity_id, name as label,
    town, longitude, latitude
from {{ ref('enterprise_profile') }}
where longitude is not null and latitude is not null
union all
select
    'project:' || p.project_code, 'construction_project', p.project_code, p.project_name, p.town,
    {{ gcj02_to_wgs84_lng('p.longitude', 'p.latitude') }},
    {{ gcj02_to_wgs84_lat('p.longitude', 'p.latitude') }}
from {{ ref('stg_construction__projects') }} as p
where p.longitude is not null and p.latitude is not null
union all
select
    'vehicle_alarm:' || alarm_id, 'vehicle_alarm', alarm_id, plate || ' ' || alarm_name, null, longitude, latitude
from {{ ref('stg_transport__alarms') }}
where ended_at is null and longitude is not null and latitude is not null
union all
select
    'crane:' || d.device_sn, 'crane', d.device_sn,
    case d.device_type when 'TOWER_CRANE' then '塔吊' when 'HOIST' then '施工升降机' else '起重设备' end
        || ' ' || coalesce(d.use_reg_no, d.factory_no, d.device_sn) || ' @ ' || p.project_name,
    p.town,
    {{ gcj02_to_wgs84_lng('p.longitude', 'p.latitude') }},
    {{ gcj02_to_wgs84_lat('p.longitude', 'p.latitude') }}
from {{ ref('stg_construction__devices') }} as d
join {{ ref('stg_construction__projects') }} as p using (project_code)
where d.out_date is null and p.longitude is not null and p.latitude is not null
