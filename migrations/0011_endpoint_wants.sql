-- Whether an endpoint receives events of type `event`. The fan-out, the check before an event is
-- written, and the worker's one-statement success all ask it, and they must agree or an event
-- goes missing; a single SQL expression, so the planner inlines it.
create function endpoint_wants(e webhook_endpoints, event text) returns boolean
    language sql immutable parallel safe
    as $$ select e.kind = 'endpoint' and e.state = 'enabled' and (e.events = '{}' or event = any(e.events)) $$;
