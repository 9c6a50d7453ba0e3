with source as (
    {{ core_latest('dp_indi_txn', ['txn_no']) }}
),

renamed as (
    {{ personal_transactions_renamed('source') }}
)

select * from renamed
