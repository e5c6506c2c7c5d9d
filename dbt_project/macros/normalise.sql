{# Display text: trimmed, ideographic and repeated spaces collapsed (no NFKC: free text keeps ①, ㎡ ...). #}
{% macro clean_text(column) -%}
    nullif(trim(regexp_replace({{ column }}, '[\s　]+', ' ', 'g')), '')
{%- endmacro %}

{# A name (enterprise, manufacturer, person): NFKC, whitespace collapsed; traditional characters kept for display. #}
{% macro clean_name(column) -%}
    nullif(trim(regexp_replace(sdc_nfkc({{ column }}), '\s+', ' ', 'g')), '')
{%- endmacro %}

{# An instant (TIMESTAMPTZ, system C sends UTC) as Beijing wall-clock time. #}
{% macro beijing_time(column) -%}
    timezone('Asia/Shanghai', {{ column }})
{%- endmacro %}

{# Keep one row per key: the newest version by the given ordering (ties: the later load, file and record). #}
{% macro latest_per_key(key, newest_first) -%}
    qualify row_number() over (
        partition by {{ key }}
        order by {{ newest_first }}, _loaded_at desc, _source_file desc, _record_number desc
    ) = 1
{%- endmacro %}

{# Lineage columns every staging model carries. #}
{% macro lineage_columns() -%}
    _source_system as source_system,
    _source_file as source_file,
    _record_number as source_record_number,
    _loaded_at as loaded_at,
    _warnings as warnings
{%- endmacro %}

{# GCJ-02 (高德/腾讯, used by system C) -> WGS-84, the standard inverse offset (error about 1-2 m). #}
{% macro gcj02_to_wgs84_lng(lng, lat) -%}
    ({{ lng }} - ({{ _gcj_offset(lng, lat) }}).lng_offset)
{%- endmacro %}
{% macro gcj02_to_wgs84_lat(lng, lat) -%}
    ({{ lat }} - ({{ _gcj_offset(lng, lat) }}).lat_offset)
{%- endmacro %}
{% macro _gcj_offset(lng, lat) -%}
    {%- set x = '(' ~ lng ~ ' - 105.0)' -%}
    {%- set y = '(' ~ lat ~ ' - 35.0)' -%}
    {%- set dlat = '(-100.0 + 2.0*' ~ x ~ ' + 3.0*' ~ y ~ ' + 0.2*' ~ y ~ '*' ~ y ~ ' + 0.1*' ~ x ~ '*' ~ y ~ ' + 0.2*sqrt(abs(' ~ x ~ '))'
        ~ ' + (20.0*sin(6.0*' ~ x ~ '*pi()) + 20.0*sin(2.0*' ~ x ~ '*pi()))*2.0/3.0'
        ~ ' + (20.0*sin(' ~ y ~ '*pi()) + 40.0*sin(' ~ y ~ '/3.0*pi()))*2.0/3.0'
        ~ ' + (160.0*sin(' ~ y ~ '/12.0*pi()) + 320*sin(' ~ y ~ '*pi()/30.0))*2.0/3.0)' -%}
    {%- set dlng = '(300.0 + ' ~ x ~ ' + 2.0*' ~ y ~ ' + 0.1*' ~ x ~ '*' ~ x ~ ' + 0.1*' ~ x ~ '*' ~ y ~ ' + 0.1*sqrt(abs(' ~ x ~ '))'
        ~ ' + (20.0*sin(6.0*' ~ x ~ '*pi()) + 20.0*sin(2.0*' ~ x ~ '*pi()))*2.0/3.0'
        ~ ' + (20.0*sin(' ~ x ~ '*pi()) + 40.0*sin(' ~ x ~ '/3.0*pi()))*2.0/3.0'
        ~ ' + (150.0*sin(' ~ x ~ '/12.0*pi()) + 300.0*sin(' ~ x ~ '/30.0*pi()))*2.0/3.0)' -%}
    {%- set radlat = '(' ~ lat ~ '/180.0*pi())' -%}
    {%- set magic = '(1 - 0.00669342162296594323*sin(' ~ radlat ~ ')*sin(' ~ radlat ~ '))' -%}
    {
        'lat_offset': ({{ dlat }} * 180.0) / ((6378245.0 * (1 - 0.00669342162296594323)) / ({{ magic }} * sqrt({{ magic }})) * pi()),
        'lng_offset': ({{ dlng }} * 180.0) / (6378245.0 / sqrt({{ magic }}) * cos({{ radlat }}) * pi())
    }
{%- endmacro %}
