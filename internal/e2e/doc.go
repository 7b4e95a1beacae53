// Package e2e holds tests that run Herald whole: the `herald run` command
// in-process and the built binary as a child process, against feeds served
// from httptest and the X and Graph emulations of internal/emulator, all on
// loopback. It has no code of its own.
package e2e
