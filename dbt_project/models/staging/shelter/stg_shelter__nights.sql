{{ config(
    materialized='incremental',
    unique_key='night_ref',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    pre_hook="{{ analyze_batch_ids('shelter', 'shelter_nights') }}",
    indexes=[{'columns': ['night_ref'], 'unique': True}, {'columns': ['person_key']}],
    post_hook=[
        "{{ delete_rows_gone('shelter', 'shelter_nights', 'night_ref') }}",
        "{{ require_not_null(['night_ref', 'person_key', 'night_date']) }}",
    ]
) }}

with source as (
    {{ latest_batch_rows('shelter', 'shelter_nights') }}
),

staged as (
    select
        record_ref as night_ref,
        person_key,
        birth_year,
        night_date,
        shelter,
        place_type
    from source
)

{{ changed_rows('staged', 'night_ref') }}
