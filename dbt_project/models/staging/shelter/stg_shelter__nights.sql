{#- Logs the persons whose nights change, for fct_service_use (macros/person_changes.sql). #}
{{ config(
    materialized='incremental',
    unique_key='night_ref',
    incremental_strategy='insert_new',
    unlogged=True,
    meta={'raw_source': ['shelter', 'shelter_nights'], 'logs_person_changes': ['night_date', 'night_date']},
    on_schema_change='sync_all_columns',
    pre_hook=[
        "{{ hold_source_still() }}",
        "{{ remove_departed_rows() }}",
    ],
    indexes=keyed_indexes('night_ref'),
) }}

with source as (
    {{ rows_since_last_build('shelter', 'shelter_nights') }}
),

staged as (
    select
        record_ref as night_ref,
        person_key,
        row_version,
        birth_year,
        night_date,
        shelter,
        place_type
    from source
)

select * from staged
