#!/usr/bin/env bash
# Creates a broker user for the store, or sets its password again, and
# gives it its ACL block.
#
#   add-user.sh [-d DIR] bridge [PASSWORD]
#   add-user.sh [-d DIR] lane STORE LANE [PASSWORD]
#   add-user.sh [-d DIR] pager ATTENDANT [PASSWORD]
#
# DIR holds passwd and acl (default /etc/mosquitto/sco); the shipped acl is
# installed there first when DIR has none. Without PASSWORD,
# mosquitto_passwd asks for it (twice). Running it again for the same user
# only sets the password again. Reload the broker afterwards
# (systemctl reload mosquitto).
#
# It refuses a pager named bridge, console or lane-*, a pager whose name
# belongs to another kind of user, and a lane of a second store.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
dir=/etc/mosquitto/sco
if [ "${1:-}" = "-d" ]; then
  [ $# -ge 2 ] || { echo "add-user.sh: -d needs a directory" >&2; exit 2; }
  dir=$2; shift 2
fi
usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit "${1:-2}"; }
fail() { echo "add-user.sh: $*" >&2; exit 1; }
[ $# -ge 1 ] || usage
kind=$1; shift

valid() { [[ "$1" =~ ^[a-z0-9-]+$ ]] || { echo "add-user.sh: $2 \"$1\" must match [a-z0-9-]+" >&2; exit 2; }; }

case "$kind" in
  bridge) user=bridge ;;
  pager)  [ $# -ge 1 ] || usage; valid "$1" attendant; user=$1; shift
          case "$user" in
            bridge|console|lane-*)
              fail "\"$user\" cannot be an attendant: bridge, console and lane-* are reserved (the bridge's and the lanes' logins)" ;;
          esac ;;
  lane)   [ $# -ge 2 ] || usage; valid "$1" store; valid "$2" lane
          store=$1; lane=$2; user="lane-$lane"; shift 2 ;;
  -h|--help|help) usage 0 ;;
  *) echo "add-user.sh: unknown kind \"$kind\" (bridge, lane or pager)" >&2; usage ;;
esac
[ $# -le 1 ] || usage
command -v mosquitto_passwd >/dev/null || fail "mosquitto_passwd not found (apt-get install mosquitto)"

passwd="$dir/passwd"
acl="$dir/acl"
mkdir -p "$dir"
if [ ! -e "$acl" ]; then
  install -m 600 "$here/acl" "$acl"
  echo "add-user.sh: installed the shipped acl as $acl"
fi
[ -e "$passwd" ] || install -m 600 /dev/null "$passwd"

# The old shipped acl gave pagers their rights by pattern rules, without
# blocks; blocks and patterns would both apply.
if grep -q '^pattern ' "$acl"; then
  fail "$acl has pattern rules (an older layout): move it aside and run add-user.sh again for every user"
fi

has_block() { grep -qx "user $1" "$acl"; }
in_passwd() { grep -q "^$1:" "$passwd"; }

case "$kind" in
  pager)
    # A name in the password file with no pager block is someone else's
    # login (a lane, the bridge, another service): never reset it here.
    if has_block "$user" && ! grep -qx "# pager $user" "$acl"; then
      fail "\"$user\" has an ACL block in $acl that is not a pager's; refusing to change its password"
    fi
    if ! has_block "$user" && in_passwd "$user"; then
      fail "\"$user\" is in $passwd but is not a pager in $acl; refusing to change its password (remove it with mosquitto_passwd -D $passwd $user first if it should become a pager)"
    fi ;;
  lane)
    # The first lane fixes the store; one acl serves one store.
    others=$(grep -oE '^topic [a-z]+ sco/v1/[a-z0-9-]+/' "$acl" | sed -E 's|.* sco/v1/([^/]+)/|\1|' | sort -u | grep -vx "$store" || true)
    if [ -n "$others" ]; then
      fail "$acl serves store $(echo $others); refusing a lane of store $store (one store per broker)"
    fi ;;
esac

# Topics every lane and pager may read.
shared() {
  local root=$1
  cat <<ACL
topic read $root/bridge/state
topic read $root/alert/+
topic read $root/lane/+/state
topic read $root/lane/+/assist
topic read $root/broadcast/page
ACL
}

added=no
if ! has_block "$user"; then
  case "$kind" in
    bridge)
      printf '\n# The bridge.\nuser bridge\ntopic readwrite sco/v1/#\n' >> "$acl" ;;
    lane)
      root="sco/v1/$store"
      { printf '\n# lane %s of store %s\nuser %s\n' "$lane" "$store" "$user"
        cat <<ACL
topic readwrite $root/lane/$lane/state
topic write $root/lane/$lane/alert
topic read $root/lane/$lane/command
topic write $root/lane/$lane/command/result
topic read $root/lane/$lane/assist
topic write $root/lane/$lane/checkout
topic write $root/broadcast/page
ACL
        shared "$root"; } >> "$acl" ;;
    pager)
      # The store level is a wildcard: the acl serves one store.
      root="sco/v1/+"
      { printf '\n# pager %s\nuser %s\n' "$user" "$user"
        cat <<ACL
topic readwrite $root/pager/$user/presence
topic write $root/pager/$user/cmd
topic read $root/pager/$user/page
topic read $root/pager/$user/result
topic read $root/pager/$user/profile
ACL
        shared "$root"; } >> "$acl" ;;
  esac
  added=yes
fi

verb="password set"
in_passwd "$user" && verb="password changed"
if [ $# -ge 1 ]; then
  mosquitto_passwd -b "$passwd" "$user" "$1"
else
  mosquitto_passwd "$passwd" "$user"
fi

# Mosquitto reads these after dropping privileges to its own user.
if [ "$(id -u)" -eq 0 ] && id mosquitto >/dev/null 2>&1; then
  chown mosquitto: "$passwd" "$acl"
  chmod 600 "$passwd" "$acl"
fi
what="$kind user $user"
[ "$kind" = lane ] && what="$what (store $store)"
if [ "$added" = yes ]; then
  echo "add-user.sh: $what: $verb, ACL block added to $acl"
else
  echo "add-user.sh: $what: $verb (ACL block already in $acl)"
fi
