//! keel-check: health-check scheduling and real-server state, without I/O.
#![warn(missing_docs)]
