package postgres_test

import (
	"testing"

	"github.com/heraldhq/herald/internal/testkit"
)

// TestMain runs more tests at once than there are CPUs unless -parallel
// says otherwise: each test spends most of its time waiting for PostgreSQL
// to create and drop its schema.
func TestMain(m *testing.M) {
	testkit.DefaultParallel(8)
	testkit.Main(m)
}
