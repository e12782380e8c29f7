// Package contract is the contract runner: it replays YAML scenarios
// (scenarios/<provider>/*.yaml) against the simulator's fakes or against
// the providers' real sandboxes and reports what differed.
//
// The pipeline is staged by package:
//
//	scenario  parse and check scenario files (strict, JSON Schema, file:line:col)
//	expr      ${...} templates and helper functions (github.com/expr-lang/expr)
//	match     expectations on responses and callbacks: partial JSON, $regex, $type...
//	target    where requests go: in-process simulator, a simulator URL, a real sandbox
//	run       plan (filters, skips) and execution, scenarios in parallel
//	result    what a run produced, separate from the scenario input
//	report    live text, JSON and JUnit XML
//	diff      the same scenarios on two targets, step by step
//
// cmd/contract is the command line on top.
package contract
