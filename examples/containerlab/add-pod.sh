#!/bin/sh
# Attaches a test "pod" to this node the way a container runtime would (mounted at /usr/local/bin/add-pod):
#   docker exec clab-gannet-node1 sh /usr/local/bin/add-pod pod1        # prints the pod's address
#   docker exec clab-gannet-node1 sh /usr/local/bin/add-pod pod1 del    # gannet-cni DEL, then the namespace goes
# The pod is a network namespace inside the node container; gannet-cni (a single executable in the image) wires it:
# veth, an address from the node's pod CIDR (read from the agent's node state file), host route.
set -eu
pod="${1:?usage: add-pod NAME [del]}"
cmd=ADD
[ "${2:-}" = del ] && cmd=DEL
conf='{"cniVersion":"1.0.0","name":"gannet","type":"gannet-cni"}'
[ "$cmd" = ADD ] && ip netns add "$pod"
set +e
out=$(echo "$conf" | env -i PATH="$PATH" CNI_COMMAND="$cmd" CNI_CONTAINERID="clab-$pod" CNI_NETNS="/run/netns/$pod" \
  CNI_IFNAME=eth0 CNI_PATH=/opt/gannet/dist/bin gannet-cni)
rc=$?
set -e
if [ "$rc" -ne 0 ]; then
  echo "gannet-cni $cmd failed: $out" >&2
  [ "$cmd" = ADD ] && ip netns del "$pod"
  exit "$rc"
fi
if [ "$cmd" = DEL ]; then
  if [ -e "/run/netns/$pod" ]; then ip netns del "$pod"; fi
  exit 0
fi
echo "$out" | grep -o '"address":"[0-9.]*' | head -n 1 | cut -d '"' -f 4
