package testkit

import (
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// Process is a child process a test started, waited for in the background.
type Process struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
	Stop func() // sends the stop signal, waits up to 20 s, then kills; once
}

// StartProcess starts cmd and stops it with sig when the test ends (or
// when Stop is called first).
func StartProcess(t testing.TB, cmd *exec.Cmd, sig os.Signal) *Process {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &Process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	p.Stop = sync.OnceFunc(func() {
		_ = cmd.Process.Signal(sig)
		select {
		case <-p.done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-p.done
		}
	})
	t.Cleanup(p.Stop)
	return p
}

// Done is closed once the process has exited; Err then says how.
func (p *Process) Done() <-chan struct{} { return p.done }

// Err is the process's exit error, once Done is closed.
func (p *Process) Err() error { return p.err }
