package data8test

// The names below are kept for code written against the first version of this package; they will be
// removed.

// Validate is the former name of WithValidation.
//
// Deprecated: use WithValidation.
func Validate(tb TB) Option { return WithValidation(tb) }

// StrictRequests is the former name of WithStrictRequests.
//
// Deprecated: use WithStrictRequests.
func StrictRequests() Option { return WithStrictRequests() }

// Start is NewServer returning an error instead of panicking.
//
// Deprecated: use NewServer; to listen on an address a user gives, listen first and pass the listener
// with WithListener.
func Start(opts ...Option) (*Server, error) { return newServer(opts...) }

// WithDotNetUnsetTimes makes an unfinished job show completedAt as 0001-01-01T00:00:00Z, as a .NET
// service sends an unset non-nullable time, instead of leaving it out: for testing that a client takes a
// job as finished only when completedAt is present and not before submittedAt (D-14).
//
// Deprecated: use WithProfile(ProfileDotNetTimes), which also writes every other time as .NET does.
func WithDotNetUnsetTimes() Option { return set(func(c *config) { c.dotNetUnset = true }) }
