//! The root-level keyword table (spec §2.2). The LVS parser adds its blocks here.

use crate::model::{Config, Seconds};
use crate::tree::Node;

use super::util;
use super::{Ctx, Keyword, alias, global, instance, kw, later, lvs, statics, sync, track};

/// Root keywords, sorted by name (byte order: upper case first).
pub static KEYWORDS: &[Keyword<Config>] = &[
    kw("SSL", lvs::ssl),
    kw("bfd_instance", track::bfd_instance),
    kw("child_wait_time", child_wait_time),
    later("garp_group", statics::garp_group),
    kw("global_defs", global::global_defs),
    kw("instance", instance_name),
    later(
        "interface_up_down_delays",
        statics::interface_up_down_delays,
    ),
    later("linkbeat_interfaces", statics::linkbeat_interfaces),
    later("linkbeat_use_polling", linkbeat_use_polling),
    later("namespace_with_ipsets", namespace_with_ipsets),
    kw("net_namespace", net_namespace),
    later("net_namespace_ipvs", net_namespace_ipvs),
    kw("static_ipaddress", statics::static_ipaddress),
    kw("static_routes", statics::static_routes),
    kw("static_rules", statics::static_rules),
    kw("track_file", track::track_file),
    later("track_group", statics::track_group),
    kw("use_pid_dir", use_pid_dir),
    kw("virtual_server", lvs::virtual_server),
    kw("virtual_server_group", lvs::virtual_server_group),
    kw("vrrp_instance", instance::vrrp_instance),
    kw("vrrp_script", track::vrrp_script),
    kw("vrrp_sync_group", sync::vrrp_sync_group),
    alias("vrrp_track_file", "track_file", track::track_file),
    kw("vrrp_track_process", track::vrrp_track_process),
];

fn child_wait_time(ctx: &mut Ctx<'_>, node: &Node, config: &mut Config) {
    if let Some(secs) = util::int::<u64>(ctx, node, 0, 3600) {
        config.root.child_wait_time = Seconds::from_secs(secs);
    }
}

fn instance_name(ctx: &mut Ctx<'_>, node: &Node, config: &mut Config) {
    config.root.instance = util::string(ctx, node);
}

fn linkbeat_use_polling(_ctx: &mut Ctx<'_>, _node: &Node, config: &mut Config) {
    config.root.linkbeat_use_polling = true;
}

fn namespace_with_ipsets(_ctx: &mut Ctx<'_>, _node: &Node, config: &mut Config) {
    config.root.namespace_with_ipsets = true;
}

fn net_namespace(ctx: &mut Ctx<'_>, node: &Node, config: &mut Config) {
    config.root.net_namespace = util::string(ctx, node);
}

fn net_namespace_ipvs(_ctx: &mut Ctx<'_>, node: &Node, config: &mut Config) {
    config.root.net_namespace_ipvs = Some(
        node.args
            .first()
            .map(|t| t.text.clone())
            .unwrap_or_default(),
    );
}

fn use_pid_dir(_ctx: &mut Ctx<'_>, _node: &Node, config: &mut Config) {
    config.root.use_pid_dir = true;
}
