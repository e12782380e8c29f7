// Command contract replays YAML scenarios against the simulator's fakes or
// the providers' real sandboxes.
//
//	go run ./cmd/contract run                       # scenarios/ on an in-process simulator
//	go run ./cmd/contract run --coverage scenarios/misspay
//	go run ./cmd/contract plan --target mispay-sandbox
//	go run ./cmd/contract validate
//	go run ./cmd/contract diff --a in-process --b http://127.0.0.1:8080
//
// See the README ("Contract runner") and docs/scenarios.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
