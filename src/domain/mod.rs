//! Pure domain types: handles, roles, job states and fault codes. No I/O.

pub mod fault;
pub mod handles;
pub mod job;
pub mod names;
pub mod retry;
pub mod role;
pub mod schedule;

pub use fault::{Fault, FaultClass, FaultKind};
pub use handles::{AssetHandle, BatchHandle, CompanyHandle, FolderPath, JobHandle};
pub use job::JobState;
pub use role::Role;
