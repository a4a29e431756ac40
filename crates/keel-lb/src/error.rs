//! Errors of keel-lb: an operation that does not fit the state it is applied to.

use crate::model::{DestKey, ServiceKey};

/// An [`crate::Op`] that cannot be applied to a [`crate::Desired`] as it stands.
///
/// A backend that mirrors the kernel in a `Desired` uses this to notice drift (someone ran
/// `ipvsadm -C` behind our back); the diff itself never produces an op that fails on the
/// state it was computed from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    /// `AddService` for a service that already exists.
    #[error("service {0} already exists")]
    ServiceExists(ServiceKey),
    /// An edit, delete or destination op for a service that does not exist.
    #[error("service {0} does not exist")]
    NoSuchService(ServiceKey),
    /// `DelService` while destinations remain (the diff deletes them first).
    #[error("service {0} still has destinations")]
    ServiceNotEmpty(ServiceKey),
    /// `AddDest` for a destination that already exists.
    #[error("destination {dest} already exists in service {service}")]
    DestinationExists {
        /// The service.
        service: ServiceKey,
        /// The destination.
        dest: DestKey,
    },
    /// `EditDest` or `DelDest` for a destination that does not exist.
    #[error("destination {dest} does not exist in service {service}")]
    NoSuchDestination {
        /// The service.
        service: ServiceKey,
        /// The destination.
        dest: DestKey,
    },
}
