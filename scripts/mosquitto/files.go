package mosquitto

import "embed"

// Files are the shipped set-up, as in this directory: acl, add-user.sh,
// sco.conf and sco-tls.conf. They are built into the commands that run a
// broker a store would run (kiosk-sim demo -acl), so what those enforce is
// exactly what is shipped.
//
//go:embed acl add-user.sh sco.conf sco-tls.conf
var Files embed.FS
