package cli

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/testkit"
)

// heraldBin is the binary the pseudo-terminal and daemon tests run, built once
// for the package's tests.
var heraldBin = &testkit.Binary{Name: "herald", Pkg: "./cmd/herald", Dir: filepath.Join("..", "..")}

func TestMain(m *testing.M) { testkit.Main(m, heraldBin) }

// buildHerald returns the path of the built herald binary.
func buildHerald(t *testing.T) string {
	t.Helper()
	return heraldBin.Path(t)
}

// openPTY opens a pseudo-terminal, closed when the test ends, or skips the
// test when none can be had (fails it under HERALD_REQUIRE_TOOLS=1).
func openPTY(t *testing.T) (ptmx, tty *os.File) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	needTool(t, "no pseudo-terminal", err)
	t.Cleanup(func() { ptmx.Close(); tty.Close() })
	return ptmx, tty
}

// terminal is the herald binary running in a pseudo-terminal.
type terminal struct {
	t    *testing.T
	ptmx *os.File
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	done chan error
}

// startTerminal runs bin with args in a new 120×40 pseudo-terminal, or
// skips the test when none can be had.
func startTerminal(t *testing.T, bin string, args ...string) *terminal {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HERALD_") && !strings.HasPrefix(kv, "NO_COLOR=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "TERM=xterm-256color")
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: 120, Rows: 40})
	needTool(t, "no pseudo-terminal", err)
	term := &terminal{t: t, ptmx: ptmx, cmd: cmd, done: make(chan error, 1)}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			term.mu.Lock()
			term.out.Write(buf[:n])
			term.mu.Unlock()
			if err != nil {
				return // EIO once the process has gone
			}
		}
	}()
	go func() {
		err := cmd.Wait()
		select {
		case <-copied:
		case <-time.After(2 * time.Second):
		}
		term.done <- err
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
		}
		ptmx.Close()
	})
	return term
}

// output is everything the terminal showed so far.
func (term *terminal) output() string {
	term.mu.Lock()
	defer term.mu.Unlock()
	return term.out.String()
}

// waitFor waits until the terminal shows s.
func (term *terminal) waitFor(s string) {
	term.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(term.output(), s) {
		if time.Now().After(deadline) {
			term.t.Fatalf("the terminal never showed %q:\n%s", s, term.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// type sends keys as a person types them.
func (term *terminal) typeKeys(keys string) {
	if _, err := io.WriteString(term.ptmx, keys); err != nil {
		term.t.Fatal(err)
	}
}

// exit waits for the process and returns its exit status.
func (term *terminal) exit() int {
	term.t.Helper()
	select {
	case err := <-term.done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			term.t.Fatal(err)
		}
		return 0
	case <-time.After(60 * time.Second):
		term.t.Fatalf("herald did not exit:\n%s", term.output())
	}
	return -1
}

func TestTerminalConfirmsAndShowsProgress(t *testing.T) {
	bin := buildHerald(t)
	d := newDesk(t, "", "",
		deskStory{key: "storm", section: "mexico", age: 4 * day, likes: 90},
		deskStory{key: "quake", section: "mexico", age: 5 * day, likes: 60},
		deskStory{key: "rain", section: "world", age: 6 * day, likes: 30, targets: []string{"x_main"}})
	args := []string{"-c", d.cfg, "repost", "--top", "2", "--since", "30d", "--min-age", "3d"}

	// No: nothing is created, exit status 1.
	term := startTerminal(t, bin, args...)
	term.waitFor("Repost 2 stories to 2 accounts? [y/N] ")
	if out := term.output(); !strings.Contains(out, "Story storm") || !strings.Contains(out, "Story quake") {
		t.Errorf("the stories are not listed before the question:\n%s", out)
	}
	term.typeKeys("n\r")
	if code := term.exit(); code != ExitFailure {
		t.Errorf("answer n: exit %d, want 1\n%s", code, term.output())
	}
	if out := term.output(); !strings.Contains(out, "herald: cancelled: nothing was done") {
		t.Errorf("answer n:\n%s", out)
	}
	if n := len(d.w.X.Posts()); n != 3 {
		t.Fatalf("answer n: X holds %d posts, want the 3 first ones", n)
	}

	// Yes: the jobs are created and sent, with progress bars on the way.
	term = startTerminal(t, bin, args...)
	term.waitFor("[y/N] ")
	term.typeKeys("y\r")
	term.succeeds(t, "answer y")
	out := term.output()
	for _, want := range []string{"Creating jobs", "Sending", "100%", "█", "(4/4)", "https://x.com/daily_news/status/"} {
		if !strings.Contains(out, want) {
			t.Errorf("the terminal did not show %q:\n%s", want, out)
		}
	}
	if n := len(d.w.X.Posts()); n != 5 {
		t.Errorf("X holds %d posts, want 5 (2 reshares)", n)
	}
	jobs := d.jobs(t, d.id("storm"))
	if last := jobs[len(jobs)-1]; last.Seq != 1 || last.State != herald.JobSent {
		t.Errorf("storm's last job %+v: want its reshare sent", last)
	}
}
