package batch_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/data8-toolkit/data8/client/batch"
)

// TestSourceRefusesRecordsTheCheckDidNotSee checks that the upload pass refuses the first record
// beyond the count the plan made, when it is read, not at the end of the file: a file that grew by
// thousands of records between the passes must not have them uploaded before the error.
func TestSourceRefusesRecordsTheCheckDidNotSee(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.csv")
	if err := os.WriteFile(path, []byte("a\n1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	plan, err := batch.PlanFile(context.Background(), path, batch.PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("a\n1\n2\n3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := plan.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if _, err := src.Next(nil); err != nil {
		t.Fatal(err)
	}
	_, err = src.Next(nil)
	if want := path + ": file changed while it was being uploaded (the validation pass counted 1 records)"; err == nil || err.Error() != want {
		t.Fatalf("second record: error %v, want %q", err, want)
	}
}
