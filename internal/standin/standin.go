// Package standin holds the knobs of the stand-in server (package data8test) that only this project's
// own suites use, so that they stay out of data8test's public API: mutations, which break a documented
// rule on purpose to check that a test suite notices.
//
// data8test's Option is this package's Option: an option sets either data8test's own configuration,
// which this package does not know and carries as Settings.Config, or the knobs here.
//
//	srv := data8test.NewServer(standin.WithMutation(standin.SkipAuth))
package standin

//go:generate go tool stringer -type Mutation

// Settings is what options set.
type Settings struct {
	// Config is data8test's own configuration; only data8test's options use it.
	Config any
	// Mutations are the documented rules to break.
	Mutations map[Mutation]bool
}

// Option configures a data8test server.
type Option func(*Settings)

// WithMutation breaks one documented rule on purpose, to check that a test suite notices. Give it more
// than once to break several.
func WithMutation(m Mutation) Option {
	return func(s *Settings) {
		if s.Mutations == nil {
			s.Mutations = map[Mutation]bool{}
		}
		s.Mutations[m] = true
	}
}

// Mutation is a documented rule the server can be told to break (WithMutation).
type Mutation int

// The mutations. Each breaks exactly the rule it names and nothing else.
const (
	// Accept1001Records lifts the cap of 1,000 records per block.
	Accept1001Records Mutation = iota + 1
	// AppendInsteadOfOverwrite appends the records of a re-used block number to the block instead of
	// replacing them.
	AppendInsteadOfOverwrite
	// IgnoreBlockOrder keeps records in the order their blocks first arrived instead of ascending block
	// number.
	IgnoreBlockOrder
	// AcceptUploadToCompleted stores blocks uploaded to a completed input dataset instead of answering 400.
	AcceptUploadToCompleted
	// SkipAuth serves API requests without checking the bearer token.
	SkipAuth
	// UnsortedDatasetList lists datasets in reverse alphabetical order.
	UnsortedDatasetList
)

// Mutations lists every mutation, for a test that runs a suite against each.
func Mutations() []Mutation {
	return []Mutation{Accept1001Records, AppendInsteadOfOverwrite, IgnoreBlockOrder, AcceptUploadToCompleted, SkipAuth, UnsortedDatasetList}
}
