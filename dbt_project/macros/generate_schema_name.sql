{# Models land in the schema named by their folder (staging, intermediate, marts, published), unprefixed. #}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name | trim if custom_schema_name is not none else target.schema }}
{%- endmacro %}
