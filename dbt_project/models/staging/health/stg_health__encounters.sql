{{ config(
    materialized='incremental',
    unique_key='encounter_ref',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    pre_hook="{{ analyze_batch_ids('health', 'health_encounters') }}",
    indexes=[{'columns': ['encounter_ref'], 'unique': True}, {'columns': ['person_key']}],
    post_hook=[
        "{{ delete_rows_gone('health', 'health_encounters', 'encounter_ref') }}",
        "{{ require_not_null(['encounter_ref', 'person_key']) }}",
    ]
) }}

with source as (
    {{ latest_batch_rows('health', 'health_encounters') }}
),

staged as (
    select
        record_ref as encounter_ref,
        person_key,
        birth_year,
        sex,
        encounter_type,
        service,
        admission_date,
        coalesce(discharge_date, admission_date) as discharge_date
    from source
)

{{ changed_rows('staged', 'encounter_ref') }}
