#!/usr/bin/env bash
# A NAT lab from Linux network namespaces: an "internet", home routers doing NAT with iptables,
# and two hosts (a = alice, b = bob) behind them. Used by tests/SecretChat.NatLab.Tests and by hand.
# Everything lives inside namespaces named sclab-<id>-<node>; the host's own interfaces, routes
# and iptables are never touched. Run `natlab.sh help` for usage.
set -Eeuo pipefail

readonly PREFIX=sclab
readonly STATE_DIR=${SCLAB_STATE_DIR:-/run/sclab}
readonly SIGNAL_PORT=3478

# The addresses. Documentation ranges for the internet and WAN sides, private ones for the LANs
# (which exist only inside the lab's namespaces).
readonly NET_CORE=203.0.113.1      # the internet's own address: where the signaling server listens
readonly PUB_A=203.0.113.10 PUB_B=203.0.113.20
readonly NET_TO_RA=198.51.100.1 RA_WAN=198.51.100.11
readonly NET_TO_RB=192.0.2.1 RB_WAN=192.0.2.12
readonly RA_LAN=10.1.0.1 A_LAN=10.1.0.10 B_ON_A_LAN=10.1.0.20
readonly RB_LAN=192.168.2.1 B_LAN=192.168.2.10
# A carrier-grade NAT in front of alice's router (--a cgnat): it holds the public address, and the home router's
# WAN sits in the shared address space of RFC 6598 (100.64.0.0/10).
readonly CG_LAN=100.64.0.1 RA_CG_WAN=100.64.0.11
# IPv6 (--ip dual or 6): the documentation prefix 2001:db8::/32, inside the lab only. No NAT: every host has a
# global address, and its router is a stateful firewall (what it sent out may come back; nothing else).
readonly NET6_CORE=2001:db8:0:1::1 PUB6_A=2001:db8:0:1::10 PUB6_B=2001:db8:0:1::20
readonly NET6_TO_RA=2001:db8:0:a::1 RA6_WAN=2001:db8:0:a::11 RA6_PREFIX=2001:db8:a1:: RA6_LAN=2001:db8:a1::1
readonly A6_LAN=2001:db8:a1::10 B6_ON_A_LAN=2001:db8:a1::20
readonly NET6_TO_RB=2001:db8:0:b::1 RB6_WAN=2001:db8:0:b::12 RB6_PREFIX=2001:db8:b2:: RB6_LAN=2001:db8:b2::1 B6_LAN=2001:db8:b2::10

