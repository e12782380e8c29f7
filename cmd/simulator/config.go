package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/fault"
	"github.com/paysandbox/paysandbox/sims"
)

// Config is the simulator's configuration: flags with environment defaults.
type Config struct {
	Addr         string
	Seed         uint64
	PublicURL    string
	Listen       []Listener
	FrozenClock  bool
	StartTime    time.Time
	LogFormat    string
	LogLevel     string
	ControlToken string
	NoControl    bool
	// InsecureSecrets draws minted secrets from the seed (golden runs).
	InsecureSecrets bool
	// Limits bound the state kept (retention, idle merchants, objects).
	Limits sim.Limits
	// TLS serves every listener over HTTPS with a certificate from the
	// local CA kept in TLSDir (default: see defaultTLSDir).
	TLS    bool
	TLSDir string
	// FaultsFile is the --faults YAML file; Faults its rules (global
	// unless they name a merchant), loaded at start-up.
	FaultsFile string
	Faults     []fault.Rule
	// AllowHosts are extra host names the control plane answers to
	// without a control token (besides IPs, localhost and the listeners).
	AllowHosts []string
	// ShutdownDrain is how long, at most, the simulator keeps answering
	// (with Connection: close) after SIGTERM while clients are still
	// sending requests, before it closes their connections.
	ShutdownDrain time.Duration
}

// Listener serves one provider at the root of its own address.
type Listener struct {
	Provider string
	Addr     string
}

// DefaultConfig is the configuration with no flags and no environment.
func DefaultConfig() Config {
	return Config{Addr: "127.0.0.1:8080", Seed: 1, LogFormat: "text", LogLevel: "info", ShutdownDrain: 2 * time.Second}
}

type listenFlag struct{ ls *[]Listener }

func (l listenFlag) String() string {
	if l.ls == nil {
		return ""
	}
	parts := make([]string, len(*l.ls))
	for i, x := range *l.ls {
		parts[i] = x.Provider + "=" + x.Addr
	}
	return strings.Join(parts, ",")
}

func (l listenFlag) Set(v string) error {
	for _, item := range strings.Split(v, ",") {
		name, addr, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok || name == "" || addr == "" {
			return fmt.Errorf("want NAME=ADDR (a provider and a host:port), e.g. %s=127.0.0.1:9001, got %q", exampleProvider(), item)
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return fmt.Errorf("%s: %v", item, err)
		}
		*l.ls = append(*l.ls, Listener{Provider: name, Addr: addr})
	}
	return nil
}

// hostsFlag is a repeatable, comma-separated list of host names.
type hostsFlag struct{ hs *[]string }

func (h hostsFlag) String() string {
	if h.hs == nil {
		return ""
	}
	return strings.Join(*h.hs, ",")
}

func (h hostsFlag) Set(v string) error {
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			*h.hs = append(*h.hs, item)
		}
	}
	return nil
}

const usageHeader = `paysandbox simulator: offline fakes of payment providers in one process.

Usage:
  simulator [flags]                      serve the providers and the control plane
%s
Every provider is mounted under its name (http://ADDR/PROVIDER/...), the
control plane under /_sim/ (see docs/control-api.md). Flags (environment
variable in brackets):
`

