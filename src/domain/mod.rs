//! Pure domain types: handles, roles, job, asset and webhook states, job failures and fault
//! codes. No I/O.

#[macro_use]
mod named;

pub mod asset;
pub mod failure;
pub mod fault;
pub mod handles;
pub mod job;
pub mod names;
pub mod retry;
pub mod role;
pub mod schedule;
pub mod webhook;

pub use asset::{AssetState, TrashState};
pub use failure::JobFailure;
pub use fault::{Fault, FaultClass, FaultKind};
pub use handles::{
    AssetHandle, AssetRef, BatchHandle, CompanyHandle, FolderPath, ImportJobHandle, JobHandle,
    UploadJobHandle,
};
pub use job::{JobKind, JobState};
pub use role::Role;
pub use webhook::{DeliveryState, DeliveryTrigger, EndpointKind, EndpointState};
