package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paysandbox/paysandbox/contract/diff"
	"github.com/paysandbox/paysandbox/contract/report"
	"github.com/paysandbox/paysandbox/contract/result"
	crun "github.com/paysandbox/paysandbox/contract/run"
	"github.com/paysandbox/paysandbox/contract/scenario"
	"github.com/paysandbox/paysandbox/contract/target"
	"github.com/paysandbox/paysandbox/sim"
)

// Exit codes.
const (
	exitOK       = 0
	exitFailures = 1
	exitUsage    = 2
)

const usage = `contract replays YAML scenarios against payment provider fakes or real sandboxes.

Usage:
  contract run      [flags] [paths]   run scenarios (default scenarios/) and report
  contract plan     [flags] [paths]   what would run on the target, and which steps it cannot perform (alias: list)
  contract validate [paths]           parse and check scenario files only
  contract diff --a TARGET --b TARGET [flags] [paths]
                                      run on two targets and show where responses differ
  contract coverage --target URL      print a running simulator's coverage (GET /_sim/coverage)

Targets (--target, --a, --b):
  in-process[:SEED]   a simulator inside the runner (default; frozen virtual clock)
  http://HOST:PORT    a running simulator (cmd/simulator)
  NAME                a target of the targets file (--targets); real sandboxes need --live

Exit status: 0 all passed, 1 failures (or differences), 2 usage or parse errors.
Run "contract COMMAND -h" for the flags of a command.
`

// config is the parsed command line.
type config struct {
	cmd          string
	paths        []string
	target       string
	a, b         string
	targetsFile  string
	live         bool
	runRe        *regexp.Regexp
	tags         []string
	parallel     int
	junit, json  string
	timeout      time.Duration
	coverage     bool
	seed         int64
	verbose      bool
	color        string
	receiverAddr string
	receiverURL  string
	controlToken string
	allowSkips   bool
	shard        int
	shards       int
	// scenarioTimeout bounds each scenario without a timeout: of its own.
	scenarioTimeout time.Duration
}

// Errors of parseArgs whose message and usage the flag set already wrote.
var (
	errHelpShown  = errors.New("help shown")
	errUsageShown = errors.New("usage shown")
)

