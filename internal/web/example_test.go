package web

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestCurlExample runs the curl example of the package documentation, as
// written there, against a server on loopback.
func TestCurlExample(t *testing.T) {
	for _, tool := range []string{"sh", "curl", "openssl"} {
		if _, err := exec.LookPath(tool); err != nil {
			// CI installs them and sets HERALD_REQUIRE_TOOLS=1.
			if os.Getenv("HERALD_REQUIRE_TOOLS") == "1" {
				t.Fatalf("HERALD_REQUIRE_TOOLS=1 but %s is not installed", tool)
			}
			t.Skipf("%s not installed (set HERALD_REQUIRE_TOOLS=1 to fail instead)", tool)
		}
	}
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(doc), "// With curl:\n//\n")
	block, _, ok2 := strings.Cut(after, "\n//\n")
	if !ok || !ok2 {
		t.Fatal("no curl example in doc.go")
	}
	var script strings.Builder
	for _, line := range strings.Split(block, "\n") {
		script.WriteString(strings.TrimPrefix(line, "//\t") + "\n")
	}
	f := newFixture(t, func(o *Options) { o.Now = time.Now })
	cmd := exec.Command("sh", "-c", script.String())
	cmd.Env = append(os.Environ(), "HERALD_HTTP_WEBHOOK_SECRET="+testSecret, "HERALD_URL="+f.ts.URL)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), `"new":true`) {
		t.Fatalf("the documented example failed: %v\n%s\nscript:\n%s", err, out, script.String())
	}
	if _, err := f.store.FindArticle(context.Background(), "https://news.example/2026/03/01/story"); err != nil {
		t.Errorf("the example's article is not recorded: %v", err)
	}
}
