{# Identifier as compared across departments: upper case, no spaces / hyphens / ideographic spaces. #}
{% macro clean_identifier(column) -%}
    nullif(upper(regexp_replace({{ column }}, '[\s　\-－]', '', 'g')), '')
{%- endmacro %}

{# Display text: trimmed, ideographic and repeated spaces collapsed. #}
{% macro clean_text(column) -%}
    nullif(trim(regexp_replace({{ column }}, '[\s　]+', ' ', 'g')), '')
{%- endmacro %}

{# Town name or department alias -> canonical town (domain_dictionary §2.10). #}
{% macro canonical_town(column) -%}
    case trim({{ column }})
        when '港区' then '太仓港经济技术开发区'
        when '新区' then '高新区'
        when '城厢' then '城厢镇'
        else trim({{ column }})
    end
{%- endmacro %}
