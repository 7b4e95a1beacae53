package postgres_test

import (
	"flag"
	"os"
	"testing"
)

// TestMain runs more tests at once than there are CPUs unless -parallel
// says otherwise: each test spends most of its time waiting for PostgreSQL
// to create and drop its schema.
func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		flag.Set("test.parallel", "8")
	}
	os.Exit(m.Run())
}
