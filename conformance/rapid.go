package conformance

import (
	"flag"
	"fmt"
	"regexp"
	"sync"
	"testing"

	"pgregory.net/rapid"
)

// The model tier generates its operation sequences and shrinks a failing one with
// pgregory.net/rapid. rapid is made for `go test`: rapid.Check takes a rapid.TB, which rapidTB
// implements over a case, and it reads its settings (-rapid.seed, -rapid.checks, -rapid.shrinktime,
// or RAPID_SEED and the like in the environment) from the command line. Run is also called from
// programs that are not tests, so that before the first check setupRapid does, once per process,
// what rapid needs there:
//
//   - testing.Init, which registers the -test.* flags on flag.CommandLine (rapid.Check calls
//     testing.Short, which needs them); it does nothing in a test binary;
//   - when the program has not parsed its command line yet, flag.CommandLine.Parse with no
//     arguments, which only marks it parsed (testing.Short insists on that too);
//   - -rapid.nofailfile: rapid would otherwise write a failing sequence to ./testdata/rapid/ and
//     replay it on later runs; the report carries the sequence instead.
//
// The number of sequences is the case's own (Config.ModelSequences), not -rapid.checks: the
// property stops generating once it has run that many, which rapid counts as passing checks.
var rapidSetup sync.Once

func setupRapid() {
	rapidSetup.Do(func() {
		testing.Init()
		if !flag.Parsed() {
			_ = flag.CommandLine.Parse(nil)
		}
		_ = flag.Set("rapid.nofailfile", "true")
	})
}

// rapidStop ends rapid.Check early, after rapidTB's FailNow, Fatal or Skip.
type rapidStop struct{}

// rapidTB is the rapid.TB of one rapid.Check run inside a case: it keeps what rapid reports.
type rapidTB struct {
	name string

	mu     sync.Mutex
	errors []string // rapid's own reports of a failure
	failed bool
}

var _ rapid.TB = (*rapidTB)(nil)

func (r *rapidTB) Helper()      {}
func (r *rapidTB) Name() string { return r.name }

// Logf and Log drop rapid's progress lines: the case keeps its own record of the operations.
func (r *rapidTB) Logf(string, ...any) {}
func (r *rapidTB) Log(...any)          {}

func (r *rapidTB) Errorf(format string, args ...any) { r.fail(fmt.Sprintf(format, args...)) }
func (r *rapidTB) Error(args ...any)                 { r.fail(fmt.Sprint(args...)) }
func (r *rapidTB) Fatalf(format string, args ...any) {
	r.fail(fmt.Sprintf(format, args...))
	panic(rapidStop{})
}
func (r *rapidTB) Fatal(args ...any)                { r.fail(fmt.Sprint(args...)); panic(rapidStop{}) }
func (r *rapidTB) FailNow()                         { r.fail(""); panic(rapidStop{}) }
func (r *rapidTB) Fail()                            { r.fail("") }
func (r *rapidTB) Skipf(format string, args ...any) { panic(rapidStop{}) }
func (r *rapidTB) Skip(args ...any)                 { panic(rapidStop{}) }
func (r *rapidTB) SkipNow()                         { panic(rapidStop{}) }

func (r *rapidTB) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}

func (r *rapidTB) fail(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = true
	if msg != "" {
		r.errors = append(r.errors, msg)
	}
}

// seedRE finds the seed in rapid's report of a failure.
var seedRE = regexp.MustCompile(`-rapid\.seed=(\d+)`)

// runRapid runs rapid.Check on prop and returns rapid's reports of a failure (none when prop held)
// and the seed that reproduces it ("" when rapid names none).
func runRapid(name string, prop func(*rapid.T)) (reports []string, seed string) {
	setupRapid()
	tb := &rapidTB{name: name}
	func() {
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(rapidStop); !ok {
					panic(r)
				}
			}
		}()
		rapid.Check(tb, prop)
	}()
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, e := range tb.errors {
		if m := seedRE.FindStringSubmatch(e); m != nil {
			seed = m[1]
		}
	}
	return tb.errors, seed
}
