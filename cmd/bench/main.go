// Command bench is the simulator's reproducible load benchmark (issue 8,
// "Speed"). In one process it starts a bare net/http server answering a
// fixed body (the ceiling) and the whole simulator, each on a 127.0.0.1
// port it picks, then drives each target below with -conns concurrent
// keep-alive connections for -duration, one target after the other:
//
//	ceiling                  GET  /fixed                             (bare net/http)
//	mobilepay status         GET  /mobilepay/api/pos/payment/status  (stateful read)
//	misspay track-checkout   GET  /misspay/track-checkout/{trackId}  (stateful read)
//	misspay start-checkout   POST /misspay/start-checkout            (stateful write)
//
// It prints requests per second and the ratio to the ceiling for each, the
// start-up time of a simulator (sims.New and the first /_sim/health) and
// the idle RSS of the process (VmRSS in /proc/self/status, Linux). The load
// goes to 127.0.0.1 only and stops by itself.
//
//	go run ./cmd/bench                       # 3s per target, 50 connections
//	go run ./cmd/bench -duration 10s -conns 100
//	go run ./cmd/bench -cpuprofile cpu.out -only start-checkout
//
// The duration is split into -rounds rounds that interleave the targets
// with the ceiling; a target's ratio is the median over the rounds of its
// rate over the mean of the ceilings just before and after it, so a
// neighbour that loads a shared machine for a while skews one round, not
// the result. The ceiling line shows the spread of its runs.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sims"
	"github.com/paysandbox/paysandbox/sims/misspay"
	"github.com/paysandbox/paysandbox/sims/misspay/seal"
	"github.com/paysandbox/paysandbox/sims/mobilepay"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	// The collector setting of cmd/simulator, so that the figures are the
	// binary's (the ceiling server shares it and allocates next to nothing).
	sim.TuneGC(os.Getenv)
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// Targets of the issue: stateful reads at least 0.6x of the ceiling,
// writes at least 0.4x, start-up under 50 ms, idle RSS under 20 MB.
const (
	targetRead    = 0.6
	targetWrite   = 0.4
	targetStartup = 50 * time.Millisecond
	targetRSS     = 20 << 20
)

// ceilingBody is what the ceiling server answers: a small JSON body of
// the size of a status answer.
var ceilingBody = []byte(`{"success":true,"errors":[],"paymentId":"00000000-0000-0000-0000-000000000000","status":"Initiated","amount":10.00,"orderId":"bench","customerToken":null,"reCaptcha":null}` + "\n")

type config struct {
	duration   time.Duration
	conns      int
	rounds     int
	only       string
	cpuprofile string
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&c.duration, "duration", 3*time.Second, "how long each target is driven")
	fs.IntVar(&c.conns, "conns", 50, "concurrent keep-alive connections per target")
	fs.IntVar(&c.rounds, "rounds", 6, "rounds the duration is split into, interleaving targets and ceiling")
	fs.StringVar(&c.only, "only", "", "drive only the targets whose name contains this (the ceiling always runs)")
	fs.StringVar(&c.cpuprofile, "cpuprofile", "", "write a CPU profile of the simulator targets' load to this file")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: bench [-duration 3s] [-conns 50] [-rounds 6] [-only NAME] [-cpuprofile FILE]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if c.duration <= 0 || c.conns <= 0 || c.rounds <= 0 {
		return c, errors.New("-duration, -conns and -rounds must be positive")
	}
	return c, nil
}

// target is one load: a fixed request sent over and over on each
// connection, and the status every answer must have.
type target struct {
	name   string
	kind   string // "ceiling", "read" or "write"
	addr   string
	method string
	path   string
	header http.Header
	body   []byte
	req    []byte // the wire bytes of method, path, header and body
	status int
}

func newTarget(name, kind, addr, method, path string, h http.Header, body []byte, status int) target {
	return target{name: name, kind: kind, addr: addr, method: method, path: path, header: h, body: body,
		req: rawRequest(method, addr, path, h, body), status: status}
}

type result struct {
	target
	requests int64
	errors   int64
	elapsed  time.Duration
}