usage() {
  cat <<'EOF'
natlab.sh — a NAT lab in network namespaces (run as root)

  natlab.sh up [--id ID] [--a KIND] [--b KIND] [--loss P] [--ip 4|dual|6]
      Builds a lab and prints it as KEY=VALUE lines (eval-able). ID: 1-5 of [a-z0-9], random if
      omitted. KIND for a: cone (default), symmetric, public, cgnat; for b: cone, symmetric, public,
      lan, lan-isolated.
        cone       home router, endpoint-independent mapping (MASQUERADE; keeps the port when free)
        symmetric  endpoint-dependent mapping (MASQUERADE --random-fully: a new port per destination)
        public     no NAT: a host with a public address on the internet
        cgnat      alice only: a cone home router (WAN 100.64.0.11) behind a carrier-grade NAT (cg,
                   cone too, holding the public 198.51.100.11): two NATs, both filtering (IPv4 only)
        lan        bob sits on alice's LAN, behind the same router
        lan-isolated  bob on alice's router, but on an isolated port (guest Wi-Fi): the two hosts
                   cannot reach each other on the LAN, and the router does not hairpin
      Every router drops unsolicited traffic from its WAN side (conntrack filtering is address-and-
      port dependent), and no router hairpins (a LAN host writing to the router's own WAN address
      reaches nobody). --loss P drops a fraction P (e.g. 0.1) of forwarded packets, each way, on
      every router.
      --ip 4 (default): IPv4 only. dual: every host also has a global IPv6 address (2001:db8::/32,
      the documentation prefix, inside the lab only) with no NAT, behind its router's stateful
      firewall. 6: IPv6-only hosts (no IPv4 address at all); the signaling server at
      [2001:db8:0:1::1]:3478. With dual or 6 the output adds NET_ADDR6, A_ADDR6, B_ADDR6, SIGNAL6;
      with 6, NET_ADDR, A_ADDR, B_ADDR and SIGNAL are the IPv6 ones.
  natlab.sh down ID            Removes the lab (kills what runs in it).
  natlab.sh exec ID NODE CMD…  Runs CMD inside a node: net, ra, rb, a, b.
  natlab.sh flush ID ROUTER    Forgets a router's NAT mappings (conntrack -F): ra, rb or cg.
  natlab.sh show ID            Addresses, rules with counters, and NAT mappings of every node.
  natlab.sh list               Labs present, with their owners.
  natlab.sh sweep [--before EPOCH]
      Removes labs whose owning process has gone (labs brought up by hand are kept), optionally
      only those created before EPOCH (seconds).
  natlab.sh check              Exits 0 if this machine can run a lab, else says why.

Topology (fixed addresses; every lab is isolated, so labs never collide):
  net  (sclab-ID-net)  internet: 203.0.113.1 (signaling at :3478), routes to every WAN
  cg   (sclab-ID-cg)   carrier-grade NAT (a cgnat): WAN 198.51.100.11, toward ra 100.64.0.1/24
  ra   (sclab-ID-ra)   alice's router: WAN 198.51.100.11 (100.64.0.11 behind cg), LAN 10.1.0.1/24
  rb   (sclab-ID-rb)   bob's router:   WAN 192.0.2.12,    LAN 192.168.2.1/24
  a    (sclab-ID-a)    alice: 10.1.0.10 behind ra, or 203.0.113.10 when public
  b    (sclab-ID-b)    bob: 192.168.2.10 behind rb, 10.1.0.20 behind ra (lan), or 203.0.113.20
  IPv6 (--ip dual/6): net 2001:db8:0:1::1; a 2001:db8:a1::10 (public 2001:db8:0:1::10);
  b 2001:db8:b2::10 (on a's LAN 2001:db8:a1::20, public 2001:db8:0:1::20).
EOF
}

die() { echo "natlab: $*" >&2; exit 1; }
ns() { echo "$PREFIX-$1-$2"; }
in_ns() { local n=$1; shift; ip netns exec "$n" "$@"; }
ipt() { local n=$1; shift; ip netns exec "$n" iptables -w 5 "$@"; }
ip6t() { local n=$1; shift; ip netns exec "$n" ip6tables -w 5 "$@"; }

valid_id() { [[ $1 =~ ^[a-z0-9]{1,5}$ ]] || die "lab id '$1' must be 1 to 5 characters of [a-z0-9]"; }
lab_namespaces() { ip netns list | awk -v p="$PREFIX-$1-" 'index($1, p) == 1 { print $1 }'; }
all_lab_ids() { ip netns list | awk -v p="$PREFIX-" 'index($1, p) == 1 { split($1, f, "-"); print f[2] }' | sort -u; }

# The start time of a process (clock ticks since boot), so a reused pid is not mistaken for the owner.
start_ticks() { awk '{ sub(/^.*\) /, ""); print $20 }' "/proc/$1/stat" 2>/dev/null || true; }

owner_alive() {
  local marker="$STATE_DIR/$1" owner start
  [[ -f $marker ]] || return 1
  read -r owner start < "$marker" || true
  [[ $owner == manual ]] && return 0
  [[ -n ${owner:-} && -d /proc/$owner && $(start_ticks "$owner") == "${start:-}" ]]
}

new_ns() {
  ip netns add "$1"
  ip -n "$1" link set lo up
}

# A veth pair from namespace $1 (interface $2) to namespace $3 (interface $4), both up.
link() {
  ip -n "$1" link add name "$2" type veth peer name "$4" netns "$3"
  ip -n "$1" link set "$2" up
  ip -n "$3" link set "$4" up
}

# A home router: forwards LAN → WAN, lets only established/related traffic back in, drops the rest
# from the WAN (to itself and to the LAN), and masquerades behind its WAN address.
router() {
  local n=$1 kind=$2 loss=$3
  in_ns "$n" sysctl -qw net.ipv4.ip_forward=1
  ipt "$n" -P INPUT DROP
  ipt "$n" -A INPUT -i lo -j ACCEPT
  ipt "$n" -A INPUT -i lan0 -j ACCEPT
  ipt "$n" -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
  ipt "$n" -A INPUT -i wan0 -m comment --comment "sclab: unsolicited from WAN to router" -j DROP
  ipt "$n" -P FORWARD DROP
  if [[ $loss != 0 ]]; then
    ipt "$n" -A FORWARD -i lan0 -o wan0 -m statistic --mode random --probability "$loss" \
      -m comment --comment "sclab: loss LAN to WAN" -j DROP
    ipt "$n" -A FORWARD -i wan0 -o lan0 -m statistic --mode random --probability "$loss" \
      -m comment --comment "sclab: loss WAN to LAN" -j DROP
  fi
  # Hosts on one LAN talk through the router's bridge; with br_netfilter loaded that crosses FORWARD.
  ipt "$n" -A FORWARD -i lan0 -o lan0 -j ACCEPT
  ipt "$n" -A FORWARD -i lan0 -o wan0 -j ACCEPT
  ipt "$n" -A FORWARD -i wan0 -o lan0 -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
  ipt "$n" -A FORWARD -i wan0 -m comment --comment "sclab: unsolicited from WAN to LAN" -j DROP
  case $kind in
    cone) ipt "$n" -t nat -A POSTROUTING -o wan0 -j MASQUERADE ;;
    symmetric) ipt "$n" -t nat -A POSTROUTING -o wan0 -j MASQUERADE --random-fully ;;
  esac
}

