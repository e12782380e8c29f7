// Command simulator serves offline fakes of payment providers (MIS Pay and
// the others registered in package sims) and the /_sim control plane.
//
//	go run ./cmd/simulator                   # http://127.0.0.1:8080
//	go run ./cmd/simulator --tls             # https://127.0.0.1:8080, local CA
//	go run ./cmd/simulator --help
//	go run ./cmd/simulator decrypt --secret S BLOB   (a provider tool)
//	simulator health                         # exit 0 when it serves (Docker HEALTHCHECK)
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/tlsca"
	"github.com/paysandbox/paysandbox/sims"
)

func main() {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go onSignals(sigs, cancel, os.Stderr, os.Exit)
	sim.TuneGC(os.Getenv) // GOGC=400 unless the environment sets it
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "simulator:", err)
		os.Exit(2)
	}
}

// onSignals starts a graceful shutdown (cancel) on the first signal and
// exits at once on the second, for a user who does not want to wait.
func onSignals(sigs <-chan os.Signal, cancel context.CancelFunc, stderr io.Writer, exit func(int)) {
	<-sigs
	cancel()
	sig := <-sigs
	fmt.Fprintf(stderr, "simulator: second %v: exiting without waiting for requests to finish\n", sig)
	exit(1)
}

// run is the whole program; main only wires the process to it.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) > 0 {
		if args[0] == "health" {
			return health(ctx, args[1:], stdout, stderr, getenv)
		}
		if tool, ok := providerTools()[args[0]]; ok {
			return tool.Run(args[1:], stdin, stdout, stderr)
		}
	}
	cfg, err := Load(args, getenv, stderr)
	if err != nil {
		return err
	}
	return serve(ctx, cfg, stdout, stderr)
}

// providerTools are the command-line helpers the providers declare in the
// registry (e.g. MIS Pay's decrypt), by name.
func providerTools() map[string]sim.Tool {
	out := map[string]sim.Tool{}
	for _, f := range sims.Registry() {
		for name, t := range f.Tools {
			out[name] = t
		}
	}
	return out
}

// toolsUsage lists the providers' tools for the usage text.
func toolsUsage() string {
	tools := providerTools()
	names := slices.Sorted(maps.Keys(tools))
	var b strings.Builder
	fmt.Fprintf(&b, "  simulator health %s\n", healthUsage)
	for _, n := range names {
		fmt.Fprintf(&b, "  simulator %s %s\n", n, tools[n].Usage)
	}
	return b.String()
}

// shutdownGrace is how long in-flight requests get to finish on SIGTERM.
const shutdownGrace = 10 * time.Second

func newLogger(cfg Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func newHTTPServer(h http.Handler, log *slog.Logger, act *activity) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		// Larger than the simulator's own header limit, so a header
		// block somewhat over it gets the provider's envelope rather
		// than Go's plain-text 431.
		MaxHeaderBytes: sim.MaxHeaderBytesFor(sim.DefaultHeaderLimit),
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ConnState:      act.track,
	}
}

// activity follows the connections of every listener, so a shutdown can
// tell whether clients are still sending requests.
type activity struct {
	mu     sync.Mutex
	conns  map[net.Conn]http.ConnState
	active int
	last   time.Time // when a request last started
}

func newActivity() *activity { return &activity{conns: map[net.Conn]http.ConnState{}} }

func (a *activity) track(c net.Conn, st http.ConnState) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.conns[c] == http.StateActive {
		a.active--
	}
	switch st {
	case http.StateClosed, http.StateHijacked:
		delete(a.conns, c)
		return
	case http.StateActive:
		a.active++
		a.last = time.Now()
	}
	a.conns[c] = st
}

// quiet reports whether no request is running and none started within d.
func (a *activity) quiet(d time.Duration) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.active == 0 && time.Since(a.last) >= d
}

// drainQuiet is how long without a new request counts as clients having
// stopped sending.
const drainQuiet = 200 * time.Millisecond

// drain waits, up to max, until clients stop sending. Meanwhile every
// answer carries Connection: close ((*sim.Server).Stop), so a keep-alive
// client closes its connection after its answer instead of sending its
// next request into a connection the shutdown closes (an EOF).
func (a *activity) drain(max time.Duration) {
	deadline := time.Now().Add(max)
	for time.Now().Before(deadline) && !a.quiet(drainQuiet) {
		time.Sleep(10 * time.Millisecond)
	}
}

