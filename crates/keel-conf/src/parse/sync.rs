//! `vrrp_sync_group NAME { ... }` (spec §2.5).

use crate::model::vrrp::SyncGroup;
use crate::model::{Config, Loc};
use crate::tree::Node;

use super::instance::{notify_keyword, tracking_block};
use super::{Ctx, Keyword, dep, dispatch, kw, later, statics, util};

/// Reads a sync group into [`crate::model::Vrrp::sync_groups`].
pub fn vrrp_sync_group(ctx: &mut Ctx<'_>, node: &Node, config: &mut Config) {
    let Some(name) = util::block_name(ctx, node) else {
        return;
    };
    let mut group = SyncGroup {
        name,
        span: Loc(Some(node.keyword.span)),
        ..SyncGroup::default()
    };
    dispatch(ctx, node.children(), KEYWORDS, &mut group);
    config.vrrp.sync_groups.push(group);
}

pub(crate) static KEYWORDS: &[Keyword<SyncGroup>] = &[
    dep(
        "global_tracking",
        "sync_group_tracking_weight",
        |_, _, g| g.sync_group_tracking_weight = true,
    ),
    kw("group", |_, node, g| g.group.extend(statics::names(node))),
    kw("notify", |ctx, node, g| {
        notify_keyword(ctx, node, &mut g.notify)
    }),
    kw("notify_backup", |ctx, node, g| {
        notify_keyword(ctx, node, &mut g.notify)
    }),
    kw("notify_fault", |ctx, node, g| {
        notify_keyword(ctx, node, &mut g.notify)
    }),
    kw("notify_master", |ctx, node, g| {
        notify_keyword(ctx, node, &mut g.notify)
    }),
    later("notify_priority_changes", |ctx, node, g| {
        g.notify_priority_changes = util::flag(ctx, node)
    }),
    kw("notify_stop", |ctx, node, g| {
        notify_keyword(ctx, node, &mut g.notify)
    }),
    kw("smtp_alert", |ctx, node, g| {
        g.smtp_alert = util::flag(ctx, node)
    }),
    kw("sync_group_tracking_weight", |_, _, g| {
        g.sync_group_tracking_weight = true
    }),
    kw("track_bfd", |ctx, node, g| {
        tracking_block(ctx, node, &mut g.tracking)
    }),
    kw("track_file", |ctx, node, g| {
        tracking_block(ctx, node, &mut g.tracking)
    }),
    kw("track_interface", |ctx, node, g| {
        tracking_block(ctx, node, &mut g.tracking)
    }),
    kw("track_process", |ctx, node, g| {
        tracking_block(ctx, node, &mut g.tracking)
    }),
    kw("track_script", |ctx, node, g| {
        tracking_block(ctx, node, &mut g.tracking)
    }),
];

/// True when every table of this module is sorted (binary search needs it).
#[cfg(test)]
pub(crate) fn keywords_sorted() -> bool {
    fn sorted<T>(table: &[Keyword<T>]) -> bool {
        table.windows(2).all(|w| w[0].name < w[1].name)
    }
    sorted(KEYWORDS)
}
