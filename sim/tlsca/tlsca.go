// Package tlsca keeps a small local certificate authority in a directory
// and issues the certificate the simulator serves HTTPS with (--tls).
//
// The CA is created on first use and reused afterwards, so a client told
// once to trust <dir>/ca.pem keeps trusting the simulator across restarts.
// The server certificate is kept too, and re-issued when the names it must
// cover change, when it nears expiry, or when the CA beside it changed.
//
// Files in the directory:
//
//	ca.pem        the CA certificate: the one file clients trust
//	ca-key.pem    the CA's private key (0600)
//	server.pem    the server certificate and its private key (0600)
//
// Several simulators may share a directory and start at the same moment:
// exactly one of them creates the CA (the key file is created exclusively,
// the certificate renamed into place), the others wait for it and use it.
package tlsca

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/paysandbox/paysandbox/sim/auth"
)

// File names inside the directory.
const (
	CAFile     = "ca.pem"
	CAKeyFile  = "ca-key.pem"
	ServerFile = "server.pem"
)

// Lifetimes. Clients check certificates against real time, not the
// simulator's virtual clock.
const (
	// CALifetime is how long a new CA is valid.
	CALifetime = 10 * 365 * 24 * time.Hour
	// ServerLifetime is how long a server certificate is valid; clients
	// such as Safari refuse longer ones.
	ServerLifetime = 397 * 24 * time.Hour
	// RenewBefore: a server certificate with less time than this left is
	// re-issued.
	RenewBefore = 30 * 24 * time.Hour
)

// LocalHosts are the names every server certificate covers.
func LocalHosts() []string {
	return []string{"127.0.0.1", "::1", "localhost", "*.localhost"}
}

// Options say where the CA lives and what the server certificate covers.
type Options struct {
	// Dir holds the CA and the server certificate; it is created (0700)
	// if missing.
	Dir string
	// Hosts are the DNS names (a leading "*." wildcard is allowed) and IP
	// addresses the server certificate covers, besides LocalHosts.
	Hosts []string
	// Now is the wall-clock time the certificates' validity is measured
	// from.
	Now time.Time
	// Rand is the source of keys and serial numbers (default
	// auth.Random(), crypto/rand).
	Rand io.Reader

	// waitTries bounds how long Ensure waits for another process that
	// is creating the CA (20 ms each; default 150, 3 s).
	waitTries int
}

// Certs are the CA and the server certificate, ready to serve.
type Certs struct {
	// CAFile is the path of the CA certificate clients should trust.
	CAFile string
	// CA is the CA certificate.
	CA *x509.Certificate
	// Server is the server certificate with its key; Server.Leaf is set.
	Server tls.Certificate
	// Hosts are the names and addresses Server covers, sorted.
	Hosts []string
	// CreatedCA is set when this call created the CA (a first start).
	CreatedCA bool
	// Issued is set when this call issued a new server certificate.
	Issued bool
	// SaveErr is why a newly issued server certificate could not be kept
	// in the directory (a read-only directory, say). The certificate is
	// usable anyway; the next start issues another.
	SaveErr error
}

// TLSConfig is a server configuration serving c.Server (TLS 1.2 or later).
func (c *Certs) TLSConfig() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{c.Server}}
}

// Pool is a certificate pool holding only the CA, for clients that should
// trust the simulator.
func (c *Certs) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c.CA)
	return p
}

// Ensure loads the CA from o.Dir, creating it on first use, and returns a
// server certificate signed by it that covers LocalHosts and o.Hosts,
// reusing the stored one while it still fits.
func Ensure(o Options) (*Certs, error) {
	if o.Dir == "" {
		return nil, errors.New("tlsca: no directory given")
	}
	if o.Now.IsZero() {
		return nil, errors.New("tlsca: no time given")
	}
	if o.Rand == nil {
		o.Rand = auth.Random()
	}
	if o.waitTries == 0 {
		o.waitTries = 150
	}
	hosts, err := canonicalHosts(append(LocalHosts(), o.Hosts...))
	if err != nil {
		return nil, err
	}
	if err := ensureDir(o.Dir); err != nil {
		return nil, err
	}
	ca, caKey, created, err := loadOrCreateCA(o)
	if err != nil {
		return nil, err
	}
	c := &Certs{CAFile: filepath.Join(o.Dir, CAFile), CA: ca, Hosts: hosts, CreatedCA: created}
	serverPath := filepath.Join(o.Dir, ServerFile)
	if cert, ok := loadServer(serverPath, ca, hosts, o.Now); ok {
		c.Server = cert
		return c, nil
	}
	cert, pemBytes, err := issueServer(o, ca, caKey, hosts)
	if err != nil {
		return nil, err
	}
	c.Server, c.Issued = cert, true
	if err := writeAtomic(serverPath, pemBytes, 0o600); err != nil {
		c.SaveErr = err
	}
	return c, nil
}

