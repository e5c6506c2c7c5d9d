{# The town whose centre (seed `towns`) is nearest a WGS-84 position: where a geolocated event (an alarm) happened. #}
{% macro nearest_town(longitude, latitude) -%}
    (
        select arg_min(t.town, (t.centre_longitude - {{ longitude }}) ^ 2 + (t.centre_latitude - {{ latitude }}) ^ 2)
        from {{ ref('towns') }} as t
    )
{%- endmacro %}
