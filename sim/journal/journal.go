// Package journal keeps a bounded, redacted record of the requests the
// simulator's providers served, newest last. Secrets are removed before an
// entry is stored, so nothing secret is ever kept in memory longer than the
// request that carried it.
package journal

import (
	"sync"
	"time"
)

// Message is one side of an exchange.
type Message struct {
	Headers HeaderList `json:"headers"`
	Body    any        `json:"body"`
}

// Entry is one request and the response the simulator gave it.
type Entry struct {
	Seq      uint64    `json:"seq"`
	At       time.Time `json:"at"`
	Provider string    `json:"provider"`
	Merchant string    `json:"merchantId,omitempty"`
	Method   string    `json:"method"`
	Path     string    `json:"path"`
	Status   int       `json:"status"`
	Request  Message   `json:"request"`
	Response Message   `json:"response"`
	// Fault names the fault rule that hit the request, if any.
	Fault *Fault `json:"fault,omitempty"`
}

// Fault is the fault rule that hit a request and what it did.
type Fault struct {
	Rule string `json:"rule"`
	Kind string `json:"kind"`
	// Detail says what the client saw, e.g. "503", "reset after the
	// handler ran", "latency 2s".
	Detail string `json:"detail,omitempty"`
}

// Journal is a ring of at most Limit entries. The zero value is not usable;
// call New.
type Journal struct {
	mu      sync.Mutex
	limit   int
	seq     uint64
	entries []Entry // ring buffer
	start   int     // index of the oldest entry
}

// DefaultLimit is the number of entries kept when New is given 0.
const DefaultLimit = 1000

// New returns a journal keeping the last limit entries.
func New(limit int) *Journal {
	if limit <= 0 {
		limit = DefaultLimit
	}
	return &Journal{limit: limit}
}

// Add stores e, assigning its sequence number, and drops the oldest entry
// when the journal is full.
func (j *Journal) Add(e Entry) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.seq++
	e.Seq = j.seq
	if len(j.entries) < j.limit {
		j.entries = append(j.entries, e)
		return
	}
	j.entries[j.start] = e
	j.start = (j.start + 1) % j.limit
}

// List returns up to limit of the newest entries (all when limit <= 0) of
// provider (all providers when empty) and merchant (all when empty), oldest
// first.
func (j *Journal) List(provider, merchant string, limit int) []Entry {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([]Entry, 0, len(j.entries))
	for i := range j.entries {
		e := j.entries[(j.start+i)%len(j.entries)]
		if (provider == "" || e.Provider == provider) && (merchant == "" || e.Merchant == merchant) {
			out = append(out, e)
		}
	}
	if limit > 0 && len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out
}

// Len is the number of entries held.
func (j *Journal) Len() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.entries)
}

// Reset forgets the entries of provider, or all entries when provider is
// empty. Sequence numbers keep increasing.
func (j *Journal) Reset(provider string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	var kept []Entry
	if provider != "" {
		for i := range j.entries {
			if e := j.entries[(j.start+i)%len(j.entries)]; e.Provider != provider {
				kept = append(kept, e)
			}
		}
	}
	j.entries, j.start = kept, 0
}
