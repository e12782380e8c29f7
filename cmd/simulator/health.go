package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/paysandbox/paysandbox/sim/tlsca"
)

const healthUsage = `[--url URL] [--timeout 3s]   exit 0 when a simulator answers (Docker HEALTHCHECK; default URL from SIM_ADDR, SIM_TLS)`

// health probes a running simulator: GET URL/_sim/health. Any HTTP answer
// means the process serves requests (a --no-control simulator answers 404,
// one with a control token 401), so only a failed connection is unhealthy.
// The image has no shell or curl, hence a subcommand.
func health(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	cfg, err := Load(nil, getenv, io.Discard)
	if err != nil {
		return err
	}
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	scheme := "http"
	if cfg.TLS {
		scheme = "https"
	}
	fs := flag.NewFlagSet("simulator health", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", scheme+"://"+net.JoinHostPort(host, port), "the simulator's base URL")
	timeout := fs.Duration("timeout", 3*time.Second, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	client := &http.Client{Timeout: *timeout}
	if cfg.TLS {
		dir := cfg.TLSDir
		if dir == "" {
			if dir, err = defaultTLSDir(); err != nil {
				return err
			}
		}
		pem, err := os.ReadFile(filepath.Join(dir, tlsca.CAFile))
		if err != nil {
			return fmt.Errorf("health: --tls: %w", err)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url+"/_sim/health", nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	resp.Body.Close()
	fmt.Fprintf(stdout, "%s: %s\n", *url, resp.Status)
	return nil
}