func (r result) rate() float64 { return float64(r.requests) / r.elapsed.Seconds() }

// sum adds up runs of one target.
func sum(rs []result) result {
	var out result
	for _, r := range rs {
		out.target = r.target
		out.requests += r.requests
		out.errors += r.errors
		out.elapsed += r.elapsed
	}
	return out
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}

	// Start-up first, while the process is fresh: building the
	// simulator (every provider, its OpenAPI document) and serving the
	// first /_sim/health.
	startedAt := time.Now()
	srv, simAddr, stopSim, err := startSimulator()
	if err != nil {
		return err
	}
	defer stopSim()
	if err := health(simAddr); err != nil {
		return err
	}
	startup := time.Since(startedAt)

	// Idle RSS: right after start-up, and once the runtime has handed
	// back to the OS the memory start-up used and freed (which an idle
	// process's scavenger does by itself within minutes).
	runtime.GC()
	startRSS, rssErr := vmRSS()
	debug.FreeOSMemory()
	idleRSS, _ := vmRSS()

	ceilAddr, stopCeil, err := startCeiling()
	if err != nil {
		return err
	}
	defer stopCeil()

	targets, err := prepare(srv, simAddr)
	if err != nil {
		return err
	}
	ceiling := newTarget("ceiling (bare net/http, fixed body)", "ceiling", ceilAddr, http.MethodGet, "/fixed", nil, nil, http.StatusOK)

	fmt.Fprintf(stdout, "paysandbox bench: %d connections, %s per target, GOMAXPROCS %d, %s/%s\n",
		cfg.conns, cfg.duration, runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH)

	var chosen []target
	for _, t := range targets {
		if cfg.only == "" || strings.Contains(t.name, cfg.only) {
			chosen = append(chosen, t)
		}
	}
	// Rounds interleave the targets with the ceiling (C T1 T2 T3 C T1 ...
	// C), each for duration/rounds: on a shared machine a neighbour's
	// burst then skews one round, not one target, and each round's ratios
	// are to the ceilings just before and after it.
	slice := cfg.duration / time.Duration(cfg.rounds)
	var ceilings []result
	perTarget := make([][]result, len(chosen))
	ratios := make([][]float64, len(chosen))
	stopProfile := func() {}
	for round := 0; round <= cfg.rounds; round++ {
		r, err := load(ctx, ceiling, cfg.conns, slice)
		if err != nil {
			stopProfile()
			return fmt.Errorf("%s: %w", ceiling.name, err)
		}
		ceilings = append(ceilings, r)
		if round > 0 {
			ref := (ceilings[round-1].rate() + ceilings[round].rate()) / 2
			for i := range chosen {
				ratios[i] = append(ratios[i], perTarget[i][round-1].rate()/ref)
			}
		}
		if round == cfg.rounds {
			break
		}
		if round == 0 {
			// The profile covers the simulator's targets, not the ceiling.
			if stopProfile, err = startProfile(cfg.cpuprofile); err != nil {
				return err
			}
		}
		for i, t := range chosen {
			r, err := load(ctx, t, cfg.conns, slice)
			if err != nil {
				stopProfile()
				return fmt.Errorf("%s: %w", t.name, err)
			}
			perTarget[i] = append(perTarget[i], r)
		}
	}
	stopProfile()

	fmt.Fprintf(stdout, "%-40s %10s %8s %8s %s\n", "target", "req/s", "ratio", "errors", "goal")
	ceil := sum(ceilings)
	lo, hi := ceilings[0].rate(), ceilings[0].rate()
	for _, c := range ceilings {
		lo, hi = min(lo, c.rate()), max(hi, c.rate())
	}
	fmt.Fprintf(stdout, "%-40s %10.0f %7.2fx %8d (%d runs, %.0f to %.0f)\n", ceiling.name, ceil.rate(), 1.0, ceil.errors,
		len(ceilings), lo, hi)
	failed := ceil.errors > 0
	for i, t := range chosen {
		all := sum(perTarget[i])
		ratio := median(ratios[i])
		goal := ""
		switch t.kind {
		case "read":
			goal = verdict(ratio >= targetRead, fmt.Sprintf(">= %.1fx", targetRead))
		case "write":
			goal = verdict(ratio >= targetWrite, fmt.Sprintf(">= %.1fx", targetWrite))
		}
		fmt.Fprintf(stdout, "%-40s %10.0f %7.2fx %8d %s\n", t.name, all.rate(), ratio, all.errors, goal)
		failed = failed || all.errors > 0
	}
	fmt.Fprintf(stdout, "%-40s %10s %s\n", "start-up (sims.New + first /_sim/health)",
		startup.Round(100*time.Microsecond), verdict(startup < targetStartup, "< 50ms"))
	if rssErr != nil {
		fmt.Fprintf(stdout, "%-40s %10s (%v)\n", "idle RSS", "n/a", rssErr)
	} else {
		fmt.Fprintf(stdout, "%-40s %8.1fMB\n", "RSS right after start-up (after a GC)", float64(startRSS)/(1<<20))
		fmt.Fprintf(stdout, "%-40s %8.1fMB %s\n", "idle RSS (freed memory returned)",
			float64(idleRSS)/(1<<20), verdict(idleRSS < targetRSS, "< 20MB"))
	}
	if failed {
		return errors.New("some answers had an unexpected status or a broken connection (errors column)")
	}
	return nil
}

