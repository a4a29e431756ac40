//! The load-balancer side: `virtual_server_group`, `virtual_server`, `real_server`,
//! checkers and `SSL` (spec §2.7). Filled in by the LVS parser.

use serde::Serialize;

/// Everything of the configuration that drives the load balancer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Lvs {}
