package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/paysandbox/paysandbox/sims/misspay"
)

// trusting is a client that trusts only the CA in dir/ca.pem, as a user
// following the banner would.
func trusting(t *testing.T, dir string) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("%s/ca.pem holds no certificate", dir)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

func getWith(t *testing.T, c *http.Client, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestTLS(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	p, base := start(t, "--tls", "--tls-dir", dir, "--listen", "misspay=127.0.0.1:0")
	if !strings.HasPrefix(base, "https://127.0.0.1:") {
		t.Fatalf("listening on %s, want https", base)
	}
	out := p.stdout.String()
	ca := filepath.Join(dir, "ca.pem")
	for _, want := range []string{"public URL https://127.0.0.1:", "SSL_CERT_FILE=" + ca, "curl --cacert " + ca, "(created now)", "*.localhost", "baseUrl=https://127.0.0.1:"} {
		if !strings.Contains(out, want) {
			t.Errorf("banner lacks %q:\n%s", want, out)
		}
	}
	c := trusting(t, dir)

	resp, body := getWith(t, c, base+"/_sim/health")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"misspay"`) {
		t.Errorf("health = %d %s", resp.StatusCode, body)
	}
	if resp.TLS == nil || resp.ProtoMajor != 2 {
		t.Errorf("health over %s, TLS %v; want HTTP/2 over TLS", resp.Proto, resp.TLS != nil)
	}
	// Each local name the certificate covers.
	u, _ := url.Parse(base)
	for _, host := range []string{"localhost", "shop.localhost"} {
		// Dial the listener whatever the name resolves to; TLS checks
		// the name against the certificate.
		tr := c.Transport.(*http.Transport).Clone()
		tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, u.Host)
		}
		hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
		resp, _ := getWith(t, hc, "https://"+host+":"+u.Port()+"/_sim/health")
		if resp.StatusCode != 200 {
			t.Errorf("via %s: %d", host, resp.StatusCode)
		}
		tr.CloseIdleConnections()
	}

	resp, body = getWith(t, c, base+"/misspay/token", "x-app-id", misspay.FixtureAppID, "x-app-secret", misspay.FixtureAppSecret)
	if resp.StatusCode != 200 {
		t.Errorf("token under prefix = %d %s", resp.StatusCode, body)
	}
	m := rootRe.FindStringSubmatch(out)
	if m == nil || !strings.HasPrefix(m[2], "https://") {
		t.Fatalf("banner lacks an https --listen line:\n%s", out)
	}
	resp, body = getWith(t, c, m[2]+"/token", "x-app-id", misspay.FixtureAppID, "x-app-secret", misspay.FixtureAppSecret)
	if resp.StatusCode != 200 {
		t.Errorf("token at the root of the --listen address = %d %s", resp.StatusCode, body)
	}

	// A client that trusts only the system roots is refused.
	plain := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
	if _, err := plain.Get(base + "/_sim/health"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("client without the CA: err = %v, want a certificate error", err)
	}
}

// The CA outlives the process: a client that trusted ca.pem once trusts
// every later start.
func TestTLSCAReused(t *testing.T) {
	dir := t.TempDir()
	first, _ := start(t, "--tls", "--tls-dir", dir)
	first.stop(t)
	c := trusting(t, dir) // the first start's CA
	caBefore, _ := os.ReadFile(filepath.Join(dir, "ca.pem"))

	p, base := start(t, "--tls", "--tls-dir", dir, "--public-url", "https://sim.example.test:8443")
	if out := p.stdout.String(); !strings.Contains(out, "(reused)") || !strings.Contains(out, "sim.example.test") {
		t.Errorf("second banner does not say the CA was reused for the new host:\n%s", out)
	}
	caAfter, _ := os.ReadFile(filepath.Join(dir, "ca.pem"))
	if !bytes.Equal(caBefore, caAfter) {
		t.Error("ca.pem changed between starts")
	}
	if resp, _ := getWith(t, c, base+"/_sim/health"); resp.StatusCode != 200 {
		t.Errorf("health = %d", resp.StatusCode)
	}
}

// Plain http to an HTTPS port gets a clear 400, and the listener keeps
// serving HTTPS.
func TestPlainHTTPToTLSPort(t *testing.T) {
	dir := t.TempDir()
	p, base := start(t, "--tls", "--tls-dir", dir)
	plainURL := "http://" + strings.TrimPrefix(base, "https://") + "/_sim/health"
	resp, err := http.Get(plainURL)
	if err != nil {
		t.Fatalf("plain http: %v, want a 400 answer", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "HTTPS") {
		t.Errorf("plain http = %d %q, want 400 saying the port speaks HTTPS", resp.StatusCode, body)
	}
	if resp, _ := getWith(t, trusting(t, dir), base+"/_sim/health"); resp.StatusCode != 200 {
		t.Errorf("https after a plain request = %d", resp.StatusCode)
	}
	select {
	case err := <-p.done:
		t.Fatalf("simulator exited: %v", err)
	default:
	}
}

// Without --tls nothing is written anywhere.
func TestNoTLSNoFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	_, base := start(t, "--tls-dir", dir)
	if !strings.HasPrefix(base, "http://") {
		t.Errorf("listening on %s without --tls", base)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("--tls-dir created without --tls: %v", err)
	}
}

func TestTLSBadDir(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{file, filepath.Join(file, "tls")} {
		err := run(context.Background(), []string{"--addr", "127.0.0.1:0", "--tls", "--tls-dir", dir}, nil, io.Discard, io.Discard, func(string) string { return "" })
		if err == nil || !strings.Contains(err.Error(), "--tls") || !strings.Contains(err.Error(), file) {
			t.Errorf("--tls-dir %s: err = %v, want one naming the flag and the path", dir, err)
		}
	}
	// A broken CA is reported, not silently replaced.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ca.pem"), []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ca-key.pem"), []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), []string{"--addr", "127.0.0.1:0", "--tls", "--tls-dir", dir}, nil, io.Discard, io.Discard, func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), "ca.pem") || !strings.Contains(err.Error(), "delete") {
		t.Errorf("broken ca.pem: err = %v", err)
	}
}

func TestDefaultTLSDir(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("XDG_CACHE_HOME is where Linux keeps caches")
	}
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	got, err := DefaultConfig().tlsDir()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(cache, "paysandbox", "tls"); got != want {
		t.Errorf("default --tls-dir = %s, want %s", got, want)
	}
	if got, _ := (Config{TLSDir: "/x"}).tlsDir(); got != filepath.FromSlash("/x") && runtime.GOOS != "windows" {
		t.Errorf("--tls-dir /x gives %s", got)
	}
	wd, _ := os.Getwd()
	if got, _ := (Config{TLSDir: "certs"}).tlsDir(); got != filepath.Join(wd, "certs") {
		t.Errorf("--tls-dir certs gives %s, want it absolute", got)
	}
}

func TestCertHosts(t *testing.T) {
	c := DefaultConfig()
	c.Addr = "0.0.0.0:8080"
	c.PublicURL = "https://Sim.Example.com:8443/base"
	c.Listen = []Listener{{"misspay", "192.168.1.5:9001"}, {"misspay", "[::]:9002"}}
	got := strings.Join(c.certHosts(), " ")
	if want := "Sim.Example.com 127.0.0.1 192.168.1.5 127.0.0.1"; got != want {
		t.Errorf("certHosts = %s, want %s", got, want)
	}
}
