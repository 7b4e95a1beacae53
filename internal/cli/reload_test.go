package cli

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

func TestReloadWithoutADaemon(t *testing.T) {
	clearEnv(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	cfg := writeConfig(t, strings.Replace(validConfig, "sandbox: true\n", "sandbox: true\nhttp: {addr: \""+addr+"\"}\n", 1))
	fails(t, cfg, ExitFailure, []string{"reload"}, "no daemon answers at http://"+addr+processPath)

	// An invalid configuration is refused before any daemon is looked for.
	bad := writeConfig(t, validConfig+"  x_two: {network: nowhere}\n")
	fails(t, bad, ExitUsage, []string{"reload"}, "accounts.x_two.network")
}

func TestProcessAnswersOnlyThisMachine(t *testing.T) {
	d := &daemon{file: "/etc/herald/herald.yaml", attempts: 2, reloads: 1}
	for _, tc := range []struct {
		remote string
		code   int
	}{{"127.0.0.1:5555", http.StatusOK}, {"[::1]:5555", http.StatusOK}, {"203.0.113.7:5555", http.StatusNotFound}} {
		req := httptest.NewRequest(http.MethodGet, processPath, nil)
		req.RemoteAddr = tc.remote
		rec := httptest.NewRecorder()
		d.serveProcess(rec, req)
		if rec.Code != tc.code {
			t.Errorf("from %s: HTTP %d, want %d", tc.remote, rec.Code, tc.code)
			continue
		}
		if tc.code != http.StatusOK {
			if strings.Contains(rec.Body.String(), "herald.yaml") {
				t.Errorf("from %s: the answer names the configuration: %s", tc.remote, rec.Body)
			}
			continue
		}
		var info processInfo
		if err := json.Unmarshal(rec.Body.Bytes(), &info); err != nil {
			t.Fatal(err)
		}
		if info.PID != os.Getpid() || info.Config != d.file || info.Attempts != 2 || info.Reloads != 1 {
			t.Errorf("from %s: %+v", tc.remote, info)
		}
	}
}
