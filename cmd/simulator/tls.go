package main

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/paysandbox/paysandbox/sim/tlsca"
)

// defaultTLSDir is where --tls keeps its CA unless --tls-dir says
// otherwise: paysandbox/tls under the user's cache directory.
func defaultTLSDir() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(cache, "paysandbox", "tls"), nil
}

// defaultTLSDirUsage is defaultTLSDir for the usage text.
func defaultTLSDirUsage() string {
	dir, err := defaultTLSDir()
	if err != nil {
		return "paysandbox/tls in the user cache directory"
	}
	return dir
}

// tlsDir is --tls-dir, made absolute so the paths the banner prints work
// from any directory, or its default.
func (c Config) tlsDir() (string, error) {
	if c.TLSDir != "" {
		return filepath.Abs(c.TLSDir)
	}
	dir, err := defaultTLSDir()
	if err != nil {
		return "", fmt.Errorf("--tls: give --tls-dir (SIM_TLS_DIR): there is no user cache directory to keep the CA in (%v)", err)
	}
	return dir, nil
}

// certHosts are the names the server certificate covers besides
// tlsca.LocalHosts: the public URL's host (the bound host when there is no
// --public-url) and the hosts of the --listen addresses.
func (c Config) certHosts() []string {
	var hosts []string
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err == nil {
			hosts = append(hosts, u.Hostname())
		}
	}
	addrs := []string{c.Addr}
	for _, l := range c.Listen {
		addrs = append(addrs, l.Addr)
	}
	for _, a := range addrs {
		if host, _, err := net.SplitHostPort(a); err == nil {
			hosts = append(hosts, clientHost(host))
		}
	}
	return hosts
}

// loadCerts creates or reuses the local CA and the server certificate for
// --tls. Certificates are checked by clients against the wall clock, so
// this (not the virtual clock) dates them.
func loadCerts(c Config) (*tlsca.Certs, error) {
	dir, err := c.tlsDir()
	if err != nil {
		return nil, err
	}
	certs, err := tlsca.Ensure(tlsca.Options{Dir: dir, Hosts: c.certHosts(), Now: time.Now()})
	if err != nil {
		return nil, fmt.Errorf("--tls: %w", err)
	}
	return certs, nil
}
