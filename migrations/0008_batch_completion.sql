-- Set once, by the transaction that finalizes a batch's last job; it also writes the
-- batch.completed webhook event.
alter table batches add column completed_at timestamptz;
