package tlsca

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

var now = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func ensure(t *testing.T, o Options) *Certs {
	t.Helper()
	if o.Now.IsZero() {
		o.Now = now
	}
	c, err := Ensure(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCAReusedAcrossStarts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	first := ensure(t, Options{Dir: dir})
	if !first.CreatedCA || !first.Issued || first.SaveErr != nil {
		t.Fatalf("first start: CreatedCA=%v Issued=%v SaveErr=%v, want a new CA and certificate, saved", first.CreatedCA, first.Issued, first.SaveErr)
	}
	if first.CAFile != filepath.Join(dir, "ca.pem") {
		t.Errorf("CAFile = %s", first.CAFile)
	}
	if runtime.GOOS != "windows" {
		for name, want := range map[string]os.FileMode{"": 0o700, CAFile: 0o644, CAKeyFile: 0o600, ServerFile: 0o600} {
			fi, err := os.Stat(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != want {
				t.Errorf("%s mode = %v, want %v", filepath.Join(dir, name), got, want)
			}
		}
	}

	again := ensure(t, Options{Dir: dir, Now: now.Add(24 * time.Hour)})
	if again.CreatedCA || again.Issued {
		t.Errorf("second start: CreatedCA=%v Issued=%v, want both reused", again.CreatedCA, again.Issued)
	}
	if !again.CA.Equal(first.CA) {
		t.Error("second start made a different CA")
	}
	if !again.Server.Leaf.Equal(first.Server.Leaf) {
		t.Error("second start issued a different server certificate")
	}
}

func TestServerCertificateVerifies(t *testing.T) {
	c := ensure(t, Options{Dir: t.TempDir(), Hosts: []string{"sim.example.com", "10.1.2.3"}})
	opts := x509.VerifyOptions{Roots: c.Pool(), CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	for _, name := range []string{"127.0.0.1", "::1", "localhost", "shop.localhost", "sim.example.com", "10.1.2.3"} {
		opts.DNSName = name
		if _, err := c.Server.Leaf.Verify(opts); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, name := range []string{"example.com", "a.b.localhost", "10.1.2.4"} {
		opts.DNSName = name
		if _, err := c.Server.Leaf.Verify(opts); err == nil {
			t.Errorf("%s verifies, want it not covered", name)
		}
	}
	want := []string{"*.localhost", "10.1.2.3", "127.0.0.1", "::1", "localhost", "sim.example.com"}
	if strings.Join(c.Hosts, " ") != strings.Join(want, " ") {
		t.Errorf("Hosts = %v, want %v", c.Hosts, want)
	}
	// Trusting ca.pem is all a client needs: the file on disk.
	pem, err := os.ReadFile(c.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("ca.pem holds no certificate")
	}
	opts.Roots, opts.DNSName = pool, "localhost"
	if _, err := c.Server.Leaf.Verify(opts); err != nil {
		t.Errorf("against ca.pem: %v", err)
	}
}

// A real handshake: a server with TLSConfig and a client trusting Pool.
func TestHandshake(t *testing.T) {
	c := ensure(t, Options{Dir: t.TempDir(), Now: time.Now()})
	ln, err := tls.Listen("tcp", "127.0.0.1:0", c.TLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		_, _ = io.WriteString(conn, "hello")
	}()
	conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: c.Pool(), ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if b, _ := io.ReadAll(conn); string(b) != "hello" {
		t.Errorf("read %q", b)
	}
}

func TestReissue(t *testing.T) {
	dir := t.TempDir()
	first := ensure(t, Options{Dir: dir, Hosts: []string{"sim.example.com"}})
	stored := serverPEM(t, first)
	tests := []struct {
		name   string
		o      Options
		issued bool
	}{
		{"same hosts, other spelling", Options{Hosts: []string{"SIM.example.com.", "localhost"}}, false},
		{"well before expiry", Options{Hosts: []string{"sim.example.com"}, Now: now.Add(ServerLifetime - RenewBefore - time.Hour)}, false},
		{"near expiry", Options{Hosts: []string{"sim.example.com"}, Now: now.Add(ServerLifetime - RenewBefore + time.Hour)}, true},
		{"public host changed", Options{Hosts: []string{"other.example.com"}}, true},
		{"public host dropped", Options{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Start from the first certificate each time.
			if err := writeAtomic(filepath.Join(dir, ServerFile), stored, 0o600); err != nil {
				t.Fatal(err)
			}
			tc.o.Dir = dir
			c := ensure(t, tc.o)
			if c.Issued != tc.issued {
				t.Errorf("Issued = %v, want %v", c.Issued, tc.issued)
			}
			if c.CreatedCA || !c.CA.Equal(first.CA) {
				t.Error("the CA changed")
			}
			if c.Server.Leaf.CheckSignatureFrom(first.CA) != nil {
				t.Error("server certificate not signed by the CA")
			}
		})
	}
}

// serverPEM reads back what Ensure stored for c.
func serverPEM(t *testing.T, c *Certs) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(filepath.Dir(c.CAFile), ServerFile))
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(b, b)
	if err != nil || !cert.Leaf.Equal(c.Server.Leaf) {
		t.Fatalf("stored server certificate is not the one handed out (%v)", err)
	}
	return b
}

// A new CA in the directory invalidates the stored server certificate.
func TestNewCAReissues(t *testing.T) {
	dir := t.TempDir()
	first := ensure(t, Options{Dir: dir})
	for _, f := range []string{CAFile, CAKeyFile} {
		if err := os.Remove(filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	c := ensure(t, Options{Dir: dir})
	if !c.CreatedCA || !c.Issued || c.CA.Equal(first.CA) {
		t.Errorf("CreatedCA=%v Issued=%v, want a new CA and certificate", c.CreatedCA, c.Issued)
	}
}

// A broken server.pem is only a cache: it is replaced.
func TestCorruptServerFileReplaced(t *testing.T) {
	dir := t.TempDir()
	ensure(t, Options{Dir: dir})
	if err := os.WriteFile(filepath.Join(dir, ServerFile), []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if c := ensure(t, Options{Dir: dir}); !c.Issued || c.CreatedCA {
		t.Errorf("Issued=%v CreatedCA=%v, want a new certificate from the same CA", c.Issued, c.CreatedCA)
	}
}

func TestBadDirectories(t *testing.T) {
	other := ensure(t, Options{Dir: t.TempDir()}) // a second CA to mix up keys with
	otherKey, err := os.ReadFile(filepath.Join(filepath.Dir(other.CAFile), CAKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	write := func(t *testing.T, path, data string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) Options // dir exists and is empty
		want  []string                               // substrings of the error
	}{
		{"no directory", func(*testing.T, string) Options { return Options{} }, []string{"no directory"}},
		{"directory is a file", func(t *testing.T, dir string) Options {
			write(t, filepath.Join(dir, "f"), "x")
			return Options{Dir: filepath.Join(dir, "f")}
		}, []string{"f is not a directory"}},
		{"parent is a file", func(t *testing.T, dir string) Options {
			write(t, filepath.Join(dir, "f"), "x")
			return Options{Dir: filepath.Join(dir, "f", "tls")}
		}, []string{filepath.Join("f", "tls"), "not a directory"}},
		{"corrupt ca.pem", func(t *testing.T, dir string) Options {
			ensure(t, Options{Dir: dir})
			write(t, filepath.Join(dir, CAFile), "not a certificate")
			return Options{Dir: dir}
		}, []string{"ca.pem: not a PEM certificate", "delete"}},
		{"ca.pem without its key", func(t *testing.T, dir string) Options {
			ensure(t, Options{Dir: dir})
			os.Remove(filepath.Join(dir, CAKeyFile))
			return Options{Dir: dir}
		}, []string{"ca-key.pem does not", "restore the key"}},
		{"key without ca.pem", func(t *testing.T, dir string) Options {
			ensure(t, Options{Dir: dir})
			os.Remove(filepath.Join(dir, CAFile))
			return Options{Dir: dir, waitTries: 1}
		}, []string{"ca-key.pem exists but", "ca.pem does not"}},
		{"someone else's key", func(t *testing.T, dir string) Options {
			ensure(t, Options{Dir: dir})
			write(t, filepath.Join(dir, CAKeyFile), string(otherKey))
			return Options{Dir: dir}
		}, []string{"ca-key.pem is not the key of", "ca.pem"}},
		{"not a CA", func(t *testing.T, dir string) Options {
			ensure(t, Options{Dir: dir})
			leaf, _ := os.ReadFile(filepath.Join(dir, ServerFile))
			write(t, filepath.Join(dir, CAFile), string(leaf))
			return Options{Dir: dir}
		}, []string{"ca.pem is not a CA certificate"}},
		{"expired CA", func(t *testing.T, dir string) Options {
			ensure(t, Options{Dir: dir})
			return Options{Dir: dir, Now: now.Add(CALifetime + time.Hour)}
		}, []string{"expired on", "delete"}},
		{"bad host", func(_ *testing.T, dir string) Options {
			return Options{Dir: dir, Hosts: []string{"exa mple.com"}}
		}, []string{`"exa mple.com" is neither`}},
		{"wildcard address", func(_ *testing.T, dir string) Options {
			return Options{Dir: dir, Hosts: []string{"0.0.0.0"}}
		}, []string{"0.0.0.0 is not an address"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.setup(t, t.TempDir())
			if o.Now.IsZero() {
				o.Now = now
			}
			_, err := Ensure(o)
			if err == nil {
				t.Fatal("Ensure succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// A read-only directory with a CA in it still serves: the new server
// certificate just is not kept.
func TestReadOnlyDirectory(t *testing.T) {
	if runtime.GOOS == "windows" || os.Geteuid() == 0 {
		t.Skip("needs a user that file permissions apply to")
	}
	dir := t.TempDir()
	ensure(t, Options{Dir: dir})
	os.Remove(filepath.Join(dir, ServerFile))
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o700) })
	c := ensure(t, Options{Dir: dir})
	if !c.Issued || c.SaveErr == nil {
		t.Errorf("Issued=%v SaveErr=%v, want a certificate that could not be kept", c.Issued, c.SaveErr)
	}
}

// Simulators starting at once on a fresh directory agree on one CA.
func TestConcurrentFirstStart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	const n = 8
	var wg sync.WaitGroup
	got := make([]*Certs, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { got[i], errs[i] = Ensure(Options{Dir: dir, Now: now}) })
	}
	wg.Wait()
	created := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("start %d: %v", i, errs[i])
		}
		if got[i].CreatedCA {
			created++
		}
		if !got[i].CA.Equal(got[0].CA) {
			t.Errorf("start %d has another CA", i)
		}
		if err := got[i].Server.Leaf.CheckSignatureFrom(got[0].CA); err != nil {
			t.Errorf("start %d: %v", i, err)
		}
	}
	if created != 1 {
		t.Errorf("%d starts created the CA, want 1", created)
	}
}

func TestCanonicalHosts(t *testing.T) {
	got, err := canonicalHosts([]string{"[::1]", "LocalHost", "fe80::1%eth0", "", "127.0.0.1", "0:0:0:0:0:0:0:1", "*.Localhost"})
	if err != nil {
		t.Fatal(err)
	}
	want := "*.localhost 127.0.0.1 ::1 fe80::1 localhost"
	if strings.Join(got, " ") != want {
		t.Errorf("got %v, want %s", got, want)
	}
	for _, bad := range []string{"a..b", "-a.b", "*", "a.*.b", "ä.de", "::"} {
		if _, err := canonicalHosts([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// BenchmarkEnsureReuse is the cost --tls adds to a later start: load and
// check the CA and the stored server certificate.
func BenchmarkEnsureReuse(b *testing.B) {
	dir := b.TempDir()
	if _, err := Ensure(Options{Dir: dir, Now: now}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if c, err := Ensure(Options{Dir: dir, Now: now}); err != nil || c.Issued {
			b.Fatalf("Issued=%v err=%v", c != nil && c.Issued, err)
		}
	}
}

// BenchmarkEnsureFirst is the cost of a first start: a new CA and server
// certificate.
func BenchmarkEnsureFirst(b *testing.B) {
	for b.Loop() {
		if _, err := Ensure(Options{Dir: b.TempDir(), Now: now}); err != nil {
			b.Fatal(err)
		}
	}
}
