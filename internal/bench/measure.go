package bench

import (
	"bufio"
	"context"
	"net/url"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// procStatus reads a "kB" field of /proc/self/status (VmRSS, VmHWM) in bytes.
func procStatus(field string) int64 { return procStatusFile("/proc/self/status", field) }

// procStatusOf reads a "kB" field of process pid's status in bytes.
func procStatusOf(pid int, field string) int64 {
	return procStatusFile("/proc/"+strconv.Itoa(pid)+"/status", field)
}

func procStatusFile(path, field string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// rss is the process's resident set now; peakRSS its high-water mark since
// the last resetPeak.
func rss() int64     { return procStatus("VmRSS") }
func peakRSS() int64 { return procStatus("VmHWM") }

// resetPeak returns freed memory to the system and restarts the resident
// set's high-water mark (Linux: clear_refs 5), so that each scenario's peak
// is its own.
func resetPeak() {
	runtime.GC()
	debug.FreeOSMemory()
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) // best effort: the peak then spans the run
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

func msOf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// percentile returns the p-th percentile (0..100) of ds, which it sorts.
func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[min(len(ds)*p/100, len(ds)-1)]
}

// withSearchPath puts Herald's tables of a PostgreSQL URL in schema.
func withSearchPath(raw, schema string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// dropSchema removes a scenario's schema (best effort).
func dropSchema(raw, schema string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, raw)
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`)
}
