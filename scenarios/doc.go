// Package scenarios is the contract runner's scenario library:
// scenarios/<provider>/*.yaml, one folder per provider. Its tests run the
// whole library against an in-process simulator (so `go test ./...` does),
// check that the library covers every documented operation, error code and
// status transition of each provider that has a folder, and check that the
// scenarios under _failing/ (which `contract run` never picks up by
// default) fail and are reported.
package scenarios
