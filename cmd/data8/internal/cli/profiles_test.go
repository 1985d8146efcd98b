package cli

import (
	"path/filepath"
	"reflect"
	"testing"

	"github.com/data8-toolkit/data8/data8test"
)

// profileRuns returns the stand-in's profiles one at a time, and all of them at once (named "all").
func profileRuns() map[string][]data8test.Profile {
	runs := map[string][]data8test.Profile{"all": data8test.Profiles()}
	for _, p := range data8test.Profiles() {
		runs[string(p)] = []data8test.Profile{p}
	}
	return runs
}

func TestRoundTripsAgainstEveryProfile(t *testing.T) {
	// The CLI's round trips against each of the stand-in's different but valid readings of the
	// silent points, and all of them at once, every request and answer checked against the spec:
	// `data8 run` with Echo, and `dataset upload`, `complete` and `download`, give back exactly the
	// input and exit 0.
	for name, ps := range profileRuns() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tg := newTarget(t, data8test.WithProfile(ps...))
			dir := t.TempDir()

			t.Run("run", func(t *testing.T) {
				rows := append([][]string{{"First Name", "City/Town", "2nd Notes"}}, tricky(1500)...)
				in := writeFile(t, dir, "in.csv", csvRows(rows))
				out := filepath.Join(dir, "out.csv")
				tg.mustRun(t, "run", in, "--workflow", "Echo", "--out", out, "--block-size", "400", "--concurrency", "3")
				if got := readCSV(t, out); !reflect.DeepEqual(got, rows) {
					t.Fatalf("run with Echo changed the records: %d rows back, want %d", len(got), len(rows))
				}
			})

			t.Run("dataset", func(t *testing.T) {
				rows := append([][]string{{"name", "city", "notes"}}, tricky(1234)...)
				in := writeFile(t, dir, "people.csv", csvRows(rows))
				tg.mustRun(t, "dataset", "create", "people", "--columns", "name,city,notes")
				tg.mustRun(t, "dataset", "upload", "people", in, "--block-size", "500")
				tg.mustRun(t, "dataset", "complete", "people")
				want := wantRecords(rows, rows[0])
				checkRecords(t, tg.srv, "people", want)
				out := filepath.Join(dir, "x.jsonl")
				tg.mustRun(t, "dataset", "download", "people", "--out", out)
				if got := readJSONLines(t, out); !reflect.DeepEqual(got, want) {
					t.Fatalf("JSON Lines download differs from the upload: %d records back, want %d", len(got), len(want))
				}
			})
		})
	}
}
