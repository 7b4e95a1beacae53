package web

import (
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/rank"
)

// Widget defaults.
const (
	defaultWidgetLimit = 5
	maxWidgetTitle     = 120
)

// widgetData is what templates/widget.html shows.
type widgetData struct {
	Heading string
	Rows    []herald.ReportRow
}

// widgetHeading is the box's default heading for a network and ranking.
func widgetHeading(p rank.Params) string {
	if n, ok := rank.ParseNetwork(p.Network); ok && p.Network != "" {
		return "Popular on " + networkLabel(n)
	}
	switch p.By {
	case "clicks", "views":
		return "Most viewed"
	case "reactions", "comments", "score":
		return "Popular"
	}
	return "Most shared"
}

// handleWidget serves GET /widget/popular: an HTML fragment to embed in the
// site's pages (or an iframe) with the top stories as links.
func (d *dashboard) handleWidget(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p, err := popularParams(q, defaultWidgetLimit)
	var e *popularEntry
	if err == nil {
		e, err = d.popular.get(r.Context(), d.s.opts.Store, p, d.opts.Weights)
	}
	if err != nil {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Cache-Control", "no-store")
		var pe *rank.ParamError
		if errors.As(err, &pe) {
			http.Error(w, pe.Error(), http.StatusBadRequest)
			return
		}
		d.s.logger.Error("popular widget", "error", err)
		http.Error(w, "ranking unavailable", http.StatusInternalServerError)
		return
	}
	heading := strings.TrimSpace(q.Get("title"))
	if heading == "" {
		heading = widgetHeading(p)
	}
	if utf8.RuneCountInString(heading) > maxWidgetTitle {
		heading = string([]rune(heading)[:maxWidgetTitle])
	}
	// The fragment changes with the heading too.
	etag := strings.TrimSuffix(e.etag, `"`) + "-w" + shortHash(heading) + `"`
	setPublicHeaders(w, etag)
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'")
	if notModified(r, etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	d.page(w, http.StatusOK, "widget.html", widgetData{Heading: heading, Rows: e.rows})
}
