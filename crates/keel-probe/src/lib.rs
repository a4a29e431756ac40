//! keel-probe: asynchronous health-check probes (TCP, HTTP(S), SMTP, DNS, UDP, ICMP, script, file).
