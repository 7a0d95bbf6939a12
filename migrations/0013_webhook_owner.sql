-- The sender that holds a delivery. One sender at a time holds an endpoint's deliveries, so it
-- can claim the next ones while the current ones are in flight and still keep the endpoint's
-- concurrency limit across every process.
alter table webhook_deliveries add column locked_by uuid;
