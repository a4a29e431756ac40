//! Root-level LVS blocks (spec §2.7): `virtual_server_group`, `virtual_server`, `SSL`.
//!
//! The LVS parser replaces these handlers. Until then the blocks are accepted and their
//! contents walked without diagnostics, so a configuration with virtual servers is not
//! reported as full of unknown keywords.

use crate::model::Config;
use crate::tree::Node;

use super::Ctx;

/// `virtual_server_group NAME { ... }`.
pub fn virtual_server_group(ctx: &mut Ctx<'_>, node: &Node, _config: &mut Config) {
    ctx.not_supported(node);
    walk(node);
}

/// `virtual_server IP PORT | fwmark N | group NAME { ... }`.
pub fn virtual_server(ctx: &mut Ctx<'_>, node: &Node, _config: &mut Config) {
    ctx.not_supported(node);
    walk(node);
}

/// `SSL { ... }`.
pub fn ssl(ctx: &mut Ctx<'_>, node: &Node, _config: &mut Config) {
    ctx.not_supported(node);
    walk(node);
}

/// Visits every nested statement (the LVS parser will give them meaning).
fn walk(node: &Node) -> usize {
    node.children().iter().map(|child| 1 + walk(child)).sum()
}
