//go:build !unix

package cli

import "os"

// Without flock every process serves its own sandbox from the state file.
func tryLockHeld(*os.File) (bool, error) { return true, nil }
