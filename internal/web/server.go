package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/heraldhq/herald/internal/health"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/limit"
	"github.com/heraldhq/herald/internal/metrics"
	"github.com/heraldhq/herald/internal/push"
)

// Server timeouts: a slow or idle client cannot hold a connection for long.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 60 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 64 << 10
	// DefaultShutdownTimeout bounds how long Run waits for in-flight requests.
	DefaultShutdownTimeout = 5 * time.Second
	readyTimeout           = 3 * time.Second
)

// Options configures a Server.
type Options struct {
	// Addr is the listen address, e.g. "127.0.0.1:8080" (":0" picks a port).
	Addr string
	// PublicURL is how the outside world reaches this server (http.public_url).
	PublicURL string
	// Store records webhook articles and answers the default readiness check.
	Store herald.Store
	// Metrics is served on /metrics (with the process's go_* and process_*
	// series); the server counts its own requests in it. Nil: a set of its
	// own.
	Metrics *metrics.Set
	// Ready reports whether the daemon can do its work; a non-nil error makes
	// /readyz answer 503 with the error (or each error of an errors.Join) as
	// reasons. Nil: the store must answer a query.
	Ready func(ctx context.Context) error
	// Warnings are shown on /readyz without failing it (e.g. a token that
	// expires within 7 days).
	Warnings func(ctx context.Context) []string
	// Health collects failed store writes: one within the last minute makes
	// /readyz answer 503. The webhook reports its own. Nil: a private one.
	Health *health.Recorder
	// Webhook configures POST /hooks/articles.
	Webhook WebhookOptions
	// Push, when set, serves the WebSub callback on /websub/{source}.
	Push *push.Subscriber
	// Now is the clock (default time.Now).
	Now func() time.Time
	// ShutdownTimeout bounds the graceful shutdown (default 5 s).
	ShutdownTimeout time.Duration
}

// Server is Herald's HTTP server. Routes may be added with Handle until Run.
type Server struct {
	opts    Options
	logger  *slog.Logger
	mux     *http.ServeMux
	handler http.Handler
	metrics serverMetrics

	mu       sync.Mutex
	addr     string
	stopping bool
	listened chan struct{}

	sourceMu  sync.Mutex
	sourceIDs map[string]int64 // webhook sources resolved so far

	authFailures *limit.Failures // failed authentications per client
	// hostAllowed, when set, is the only Host names answered (loopback mode).
	hostAllowed func(host string) bool
	// probeAuth, when set, guards /metrics and /readyz (see guardProbe).
	probeAuth *auth
}

// New builds a Server; nothing listens until Run.
func New(opts Options, logger *slog.Logger) *Server {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = DefaultShutdownTimeout
	}
	if opts.Metrics == nil {
		opts.Metrics = metrics.NewSet()
	}
	if opts.Health == nil {
		opts.Health = health.NewRecorder(opts.Now)
	}
	s := &Server{
		opts:      opts,
		logger:    logger,
		mux:       http.NewServeMux(),
		metrics:   serverMetrics{set: opts.Metrics},
		listened:  make(chan struct{}),
		sourceIDs: map[string]int64{},
	}
	s.authFailures = limit.NewFailures(maxAuthFailures, opts.Now)
	s.mux.HandleFunc("GET /healthz", s.handleHealthz)
	s.mux.Handle("GET /readyz", s.guardProbe(http.HandlerFunc(s.handleReadyz)))
	s.mux.Handle("GET /metrics", s.guardProbe(metrics.Handler(opts.Metrics)))
	s.mux.HandleFunc("POST /hooks/articles", s.handleWebhook)
	if opts.Push != nil {
		s.mux.Handle(push.CallbackPattern, opts.Push)
	}
	s.handler = s.instrument(s.checkHost(s.mux))
	return s
}

// Handle registers a route on the server's mux (Go 1.22 patterns such as
// "GET /api/popular"). Register before Run; a pattern already taken panics,
// as http.ServeMux does.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// HandleFunc is Handle for a function.
func (s *Server) HandleFunc(pattern string, h http.HandlerFunc) { s.mux.HandleFunc(pattern, h) }

// Handler returns the server's whole handler (routes and instrumentation),
// e.g. for httptest.
func (s *Server) Handler() http.Handler { return s.handler }

// Addr returns the address Run listens on ("" before it listens).
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Run listens on Options.Addr and serves until ctx is done, then shuts down
// gracefully within ShutdownTimeout (closing what is left after that). It
// returns nil after a shutdown asked for by ctx, or the listen/serve error.
// Call it once.
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("web: listen: %w", err)
	}
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	s.mu.Lock()
	s.addr = ln.Addr().String()
	s.mu.Unlock()
	close(s.listened)
	s.logger.Info("http server listening", "addr", ln.Addr().String(), "public_url", s.opts.PublicURL)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("web: serve: %w", err)
	case <-ctx.Done():
	}
	s.mu.Lock()
	s.stopping = true
	s.mu.Unlock()
	sctx, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		s.logger.Warn("http server shutdown timed out; closing connections", "error", err)
		_ = srv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("web: serve: %w", err)
	}
	s.logger.Info("http server stopped")
	return nil
}

func (s *Server) handleHealthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}

// readyBody is /readyz's answer.
type readyBody struct {
	Status   string   `json:"status"` // "ready" or "unavailable"
	Reasons  []string `json:"reasons,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	body := readyBody{Status: "ready"}
	s.mu.Lock()
	stopping := s.stopping
	s.mu.Unlock()
	if stopping {
		body.Reasons = append(body.Reasons, "shutting down")
	}
	if err := s.ready(ctx); err != nil {
		body.Reasons = append(body.Reasons, reasons(err)...)
	}
	if err := s.opts.Health.Err(); err != nil {
		body.Reasons = append(body.Reasons, err.Error())
	}
	if s.opts.Warnings != nil {
		body.Warnings = s.opts.Warnings(ctx)
	}
	code := http.StatusOK
	if len(body.Reasons) > 0 {
		body.Status = "unavailable"
		code = http.StatusServiceUnavailable
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, code, body)
}

func (s *Server) ready(ctx context.Context) error {
	if s.opts.Ready != nil {
		return s.opts.Ready(ctx)
	}
	if s.opts.Store == nil {
		return errors.New("no store")
	}
	if _, err := s.opts.Store.NextDue(ctx); err != nil {
		return fmt.Errorf("store unreachable: %w", err)
	}
	return nil
}

// reasons splits an errors.Join into its parts.
func reasons(err error) []string {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []string
		for _, e := range j.Unwrap() {
			if e != nil {
				out = append(out, reasons(e)...)
			}
		}
		return out
	}
	return []string{strings.TrimSpace(err.Error())}
}

// errorBody is every JSON error answer: the message and, for an invalid
// payload, the field at fault ("[1].url").
type errorBody struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg, field string) {
	writeJSON(w, code, errorBody{Error: msg, Field: field})
}
