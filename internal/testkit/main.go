package testkit

import (
	"flag"
	"fmt"
	"os"
	"testing"
)

// Main is the body of a TestMain: it runs the package's tests, removes the
// binaries built for them and exits with the tests' status.
func Main(m *testing.M, bins ...*Binary) {
	code := m.Run()
	for _, b := range bins {
		b.Remove()
	}
	os.Exit(code)
}

// DefaultParallel makes n tests run at once unless -parallel says
// otherwise: more than the machine has cores, for packages whose tests
// mostly wait (on PostgreSQL, child processes or loopback servers). Call it
// from TestMain before the tests run; it parses the command line.
func DefaultParallel(n int) {
	flag.Parse()
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if given {
		return
	}
	if err := flag.Set("test.parallel", fmt.Sprint(n)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}