# Router $2 (interface names wan0/lan0) on the internet: point-to-point link net:$3 ↔ router:$4, LAN $5.
attach_router() {
  local id=$1 name=$2 net_side=$3 wan=$4 lan=$5 r
  r=$(ns "$id" "$name")
  new_ns "$r"
  link "$(ns "$id" net)" "$name" "$r" wan0
  ip -n "$(ns "$id" net)" addr add "$net_side/24" dev "$name"
  # The internet answers from 203.0.113.1 whatever link a packet leaves by, so a server bound to 0.0.0.0
  # there (like the signaling server) replies from 203.0.113.1, the address peers write to, and the
  # routers let the reply back in (conntrack matches replies by address and port).
  ip -n "$(ns "$id" net)" route replace "${net_side%.*}.0/24" dev "$name" proto kernel scope link src "$NET_CORE"
  ip -n "$r" addr add "$wan/24" dev wan0
  ip -n "$r" route add default via "$net_side"
  ip -n "$r" link add name lan0 type bridge
  ip -n "$r" addr add "$lan/24" dev lan0
  ip -n "$r" link set lan0 up
}

# Host $2 in a LAN (router namespace $3, gateway $5) with address $4.
attach_lan_host() {
  local id=$1 name=$2 r=$3 addr=$4 gw=$5 h
  h=$(ns "$id" "$name")
  new_ns "$h"
  link "$r" "h$name" "$h" eth0
  ip -n "$r" link set "h$name" master lan0
  ip -n "$h" addr add "$addr/24" dev eth0
  ip -n "$h" route add default via "$gw"
}

# Host $2 with a public address $3 on the internet's core bridge.
attach_public_host() {
  local id=$1 name=$2 addr=$3 h
  h=$(ns "$id" "$name")
  new_ns "$h"
  link "$(ns "$id" net)" "h$name" "$h" eth0
  ip -n "$(ns "$id" net)" link set "h$name" master core
  ip -n "$h" addr add "$addr/24" dev eth0
  ip -n "$h" route add default via "$NET_CORE"
}

