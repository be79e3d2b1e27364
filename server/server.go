package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/report"
	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim"
)

// Options configure a Server.
type Options struct {
	// Speed is virtual seconds per wall second: virtual = start + Speed ×
	// wall elapsed. 0 pauses the clock (it then moves only by Advance).
	Speed float64
	// Port to listen on at 127.0.0.1; 0 picks a free one.
	Port int
	// WallTimestamps shifts every timestamp sent to clients by (wall now −
	// virtual now), so ages that kubectl computes against its own clock
	// (describe, events) read as virtual ages at any speed. False sends the
	// raw virtual times (epoch + virtual time).
	WallTimestamps bool
	// Epoch is the wall-clock instant of virtual time 0 (the scenario's
	// spec.startTime); zero means report.DefaultEpoch.
	Epoch time.Time
	// Log receives one line per accepted write (the write log, JSON lines
	// with the virtual time) and the server's own messages; nil discards.
	Log io.Writer
	// HistorySize bounds the watch history (default 10000 events); a watch
	// from an older resourceVersion gets 410 Expired.
	HistorySize int
	// WatchBuffer bounds each watcher's queue (default 1000 events); a
	// watcher that falls that far behind is closed.
	WatchBuffer int
	// Tick is the wall-clock slice between simulation steps (default 10ms).
	Tick time.Duration
	// ScenarioEnd, when positive, is the scenario's spec.duration: when
	// virtual time passes it the expectations so far go to Log once.
	ScenarioEnd sim.Time
}

// Server serves a Kubernetes API over a running scenario session. One
// goroutine (Serve's) owns the session: HTTP handlers send it closures that
// run between simulation events at the current virtual time.
type Server struct {
	sess  *scenarios.Session
	store *cluster.Store
	opts  Options
	ln    net.Listener
	http  *http.Server

	reqs    chan func()
	stopped chan struct{} // closed when the simulation loop has exited
	quit    chan struct{} // closed when Serve begins to shut down
	once    sync.Once

	vnow      atomic.Int64          // virtual now, published by the sim goroutine
	hist      *history              // store objects
	evhist    *history              // events (their own resourceVersion sequence)
	evtracker eventTracker          // sim goroutine only
	applied   map[string][]byte     // server-side apply: last configuration per uid/manager (sim goroutine)
	last      map[lastKey]*snapshot // newest snapshot per object (sim goroutine)
	logMu     sync.Mutex
	serving   atomic.Bool
	endLogged bool // sim goroutine
}

// New prepares a server for sess and binds its listener on 127.0.0.1; the
// session must not be advanced by anyone else from now on.
func New(sess *scenarios.Session, opts Options) (*Server, error) {
	if opts.Speed < 0 {
		return nil, fmt.Errorf("server: speed %v must not be negative", opts.Speed)
	}
	if opts.Epoch.IsZero() {
		opts.Epoch = report.DefaultEpoch
	}
	if opts.HistorySize <= 0 {
		opts.HistorySize = 10000
	}
	if opts.WatchBuffer <= 0 {
		opts.WatchBuffer = 1000
	}
	if opts.Tick <= 0 {
		opts.Tick = 10 * time.Millisecond
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(opts.Port)))
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s := &Server{sess: sess, store: sess.Store, opts: opts, ln: ln, reqs: make(chan func()),
		stopped: make(chan struct{}), quit: make(chan struct{}), applied: map[string][]byte{}, last: map[lastKey]*snapshot{}}
	s.vnow.Store(int64(sess.Engine.Now()))
	s.hist = newHistory(opts.HistorySize, s.currentRV())
	s.evhist = newHistory(opts.HistorySize, 0)
	s.store.Observe(s.observe)
	s.evtracker.sync(s) // events recorded before the server started
	s.http = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	return s, nil
}

// Addr is the listener's address (127.0.0.1:PORT).
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is the API's base URL.
func (s *Server) URL() string { return "http://" + s.Addr() }

// Kubeconfig is a kubeconfig for the server: plain HTTP on loopback, no
// credentials, namespace default.
func (s *Server) Kubeconfig() []byte {
	return []byte(`apiVersion: v1
kind: Config
clusters:
- name: kubesim
  cluster:
    server: ` + s.URL() + `
contexts:
- name: kubesim
  context:
    cluster: kubesim
    user: kubesim
    namespace: default
current-context: kubesim
users:
- name: kubesim
  user: {}
`)
}

// errStopped answers requests that arrive after the simulation stopped.
var errStopped = errors.New("the simulation has stopped")