// ensureDir creates dir (0700) unless it exists, with errors that say
// which path is wrong.
func ensureDir(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case err == nil && !fi.IsDir():
		return fmt.Errorf("tlsca: %s is not a directory", dir)
	case err == nil:
		return nil
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("tlsca: certificate directory: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("tlsca: cannot create the certificate directory: %w", err)
	}
	return nil
}

// errRace: another process created the CA key first.
var errRace = errors.New("tlsca: CA created concurrently")

// loadOrCreateCA returns the directory's CA, creating it when neither of
// its files exists.
func loadOrCreateCA(o Options) (*x509.Certificate, crypto.Signer, bool, error) {
	certPath := filepath.Join(o.Dir, CAFile)
	keyPath := filepath.Join(o.Dir, CAKeyFile)
	for try := 0; ; try++ {
		certPEM, certErr := os.ReadFile(certPath)
		keyPEM, keyErr := os.ReadFile(keyPath)
		certMissing, keyMissing := errors.Is(certErr, fs.ErrNotExist), errors.Is(keyErr, fs.ErrNotExist)
		switch {
		case certErr == nil && keyErr == nil:
			ca, key, err := parseCA(certPath, certPEM, keyPath, keyPEM, o.Now)
			return ca, key, false, err
		case certMissing && keyMissing:
			ca, key, err := createCA(o, certPath, keyPath)
			if errors.Is(err, errRace) {
				continue
			}
			return ca, key, err == nil, err
		case certMissing && keyErr == nil:
			// The key is written first, then the certificate is renamed
			// into place: another process is half-way through.
			if try < o.waitTries {
				time.Sleep(20 * time.Millisecond)
				continue
			}
			return nil, nil, false, fmt.Errorf("tlsca: %s exists but %s does not (an interrupted first start?); delete %s to make a new CA", keyPath, certPath, keyPath)
		case keyMissing && certErr == nil:
			return nil, nil, false, fmt.Errorf("tlsca: %s exists but its key %s does not; restore the key, or delete %s to make a new CA (clients trusting the old one must then trust the new one)", certPath, keyPath, certPath)
		case certErr != nil && !certMissing:
			return nil, nil, false, fmt.Errorf("tlsca: %w", certErr)
		default:
			return nil, nil, false, fmt.Errorf("tlsca: %w", keyErr)
		}
	}
}

// parseCA checks that the stored files are a usable CA and its key.
func parseCA(certPath string, certPEM []byte, keyPath string, keyPEM []byte, now time.Time) (*x509.Certificate, crypto.Signer, error) {
	remake := fmt.Sprintf("delete %s and %s to make a new CA", certPath, keyPath)
	ca, err := parseCert(certPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("tlsca: %s: %v; %s", certPath, err, remake)
	}
	if !ca.IsCA || ca.KeyUsage&x509.KeyUsageCertSign == 0 {
		return nil, nil, fmt.Errorf("tlsca: %s is not a CA certificate; %s", certPath, remake)
	}
	if !now.Before(ca.NotAfter) {
		return nil, nil, fmt.Errorf("tlsca: the CA in %s expired on %s; %s", certPath, ca.NotAfter.Format(time.DateOnly), remake)
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("tlsca: %s: %v; %s", keyPath, err, remake)
	}
	if !publicKeysEqual(key.Public(), ca.PublicKey) {
		return nil, nil, fmt.Errorf("tlsca: %s is not the key of %s; %s", keyPath, certPath, remake)
	}
	return ca, key, nil
}

// createCA makes a new CA. The key file is created exclusively, so of
// several processes starting at once exactly one writes a CA (the others
// get errRace and load it); the certificate is renamed into place after
// the key is complete, so a reader that sees ca.pem also sees its key.
func createCA(o Options, certPath, keyPath string) (*x509.Certificate, crypto.Signer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), o.Rand)
	if err != nil {
		return nil, nil, fmt.Errorf("tlsca: CA key: %w", err)
	}
	serial, err := newSerial(o.Rand)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			CommonName:   "paysandbox local CA " + hex.EncodeToString(serial.Bytes()[:4]),
			Organization: []string{"paysandbox simulator (local testing only)"},
		},
		NotBefore:             o.Now.Add(-time.Hour),
		NotAfter:              o.Now.Add(CALifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(o.Rand, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, fmt.Errorf("tlsca: CA certificate: %w", err)
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("tlsca: CA certificate: %w", err)
	}
	keyPEM, err := encodeKey(key)
	if err != nil {
		return nil, nil, err
	}
	f, err := os.OpenFile(keyPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil, nil, errRace
	}
	if err != nil {
		return nil, nil, fmt.Errorf("tlsca: cannot write the CA key: %w", err)
	}
	_, werr := f.Write(keyPEM)
	if err := errors.Join(werr, f.Close()); err != nil {
		os.Remove(keyPath)
		return nil, nil, fmt.Errorf("tlsca: cannot write the CA key: %w", err)
	}
	if err := writeAtomic(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		os.Remove(keyPath)
		return nil, nil, err
	}
	return ca, key, nil
}

