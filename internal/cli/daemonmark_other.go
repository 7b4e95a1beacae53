//go:build !unix

package cli

import "os"

// Without flock the marker is not kept: whether a daemon uses the database
// is unknown.
func lockShared(*os.File) error { return nil }

func tryLockExclusive(*os.File) (free, known bool, err error) { return true, false, nil }