func serve(ctx context.Context, cfg Config, stdout, stderr io.Writer) error {
	log := newLogger(cfg, stderr)
	var certs *tlsca.Certs
	if cfg.TLS {
		var err error
		if certs, err = loadCerts(cfg); err != nil {
			return err
		}
		if certs.SaveErr != nil {
			log.Warn("serving a server certificate that could not be kept; the next start issues another", "err", certs.SaveErr)
		}
	}
	srv, err := sims.New(sim.Options{
		Seed:                         cfg.Seed,
		FrozenClock:                  cfg.FrozenClock,
		Start:                        cfg.StartTime,
		ControlToken:                 cfg.ControlToken,
		NoControl:                    cfg.NoControl,
		AllowedHosts:                 cfg.allowedHosts(),
		InsecureDeterministicSecrets: cfg.InsecureSecrets,
		Limits:                       cfg.Limits,
		Logger:                       log,
		TLS:                          cfg.TLS,
		Faults:                       cfg.Faults,
	})
	if err != nil {
		return err
	}
	defer srv.Close()
	if len(cfg.Faults) > 0 {
		log.Warn("fault rules loaded: some requests and callbacks will fail on purpose", "file", cfg.FaultsFile, "rules", len(cfg.Faults))
	}

	type bound struct {
		ln   net.Listener
		h    http.Handler
		name string
	}
	var all []bound
	closeAll := func() {
		for _, b := range all {
			b.ln.Close()
		}
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	all = append(all, bound{ln: ln, h: srv.Handler()})
	srv.SetPublicURL(cfg.publicURL(ln.Addr()))
	for _, l := range cfg.Listen {
		h, err := srv.ProviderHandler(l.Provider)
		if err != nil {
			closeAll()
			return fmt.Errorf("--listen %s=%s: %w", l.Provider, l.Addr, err)
		}
		pln, err := net.Listen("tcp", l.Addr)
		if err != nil {
			closeAll()
			return fmt.Errorf("--listen %s=%s: %w", l.Provider, l.Addr, err)
		}
		all = append(all, bound{ln: pln, h: h, name: l.Provider})
	}

	printBanner(stdout, srv, cfg, certs, all[0].ln.Addr(), func(yield func(string, net.Addr) bool) {
		for _, b := range all[1:] {
			if !yield(b.name, b.ln.Addr()) {
				return
			}
		}
	})

	errc := make(chan error, len(all))
	var servers []*http.Server
	act := newActivity()
	for _, b := range all {
		hs := newHTTPServer(b.h, log, act)
		if certs != nil {
			hs.TLSConfig = certs.TLSConfig()
		}
		servers = append(servers, hs)
		go func() {
			var err error
			if certs != nil {
				err = hs.ServeTLS(b.ln, "", "") // HTTP/2 and HTTP/1.1
			} else {
				err = hs.Serve(b.ln)
			}
			if err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		}()
	}

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	// Held requests answer now, callbacks stop, answers close their
	// connections; keep serving while clients are still mid-loop, then
	// close what is idle and wait for what is running.
	srv.Stop()
	log.Info("shutting down; letting in-flight requests finish (a second signal exits at once)", "grace", shutdownGrace)
	act.drain(cfg.ShutdownDrain)
	for _, hs := range servers {
		hs.SetKeepAlivesEnabled(false)
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	for _, hs := range servers {
		if err := hs.Shutdown(sctx); err != nil {
			serveErr = errors.Join(serveErr, err)
		}
	}
	srv.Callbacks().Wait()
	return serveErr
}

// printBanner tells the user where everything is, which fixture
// credentials to use and, with --tls, how to trust the certificate. The
// credentials are the fixed, public fixtures. The control line comes last.
func printBanner(w io.Writer, srv *sim.Server, cfg Config, certs *tlsca.Certs, main net.Addr, extra func(func(string, net.Addr) bool)) {
	base := srv.PublicURL()
	fmt.Fprintf(w, "paysandbox simulator listening on %s://%s (public URL %s, seed %d", cfg.scheme(), main, base, cfg.Seed)
	if cfg.FrozenClock {
		fmt.Fprint(w, ", frozen clock")
	}
	fmt.Fprintln(w, ")")
	if cfg.InsecureSecrets {
		fmt.Fprintln(w, "  WARNING: --insecure-deterministic-secrets: minted secrets, signing keys and page ids follow the seed;")
		fmt.Fprintln(w, "           anyone who knows the seed can forge tokens. Use it for golden files, never on a shared simulator.")
	}
	for _, name := range srv.Providers() {
		p, _ := srv.Provider(name)
		fmt.Fprintf(w, "  %-10s %s/%s\n", name, base, name)
		for i, line := range credentialLines(p.Credentials()) {
			label := "credentials"
			if i > 0 {
				label = "           "
			}
			fmt.Fprintf(w, "             %s %s\n", label, line)
		}
	}
	for name, addr := range extra {
		fmt.Fprintf(w, "  %-10s %s://%s (at the root)\n", name, cfg.scheme(), addr)
	}
	if certs != nil {
		ca := "reused"
		if certs.CreatedCA {
			ca = "created now"
		}
		fmt.Fprintf(w, "  tls        local CA %s (%s); certificate for %s\n", certs.CAFile, ca, strings.Join(certs.Hosts, ", "))
		fmt.Fprintf(w, "             trust it: SSL_CERT_FILE=%s, or curl --cacert %s\n", certs.CAFile, certs.CAFile)
	}
	switch {
	case cfg.NoControl:
		fmt.Fprintln(w, "  control    disabled (--no-control)")
	case cfg.ControlToken != "":
		fmt.Fprintf(w, "  control    %s/_sim/health (token required)\n", base)
	default:
		fmt.Fprintf(w, "  control    %s/_sim/health\n", base)
	}
}

// credentialLines renders a credentials value as sorted key=value pairs on
// one line, with each nested value (stores, terminals...) as compact JSON on
// a line of its own.
func credentialLines(v any) []string {
	b, err := json.Marshal(v)
	if err != nil {
		return []string{"?"}
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return []string{string(b)}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var flat []string
	var nested []string
	for _, k := range keys {
		raw := m[k]
		switch raw[0] {
		case '{', '[':
			nested = append(nested, k+": "+string(raw))
		case '"':
			var s string
			_ = json.Unmarshal(raw, &s)
			if s != "" {
				flat = append(flat, k+"="+s)
			}
		default:
			flat = append(flat, k+"="+string(raw))
		}
	}
	return append([]string{strings.Join(flat, " ")}, nested...)
}
