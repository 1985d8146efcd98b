//go:build ignore

// This program writes contacts.csv, the invented UK contact rows that `data8 demo` cleans. Every name, address
// and e-mail is made up. Run it with `go generate ./cmd/data8/sample`; the output is the same every time.
package main

import (
	"encoding/csv"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"strings"
)

const rows = 3000

var (
	firstNames = []string{"Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Noah", "Mia", "Jack", "Ivy",
		"Leo", "Grace", "Arthur", "Freya", "Oscar", "Lily", "Charlie", "Emily", "Jacob", "Sophia", "Thomas",
		"Evie", "William", "Poppy", "James", "Ella", "Henry", "Rosie", "Alfie", "Florence", "Mary Jane", "Anne-Marie"}
	lastNames = []string{"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
		"Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson",
		"Clarke", "Hughes", "Edwards", "Turner", "Hill", "Moore", "Cooper", "Ward", "Morris", "King", "Baker"}
	streets = []string{"High Street", "Station Road", "Church Lane", "Mill Lane", "Victoria Road", "Park Avenue",
		"Queens Road", "New Road", "Kings Road", "Green Lane", "Manor Road", "The Crescent", "Orchard Close"}
	towns = []struct{ town, outward string }{
		{"Chester", "CH1"}, {"Manchester", "M1"}, {"Leeds", "LS2"}, {"Bristol", "BS1"}, {"York", "YO1"},
		{"Norwich", "NR2"}, {"Exeter", "EX4"}, {"Cardiff", "CF10"}, {"Glasgow", "G2"}, {"Nottingham", "NG1"},
		{"Brighton", "BN1"}, {"Oxford", "OX1"}, {"Cambridge", "CB2"}, {"Bath", "BA1"}, {"Durham", "DH1"}}
	domains = []string{"example.com", "example.co.uk", "mail.example.net", "post.example.org"}
)

func main() {
	r := rand.New(rand.NewPCG(8, 2024))
	f, err := os.Create("contacts.csv")
	if err != nil {
		log.Fatal(err)
	}
	w := csv.NewWriter(f)
	_ = w.Write([]string{"First Name", "Last Name", "Email", "Phone", "Address Line 1", "Town", "Postcode"})
	var written [][]string
	for i := 0; i < rows; i++ {
		if i > 20 && r.IntN(25) == 0 { // about 4% exact duplicates of an earlier row
			row := written[r.IntN(len(written))]
			_ = w.Write(row)
			written = append(written, row)
			continue
		}
		first, last := pick(r, firstNames), pick(r, lastNames)
		t := towns[r.IntN(len(towns))]
		inward := fmt.Sprintf("%d%c%c", r.IntN(10), 'A'+rune(r.IntN(26)), 'A'+rune(r.IntN(26)))
		email := strings.ToLower(strings.ReplaceAll(first, " ", "")) + "." + strings.ToLower(last) + "@" + pick(r, domains)
		row := []string{
			mess(r, first), mess(r, last), messEmail(r, email),
			fmt.Sprintf("07%03d %06d", r.IntN(1000), r.IntN(1000000)),
			mess(r, fmt.Sprintf("%d %s", 1+r.IntN(200), pick(r, streets))),
			mess(r, t.town), messPostcode(r, t.outward, inward),
		}
		_ = w.Write(row)
		written = append(written, row)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}

func pick(r *rand.Rand, s []string) string { return s[r.IntN(len(s))] }

// mess adds the faults people type: stray and doubled spaces, and the wrong case.
func mess(r *rand.Rand, s string) string {
	switch r.IntN(6) {
	case 0:
		s = "  " + s
	case 1:
		s = s + " "
	case 2:
		s = strings.Replace(s, " ", "   ", 1)
	}
	switch r.IntN(5) {
	case 0:
		s = strings.ToLower(s)
	case 1:
		s = strings.ToUpper(s)
	}
	return s
}

func messEmail(r *rand.Rand, e string) string {
	switch r.IntN(12) {
	case 0:
		return strings.Replace(e, "@", "", 1) // no @
	case 1:
		return strings.Replace(e, "@", "@@", 1)
	case 2:
		return e[:strings.LastIndex(e, ".")] // no top-level domain
	case 3, 4, 5:
		return strings.ToUpper(e[:1]) + e[1:strings.Index(e, "@")] + strings.ToUpper(e[strings.Index(e, "@"):])
	case 6:
		return " " + e + " "
	}
	return e
}

func messPostcode(r *rand.Rand, outward, inward string) string {
	switch r.IntN(4) {
	case 0:
		return strings.ToLower(outward + inward)
	case 1:
		return strings.ToLower(outward) + " " + strings.ToLower(inward)
	case 2:
		return outward + "  " + inward + " "
	}
	return outward + " " + inward
}
