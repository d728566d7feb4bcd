#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# podman-compose with network_mode honoured. Debian 12's podman-compose 1.0.3 adds "--net <project>_default
# --network-alias <service>" to every container, also to one with network_mode: host, which podman then refuses
# ("cannot set multiple networks without bridge network mode"); later releases skip them. scripts/container.sh runs
# this instead of podman-compose for compose.hostnet.yaml; arguments and behaviour are podman-compose's.
import sys

import podman_compose as pc

_net_args, _assert_nets = pc.get_net_args, pc.assert_cnt_nets
pc.get_net_args = lambda compose, cnt: [] if cnt.get("network_mode") else _net_args(compose, cnt)
pc.assert_cnt_nets = lambda compose, cnt: None if cnt.get("network_mode") else _assert_nets(compose, cnt)
sys.exit(pc.main())
