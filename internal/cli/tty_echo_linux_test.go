package cli

import (
	"time"

	"golang.org/x/sys/unix"
)

// waitNoEcho waits until the program in the terminal has turned echo off
// (as it does to read a secret), so that keys typed next are not echoed by
// the terminal itself before it could. The master side of a Linux
// pseudo-terminal reads the terminal's settings.
func (term *terminal) waitNoEcho() {
	term.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		tio, err := unix.IoctlGetTermios(int(term.ptmx.Fd()), unix.TCGETS)
		if err != nil {
			term.t.Fatalf("read the terminal's settings: %v", err)
		}
		if tio.Lflag&unix.ECHO == 0 {
			return
		}
		if time.Now().After(deadline) {
			term.t.Fatalf("echo still on 10 s after the prompt:\n%s", term.output())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
