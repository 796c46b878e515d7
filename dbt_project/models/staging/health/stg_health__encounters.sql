{#- Logs the persons whose encounters change, for fct_service_use (macros/person_changes.sql). #}
{{ config(
    materialized='incremental',
    unique_key='encounter_ref',
    incremental_strategy='insert_new',
    unlogged=True,
    meta={'raw_source': ['health', 'health_encounters'], 'logs_person_changes': ['admission_date', 'discharge_date']},
    on_schema_change='sync_all_columns',
    pre_hook=[
        "{{ hold_source_still() }}",
        "{{ remove_departed_rows() }}",
    ],
    indexes=keyed_indexes('encounter_ref'),
) }}

with source as (
    {{ rows_since_last_build('health', 'health_encounters') }}
),

staged as (
    select
        record_ref as encounter_ref,
        person_key,
        row_version,
        birth_year,
        sex,
        encounter_type,
        service,
        admission_date,
        coalesce(discharge_date, admission_date) as discharge_date,
        discharge_mode
    from source
)

select * from staged
