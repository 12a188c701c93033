#!/usr/bin/env bash
# Creates (or updates) a broker user for the store and, for a lane, its ACL
# block.
#
#   add-user.sh [-d DIR] bridge [PASSWORD]
#   add-user.sh [-d DIR] pager ATTENDANT [PASSWORD]
#   add-user.sh [-d DIR] lane STORE LANE [PASSWORD]
#
# DIR holds passwd and acl (default /etc/mosquitto/sco). Without PASSWORD,
# mosquitto_passwd asks for it. Reload the broker afterwards
# (systemctl reload mosquitto, or kill -HUP).
set -euo pipefail

dir=/etc/mosquitto/sco
if [ "${1:-}" = "-d" ]; then dir=$2; shift 2; fi
usage() { sed -n '2,11p' "$0" >&2; exit 2; }
[ $# -ge 1 ] || usage
kind=$1; shift

valid() { [[ "$1" =~ ^[a-z0-9-]+$ ]] || { echo "add-user.sh: $2 \"$1\" must match [a-z0-9-]+" >&2; exit 2; }; }

case "$kind" in
  bridge) user=bridge ;;
  pager)  [ $# -ge 1 ] || usage; valid "$1" attendant; user=$1; shift ;;
  lane)   [ $# -ge 2 ] || usage; valid "$1" store; valid "$2" lane
          store=$1; lane=$2; user="lane-$lane"; shift 2 ;;
  *) usage ;;
esac

passwd="$dir/passwd"
acl="$dir/acl"
mkdir -p "$dir"
[ -f "$passwd" ] || { : > "$passwd"; chmod 600 "$passwd"; }
if [ $# -ge 1 ]; then
  mosquitto_passwd -b "$passwd" "$user" "$1"
else
  mosquitto_passwd "$passwd" "$user"
fi

if [ "$kind" = lane ] && ! grep -qx "user $user" "$acl"; then
  root="sco/v1/$store"
  cat >> "$acl" <<ACL

user $user
topic readwrite $root/lane/$lane/state
topic write $root/lane/$lane/alert
topic read $root/lane/$lane/command
topic write $root/lane/$lane/command/result
topic read $root/lane/$lane/assist
topic write $root/broadcast/page
ACL
fi
# Mosquitto reads these after dropping privileges to its own user.
if [ "$(id -u)" -eq 0 ] && id mosquitto >/dev/null 2>&1; then
  chown mosquitto: "$passwd" "$acl"
  chmod 600 "$passwd" "$acl"
fi
echo "add-user.sh: $kind user $user ready in $passwd"
