package testkit

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// Binary is a Go command that a package's tests run as a child process,
// built once per test process on first need, so that tests running in
// parallel share one build. Declare one per package and call Remove from
// TestMain once the tests have run.
type Binary struct {
	Name string // file name of the built binary, such as "herald"
	Pkg  string // the package to build, as `go build` takes it
	Dir  string // the directory `go build` runs in ("": the test's own)

	once sync.Once
	tmp  string
	path string
	err  error
}

// Path builds the command on the first call and returns the binary's path;
// it fails t when the build failed (for every test that needs it).
func (b *Binary) Path(t testing.TB) string {
	t.Helper()
	b.once.Do(func() {
		b.tmp, b.err = os.MkdirTemp("", b.Name+"-bin-")
		if b.err != nil {
			return
		}
		bin := filepath.Join(b.tmp, b.Name)
		build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, b.Pkg)
		build.Dir = b.Dir
		if out, err := build.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build %s: %w\n%s", b.Pkg, err, out)
			return
		}
		b.path = bin
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// Remove deletes the built binary, if any; call it after the tests ran.
func (b *Binary) Remove() {
	if b.tmp != "" {
		os.RemoveAll(b.tmp)
	}
}
