// Package contract is the contract runner: it replays YAML scenarios
// (scenarios/<provider>/*.yaml) against the simulator's fakes or against
// the providers' real sandboxes and reports what differed.
//
// The pipeline is staged by package:
//
//	scenario  parse and check scenario files (strict, JSON Schema, file:line:col,
//	          "did you mean"); cases, includes, merchant settings, references
//	expr      ${...} templates and helper functions (github.com/expr-lang/expr)
//	match     expectations on responses and callbacks: partial JSON, $regex, $type...
//	target    where requests go: in-process simulator, a simulator URL, a real
//	          sandbox (credentials from the environment, non-secret fixtures)
//	run       plan (filters, shards, skips with reasons, budgets) and execution,
//	          scenarios in parallel; run does what plan said
//	result    what a run produced, separate from the scenario input
//	report    live text, JSON and JUnit XML
//	diff      the same scenarios on two targets, step by step
//
// A run is honest about what it tested: a scenario none of whose checks
// can run on the target is skipped, not passed, and a run in which nothing
// ran fails unless the caller allows it (cmd/contract --allow-skips).
// On a sandbox, where scenarios share the fixture merchant, clean-up steps
// (always: true) run after failures and skipped steps, and scenarios
// holding a common lock (locks:) take turns.
//
// cmd/contract is the command line on top.
package contract
