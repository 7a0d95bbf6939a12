//! Webhook endpoints and deliveries: their kinds, states and what triggered an attempt.

named_enum! {
    /// A client-registered endpoint, or the company's one endpoint that signs deliveries to
    /// per-request callback URLs.
    pub enum EndpointKind("endpoint kind") {
        Endpoint = "endpoint",
        Callback = "callback",
    }
}

named_enum! {
    /// Whether an endpoint receives deliveries.
    pub enum EndpointState("endpoint state") {
        Enabled = "enabled",
        Disabled = "disabled",
    }
}

named_enum! {
    /// Where one message's delivery to one endpoint is. `Succeeded` and `Failed` are final until
    /// a resend or a recovery queues it again.
    pub enum DeliveryState("delivery state") {
        Pending = "pending",
        Sending = "sending",
        Succeeded = "succeeded",
        Failed = "failed",
    }
}

named_enum! {
    /// What queued a delivery attempt: the retry schedule, a resend, or a recovery.
    pub enum DeliveryTrigger("delivery trigger") {
        Scheduled = "scheduled",
        Manual = "manual",
        Recovery = "recovery",
    }
}

impl DeliveryState {
    /// Whether the delivery is still being attempted.
    pub fn in_progress(self) -> bool {
        matches!(self, DeliveryState::Pending | DeliveryState::Sending)
    }
}