# IPv6 through a home router: routed, not translated, and filtered statefully like its IPv4 side.
router6() {
  local n=$1 loss=$2
  in_ns "$n" sysctl -qw net.ipv6.conf.all.forwarding=1
  ip6t "$n" -P INPUT DROP
  ip6t "$n" -A INPUT -i lo -j ACCEPT
  ip6t "$n" -A INPUT -i lan0 -j ACCEPT
  ip6t "$n" -A INPUT -p ipv6-icmp -j ACCEPT
  ip6t "$n" -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
  ip6t "$n" -A INPUT -i wan0 -m comment --comment "sclab: unsolicited from WAN to router" -j DROP
  ip6t "$n" -P FORWARD DROP
  if [[ $loss != 0 ]]; then
    ip6t "$n" -A FORWARD -i lan0 -o wan0 -m statistic --mode random --probability "$loss" \
      -m comment --comment "sclab: loss LAN to WAN" -j DROP
    ip6t "$n" -A FORWARD -i wan0 -o lan0 -m statistic --mode random --probability "$loss" \
      -m comment --comment "sclab: loss WAN to LAN" -j DROP
  fi
  ip6t "$n" -A FORWARD -i lan0 -o lan0 -j ACCEPT
  ip6t "$n" -A FORWARD -i lan0 -o wan0 -j ACCEPT
  ip6t "$n" -A FORWARD -i wan0 -o lan0 -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
  ip6t "$n" -A FORWARD -i wan0 -m comment --comment "sclab: unsolicited from WAN to LAN" -j DROP
}

# IPv6 for router $2 (namespace $3): link net:$4 ↔ router:$5 (the veth named $2 on net's side), LAN prefix $6 with
# the router at $7.
attach_router6() {
  local id=$1 name=$2 r=$3 net_side=$4 wan=$5 prefix=$6 lan=$7 net
  net=$(ns "$id" net)
  ip -n "$net" addr add "$net_side/64" dev "$name" nodad
  ip -n "$net" -6 route add "$prefix/64" via "$wan"
  ip -n "$r" addr add "$wan/64" dev wan0 nodad
  ip -n "$r" -6 route add default via "$net_side"
  ip -n "$r" addr add "$lan/64" dev lan0 nodad
}

# IPv6 address $3 for host $2 (interface eth0), default route via $4.
host6() {
  local id=$1 name=$2 addr=$3 gw=$4 h
  h=$(ns "$id" "$name")
  ip -n "$h" addr add "$addr/64" dev eth0 nodad
  ip -n "$h" -6 route add default via "$gw"
}

# A carrier-grade NAT (cg) between the internet and alice's router ra, which gets a shared-space WAN address.
attach_cgnat() {
  local id=$1 net cg r
  net=$(ns "$id" net); cg=$(ns "$id" cg); r=$(ns "$id" ra)
  new_ns "$cg"
  link "$net" cg "$cg" wan0
  ip -n "$net" addr add "$NET_TO_RA/24" dev cg
  ip -n "$net" route replace "${NET_TO_RA%.*}.0/24" dev cg proto kernel scope link src "$NET_CORE"
  ip -n "$cg" addr add "$RA_WAN/24" dev wan0
  ip -n "$cg" route add default via "$NET_TO_RA"
  new_ns "$r"
  link "$cg" lan0 "$r" wan0
  ip -n "$cg" addr add "$CG_LAN/24" dev lan0
  ip -n "$r" addr add "$RA_CG_WAN/24" dev wan0
  ip -n "$r" route add default via "$CG_LAN"
  ip -n "$r" link add name lan0 type bridge
  ip -n "$r" addr add "$RA_LAN/24" dev lan0
  ip -n "$r" link set lan0 up
}

