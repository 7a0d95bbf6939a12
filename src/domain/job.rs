//! The job state machine, shared by copies and imports.

named_enum! {
    /// Where a copy job is. `Succeeded`, `Failed` and `Cancelled` are final.
    pub enum JobState("job state") {
        Queued = "queued",
        Running = "running",
        Succeeded = "succeeded",
        Failed = "failed",
        Cancelled = "cancelled",
    }
}

named_enum! {
    /// What a job makes: a copy rendered from an asset, or a master fetched from a URL.
    pub enum JobKind("job kind") {
        Copy = "copy",
        Import = "import",
    }
}

impl JobState {
    pub fn is_final(self) -> bool {
        matches!(self, JobState::Succeeded | JobState::Failed | JobState::Cancelled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_reads_back_from_its_name() {
        for &state in JobState::ALL {
            assert_eq!(state.as_str().parse::<JobState>(), Ok(state));
        }
        assert_eq!("done".parse::<JobState>(), Err("unknown job state \"done\"".to_string()));
    }
}
