//! Root-level LVS blocks (spec §2.7): `virtual_server_group`, `virtual_server`, `SSL`.
//!
//! The LVS parser replaces these handlers. Until then each block is accepted as a whole:
//! its statements are not dispatched (so none is reported as unknown), and the keyword is
//! listed in [`crate::model::Config::not_supported`].

use crate::model::Config;
use crate::tree::Node;

use super::Ctx;

/// `virtual_server_group NAME { ... }`.
pub fn virtual_server_group(ctx: &mut Ctx<'_>, node: &Node, _config: &mut Config) {
    ctx.not_supported(node);
}

/// `virtual_server IP PORT | fwmark N | group NAME { ... }`.
pub fn virtual_server(ctx: &mut Ctx<'_>, node: &Node, _config: &mut Config) {
    ctx.not_supported(node);
}

/// `SSL { ... }`.
pub fn ssl(ctx: &mut Ctx<'_>, node: &Node, _config: &mut Config) {
    ctx.not_supported(node);
}
