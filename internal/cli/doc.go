// Package cli is what every command of this repository shares, so that
// kioskd, attendant-bridge, pager and each kiosk-sim subcommand look and
// behave the same from a shell, a systemd unit or a test:
//
//   - the same logging flags, -log-format text|json and
//     -log-level debug|info|warn|error|off, building one *slog.Logger that
//     writes to stderr;
//   - for a command with a config file, -config FILE and -check-config FILE
//     (check, print one ok line and exit without running);
//   - a context that ends on SIGINT or SIGTERM (a second signal kills at
//     once);
//   - the same exit codes: 0 on success and for -h / -help (usage on
//     stdout); 2 for a bad flag or argument (the error and usage on
//     stderr); 1 when the command fails, with the error on stderr as
//     "<command>: <error>", one such line per line of the error.
//
// A main describes itself as a Command and calls Main:
//
//	func main() { command().Main() }
//
// The logger convention of the whole codebase: an Opts field Logger that
// is nil discards the logs (slog.DiscardHandler). Libraries never fall
// back to slog.Default; a command always passes the logger its flags
// built, so what it logs is what -log-level and -log-format say.
package cli