// Serve runs the simulation paced to wall time and serves the API until
// ctx is cancelled (nil error) or the simulation fails.
func (s *Server) Serve(ctx context.Context) error {
	if !s.serving.CompareAndSwap(false, true) {
		return errors.New("server: Serve called twice")
	}
	httpErr := make(chan error, 1)
	go func() { httpErr <- s.http.Serve(s.ln) }()
	err := s.loop(ctx, httpErr)
	s.shutdown()
	return err
}

func (s *Server) shutdown() {
	s.once.Do(func() { close(s.quit) })
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if s.http.Shutdown(sctx) != nil {
		s.http.Close()
	}
}

func (s *Server) loop(ctx context.Context, httpErr <-chan error) (err error) {
	defer close(s.stopped)
	tick := time.NewTicker(s.opts.Tick)
	defer tick.Stop()
	wallStart, v0 := time.Now(), s.sess.Engine.Now()
	for {
		select {
		case <-ctx.Done():
			return nil
		case e := <-httpErr:
			if errors.Is(e, http.ErrServerClosed) {
				return nil
			}
			return fmt.Errorf("server: %w", e)
		case f := <-s.reqs:
			f()
		case <-tick.C:
			if s.opts.Speed == 0 {
				continue
			}
			target := v0.Add(time.Duration(s.opts.Speed * float64(time.Since(wallStart))))
			if err := s.step(target); err != nil {
				s.logf("simulation stopped: %v", err)
				return err
			}
		}
	}
}

// step advances the session to target and publishes the new state.
func (s *Server) step(target sim.Time) error {
	if target <= s.sess.Engine.Now() {
		return nil
	}
	err := s.sess.RunUntil(target)
	s.afterSim()
	return err
}

// afterSim runs on the sim goroutine after anything that may have changed
// the world.
func (s *Server) afterSim() {
	now := s.sess.Engine.Now()
	s.vnow.Store(int64(now))
	s.evtracker.sync(s)
	if s.opts.ScenarioEnd > 0 && now >= s.opts.ScenarioEnd && !s.endLogged {
		s.endLogged = true
		r := s.sess.Finish()
		s.logf("scenario duration %s reached; the simulation goes on", report.FormatTime(time.Duration(s.opts.ScenarioEnd)))
		for _, e := range r.Expectations {
			s.logf("%s", report.ExpectationLine(e))
		}
	}
}

// do runs f on the simulation goroutine, waits for it and returns its
// error, or the reason it did not run to the end (the server stopped, the
// request was cancelled). A panic in f is returned as an error rather than
// taking the simulation down.
func (s *Server) do(ctx context.Context, f func() error) error {
	done := make(chan error, 1)
	wrapped := func() {
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Errorf("internal error: %v", r)
			}
			s.afterSim()
		}()
		done <- f()
	}
	select {
	case s.reqs <- wrapped:
	case <-s.stopped:
		return errStopped
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-done:
		return err
	case <-s.stopped:
		return errStopped
	}
}

// Advance moves virtual time forward by d on the simulation goroutine (for
// a paused server, Speed 0, and tests).
func (s *Server) Advance(ctx context.Context, d time.Duration) error {
	return s.do(ctx, func() error { return s.step(s.sess.Engine.Now().Add(d)) })
}

// Now is the current virtual time.
func (s *Server) Now() sim.Time { return sim.Time(s.vnow.Load()) }

// epoch is the wall-clock instant that virtual time 0 maps to in what the
// server sends now: the scenario epoch, or with WallTimestamps the instant
// that makes virtual now read as wall now.
func (s *Server) epoch() time.Time {
	if !s.opts.WallTimestamps {
		return s.opts.Epoch
	}
	return time.Now().Add(-time.Duration(s.Now()))
}

// offset is what shifts a raw virtual timestamp (Epoch + t) to what the
// server sends.
func (s *Server) offset() time.Duration {
	if !s.opts.WallTimestamps {
		return 0
	}
	return s.epoch().Sub(s.opts.Epoch)
}

func (s *Server) logf(format string, args ...any) {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	fmt.Fprintf(s.opts.Log, "# "+format+"\n", args...)
}

// currentRV is the highest resourceVersion of any stored object: where the
// watch history starts.
func (s *Server) currentRV() int64 {
	var rv int64
	for _, r := range resources {
		if r.event {
			continue
		}
		s.store.List(r.kind, "", func(o api.Object) bool {
			rv = max(rv, o.Meta().ResourceVersion)
			return true
		})
	}
	return rv
}