// startProfile starts a CPU profile into file ("" for none).
func startProfile(file string) (stop func(), err error) {
	if file == "" {
		return func() {}, nil
	}
	f, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

func verdict(ok bool, goal string) string {
	if ok {
		return "ok (" + goal + ")"
	}
	return "MISSED (" + goal + ")"
}

// newHTTPServer has the timeouts cmd/simulator serves with.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
}

func serveOn(h http.Handler) (addr string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	hs := newHTTPServer(h)
	go func() { _ = hs.Serve(ln) }()
	return ln.Addr().String(), func() { _ = hs.Close() }, nil
}

// startSimulator builds and serves the simulator with the command's
// defaults (seed 1, running clock).
func startSimulator() (*sim.Server, string, func(), error) {
	srv, err := sims.New(sim.Options{Seed: 1})
	if err != nil {
		return nil, "", nil, err
	}
	addr, stop, err := serveOn(srv.Handler())
	if err != nil {
		srv.Close()
		return nil, "", nil, err
	}
	srv.SetPublicURL("http://" + addr)
	return srv, addr, func() { stop(); srv.Close() }, nil
}

func startCeiling() (string, func(), error) {
	return serveOn(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write(ceilingBody)
	}))
}

var client = &http.Client{Timeout: 10 * time.Second}

func health(addr string) error {
	resp, err := client.Get("http://" + addr + "/_sim/health")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/_sim/health: status %d", resp.StatusCode)
	}
	return nil
}

// call makes one set-up request and decodes its JSON answer into out.
func call(method, url string, h http.Header, body []byte, want int, out any) error {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: status %d, want %d: %s", method, url, resp.StatusCode, want, b)
	}
	return json.Unmarshal(b, out)
}

// startCheckoutBody is the documentation's v1.2 start-checkout body.
var startCheckoutBody = []byte(`{"orderId":"1233-ABCD","invoiceId":"1234567890","totalPrice":"215","shippingAmount":"0","vat":"15",` +
	`"discount":{"percentage":"15","amount":"30","voucherName":"MIS-30"},"purchaseAmount":"200","purchaseCurrency":"SAR",` +
	`"lang":"en","version":"v1.2","customerDetails":{"id":"customer ID","firstName":"first name","lastName":"last name",` +
	`"mobileNumber":"+966512345678","email":"customer@example.com"},"orderDetails":{"items":[{"id":"OR12345","sku":"1234568abcd",` +
	`"nameArabic":"item name in arabic","nameEnglish":"item name in english","quantity":"2","unitPrice":"100",` +
	`"itemUrl":"https://itemurl.com","imageUrl":"https://imagurle.com"}]},"shippingDetails":{"firstName":"first name",` +
	`"lastName":"last name","countryCode":"96","city":"riyadh","district":"riyadh","line1":"first line","line2":"second line",` +
	`"gpsCoordinates":"41.40338, 2.17403"},"isMobile":true}`)

