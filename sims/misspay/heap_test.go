package misspay

import (
	"container/heap"
	"math/rand/v2"
	"testing"
	"time"
)

// refHeap is the deadline heap as it was, on container/heap.
type refHeap []*refItem

type refItem struct {
	at   time.Time
	id   int
	hidx int
}

func (h refHeap) Len() int           { return len(h) }
func (h refHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h refHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].hidx, h[j].hidx = i, j
}
func (h *refHeap) Push(x any) { it := x.(*refItem); it.hidx = len(*h); *h = append(*h, it) }
func (h *refHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	it.hidx = -1
	*h = old[:len(old)-1]
	return it
}

// The deadline heap makes container/heap's moves: checkouts due at the
// same moment (a frozen clock gives them all one deadline) come off in the
// same order as before, so their timeouts and webhooks keep their order.
func TestDeadlineHeapLikeContainerHeap(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	base := time.Unix(0, 0)
	for round := range 200 {
		var h deadlineHeap
		var ref refHeap
		var cs []*checkout
		for step := range 300 {
			switch op := r.IntN(10); {
			case op < 5 || len(h) == 0:
				at := base.Add(time.Duration(r.IntN(4)) * time.Minute) // many ties
				c := &checkout{hidx: -1, TrackID: string(rune('a' + len(cs)%26))}
				it := &refItem{at: at, id: len(cs)}
				cs = append(cs, c)
				h.push(c, at)
				heap.Push(&ref, it)
			case op < 8:
				i := r.IntN(len(h))
				got := h.remove(i)
				want := heap.Remove(&ref, i).(*refItem)
				if got != cs[want.id] {
					t.Fatalf("round %d step %d: remove(%d) took another checkout", round, step, i)
				}
			default:
				got := h.remove(0)
				want := heap.Pop(&ref).(*refItem)
				if got != cs[want.id] {
					t.Fatalf("round %d step %d: pop took another checkout", round, step)
				}
			}
			for i, it := range ref {
				if h[i].c != cs[it.id] || h[i].c.hidx != i || it.hidx != i {
					t.Fatalf("round %d step %d: heaps differ at %d", round, step, i)
				}
			}
		}
	}
}
