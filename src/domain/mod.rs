//! Pure domain types: handles, roles, job states, job failures and fault codes. No I/O.

pub mod failure;
pub mod fault;
pub mod handles;
pub mod job;
pub mod names;
pub mod retry;
pub mod role;
pub mod schedule;

pub use failure::JobFailure;
pub use fault::{Fault, FaultClass, FaultKind};
pub use handles::{AssetHandle, BatchHandle, CompanyHandle, FolderPath, JobHandle};
pub use job::JobState;
pub use role::Role;
