//! keel-sys: the Linux edge — raw VRRP sockets, AF_PACKET, rtnetlink, scripts, tracking.