// Load parses args with getenv supplying defaults. It returns flag.ErrHelp
// after printing usage for -h/--help.
func Load(args []string, getenv func(string) string, out io.Writer) (Config, error) {
	c := DefaultConfig()
	var envErrs []error
	env := func(name string, apply func(string) error) {
		if v := getenv(name); v != "" {
			if err := apply(v); err != nil {
				envErrs = append(envErrs, fmt.Errorf("%s=%q: %w", name, v, err))
			}
		}
	}
	env("SIM_ADDR", func(v string) error { c.Addr = v; return nil })
	env("SIM_SEED", func(v string) (err error) { c.Seed, err = strconv.ParseUint(v, 10, 64); return })
	env("SIM_PUBLIC_URL", func(v string) error { c.PublicURL = v; return nil })
	env("SIM_LISTEN", listenFlag{&c.Listen}.Set)
	env("SIM_START_TIME", func(v string) (err error) { c.StartTime, err = time.Parse(time.RFC3339, v); return })
	env("SIM_FROZEN_CLOCK", func(v string) (err error) { c.FrozenClock, err = strconv.ParseBool(v); return })
	env("SIM_LOG_FORMAT", func(v string) error { c.LogFormat = v; return nil })
	env("SIM_LOG_LEVEL", func(v string) error { c.LogLevel = v; return nil })
	env("SIM_CONTROL_TOKEN", func(v string) error { c.ControlToken = v; return nil })
	env("SIM_NO_CONTROL", func(v string) (err error) { c.NoControl, err = strconv.ParseBool(v); return })
	env("SIM_INSECURE_DETERMINISTIC_SECRETS", func(v string) (err error) { c.InsecureSecrets, err = strconv.ParseBool(v); return })
	env("SIM_RETENTION", func(v string) (err error) { c.Limits.Retention, err = positiveDuration(v); return })
	env("SIM_MERCHANT_IDLE", func(v string) (err error) { c.Limits.MerchantIdle, err = positiveDuration(v); return })
	env("SIM_MAX_OBJECTS", func(v string) (err error) { c.Limits.MaxObjects, err = positiveInt(v); return })
	env("SIM_TLS", func(v string) (err error) { c.TLS, err = strconv.ParseBool(v); return })
	env("SIM_TLS_DIR", func(v string) error { c.TLSDir = v; return nil })
	env("SIM_FAULTS", c.loadFaults)
	env("SIM_ALLOW_HOSTS", hostsFlag{&c.AllowHosts}.Set)
	env("SIM_SHUTDOWN_DRAIN", func(v string) (err error) { c.ShutdownDrain, err = time.ParseDuration(v); return })
	if err := errors.Join(envErrs...); err != nil {
		return c, err
	}

	fs := flag.NewFlagSet("simulator", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen address [SIM_ADDR]")
	fs.Uint64Var(&c.Seed, "seed", c.Seed, "seed for IDs and generated data; same seed + same calls = same results [SIM_SEED]")
	fs.StringVar(&c.PublicURL, "public-url", c.PublicURL, "base of URLs the fakes hand out, e.g. checkout page links (default http://ADDR, https://ADDR with --tls) [SIM_PUBLIC_URL]")
	fs.Var(listenFlag{&c.Listen}, "listen", "NAME=ADDR: also serve one provider at the root of its own listener; repeatable [SIM_LISTEN, comma-separated]")
	fs.BoolVar(&c.FrozenClock, "frozen-clock", c.FrozenClock, "virtual time moves only through /_sim/clock, not with the wall clock [SIM_FROZEN_CLOCK]")
	fs.Func("start-time", "virtual clock start, RFC 3339 (default: now); with --frozen-clock and --seed, runs repeat byte for byte [SIM_START_TIME]", func(v string) (err error) {
		c.StartTime, err = time.Parse(time.RFC3339, v)
		return err
	})
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "log format: text or json [SIM_LOG_FORMAT]")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "log level: debug (one line per request), info, warn, error [SIM_LOG_LEVEL]")
	fs.StringVar(&c.ControlToken, "control-token", c.ControlToken, "require this token (X-Sim-Control-Token or Authorization: Bearer) on every /_sim call [SIM_CONTROL_TOKEN]")
	fs.BoolVar(&c.NoControl, "no-control", c.NoControl, "serve no control plane at all, like a real sandbox [SIM_NO_CONTROL]")
	fs.Func("retention", fmt.Sprintf("keep finished payments and checkouts this long after their last change, on the merchant's clock (default %s) [SIM_RETENTION]", sim.DefaultRetention),
		func(v string) (err error) { c.Limits.Retention, err = positiveDuration(v); return })
	fs.Func("merchant-idle", fmt.Sprintf("forget a minted merchant unused this long (default %s) [SIM_MERCHANT_IDLE]", sim.DefaultMerchantIdle),
		func(v string) (err error) { c.Limits.MerchantIdle, err = positiveDuration(v); return })
	fs.Func("max-objects", fmt.Sprintf("keep at most this many payments/checkouts per merchant, forgetting the oldest (default %d) [SIM_MAX_OBJECTS]", sim.DefaultMaxObjects),
		func(v string) (err error) { c.Limits.MaxObjects, err = positiveInt(v); return })
	fs.BoolVar(&c.InsecureSecrets, "insecure-deterministic-secrets", c.InsecureSecrets, "draw minted secrets, signing keys and page ids from --seed too, so runs repeat byte for byte; anyone who knows the seed can forge them: never on a shared simulator [SIM_INSECURE_DETERMINISTIC_SECRETS]")
	fs.BoolVar(&c.TLS, "tls", c.TLS, "serve every listener over HTTPS, with a certificate from a local CA created on first start; trust TLS-DIR/ca.pem [SIM_TLS]")
	fs.StringVar(&c.TLSDir, "tls-dir", c.TLSDir, "keep the --tls CA (ca.pem, ca-key.pem) and server certificate in `DIR` (default "+defaultTLSDirUsage()+") [SIM_TLS_DIR]")
	fs.Func("faults", "load fault rules from a YAML `FILE` at start-up, e.g. 5% of MIS Pay calls answer 503 (see README, Failure scenarios) [SIM_FAULTS]", c.loadFaults)
	fs.Var(hostsFlag{&c.AllowHosts}, "allow-host", "a host name clients use to reach the control plane when no --control-token is set (e.g. a Docker service name); IPs, localhost, --public-url and --addr/--listen hosts are always allowed, other names are refused (DNS rebinding guard); repeatable, \"*\" allows any [SIM_ALLOW_HOSTS, comma-separated]")
	fs.DurationVar(&c.ShutdownDrain, "shutdown-drain", c.ShutdownDrain, "on SIGINT/SIGTERM, keep answering (with Connection: close) for up to this long while clients are still sending, so keep-alive clients are not cut off; a second signal exits at once [SIM_SHUTDOWN_DRAIN]")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), usageHeader, toolsUsage())
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q (see --help)", fs.Arg(0))
	}
	return c, c.validate()
}