cmd_up() {
  local id="" a=cone b=cone loss=0 owner=manual ipv=4
  while (($#)); do
    case $1 in
      --id) id=${2:?}; shift 2 ;;
      --ip) ipv=${2:?}; shift 2 ;;
      --a) a=${2:?}; shift 2 ;;
      --b) b=${2:?}; shift 2 ;;
      --loss) loss=${2:?}; shift 2 ;;
      --owner) owner=${2:?}; shift 2 ;;
      *) die "unknown option '$1' (see natlab.sh help)" ;;
    esac
  done
  [[ -n $id ]] || id=$(od -An -N2 -tx2 /dev/urandom | tr -d ' ')
  valid_id "$id"
  [[ $a =~ ^(cone|symmetric|public|cgnat)$ ]] || die "--a must be cone, symmetric, public or cgnat, not '$a'"
  [[ $b =~ ^(cone|symmetric|public|lan|lan-isolated)$ ]] || die "--b must be cone, symmetric, public, lan or lan-isolated, not '$b'"
  [[ ! $b =~ ^lan || $a != public ]] || die "--b $b needs alice behind a router (--a cone, symmetric or cgnat)"
  [[ $ipv =~ ^(4|dual|6)$ ]] || die "--ip must be 4, dual or 6, not '$ipv'"
  [[ $a != cgnat || $ipv == 4 ]] || die "--a cgnat is IPv4 only (carriers put NAT in front of IPv4); use --ip 4"
  [[ $ipv == 4 ]] || command -v ip6tables >/dev/null || die "'ip6tables' is not installed (apt-get install -y iptables)"
  [[ $loss =~ ^(0|0?\.[0-9]+|1)$ ]] || die "--loss must be a probability between 0 and 1, not '$loss'"
  [[ -z $(lab_namespaces "$id") ]] || die "a lab '$id' exists already (natlab.sh down $id)"

  mkdir -p "$STATE_DIR"
  if [[ $owner == manual ]]; then echo manual > "$STATE_DIR/$id"
  else echo "$owner $(start_ticks "$owner")" > "$STATE_DIR/$id"; fi
  trap 'echo "natlab: building lab $id failed; removing it" >&2; cmd_down "$id"' ERR

  local net
  net=$(ns "$id" net)
  new_ns "$net"
  in_ns "$net" sysctl -qw net.ipv4.ip_forward=1
  ip -n "$net" link add name core type bridge
  ip -n "$net" addr add "$NET_CORE/24" dev core
  ip -n "$net" link set core up
  if [[ $ipv != 4 ]]; then
    in_ns "$net" sysctl -qw net.ipv6.conf.all.forwarding=1
    ip -n "$net" addr add "$NET6_CORE/64" dev core nodad
  fi

  local a_addr b_addr a_router="" b_router="" a6="" b6=""
  case $a in
    public) attach_public_host "$id" a "$PUB_A"; a_addr=$PUB_A; a6=$PUB6_A ;;
    cgnat) attach_cgnat "$id"; router "$(ns "$id" cg)" cone "$loss"; router "$(ns "$id" ra)" cone "$loss"
       attach_lan_host "$id" a "$(ns "$id" ra)" "$A_LAN" "$RA_LAN"; a_addr=$A_LAN; a_router=ra ;;
    *) attach_router "$id" ra "$NET_TO_RA" "$RA_WAN" "$RA_LAN"; router "$(ns "$id" ra)" "$a" "$loss"
       attach_lan_host "$id" a "$(ns "$id" ra)" "$A_LAN" "$RA_LAN"; a_addr=$A_LAN; a_router=ra; a6=$A6_LAN ;;
  esac
  case $b in
    public) attach_public_host "$id" b "$PUB_B"; b_addr=$PUB_B; b6=$PUB6_B ;;
    lan|lan-isolated) attach_lan_host "$id" b "$(ns "$id" ra)" "$B_ON_A_LAN" "$RA_LAN"; b_addr=$B_ON_A_LAN; b_router=ra; b6=$B6_ON_A_LAN
       if [[ $b == lan-isolated ]]; then
         # Isolated bridge ports forward only to non-isolated ones (the router): guest Wi-Fi.
         ip -n "$(ns "$id" ra)" link set dev ha type bridge_slave isolated on
         ip -n "$(ns "$id" ra)" link set dev hb type bridge_slave isolated on
       fi ;;
    *) attach_router "$id" rb "$NET_TO_RB" "$RB_WAN" "$RB_LAN"; router "$(ns "$id" rb)" "$b" "$loss"
       attach_lan_host "$id" b "$(ns "$id" rb)" "$B_LAN" "$RB_LAN"; b_addr=$B_LAN; b_router=rb; b6=$B6_LAN ;;
  esac
  if [[ $ipv != 4 ]]; then
    if [[ -n $a_router ]]; then
      attach_router6 "$id" ra "$(ns "$id" ra)" "$NET6_TO_RA" "$RA6_WAN" "$RA6_PREFIX" "$RA6_LAN"; router6 "$(ns "$id" ra)" "$loss"
      host6 "$id" a "$a6" "$RA6_LAN"
    else host6 "$id" a "$a6" "$NET6_CORE"; fi
    if [[ $b_router == rb ]]; then
      attach_router6 "$id" rb "$(ns "$id" rb)" "$NET6_TO_RB" "$RB6_WAN" "$RB6_PREFIX" "$RB6_LAN"; router6 "$(ns "$id" rb)" "$loss"
      host6 "$id" b "$b6" "$RB6_LAN"
    elif [[ $b_router == ra ]]; then host6 "$id" b "$b6" "$RA6_LAN"
    else host6 "$id" b "$b6" "$NET6_CORE"; fi
  fi
  if [[ $ipv == 6 ]]; then
    # IPv6-only hosts: their IPv4 addresses and routes go (the routers keep theirs, unused).
    ip -n "$(ns "$id" a)" -4 addr flush dev eth0
    ip -n "$(ns "$id" b)" -4 addr flush dev eth0
  fi
  trap - ERR

  echo "LAB=$id"
  echo "IP=$ipv"
  if [[ $ipv == 6 ]]; then
    echo "SIGNAL=[$NET6_CORE]:$SIGNAL_PORT"
    echo "NET_ADDR=$NET6_CORE"
  else
    echo "SIGNAL=$NET_CORE:$SIGNAL_PORT"
    echo "NET_ADDR=$NET_CORE"
  fi
  echo "NET_NS=$net"
  echo "A_NS=$(ns "$id" a)"
  if [[ $ipv == 6 ]]; then echo "A_ADDR=$a6"; else echo "A_ADDR=$a_addr"; fi
  echo "A_SITE=$a"
  echo "A_ROUTER=$a_router"
  echo "B_NS=$(ns "$id" b)"
  if [[ $ipv == 6 ]]; then echo "B_ADDR=$b6"; else echo "B_ADDR=$b_addr"; fi
  echo "B_SITE=$b"
  echo "B_ROUTER=$b_router"
  if [[ $ipv != 4 ]]; then
    echo "SIGNAL6=[$NET6_CORE]:$SIGNAL_PORT"; echo "NET_ADDR6=$NET6_CORE"; echo "A_ADDR6=$a6"; echo "B_ADDR6=$b6"
  fi
  if [[ $a == cgnat ]]; then
    echo "CG_NS=$(ns "$id" cg)"; echo "CG_WAN=$RA_WAN"; echo "CG_LAN=$CG_LAN"
    echo "RA_NS=$(ns "$id" ra)"; echo "RA_WAN=$RA_CG_WAN"; echo "RA_LAN=$RA_LAN"; echo "RA_NAT=cone"
  elif [[ $a != public ]]; then
    echo "RA_NS=$(ns "$id" ra)"; echo "RA_WAN=$RA_WAN"; echo "RA_LAN=$RA_LAN"; echo "RA_NAT=$a"
  fi
  if [[ $b =~ ^(cone|symmetric)$ ]]; then
    echo "RB_NS=$(ns "$id" rb)"; echo "RB_WAN=$RB_WAN"; echo "RB_LAN=$RB_LAN"; echo "RB_NAT=$b"
  fi
  echo "LOSS=$loss"
}

