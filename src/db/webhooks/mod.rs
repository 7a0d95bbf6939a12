//! Webhook endpoints, secrets, messages, deliveries and the attempt log, one file each.
//!
//! The submodules are private: callers use the flat `db::webhooks::` paths re-exported here.

mod attempts;
mod deliveries;
mod endpoints;
mod messages;
mod secrets;

pub use attempts::{AttemptLogRow, AttemptRecord, insert_attempt, list_attempts};
pub use deliveries::{
    Claimed, Delivered, Resend, claim, fan_out, finish_delivered, finish_failed, insert_callback_delivery,
    insert_delivery, next_due_in, recover, resend,
};
pub use endpoints::{
    EndpointRow, NewEndpoint, any_wants, callback_endpoint, delete_endpoint, endpoint_failed, find_endpoint,
    insert_endpoint, list_endpoints, set_enabled, update_endpoint,
};
pub use messages::{MessageLogRow, NOTIFY_CHANNEL, insert_message, list_messages, notify, prune};
pub use secrets::rotate_secret;
