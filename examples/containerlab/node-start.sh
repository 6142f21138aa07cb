#!/bin/sh
# Entry point of a node (mounted at /etc/gannet/start.sh, run as `sh /etc/gannet/start.sh`): containerlab wires
# eth1 after the container has started, so wait for it (bounded), give it the node's address, then become the agent.
# NODE_ADDRESS (e.g. 172.30.1.1/24) comes from the node's env in gannet.clab.yml; NODE_ADDRESS2, when set, is a second
# uplink's address on eth2 (a dual-homed node); GANNET_CONFIG may name another config file than
# /etc/gannet/gannet.yaml.
set -eu
config="${GANNET_CONFIG:-/etc/gannet/gannet.yaml}"
: "${NODE_ADDRESS:?set NODE_ADDRESS (the node's eth1 address, CIDR) in the topology}"
uplink() {
  i=0
  until ip link show "$1" >/dev/null 2>&1; do
    i=$((i + 1))
    if [ "$i" -gt 300 ]; then
      echo "node-start: $1 did not appear within 60 s" >&2
      exit 1
    fi
    sleep 0.2
  done
  ip addr replace "$2" dev "$1"
  ip link set "$1" up
}
uplink eth1 "$NODE_ADDRESS"
if [ -n "${NODE_ADDRESS2:-}" ]; then uplink eth2 "$NODE_ADDRESS2"; fi
exec gannet agent --config "$config"
