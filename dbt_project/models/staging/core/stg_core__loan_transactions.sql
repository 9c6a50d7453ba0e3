with source as (
    {{ core_latest('ln_txn', ['txn_no']) }}
),

renamed as (
    {{ loan_transactions_renamed('source') }}
)

select * from renamed
