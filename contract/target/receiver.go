package target

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Receiver is the runner's own endpoint for callbacks and webhooks. Each
// scenario opens a Box with its own URL prefix, so parallel scenarios never
// see each other's callbacks.
type Receiver struct {
	base  string
	mu    sync.Mutex
	seq   int
	boxes map[string]*Box
}

// NewReceiver returns a receiver reachable at base (no trailing slash).
func NewReceiver(base string) *Receiver {
	return &Receiver{base: strings.TrimRight(base, "/"), boxes: map[string]*Box{}}
}

// ListenReceiver serves a receiver on addr (default 127.0.0.1:0). public
// is the URL the simulator uses to reach it (default http://<addr>).
func ListenReceiver(addr, public string) (*Receiver, func(), error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("callback receiver: %w", err)
	}
	if public == "" {
		public = "http://" + ln.Addr().String()
	}
	rcv := NewReceiver(public)
	srv := &http.Server{Handler: rcv, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return rcv, func() { _ = srv.Close() }, nil
}

// Received is one callback as it arrived.
type Received struct {
	Method   string
	Path     string // below the box's URL, e.g. "/callback"
	RawQuery string
	Header   http.Header
	Body     []byte
	URL      string
}

// Box collects the callbacks sent to one scenario's URL.
type Box struct {
	r    *Receiver
	id   string
	mu   sync.Mutex
	got  []Received
	used []bool
	wake chan struct{}
}

// Open returns a new box; name only makes its URL readable.
func (r *Receiver) Open(name string) *Box {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seq++
	id := fmt.Sprintf("s%d-%s", r.seq, slug(name))
	b := &Box{r: r, id: id, wake: make(chan struct{})}
	r.boxes[id] = b
	return b
}

func slug(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		if b.Len() >= 40 {
			break
		}
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteRune(c)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	return strings.Trim(b.String(), "-")
}

// URL is the box's base URL; scenarios append their own paths.
func (b *Box) URL() string { return b.r.base + "/" + b.id }

// Close forgets the box.
func (b *Box) Close() {
	b.r.mu.Lock()
	defer b.r.mu.Unlock()
	delete(b.r.boxes, b.id)
}

// ServeHTTP files a callback into its box and answers 200.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	rest := strings.TrimPrefix(req.URL.Path, "/")
	id, sub, _ := strings.Cut(rest, "/")
	r.mu.Lock()
	b, ok := r.boxes[id]
	r.mu.Unlock()
	if !ok {
		http.Error(w, "no scenario is waiting at this URL", http.StatusNotFound)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(req.Body, 4<<20))
	b.mu.Lock()
	b.got = append(b.got, Received{
		Method: req.Method, Path: "/" + sub, RawQuery: req.URL.RawQuery,
		Header: req.Header.Clone(), Body: body, URL: r.base + req.URL.RequestURI(),
	})
	b.used = append(b.used, false)
	close(b.wake)
	b.wake = make(chan struct{})
	b.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// Next waits up to within for the oldest callback not yet taken whose path
// is path ("" for any), and takes it.
func (b *Box) Next(ctx context.Context, path string, within time.Duration) (Received, error) {
	timer := time.NewTimer(within)
	defer timer.Stop()
	for {
		b.mu.Lock()
		for i, r := range b.got {
			if !b.used[i] && (path == "" || r.Path == path) {
				b.used[i] = true
				b.mu.Unlock()
				return r, nil
			}
		}
		wake := b.wake
		n := len(b.got)
		b.mu.Unlock()
		select {
		case <-wake:
		case <-timer.C:
			return Received{}, fmt.Errorf("no callback to %s%s within %s (%d other callbacks arrived)", b.URL(), path, within, n)
		case <-ctx.Done():
			return Received{}, ctx.Err()
		}
	}
}
