package batch_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/data8-toolkit/data8/client/batch"
	"github.com/data8-toolkit/data8/data8test"
)

// Run the whole job, file in, cleansed file out, keeping the checkpoint in a state file as it goes:
// after a crash, batch.LoadState and batch.Resume carry on where the run stopped.
func Example() {
	srv := data8test.NewServer() // Data8, or a stand-in for it
	defer srv.Close()
	c := srv.Client()
	dir, _ := os.MkdirTemp("", "batch-example")
	defer os.RemoveAll(dir)
	in := filepath.Join(dir, "contacts.csv")
	os.WriteFile(in, []byte("First Name,Email\n  ada ,ADA@EXAMPLE.COM\nalan,alan@example\n"), 0o644)
	state := filepath.Join(dir, "contacts.state.json")

	res, err := batch.Run(context.Background(), c, batch.Spec{
		Input: in, Output: filepath.Join(dir, "clean.csv"), Workflow: "CleanContacts",
	}, batch.Options{Progress: func(e batch.Event) {
		if e.State != nil {
			batch.SaveState(state, e.State) // the checkpoint, no secret in it
		}
	}})
	if err != nil {
		fmt.Println(err) // res.State says where it stopped: batch.Resume(ctx, c, res.State, ...)
		return
	}
	out, _ := os.ReadFile(filepath.Join(dir, "clean.csv"))
	fmt.Print(string(out))
	fmt.Println(res.State.Step, res.Job.Statistics["emailsInvalid"])
	// Output:
	// First Name,Email,email_valid
	// Ada,ada@example.com,true
	// Alan,alan@example,false
	// done 1
}