// loadFaults reads a --faults file.
func (c *Config) loadFaults(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	rules, err := fault.ParseFile(b)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	c.FaultsFile, c.Faults = path, rules
	return nil
}

func (c Config) validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("--addr %q: %v", c.Addr, err)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("--log-format: want text or json, got %q", c.LogFormat)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("--log-level: want debug, info, warn or error, got %q", c.LogLevel)
	}
	if c.ControlToken != "" && c.NoControl {
		return errors.New("--control-token and --no-control contradict each other")
	}
	if c.PublicURL != "" && !strings.HasPrefix(c.PublicURL, "http://") && !strings.HasPrefix(c.PublicURL, "https://") {
		return fmt.Errorf("--public-url: want an http(s) URL, got %q", c.PublicURL)
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || u.Host == "" {
			return fmt.Errorf("--public-url: want an http(s) URL with a host, got %q", c.PublicURL)
		}
	}
	if c.ShutdownDrain < 0 {
		return fmt.Errorf("--shutdown-drain: want a duration >= 0, got %s", c.ShutdownDrain)
	}
	if c.TLS && strings.HasPrefix(c.PublicURL, "http://") {
		return fmt.Errorf("--public-url %s is http, but --tls serves https only", c.PublicURL)
	}
	return nil
}

// scheme is the scheme every listener serves.
func (c Config) scheme() string {
	if c.TLS {
		return "https"
	}
	return "http"
}

// publicURL is the configured public URL, or one derived from the bound
// address (a wildcard host becomes 127.0.0.1).
func (c Config) publicURL(bound net.Addr) string {
	if c.PublicURL != "" {
		return strings.TrimRight(c.PublicURL, "/")
	}
	host, port, err := net.SplitHostPort(bound.String())
	if err != nil {
		return c.scheme() + "://" + bound.String()
	}
	return c.scheme() + "://" + net.JoinHostPort(clientHost(host), port)
}

// clientHost is the host a client on this machine connects to for a
// listener bound to host: a wildcard becomes 127.0.0.1.
func clientHost(host string) string {
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		return "127.0.0.1"
	}
	return host
}

// allowedHosts are the host names the control plane answers to besides
// IPs, localhost and the public URL's host: the listeners' hosts and
// --allow-host.
func (c Config) allowedHosts() []string {
	hosts := []string{c.Addr}
	for _, l := range c.Listen {
		hosts = append(hosts, l.Addr)
	}
	return append(hosts, c.AllowHosts...)
}

// exampleProvider is a provider name for examples in messages.
func exampleProvider() string { return sims.Registry()[0].Name }

func positiveDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("want a positive Go duration such as 48h, got %q", v)
	}
	return d, nil
}

func positiveInt(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("want a positive whole number, got %q", v)
	}
	return n, nil
}