// loadServer returns the stored server certificate if it is signed by ca,
// covers exactly hosts and has more than RenewBefore left.
func loadServer(path string, ca *x509.Certificate, hosts []string, now time.Time) (tls.Certificate, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return tls.Certificate{}, false
	}
	cert, err := tls.X509KeyPair(b, b)
	if err != nil || cert.Leaf == nil {
		return tls.Certificate{}, false
	}
	leaf := cert.Leaf
	if leaf.CheckSignatureFrom(ca) != nil || now.Before(leaf.NotBefore) || now.Add(RenewBefore).After(leaf.NotAfter) {
		return tls.Certificate{}, false
	}
	if !slices.Equal(certHosts(leaf), hosts) {
		return tls.Certificate{}, false
	}
	return cert, true
}

// issueServer makes a server certificate for hosts signed by ca; it
// returns it ready to serve and as PEM (certificate, then key).
func issueServer(o Options, ca *x509.Certificate, caKey crypto.Signer, hosts []string) (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), o.Rand)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("tlsca: server key: %w", err)
	}
	serial, err := newSerial(o.Rand)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "paysandbox simulator", Organization: []string{"paysandbox simulator (local testing only)"}},
		NotBefore:    o.Now.Add(-time.Hour),
		NotAfter:     o.Now.Add(ServerLifetime),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if tmpl.NotAfter.After(ca.NotAfter) {
		tmpl.NotAfter = ca.NotAfter
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(o.Rand, tmpl, ca, key.Public(), caKey)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("tlsca: server certificate: %w", err)
	}
	keyPEM, err := encodeKey(key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	out := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), keyPEM...)
	cert, err := tls.X509KeyPair(out, out)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("tlsca: server certificate: %w", err)
	}
	return cert, out, nil
}

// canonicalHosts lower-cases, de-duplicates and sorts names and addresses,
// refusing what can be neither.
func canonicalHosts(in []string) ([]string, error) {
	var out []string
	for _, h := range in {
		h = strings.ToLower(strings.TrimSuffix(strings.Trim(strings.TrimSpace(h), "[]"), "."))
		if h == "" {
			continue
		}
		if addr, _, zoned := strings.Cut(h, "%"); zoned && net.ParseIP(addr) != nil {
			h = addr // fe80::1%eth0: certificates carry no zone
		}
		if ip := net.ParseIP(h); ip != nil {
			if ip.IsUnspecified() {
				return nil, fmt.Errorf("tlsca: %s is not an address clients connect to", h)
			}
			out = append(out, ip.String())
			continue
		}
		if !validName(h) {
			return nil, fmt.Errorf("tlsca: %q is neither an IP address nor a DNS name", h)
		}
		out = append(out, h)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// validName reports whether h is a DNS name, optionally with a leading
// "*." wildcard label.
func validName(h string) bool {
	labels := strings.Split(strings.TrimPrefix(h, "*."), ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' && r != '_' {
				return false
			}
		}
	}
	return len(h) <= 253
}

// certHosts is the sorted set of names and addresses a certificate covers.
func certHosts(c *x509.Certificate) []string {
	out := slices.Clone(c.DNSNames)
	for _, ip := range c.IPAddresses {
		out = append(out, ip.String())
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func newSerial(r io.Reader) (*big.Int, error) {
	b := make([]byte, 16)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, fmt.Errorf("tlsca: serial number: %w", err)
	}
	b[0] = b[0]&0x7f | 0x40 // positive, and 16 bytes long
	return new(big.Int).SetBytes(b), nil
}

func encodeKey(k crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("tlsca: encode key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func parseCert(b []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("not a PEM certificate")
	}
	return x509.ParseCertificate(block.Bytes)
}

func parseKey(b []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(b)
	if block == nil || !strings.HasSuffix(block.Type, "PRIVATE KEY") {
		return nil, errors.New("not a PEM private key")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		if ec, ecErr := x509.ParseECPrivateKey(block.Bytes); ecErr == nil {
			return ec, nil
		}
		return nil, err
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("unsupported key type %T", k)
	}
	return s, nil
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	ea, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && ea.Equal(b)
}

// writeAtomic writes data to a temporary file beside path and renames it
// into place, so readers see the old file or the new one, never a part.
func writeAtomic(path string, data []byte, perm fs.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("tlsca: cannot write %s: %w", path, err)
	}
	tmp := f.Name()
	_, werr := io.Copy(f, bytes.NewReader(data))
	err = errors.Join(werr, f.Chmod(perm), f.Close())
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("tlsca: cannot write %s: %w", path, err)
	}
	return nil
}
