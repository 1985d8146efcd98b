// Package soak holds the project's bounded robustness tests of the upload path, run by go test:
//
//   - TestFaultSoak uploads 200,000 records through client.Upload to data8test with 20% of API
//     requests failing (500, 503, 429 with Retry-After, dropped connections, and "block stored,
//     then 503"), tokens expiring every second, for five fixed seeds, and checks the dataset record
//     by record against the input.
//   - TestInterruptAndResume* cancel uploads part way and resume them from the reported checkpoint.
//   - TestRenewalAfterRevocationUsesAFreshToken checks that the retry after a 401 gets a token
//     fetched after the refusal.
//
// The package has no code of its own; it exists for its tests.
package soak