// prepare creates what the stateful targets read (a MobilePay payment, a
// MIS Pay checkout) through the API, as a client would, and returns the
// targets.
func prepare(srv *sim.Server, addr string) ([]target, error) {
	base := "http://" + addr

	// MobilePay: a payment started on the fixture merchant's terminal.
	auth := "accessToken=" + mobilepay.FixtureAccessToken + "&bioCode=" + mobilepay.FixtureBioCode
	var payment struct {
		PaymentID string `json:"paymentId"`
	}
	if err := call(http.MethodGet, base+"/mobilepay/api/pos/payment/start?"+auth+"&orderId=bench&amount=10.00&terminalId=T1001",
		nil, nil, http.StatusOK, &payment); err != nil {
		return nil, err
	}
	if payment.PaymentID == "" {
		return nil, errors.New("mobilepay: payment/start gave no paymentId")
	}

	// MIS Pay: the fixture merchant reads its checkout; a minted merchant
	// writes, so the writes' checkouts (past the per-merchant object cap)
	// never evict the one being read.
	p, ok := srv.Provider(misspay.Name)
	if !ok {
		return nil, errors.New("no misspay provider")
	}
	creds, ok := p.Credentials().(misspay.Credentials)
	if !ok {
		return nil, fmt.Errorf("misspay credentials are %T", p.Credentials())
	}
	h, err := misspayHeaders(base, creds)
	if err != nil {
		return nil, err
	}
	var minted misspay.Credentials
	if err := call(http.MethodPost, base+"/_sim/misspay/merchants", nil, []byte(`{}`), http.StatusCreated, &minted); err != nil {
		return nil, err
	}
	hw, err := misspayHeaders(base, minted)
	if err != nil {
		return nil, err
	}
	var checkout struct {
		Result struct {
			TrackID string `json:"trackId"`
		} `json:"result"`
	}
	if err := call(http.MethodPost, base+"/misspay/start-checkout", h, startCheckoutBody, http.StatusCreated, &checkout); err != nil {
		return nil, err
	}
	if checkout.Result.TrackID == "" {
		return nil, errors.New("misspay: start-checkout gave no trackId")
	}

	return []target{
		newTarget("mobilepay payment/status", "read", addr, http.MethodGet,
			"/mobilepay/api/pos/payment/status?"+auth+"&paymentId="+payment.PaymentID, nil, nil, http.StatusOK),
		newTarget("misspay track-checkout", "read", addr, http.MethodGet,
			"/misspay/track-checkout/"+checkout.Result.TrackID, h, nil, http.StatusOK),
		newTarget("misspay start-checkout", "write", addr, http.MethodPost,
			"/misspay/start-checkout", hw, startCheckoutBody, http.StatusCreated),
	}, nil
}

// misspayHeaders gets a token for a MIS Pay merchant, as a client does
// (GET /token, then open the sealed answer), and returns the headers of
// an API call.
func misspayHeaders(base string, creds misspay.Credentials) (http.Header, error) {
	var tok struct {
		Result struct {
			Token string `json:"token"`
		} `json:"result"`
	}
	if err := call(http.MethodGet, base+"/misspay/token",
		http.Header{"X-App-Id": {creds.AppID}, "X-App-Secret": {creds.AppSecret}}, nil, http.StatusOK, &tok); err != nil {
		return nil, err
	}
	plain, err := seal.Open(creds.AppSecret, tok.Result.Token)
	if err != nil {
		return nil, fmt.Errorf("misspay token: %w", err)
	}
	var jwt struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(plain, &jwt); err != nil || jwt.Token == "" {
		return nil, fmt.Errorf("misspay token plaintext %q", plain)
	}
	return http.Header{"Authorization": {"Bearer " + jwt.Token}, "X-App-Id": {creds.AppID}, "Content-Type": {"application/json"}}, nil
}

