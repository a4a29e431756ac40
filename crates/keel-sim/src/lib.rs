//! keel-sim: a deterministic multi-router VRRP simulator with virtual time.
