package cli

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func TestConfirmOnATerminal(t *testing.T) {
	for _, tt := range []struct {
		answer string
		want   error
	}{{"y\n", nil}, {"YES\n", nil}, {"n\n", errCancelled}, {"\n", errCancelled}, {"maybe\n", errCancelled}} {
		ptmx, tty := openPTY(t)
		a := NewApp(tty, tty)
		a.SetIn(tty)
		var seen bytes.Buffer
		read := make(chan struct{})
		go func() { defer close(read); io.Copy(&seen, ptmx) }()
		go ptmx.Write([]byte(tt.answer))
		got := a.confirm("Repost 2 stories to 1 account?", false)
		tty.Close()
		select {
		case <-read:
		case <-time.After(5 * time.Second):
			t.Fatal("pty output never ended")
		}
		ptmx.Close()
		if !errors.Is(got, tt.want) && got != tt.want {
			t.Errorf("answer %q: %v, want %v", tt.answer, got, tt.want)
		}
		if !strings.Contains(seen.String(), "Repost 2 stories to 1 account? [y/N] ") {
			t.Errorf("answer %q: the terminal showed %q", tt.answer, seen.String())
		}
	}
}

func TestConfirmOffATerminal(t *testing.T) {
	a := NewApp(&bytes.Buffer{}, &bytes.Buffer{})
	a.SetIn(strings.NewReader("y\n"))
	err := a.confirm("Delete this post?", false)
	if exitCode(err) != ExitUsage || !strings.Contains(err.Error(), "Delete this post: not on a terminal, so nothing was asked; add --yes") {
		t.Errorf("off a terminal: %v; want a usage error asking for --yes", err)
	}
	if err := a.confirm("Delete this post?", true); err != nil {
		t.Errorf("--yes: %v", err)
	}
}

func TestProgressOnlyOnATerminal(t *testing.T) {
	var buf bytes.Buffer
	p := NewApp(&buf, &buf).newProgress(3, "Sending")
	p.Add(1)
	p.Set(3)
	p.Finish()
	if p.active() || buf.Len() != 0 {
		t.Errorf("a bar was drawn off a terminal: %q", buf.String())
	}
	var none *progress
	none.Add(1) // a nil bar is a no-op
	none.Finish()

	ptmx, tty := openPTY(t)
	defer ptmx.Close()
	var seen bytes.Buffer
	read := make(chan struct{})
	go func() { defer close(read); io.Copy(&seen, ptmx) }()
	p = NewApp(tty, tty).newProgress(4, "Sending")
	p.Add(2)
	p.Finish()
	tty.Close()
	<-read
	if out := seen.String(); !strings.Contains(out, "Sending") || !strings.Contains(out, "████") || !strings.Contains(out, "(4/4)") {
		t.Errorf("the terminal showed %q", out)
	}
}