// rawRequest is the wire bytes of a keep-alive request.
func rawRequest(method, addr, path string, h http.Header, body []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: paysandbox-bench\r\n", method, path, addr)
	for k, vs := range h {
		if method == http.MethodGet && k == "Content-Type" {
			continue
		}
		for _, v := range vs {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	if body != nil {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(body))
	}
	b.WriteString("\r\n")
	b.Write(body)
	return b.Bytes()
}

// load drives t with conns connections for d. Each connection sends its
// request, reads the whole answer and sends the next, like wrk: a small
// HTTP/1.1 client that allocates nothing per request, so the load
// generator takes as little of the shared CPU as it can.
func load(ctx context.Context, t target, conns int, d time.Duration) (result, error) {
	var stop atomic.Bool
	var requests, failures atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, conns)
	start := time.Now()
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var c *rawConn
			defer func() {
				if c != nil {
					c.Close()
				}
			}()
			var n, bad int64
			defer func() { requests.Add(n); failures.Add(bad) }()
			for !stop.Load() {
				if c == nil {
					var err error
					if c, err = dial(t.addr); err != nil {
						errc <- err
						return
					}
				}
				status, keep, err := c.do(t.req)
				if err != nil {
					bad++
					c.Close()
					c = nil
					continue
				}
				if status != t.status {
					bad++
				} else {
					n++
				}
				if !keep {
					c.Close()
					c = nil
				}
			}
		}()
	}
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
	stop.Store(true)
	wg.Wait()
	elapsed := time.Since(start)
	close(errc)
	if err := <-errc; err != nil {
		return result{}, err
	}
	if err := ctx.Err(); err != nil {
		return result{}, err
	}
	return result{target: t, requests: requests.Load(), errors: failures.Load(), elapsed: elapsed}, nil
}

type rawConn struct {
	net.Conn
	br *bufio.Reader
}

func dial(addr string) (*rawConn, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &rawConn{Conn: c, br: bufio.NewReaderSize(c, 16<<10)}, nil
}

// do sends req and reads one answer: its status, and whether the server
// keeps the connection open.
func (c *rawConn) do(req []byte) (status int, keep bool, err error) {
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.Write(req); err != nil {
		return 0, false, err
	}
	line, err := c.br.ReadSlice('\n')
	if err != nil {
		return 0, false, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return 0, false, fmt.Errorf("bad status line %q", line)
	}
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, false, fmt.Errorf("bad status line %q", line)
	}
	length, chunked, keep := -1, false, true
	for {
		line, err := c.br.ReadSlice('\n')
		if err != nil {
			return 0, false, err
		}
		if len(line) <= 2 {
			break
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		v = bytes.TrimSpace(v)
		switch {
		case asciiEqualFold(k, "Content-Length"):
			if length, err = strconv.Atoi(string(v)); err != nil {
				return 0, false, fmt.Errorf("bad Content-Length %q", v)
			}
		case asciiEqualFold(k, "Transfer-Encoding"):
			chunked = asciiEqualFold(v, "chunked")
		case asciiEqualFold(k, "Connection"):
			keep = !asciiEqualFold(v, "close")
		}
	}
	switch {
	case chunked:
		for {
			line, err := c.br.ReadSlice('\n')
			if err != nil {
				return 0, false, err
			}
			size, err := strconv.ParseInt(string(bytes.TrimSpace(bytes.SplitN(line, []byte(";"), 2)[0])), 16, 64)
			if err != nil {
				return 0, false, fmt.Errorf("bad chunk size %q", line)
			}
			if size == 0 {
				for { // trailers up to the blank line
					line, err := c.br.ReadSlice('\n')
					if err != nil {
						return 0, false, err
					}
					if len(line) <= 2 {
						break
					}
				}
				break
			}
			if _, err := c.br.Discard(int(size) + 2); err != nil {
				return 0, false, err
			}
		}
	case length >= 0:
		if _, err := c.br.Discard(length); err != nil {
			return 0, false, err
		}
	default:
		return 0, false, errors.New("answer without a length")
	}
	return status, keep, nil
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// vmRSS reads the resident set size of this process (Linux).
func vmRSS() (int64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, errors.New("no /proc/self/status (not Linux)")
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("VmRSS %q", rest)
			}
			return kb << 10, nil
		}
	}
	return 0, errors.New("no VmRSS in /proc/self/status")
}
