// Command loadgen is the geosearch bench's gRPC load generator: a lean
// replacement for ghz that spends as little CPU per call as it can, so that a
// benchmark on a small machine measures the server and not the client.
//
// Requests arrive already serialized (one base64 line per message in the
// -requests file) and go through a pass-through codec, so no call marshals or
// unmarshals anything. The calls are closed loop (-c calls always in flight)
// or, with -rps, open loop: started on a fixed schedule and timed from their
// scheduled start, so a slow server cannot hide its stalls by slowing the
// client down (no coordinated omission).
//
//	loadgen -addr 127.0.0.1:50051 -method /geosearch.v1.SearchService/Search \
//	  -requests points.b64 -c 32 -d 10s -warmup 2s
//
// With several comma-separated -addr targets, the calls go to one target at a
// time, switching every -slice: 0.25 s on A, 0.25 s on B, and so on, so that
// servers compared with each other see the same moments of a machine whose
// speed drifts (the bench's logging-and-metrics variants and data set scale).
// Every target then gets the same share of the window, and the report lists
// each target's figures (see multiReport).
//
// It prints one JSON object (see report) on stdout. Exit status: 0 when at
// least one call succeeded (failed calls are counted in the report), 1 when
// none did or the run could not start, 2 on bad flags or an unreadable
// request file.
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: it parses args, runs the load and writes
// the report to stdout, and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "loadgen: %v\n", err)
		return 2
	}
	reps, err := generateLoad(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "loadgen: %v\n", err)
		return 1
	}
	var out any = reps[0]
	if len(reps) > 1 {
		out = multiReport{SliceS: cfg.slice.Seconds(), Targets: reps}
	}
	if err := json.NewEncoder(stdout).Encode(out); err != nil {
		fmt.Fprintf(stderr, "loadgen: writing the report: %v\n", err)
		return 1
	}
	for _, rep := range reps {
		if !rep.anyOK {
			fmt.Fprintf(stderr, "loadgen: no call to %s succeeded; errors: %q\n", rep.Addr, rep.Errors)
			return 1
		}
	}
	return 0
}

// multiReport is the JSON object printed for several -addr targets: each
// target's report, its QPS over its own turns (its share of -d).
type multiReport struct {
	SliceS  float64   `json:"sliceS"`
	Targets []*report `json:"targets"`
}

// config is one run's settings, validated.
type config struct {
	addrs       []string // one target, or several taking turns (see slice)
	method      string
	requests    [][]byte // serialized request messages, used round-robin
	concurrency int      // calls in flight (the most, with rps)
	conns       int      // HTTP/2 connections
	duration    time.Duration
	warmup      time.Duration
	rps         float64 // 0: closed loop
	timeout     time.Duration
	procs       int           // GOMAXPROCS
	serverPids  []int         // none, or one per target: its CPU time over the measured window is reported
	slice       time.Duration // with several targets: how long each one's turn lasts
}

// parseFlags reads and checks the command line and loads the request file.
func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	var requestFile, addrs, serverPids string
	fs.StringVar(&addrs, "addr", "", "server `host:port` (plaintext HTTP/2); several, comma-separated, take turns (see -slice)")
	fs.StringVar(&cfg.method, "method", "", "full method `path`, e.g. /geosearch.v1.SearchService/Search")
	fs.StringVar(&requestFile, "requests", "", "`file` of serialized requests, one base64 line each, used round-robin")
	fs.IntVar(&cfg.concurrency, "c", 1, "calls in flight (with -rps: the most in flight)")
	fs.IntVar(&cfg.conns, "conns", 1, "HTTP/2 connections; calls are spread round-robin over them")
	fs.DurationVar(&cfg.duration, "d", 10*time.Second, "measured duration")
	fs.DurationVar(&cfg.warmup, "warmup", 2*time.Second, "warm-up before the measured window (calls made, not counted)")
	fs.Float64Var(&cfg.rps, "rps", 0, "fixed rate in calls per second (open loop); 0: closed loop")
	fs.DurationVar(&cfg.timeout, "timeout", 10*time.Second, "deadline of each call")
	fs.IntVar(&cfg.procs, "procs", 1, "threads running Go code at once (GOMAXPROCS); 1 costs the least CPU per call")
	fs.StringVar(&serverPids, "server-pid", "", "`pid` of the server under load (one per -addr, comma-separated): report its CPU time (all threads) in the measured window")
	fs.DurationVar(&cfg.slice, "slice", 250*time.Millisecond, "with several -addr targets: the length of each target's turn; -d must be a whole number of rounds of turns")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	var problems []string
	check := func(ok bool, problem string) {
		if !ok {
			problems = append(problems, problem)
		}
	}
	check(fs.NArg() == 0, fmt.Sprintf("unexpected arguments %q", fs.Args()))
	cfg.addrs = splitList(addrs)
	check(len(cfg.addrs) > 0, "-addr is required")
	for _, field := range splitList(serverPids) {
		pid, err := strconv.Atoi(field)
		check(err == nil && pid > 0, fmt.Sprintf("-server-pid: %q is not a process id", field))
		cfg.serverPids = append(cfg.serverPids, pid)
	}
	check(len(cfg.serverPids) == 0 || len(cfg.serverPids) == len(cfg.addrs), "-server-pid needs one pid per -addr target")
	if n := len(cfg.addrs); n > 1 {
		check(cfg.rps == 0, "-rps takes one -addr target")
		check(cfg.slice > 0, "-slice must be positive")
		cycle := time.Duration(n) * cfg.slice
		check(cfg.slice > 0 && cfg.duration%cycle == 0,
			fmt.Sprintf("-d must be a whole number of rounds of turns (%d targets x -slice %v)", n, cfg.slice))
	}
	check(strings.HasPrefix(cfg.method, "/") && strings.Count(cfg.method, "/") == 2,
		"-method must be a full method path /package.Service/Method")
	check(requestFile != "", "-requests is required")
	check(cfg.concurrency >= 1, "-c must be at least 1")
	check(cfg.conns >= 1, "-conns must be at least 1")
	check(cfg.duration > 0, "-d must be positive")
	check(cfg.warmup >= 0, "-warmup must not be negative")
	check(cfg.rps >= 0, "-rps must not be negative")
	check(cfg.timeout > 0, "-timeout must be positive")
	check(cfg.procs >= 1, "-procs must be at least 1")
	if len(problems) > 0 {
		return cfg, errors.New(strings.Join(problems, "; "))
	}
	var err error
	cfg.requests, err = readRequests(requestFile)
	return cfg, err
}

// splitList is a comma-separated flag's non-empty fields, trimmed.
func splitList(s string) []string {
	var out []string
	for _, field := range strings.Split(s, ",") {
		if field = strings.TrimSpace(field); field != "" {
			out = append(out, field)
		}
	}
	return out
}

// readRequests decodes a request file: every line is the standard base64 of
// one serialized message (an empty line is an empty message); a final newline
// ends the last line rather than adding an empty message.
func readRequests(file string) ([][]byte, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	data = bytes.TrimSuffix(data, []byte("\n"))
	if len(data) == 0 {
		return nil, fmt.Errorf("%s: no requests", file)
	}
	lines := bytes.Split(data, []byte("\n"))
	requests := make([][]byte, len(lines))
	for i, line := range lines {
		line = bytes.TrimSuffix(line, []byte("\r"))
		requests[i] = make([]byte, base64.StdEncoding.DecodedLen(len(line)))
		n, err := base64.StdEncoding.Decode(requests[i], line)
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %w", file, i+1, err)
		}
		requests[i] = requests[i][:n]
	}
	return requests, nil
}
