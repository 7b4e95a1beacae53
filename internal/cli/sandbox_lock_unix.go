//go:build unix

package cli

import (
	"errors"
	"os"
	"syscall"
)

// tryLockHeld tries, without waiting, to lock f exclusively and keeps the
// lock (until f is closed) when it gets it.
func tryLockHeld(f *os.File) (bool, error) {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return false, nil
	}
	return err == nil, err
}
