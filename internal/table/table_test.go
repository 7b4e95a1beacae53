package table

import (
	"strings"
	"testing"
)

func TestWriteCutsOnlyTheWidestFlexColumn(t *testing.T) {
	cols := []Column{{Head: "ID", Right: true}, {Head: "TITLE", Flex: true}, {Head: "ERROR", Flex: true}, {Head: "LINK"}}
	cells := func() [][]string {
		return [][]string{
			{"1", strings.Repeat("headline ", 8) + "end", "timeout after 15s", "https://x.com/a/status/1900000000000000100"},
			{"12", "short", "-", "-"},
		}
	}
	write := func(width int) []string {
		var b strings.Builder
		if err := Write(&b, cols, cells(), nil, Options{Width: width}); err != nil {
			t.Fatal(err)
		}
		return strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	}
	full := cells()[0]
	// Off a terminal: every character.
	if got := write(0); got[2] != " 1  "+full[1]+"  "+full[2]+"  "+full[3] || Width(got[1]) != Width(got[2]) {
		t.Errorf("width 0:\n%s", strings.Join(got, "\n"))
	}
	// On a terminal of 100 columns: the title alone is cut, to fit exactly.
	got := write(100)
	if Width(got[1]) != 100 || Width(got[2]) != 100 || !strings.Contains(got[2], "headline headline headline headl…  "+full[2]+"  "+full[3]) {
		t.Errorf("width 100:\n%s", strings.Join(got, "\n"))
	}
	// Narrower than the other columns need: the title stops at MinFlex, the
	// error and the link stay whole.
	got = write(60)
	if !strings.Contains(got[2], " 1  headline headli…  "+full[2]+"  "+full[3]) || !strings.HasPrefix(got[3], "12  short             -") {
		t.Errorf("width 60:\n%s", strings.Join(got, "\n"))
	}
}

func TestWriteColours(t *testing.T) {
	var b strings.Builder
	err := Write(&b, []Column{{Head: "STATE"}, {Head: "N", Right: true}}, [][]string{{"sent", "3"}}, [][]string{{"32", ""}},
		Options{Color: true})
	if err != nil {
		t.Fatal(err)
	}
	want := "\x1b[1mSTATE\x1b[0m  \x1b[1mN\x1b[0m\n────────\n\x1b[32msent\x1b[0m   3\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

func TestClean(t *testing.T) {
	if got := Clean("a\tb\nc\x1b[31m d"); got != "a b c[31m d" {
		t.Errorf("Clean = %q", got)
	}
}
