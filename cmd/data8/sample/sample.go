// Package sample holds the invented UK contact rows that `data8 demo` cleans: stray whitespace, names in the
// wrong case, lower-case postcodes without their space, mixed-case and invalid e-mail addresses, and exact
// duplicates. No row describes a real person.
package sample

import _ "embed"

//go:generate go run generate.go

//go:embed contacts.csv
var contacts []byte

// Contacts returns a copy of the sample as CSV, header row first.
func Contacts() []byte { return append([]byte(nil), contacts...) }
