//! Errors of keel-check: configurations the checker cannot run.

/// A configuration keel-check refuses. keel-conf reports most mistakes with spans first;
/// these are the ones the scheduling and the load-balancer model depend on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// `virtual_server group NAME` names no `virtual_server_group`.
    #[error("virtual server group {0} is not defined")]
    UnknownGroup(String),
    /// A group range whose ends differ in family or run backwards.
    #[error("virtual server group {group}: invalid address range")]
    InvalidRange {
        /// Group name.
        group: String,
    },
    /// A group range of more than 65,536 addresses (keel expands ranges into services).
    #[error("virtual server group {group}: address range too large")]
    RangeTooLarge {
        /// Group name.
        group: String,
    },
    /// `delay_loop` or `delay_before_retry` of zero would probe in a busy loop.
    #[error("virtual server {virtual_server}: delay_loop and delay_before_retry must be positive")]
    ZeroDelay {
        /// The virtual server, as keepalived prints it.
        virtual_server: String,
    },
    /// Two virtual servers program the same kernel service.
    #[error("service {0} is configured twice")]
    DuplicateService(String),
}
