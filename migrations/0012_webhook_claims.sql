-- Claims of due webhook deliveries read per endpoint: each endpoint's next due deliveries in
-- order, and how many it has in flight, without scanning every endpoint's backlog.
create index webhook_deliveries_endpoint_due on webhook_deliveries (endpoint_id, next_attempt_at, delivery_id)
    where state in ('pending', 'sending');
create index webhook_deliveries_endpoint_sending on webhook_deliveries (endpoint_id) where state = 'sending';
