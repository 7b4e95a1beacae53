package lease

import (
	"os"
	"strconv"
)

// DefaultOwner names this process as a holder of locks and leases:
// hostname-pid ("herald-pid" when the host has no name). Every background
// part that takes leases defaults its owner to it, so that one process is
// one holder.
func DefaultOwner() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "herald"
	}
	return host + "-" + strconv.Itoa(os.Getpid())
}