func parseArgs(args []string, stderr io.Writer) (*config, error) {
	if len(args) == 0 {
		return nil, errors.New("missing command")
	}
	c := &config{cmd: args[0]}
	switch c.cmd {
	case "list":
		c.cmd = "plan"
	case "run", "plan", "validate", "diff", "coverage":
	case "help", "-h", "--help":
		return nil, flag.ErrHelp
	default:
		return nil, fmt.Errorf("unknown command %q", c.cmd)
	}
	fs := flag.NewFlagSet("contract "+c.cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var runExpr, tags, shard string
	c.parallel, c.timeout, c.seed, c.color = runtime.NumCPU(), 10*time.Minute, 1, "auto"
	cmd := c.cmd
	is := func(cmds ...string) bool { return slices.Contains(cmds, cmd) }
	if is("run", "plan", "coverage") {
		fs.StringVar(&c.target, "target", envOr("CONTRACT_TARGET", "in-process"), "where to run: in-process[:SEED], a simulator URL (http://HOST:PORT), or a targets-file NAME (env CONTRACT_TARGET)")
	}
	if is("diff") {
		fs.StringVar(&c.a, "a", "", "the first target (in-process[:SEED], a simulator URL or a targets-file NAME)")
		fs.StringVar(&c.b, "b", "", "the second target")
	}
	if is("run", "plan", "coverage", "diff") {
		fs.StringVar(&c.targetsFile, "targets", envOr("CONTRACT_TARGETS", "contract-targets.yaml"), "the targets file for named targets (env CONTRACT_TARGETS)")
		fs.BoolVar(&c.live, "live", false, "allow real sandboxes (explicit opt-in, so CI never hits them by accident)")
		fs.StringVar(&c.controlToken, "control-token", os.Getenv("SIM_CONTROL_TOKEN"), "control token of a simulator started with one (env SIM_CONTROL_TOKEN)")
	}
	if is("run", "plan", "diff") {
		fs.StringVar(&runExpr, "run", "", "only scenarios whose name matches this regular expression")
		fs.StringVar(&tags, "tags", "", "only scenarios with one of these comma-separated tags; !tag excludes (slow: real-time waits of a minute or more)")
		fs.StringVar(&shard, "shard", "", "K/N: only the K-th of N equal shares of the selected scenarios (for a CI matrix)")
		fs.DurationVar(&c.timeout, "timeout", c.timeout, "stop the whole run after this long (plan warns about scenarios whose real-time waits exceed it)")
		fs.Int64Var(&c.seed, "seed", c.seed, "seed of uuid() and fake data in scenarios")
		fs.StringVar(&c.receiverAddr, "receiver", "127.0.0.1:0", "listen address of the callback receiver (simulator URL targets)")
		fs.StringVar(&c.receiverURL, "receiver-url", "", "URL the simulator uses to reach the receiver (default http://<listen address>)")
	}
	if is("run", "diff") {
		fs.IntVar(&c.parallel, "parallel", c.parallel, "scenarios run at once")
		fs.DurationVar(&c.scenarioTimeout, "scenario-timeout", 0, "stop (and fail) a scenario after this long, unless it sets its own timeout: (0: no limit but --timeout)")
	}
	if is("run", "plan") {
		fs.StringVar(&c.color, "color", "auto", "colour: auto (only on a terminal), always, never")
	}
	if is("run") {
		fs.StringVar(&c.junit, "junit", "", "write a JUnit XML report to this file")
		fs.StringVar(&c.json, "json", "", "write a JSON report to this file")
		fs.BoolVar(&c.coverage, "coverage", false, "print the simulator's coverage (GET /_sim/coverage) after a run on a fake target")
		fs.BoolVar(&c.verbose, "v", false, "list every step")
		fs.BoolVar(&c.allowSkips, "allow-skips", false, "exit 0 even when every selected scenario was skipped (by default a run that ran nothing fails)")
	}
	fs.Usage = func() {
		fmt.Fprint(stderr, usage+"\nFlags:\n")
		fs.PrintDefaults()
	}
	// Flags may come before or after the paths.
	rest := args[1:]
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, errHelpShown
			}
			return nil, fmt.Errorf("%w: %v", errUsageShown, err)
		}
		if fs.NArg() == 0 {
			break
		}
		c.paths = append(c.paths, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(c.paths) == 0 {
		c.paths = []string{"scenarios"}
	}
	if runExpr != "" {
		re, err := regexp.Compile(runExpr)
		if err != nil {
			return nil, fmt.Errorf("--run: %v", err)
		}
		c.runRe = re
	}
	if tags != "" {
		c.tags = strings.Split(tags, ",")
	}
	if shard != "" {
		k, n, ok := strings.Cut(shard, "/")
		ki, err1 := strconv.Atoi(k)
		ni, err2 := strconv.Atoi(n)
		if !ok || err1 != nil || err2 != nil || ni < 1 || ki < 1 || ki > ni {
			return nil, fmt.Errorf("--shard: want K/N with 1 <= K <= N, such as 2/4, got %q", shard)
		}
		c.shard, c.shards = ki, ni
	}
	if c.parallel < 1 {
		return nil, errors.New("--parallel must be at least 1")
	}
	if c.cmd == "diff" && (c.a == "" || c.b == "") {
		return nil, errors.New("diff needs --a TARGET and --b TARGET")
	}
	switch c.color {
	case "auto", "always", "never":
	default:
		return nil, fmt.Errorf("--color: want auto, always or never, got %q", c.color)
	}
	return c, nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// run is the whole command; main only wires the process to it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c, err := parseArgs(args, stderr)
	if errors.Is(err, errHelpShown) {
		return exitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	if errors.Is(err, errUsageShown) {
		return exitUsage // the flag package printed the error and the flags
	}
	if err != nil {
		fmt.Fprintf(stderr, "contract: %v\n\n%s", err, usage)
		return exitUsage
	}
	ctx, cancel := context.WithTimeoutCause(ctx, c.timeout, fmt.Errorf("--timeout %s passed", c.timeout))
	defer cancel()
	if c.cmd == "coverage" {
		return printCoverage(ctx, c, stdout, stderr)
	}

	catalog, err := crun.NewCatalog()
	if err != nil {
		fmt.Fprintf(stderr, "contract: %v\n", err)
		return exitUsage
	}
	scs, probs := scenario.Load(c.paths, catalog.ScenarioOptions())
	for _, p := range probs {
		fmt.Fprintln(stderr, p)
	}
	if len(probs) > 0 {
		fmt.Fprintf(stderr, "contract: %s in scenario files\n", plural(len(probs), "problem"))
		return exitUsage
	}
	if c.cmd == "validate" {
		fmt.Fprintf(stdout, "%s OK\n", plural(len(scs), "scenario"))
		return exitOK
	}
	filter := crun.Filter{Run: c.runRe, Tags: c.tags, Shard: c.shard, Shards: c.shards, Budget: c.timeout}
	if c.cmd == "run" {
		if err := checkReportPaths(c); err != nil {
			fmt.Fprintf(stderr, "contract: %v\n", err)
			return exitUsage
		}
	}

	switch c.cmd {
	case "plan":
		t, err := openTarget(ctx, c, c.target)
		if err != nil {
			fmt.Fprintf(stderr, "contract: %v\n", err)
			return exitUsage
		}
		defer t.Close()
		plan := crun.Plan(scs, t, filter)
		if len(plan) == 0 {
			fmt.Fprintln(stderr, noMatch(c))
			return exitUsage
		}
		writePlan(stdout, t, plan)
		return exitOK
	case "diff":
		return runDiff(ctx, c, catalog, scs, filter, stdout, stderr)
	}

	t, err := openTarget(ctx, c, c.target)
	if err != nil {
		fmt.Fprintf(stderr, "contract: %v\n", err)
		return exitUsage
	}
	defer t.Close()
	text := report.Text{W: stdout, Color: useColor(c.color, stdout), Verbose: c.verbose}
	plan := crun.Plan(scs, t, filter)
	if len(plan) == 0 {
		fmt.Fprintln(stderr, noMatch(c))
		return exitUsage
	}
	fmt.Fprintf(stdout, "running %s on %s (%s), %d at a time\n", plural(len(plan), "scenario"), t.Name(), t.Kind(), c.parallel)
	for _, p := range plan {
		for _, w := range p.Warnings {
			fmt.Fprintf(stdout, "warning: %s: %s\n", p.Scenario.Name, w)
		}
	}
	fmt.Fprintln(stdout)
	res := crun.Run(ctx, crun.Config{
		Target: t, Catalog: catalog, Parallel: c.parallel, Seed: c.seed,
		Progress: text.Progress, Coverage: c.coverage, ScenarioTimeout: c.scenarioTimeout,
	}, plan)
	text.Failures(res)
	text.Summary(res)
	if c.coverage {
		if res.Coverage == nil {
			fmt.Fprintf(stdout, "\ncoverage: target %s has no control plane to report it\n", t.Name())
		} else {
			fmt.Fprintln(stdout)
			var ran []string
			for _, s := range res.Scenarios {
				if !slices.Contains(ran, s.Provider) {
					ran = append(ran, s.Provider)
				}
			}
			report.Coverage(stdout, res.Coverage, ran)
		}
	}
	if err := writeReports(c, res); err != nil {
		fmt.Fprintf(stderr, "contract: %v\n", err)
		return exitUsage
	}
	if res.Summary.Failed > 0 {
		return exitFailures
	}
	if res.Summary.Ran() == 0 && !c.allowSkips {
		fmt.Fprintf(stderr, "contract: nothing ran: all %s were skipped on %s (reasons above; \"contract plan\" shows them beforehand). Pass --allow-skips to accept a run that tests nothing.\n", plural(len(res.Scenarios), "scenario"), t.Name())
		return exitFailures
	}
	return exitOK
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func noMatch(c *config) string {
	if c.shards > 1 {
		return fmt.Sprintf("contract: no scenario matches the filters in shard %d/%d", c.shard, c.shards)
	}
	return "contract: no scenario matches the filters"
}

// checkReportPaths makes sure the report files can be written before the
// run starts, rather than after it.
func checkReportPaths(c *config) error {
	for _, p := range []struct{ flag, path string }{{"--junit", c.junit}, {"--json", c.json}} {
		if p.path == "" {
			continue
		}
		dir := filepath.Dir(p.path)
		st, err := os.Stat(dir)
		if err != nil {
			return fmt.Errorf("%s %s: the folder %s does not exist; create it first", p.flag, p.path, dir)
		}
		if !st.IsDir() {
			return fmt.Errorf("%s %s: %s is not a folder", p.flag, p.path, dir)
		}
		f, err := os.CreateTemp(dir, ".contract-report-*")
		if err != nil {
			return fmt.Errorf("%s %s: cannot write in %s: %v", p.flag, p.path, dir, err)
		}
		f.Close()
		os.Remove(f.Name())
	}
	return nil
}

func useColor(mode string, w io.Writer) bool {
	switch mode {
	case "always":
		return true
	case "never":
		return false
	}
	return report.IsTerminal(w)
}

func writeReports(c *config, res result.Run) error {
	write := func(path string, fn func(io.Writer, result.Run) error) error {
		if path == "" {
			return nil
		}
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		if err := fn(f, res); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	if err := write(c.junit, report.JUnit); err != nil {
		return err
	}
	return write(c.json, report.JSON)
}

// openTarget opens a target by its command-line spec.
func openTarget(ctx context.Context, c *config, spec string) (*target.Target, error) {
	switch {
	case spec == "" || spec == "in-process" || strings.HasPrefix(spec, "in-process:"):
		opts := sim.Options{}
		if s, ok := strings.CutPrefix(spec, "in-process:"); ok {
			seed, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("target %q: want in-process:SEED with a number", spec)
			}
			opts.Seed = seed
		}
		return target.InProcess(spec, opts)
	case strings.HasPrefix(spec, "http://") || strings.HasPrefix(spec, "https://"):
		return target.Simulator(ctx, spec, c.simOptions())
	case strings.Contains(spec, "://"):
		return nil, fmt.Errorf("target %q: only http:// and https:// simulator URLs are supported", spec)
	}
	f, err := target.LoadFile(c.targetsFile)
	if errors.Is(err, target.ErrNoTargetsFile) {
		msg := fmt.Sprintf("target %q is not in-process[:SEED] nor an http(s):// URL, so it was looked up as a name in the targets file %s, which does not exist", spec, c.targetsFile)
		if looksLikeHost(spec) {
			msg += fmt.Sprintf(". For a running simulator, write the URL: --target http://%s", spec)
		} else {
			msg += "; give the file with --targets FILE (env CONTRACT_TARGETS), or a simulator URL such as --target http://127.0.0.1:8080"
		}
		return nil, errors.New(msg)
	}
	if err != nil {
		return nil, fmt.Errorf("target %q: %w", spec, err)
	}
	return f.Open(ctx, spec, target.OpenOptions{Live: c.live, Simulator: c.simOptions()})
}

// looksLikeHost reports whether spec is a host[:port] rather than a name.
func looksLikeHost(spec string) bool {
	host, port, err := net.SplitHostPort(spec)
	if err == nil {
		_, perr := strconv.Atoi(port)
		return perr == nil && host != ""
	}
	return net.ParseIP(spec) != nil || spec == "localhost"
}

func (c *config) simOptions() target.SimulatorOptions {
	return target.SimulatorOptions{ReceiverAddr: c.receiverAddr, ReceiverURL: c.receiverURL, ControlToken: c.controlToken}
}

func writePlan(w io.Writer, t *target.Target, plan []crun.Planned) {
	fmt.Fprintf(w, "target %s (%s; control plane: %s; callback receiver: %s)\n", t.Name(), t.Kind(), yesNo(t.HasControl()), yesNo(t.Receiver() != nil))
	runs, parts, skips, fails, stepSkips, warns := 0, 0, 0, 0, 0, 0
	for _, p := range plan {
		s := p.Scenario
		status := "RUN "
		switch {
		case p.Error != "":
			status = "FAIL"
			fails++
		case p.Skip != "":
			status = "SKIP"
			skips++
		default:
			runs++
			if slices.ContainsFunc(p.Steps, func(why string) bool { return why != "" }) {
				status = "PART" // runs, some steps skipped
				parts++
			}
		}
		extra := ""
		if p.Exclusive {
			extra = "  [alone: moves the simulator's shared clock]"
		}
		fmt.Fprintf(w, "\n%s  %s  (%s, %s, %d steps)%s\n", status, s.Name, s.File, s.Provider, len(s.Compiled.Steps), extra)
		if p.Error != "" || p.Skip != "" {
			fmt.Fprintf(w, "      %s\n", p.Error+p.Skip)
			continue
		}
		for _, warn := range p.Warnings {
			fmt.Fprintf(w, "      warning: %s\n", warn)
			warns++
		}
		for i, st := range s.Compiled.Steps {
			mark := "run "
			why := ""
			switch {
			case p.Steps[i] != "":
				mark, why = "skip", "  -- "+p.Steps[i]
				stepSkips++
			case st.Kind == scenario.KindAwait && !t.HasControl():
				why = fmt.Sprintf("  -- polls in real time every %s, up to %s", st.Every, st.Within)
			case st.Kind == scenario.KindAwait:
				why = fmt.Sprintf("  -- polls every %s of virtual time, up to %s", st.Every, st.Within)
			}
			fmt.Fprintf(w, "      %s %2d. [%s] %s%s\n", mark, i+1, st.Kind, st.Title, why)
		}
	}
	fmt.Fprintf(w, "\n%d scenarios would run", runs)
	if parts > 0 {
		fmt.Fprintf(w, " (%d partly: PART)", parts)
	}
	fmt.Fprintf(w, ", %d would be skipped", skips)
	if fails > 0 {
		fmt.Fprintf(w, ", %d cannot run (FAIL)", fails)
	}
	fmt.Fprintf(w, "; %d steps would be skipped", stepSkips)
	if warns > 0 {
		fmt.Fprintf(w, "; %s", plural(warns, "warning"))
	}
	fmt.Fprintln(w)
	if runs == 0 && fails == 0 {
		fmt.Fprintln(w, "nothing would run: \"contract run\" would exit 1 unless given --allow-skips")
	}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func runDiff(ctx context.Context, c *config, catalog *crun.Catalog, scs []*scenario.Scenario, filter crun.Filter, stdout, stderr io.Writer) int {
	var results []result.Run
	for _, spec := range []string{c.a, c.b} {
		t, err := openTarget(ctx, c, spec)
		if err != nil {
			fmt.Fprintf(stderr, "contract: %v\n", err)
			return exitUsage
		}
		res := crun.Run(ctx, crun.Config{Target: t, Catalog: catalog, Parallel: c.parallel, Seed: c.seed, ScenarioTimeout: c.scenarioTimeout}, crun.Plan(scs, t, filter))
		t.Close()
		fmt.Fprintf(stdout, "%s: %d passed, %d failed, %d skipped\n", spec, res.Summary.Passed, res.Summary.Failed, res.Summary.Skipped)
		results = append(results, res)
	}
	ds := diff.Compare(results[0], results[1], scs, catalog.Volatile)
	var b strings.Builder
	diff.Write(&b, c.a, c.b, ds)
	fmt.Fprint(stdout, b.String())
	if len(ds) > 0 {
		return exitFailures
	}
	return exitOK
}

// printCoverage prints the coverage a simulator has recorded so far.
func printCoverage(ctx context.Context, c *config, stdout, stderr io.Writer) int {
	t, err := openTarget(ctx, c, c.target)
	if err != nil {
		fmt.Fprintf(stderr, "contract: %v\n", err)
		return exitUsage
	}
	defer t.Close()
	if !t.HasControl() {
		fmt.Fprintf(stderr, "contract: target %s has no control plane to report coverage\n", t.Name())
		return exitUsage
	}
	cov, err := t.Coverage(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "contract: %v\n", err)
		return exitFailures
	}
	report.Coverage(stdout, cov, nil)
	return exitOK
}
