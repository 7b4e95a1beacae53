//go:build unix

package cli

import (
	"errors"
	"os"
	"syscall"
)

func lockShared(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_SH) }

// tryLockExclusive tries, without waiting, to lock f exclusively: free is
// true when nobody held it (the lock is then released at once).
func tryLockExclusive(f *os.File) (free, known bool, err error) {
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return false, true, nil
	}
	if err != nil {
		return false, false, err
	}
	return true, true, syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}
