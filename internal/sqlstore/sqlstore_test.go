package sqlstore

import "testing"

func TestRebind(t *testing.T) {
	for in, want := range map[string]string{
		`SELECT 1`:                     `SELECT 1`,
		`a = ? AND b = ?`:              `a = $1 AND b = $2`,
		`a = ?1 OR b = ?1 AND c = ?12`: `a = $1 OR b = $1 AND c = $12`,
		`x = '?' AND y = ?`:            `x = '?' AND y = $1`,
		`x = 'it''s ?' AND y = ?`:      `x = 'it''s ?' AND y = $1`,
	} {
		if got := Rebind(in); got != want {
			t.Errorf("Rebind(%q) = %q, want %q", in, got, want)
		}
	}
}
