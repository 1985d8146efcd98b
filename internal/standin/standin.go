// Package standin holds the knobs of the stand-in server (package data8test) that only this project's
// own suites use, so that they stay out of data8test's public API: mutations, which break a documented
// rule on purpose to check that a test suite notices.
//
// data8test's Option is this package's Option: a function of the Target it configures. The target is
// data8test's own configuration, which this package does not know; it hands out the Knobs here, and
// data8test's options set the rest of it.
//
//	srv := data8test.NewServer(standin.WithMutation(standin.SkipAuth))
package standin

//go:generate go tool stringer -type Mutation

// Knobs are the suite-only settings of a stand-in server.
type Knobs struct {
	// Mutations are the documented rules to break.
	Mutations map[Mutation]bool
}

// Target is what an Option configures: the stand-in server's configuration, which carries the Knobs.
type Target interface {
	// Knobs returns the suite-only settings, to change in place.
	Knobs() *Knobs
}

// Option configures a data8test server.
type Option func(Target)

// WithMutation breaks one documented rule on purpose, to check that a test suite notices. Give it more
// than once to break several.
func WithMutation(m Mutation) Option {
	return func(t Target) {
		k := t.Knobs()
		if k.Mutations == nil {
			k.Mutations = map[Mutation]bool{}
		}
		k.Mutations[m] = true
	}
}
