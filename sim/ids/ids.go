// Package ids generates reproducible identifiers and random bytes.
//
// A Generator is a seeded pseudo-random stream: the same seed and stream name
// followed by the same sequence of calls yields the same identifiers. Each
// provider takes its own named stream, so calls to one provider never shift
// the identifiers another hands out. Generators are safe for concurrent use.
// They are not cryptographically secure, which is fine for a simulator whose
// whole point is reproducibility.
package ids

import (
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strings"
	"sync"
)

// Generator is a seeded source of identifiers.
type Generator struct {
	mu  sync.Mutex
	rnd *rand.Rand
}

// New returns a generator for the named stream of seed.
func New(seed uint64, stream string) *Generator {
	h := fnv.New64a()
	h.Write([]byte(stream))
	return &Generator{rnd: rand.New(rand.NewPCG(seed, h.Sum64()))}
}

// Read fills p with pseudo-random bytes; it never fails. It makes a
// Generator usable wherever an io.Reader of randomness is expected.
func (g *Generator) Read(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := 0; i < len(p); i += 8 {
		v := g.rnd.Uint64()
		for j := 0; j < 8 && i+j < len(p); j++ {
			p[i+j] = byte(v >> (8 * j))
		}
	}
	return len(p), nil
}

// Bytes returns n pseudo-random bytes.
func (g *Generator) Bytes(n int) []byte {
	b := make([]byte, n)
	_, _ = g.Read(b)
	return b
}

// Hex returns n lowercase hexadecimal characters.
func (g *Generator) Hex(n int) string {
	return hex.EncodeToString(g.Bytes((n + 1) / 2))[:n]
}

// Digits returns n decimal digits (the first may be zero).
func (g *Generator) Digits(n int) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var b strings.Builder
	for range n {
		b.WriteByte(byte('0' + g.rnd.IntN(10)))
	}
	return b.String()
}

// IntN returns a pseudo-random int in [0, n).
func (g *Generator) IntN(n int) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.rnd.IntN(n)
}

// Uint64 returns a pseudo-random 64-bit value.
func (g *Generator) Uint64() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.rnd.Uint64()
}

// UUID returns a version 4 UUID in its canonical text form.
func (g *Generator) UUID() string {
	b := g.Bytes(16)
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// ObjectID returns 24 hexadecimal characters, the shape of a MongoDB
// ObjectId, which several providers use for their identifiers.
func (g *Generator) ObjectID() string { return g.Hex(24) }

// NewGeneration returns the stream of name for a provider's gen-th reset;
// generation 0 (start-up) is New(seed, name). Identifiers minted after a
// reset so never repeat those handed out before it (a stale credential
// cannot land on a new merchant), and a run stays reproducible.
func NewGeneration(seed uint64, name string, gen int) *Generator {
	if gen == 0 {
		return New(seed, name)
	}
	return New(seed, fmt.Sprintf("%s/reset/%d", name, gen))
}
