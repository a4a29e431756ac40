//! keel-lb: the desired load-balancer model and the diff that turns it into operations.
#![warn(missing_docs)]