cmd_down() {
  local id=${1:?usage: natlab.sh down ID} n pid
  valid_id "$id"
  # Processes still running in the lab (started in it by a test or by hand) go with it.
  for n in $(lab_namespaces "$id"); do
    for pid in $(ip netns pids "$n" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
  done
  # Deleting a namespace removes its interfaces, and so the veth peers in the others.
  for n in $(lab_namespaces "$id"); do ip netns delete "$n" 2>/dev/null || true; done
  rm -f "$STATE_DIR/$id"
  [[ -z $(lab_namespaces "$id") ]] || die "lab '$id' could not be removed completely"
}

cmd_exec() {
  local id=${1:?usage: natlab.sh exec ID NODE CMD...} node=${2:?usage: natlab.sh exec ID NODE CMD...}
  shift 2
  (($#)) || die "usage: natlab.sh exec ID NODE CMD..."
  ip netns list | awk '{print $1}' | grep -qx "$(ns "$id" "$node")" || die "no node '$node' in lab '$id'"
  exec ip netns exec "$(ns "$id" "$node")" "$@"
}

cmd_flush() {
  local id=${1:?usage: natlab.sh flush ID ROUTER} r=${2:?usage: natlab.sh flush ID ROUTER}
  [[ $r =~ ^(r[ab]|cg)$ ]] || die "routers are ra, rb and cg, not '$r'"
  in_ns "$(ns "$id" "$r")" conntrack -F 2>&1 | grep -v 'have been deleted' >&2 || true
}

cmd_show() {
  local id=${1:?usage: natlab.sh show ID} n
  for n in $(lab_namespaces "$id"); do
    echo "== $n"
    ip -n "$n" -brief address | grep -v '^lo '
    ip -n "$n" route
    if [[ $n == *-r[ab] || $n == *-cg ]]; then
      ipt "$n" -L -v -x -n | grep -v '^$'
      ipt "$n" -t nat -S POSTROUTING
      in_ns "$n" conntrack -L 2>&1 || true
    fi
  done
}

cmd_list() {
  local id
  for id in $(all_lab_ids); do
    local owner=gone
    [[ -f $STATE_DIR/$id ]] && owner=$(awk '{print $1}' "$STATE_DIR/$id")
    owner_alive "$id" || owner="$owner (gone)"
    echo "$id owner=$owner namespaces=$(lab_namespaces "$id" | tr '\n' ' ')"
  done
}

cmd_sweep() {
  local before="" id n created
  while (($#)); do
    case $1 in
      --before) before=${2:?}; shift 2 ;;
      *) die "unknown option '$1'" ;;
    esac
  done
  for id in $(all_lab_ids); do
    owner_alive "$id" && continue
    if [[ -n $before ]]; then
      created=$(for n in $(lab_namespaces "$id"); do stat -c %Y "/run/netns/$n"; done | sort -n | head -1)
      [[ -n $created && $created -lt $before ]] || continue
    fi
    echo "natlab: removing stale lab $id" >&2
    cmd_down "$id"
  done
}

cmd_check() {
  [[ $(id -u) == 0 ]] || die "needs root (network namespaces and iptables)"
  local tool
  for tool in ip iptables conntrack; do
    command -v "$tool" >/dev/null || die "'$tool' is not installed (apt-get install -y iptables conntrack iproute2)"
  done
  local probe="scprobe-$$"
  probe=${probe:0:15}
  ip netns add "$probe" 2>/dev/null || die "'ip netns add' does not work here"
  local problem=""
  ip -n "$probe" link add name core type bridge 2>/dev/null || problem="bridges cannot be created in a namespace"
  [[ -n $problem ]] || ip -n "$probe" link add name v0 type veth peer name v1 2>/dev/null || problem="veth pairs cannot be created"
  [[ -n $problem ]] || ipt "$probe" -t nat -A POSTROUTING -o v0 -j MASQUERADE --random-fully 2>/dev/null \
    || problem="iptables cannot masquerade in a namespace"
  [[ -n $problem ]] || ipt "$probe" -A FORWARD -m statistic --mode random --probability 0.1 -j DROP 2>/dev/null \
    || problem="iptables has no statistic match"
  [[ -n $problem ]] || ipt "$probe" -A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT 2>/dev/null \
    || problem="iptables has no conntrack match"
  [[ -n $problem ]] || in_ns "$probe" conntrack -L >/dev/null 2>&1 || problem="conntrack cannot list a namespace's table"
  ip netns delete "$probe"
  [[ -z $problem ]] || die "$problem"
  echo "natlab: this machine can run the lab"
}

case ${1:-help} in
  up) shift; cmd_up "$@" ;;
  down) shift; cmd_down "$@" ;;
  exec) shift; cmd_exec "$@" ;;
  flush) shift; cmd_flush "$@" ;;
  show) shift; cmd_show "$@" ;;
  list) shift; cmd_list ;;
  sweep) shift; cmd_sweep "$@" ;;
  check) shift; cmd_check ;;
  help|-h|--help) usage ;;
  *) usage >&2; exit 2 ;;
esac
