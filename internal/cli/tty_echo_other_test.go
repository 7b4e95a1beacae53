//go:build !linux

package cli

import "time"

// waitNoEcho gives the program a moment to turn echo off; only Linux lets
// the test read the terminal's settings from the master side.
func (term *terminal) waitNoEcho() { time.Sleep(200 * time.Millisecond) }
