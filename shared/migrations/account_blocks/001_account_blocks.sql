-- Which accounts are disabled, as this service knows it (shared/account_blocks.py).
-- The units service writes it in the transaction that disables or enables an
-- account; the others from units.account.* events. One row per account heard
-- of, with the account's version, so a late event never undoes a newer one.
-- Every write of it sends NOTIFY account_blocks, and each process reloads the
-- disabled ids it keeps in memory to refuse their tokens.
CREATE TABLE account_blocks (
    account_id  uuid PRIMARY KEY,
    disabled    boolean NOT NULL,
    version     int NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX account_blocks_disabled ON account_blocks (account_id) WHERE disabled;
