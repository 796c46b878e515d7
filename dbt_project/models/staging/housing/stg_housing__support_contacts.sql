{{ config(
    materialized='incremental',
    unique_key='contact_ref',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    pre_hook="{{ analyze_batch_ids('housing', 'housing_support_contacts') }}",
    indexes=[{'columns': ['contact_ref'], 'unique': True}, {'columns': ['person_key']}],
    post_hook=[
        "{{ delete_rows_gone('housing', 'housing_support_contacts', 'contact_ref') }}",
        "{{ require_not_null(['contact_ref', 'person_key']) }}",
    ]
) }}

with source as (
    {{ latest_batch_rows('housing', 'housing_support_contacts') }}
),

staged as (
    select
        record_ref as contact_ref,
        person_key,
        contact_date,
        duration_minutes,
        contact_kind
    from source
)

{{ changed_rows('staged', 'contact_ref') }}
