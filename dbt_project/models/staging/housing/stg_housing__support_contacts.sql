{#- Logs the persons whose contacts change, for fct_peer_support_quarters (macros/person_changes.sql). #}
{{ config(
    materialized='incremental',
    unique_key='contact_ref',
    incremental_strategy='insert_new',
    unlogged=True,
    meta={'raw_source': ['housing', 'housing_support_contacts'], 'logs_person_changes': ['contact_date', 'contact_date']},
    on_schema_change='sync_all_columns',
    pre_hook=[
        "{{ hold_source_still() }}",
        "{{ remove_departed_rows() }}",
    ],
    indexes=keyed_indexes('contact_ref'),
) }}

with source as (
    {{ rows_since_last_build('housing', 'housing_support_contacts') }}
),

staged as (
    select
        record_ref as contact_ref,
        person_key,
        row_version,
        contact_date,
        duration_minutes,
        contact_kind
    from source
)

select * from staged
