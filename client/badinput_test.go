package client_test

// Bad input, tried: bad names, columns, blocks, options, sources and environment
// given to the client API. Each gets its specific error; those the client can detect send nothing;
// none sends a request that breaks the spec; and afterwards the server holds nothing it should not.
// The CLI's table (files, flags, environment) is TestBadInput in cmd/data8/internal/cli.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"iter"
	"maps"
	"math"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/data8test"
)

// badSource is a Source of fixed encoded records.
type badSource struct{ recs []string }

func (s *badSource) Next(dst []byte) ([]byte, error) {
	if len(s.recs) == 0 {
		return dst, io.EOF
	}
	r := s.recs[0]
	s.recs = s.recs[1:]
	return append(dst, r...), nil
}

// badRecords is a Records source of the given records.
func badRecords(recs ...client.Record) client.Source {
	var seq iter.Seq2[client.Record, error] = func(yield func(client.Record, error) bool) {
		for _, r := range recs {
			if !yield(r, nil) {
				return
			}
		}
	}
	return client.Records(seq)
}

// badErr is the error a record iterator yields in one case.
var badErr = errors.New("the input file went away")

// badCSV is a CSV source of text; it fails the test if the header is refused.
func badCSV(t *testing.T, text string) client.Source {
	t.Helper()
	s, err := client.NewCSVSource(strings.NewReader(text))
	if err != nil {
		t.Fatalf("NewCSVSource(%q): %v", text, err)
	}
	return s
}

func badJSONL(text string) client.Source { return client.NewJSONLinesSource(strings.NewReader(text)) }

// TestBadInputClientAPI tries bad inputs across the client API against data8test (with Validate,
// so any request that breaks the spec is recorded).
func TestBadInputClientAPI(t *testing.T) {
	srv := data8test.NewServer(data8test.WithValidation(t))
	defer srv.Close()
	c := srv.Client(client.WithRetryPolicy(client.RetryPolicy{Sleep: hygNoSleep}))
	ctx := testContext(t)
	cols := map[string]int{"a": 0, "b": 0}
	if _, err := c.CreateDataset(ctx, "target", cols); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.UploadDataset(ctx, "done", cols, badRecords(client.Record{"a": "1", "b": "2"}), client.UploadOptions{}); err != nil {
		t.Fatal(err)
	}
	ab := []string{"a", "b"}
	up := func(src client.Source, opts client.UploadOptions) func(context.Context, *client.Client) error {
		return func(ctx context.Context, c *client.Client) error {
			_, err := c.Upload(ctx, "target", src, opts)
			return err
		}
	}
	newClient := func(env map[string]string, opts ...client.Option) func(context.Context, *client.Client) error {
		return func(context.Context, *client.Client) error {
			for _, k := range []string{"DATA8_BASE_URL", "DATA8_TOKEN_URL", "DATA8_CLIENT_ID", "DATA8_CLIENT_SECRET"} {
				t.Setenv(k, env[k])
			}
			c, err := client.New(opts...)
			if err == nil {
				c.Close()
			}
			return err
		}
	}
	good := map[string]string{"DATA8_CLIENT_ID": srv.ClientID, "DATA8_CLIENT_SECRET": srv.ClientSecret, "DATA8_BASE_URL": srv.URL, "DATA8_TOKEN_URL": srv.TokenURL}
	with := func(k, v string) map[string]string {
		m := maps.Clone(good)
		m[k] = v
		return m
	}

	cases := []struct {
		area, name string
		run        func(context.Context, *client.Client) error
		is         error  // the sentinel the error matches
		want       string // a part of the error's text
		remote     bool   // only the server can tell: the request is sent, and refused
	}{
		// Names.
		{"names", "dataset name with upper case and a hyphen", func(ctx context.Context, c *client.Client) error {
			_, err := c.CreateDataset(ctx, "Bad-Name", cols)
			return err
		}, client.ErrValidation, `dataset name "Bad-Name" must start with a lower-case letter`, false},
		{"names", "empty dataset name", func(ctx context.Context, c *client.Client) error {
			_, err := c.CreateDataset(ctx, "", cols)
			return err
		}, client.ErrValidation, `dataset name "" must start`, false},
		{"names", "dataset name starting with a digit", func(ctx context.Context, c *client.Client) error {
			_, err := c.CreateDataset(ctx, "1st", cols)
			return err
		}, client.ErrValidation, `dataset name "1st"`, false},
		{"names", "dataset name with a non-ASCII letter", func(ctx context.Context, c *client.Client) error {
			_, err := c.CreateDataset(ctx, "café", cols)
			return err
		}, client.ErrValidation, `dataset name "café"`, false},
		{"names", "dataset name taken", func(ctx context.Context, c *client.Client) error {
			_, err := c.CreateDataset(ctx, "target", map[string]int{"z": 1})
			return err
		}, client.ErrValidation, "Dataset_Create: 400 Bad Request", true},
		{"names", "job name with /", func(ctx context.Context, c *client.Client) error {
			_, err := c.StartJob(ctx, client.NewJob{Name: "a/b", WorkflowName: "Echo", InputDatasets: map[string]string{"Input": "done"}})
			return err
		}, client.ErrValidation, `job name "a/b" must not contain '/'`, false},
		{"names", "blank job name", func(ctx context.Context, c *client.Client) error {
			_, err := c.StartJob(ctx, client.NewJob{Name: "   ", WorkflowName: "Echo"})
			return err
		}, client.ErrValidation, "job name must not be empty", false},
		{"names", "job name with a control character", func(ctx context.Context, c *client.Client) error {
			_, err := c.StartJob(ctx, client.NewJob{Name: "tab\there", WorkflowName: "Echo"})
			return err
		}, client.ErrValidation, "must not contain control characters", false},
		{"names", "job input dataset name invalid", func(ctx context.Context, c *client.Client) error {
			_, err := c.StartJob(ctx, client.NewJob{Name: "j1", WorkflowName: "Echo", InputDatasets: map[string]string{"Input": "Done"}})
			return err
		}, client.ErrValidation, `job "j1", input "Input": data8: dataset name "Done"`, false},

		// Columns.
		{"columns", "no columns", func(ctx context.Context, c *client.Client) error {
			_, err := c.CreateDataset(ctx, "no_columns", nil)
			return err
		}, client.ErrValidation, `dataset "no_columns": at least one column is needed`, false},
		{"columns", "column name with a space", func(ctx context.Context, c *client.Client) error {
			_, err := c.CreateDataset(ctx, "bad_column", map[string]int{"First Name": 0})
			return err
		}, client.ErrValidation, `column name "First Name"`, false},
		{"columns", "empty column name", func(ctx context.Context, c *client.Client) error {
			_, err := c.CreateDataset(ctx, "empty_column", map[string]int{"a": 0, "": 0})
			return err
		}, client.ErrValidation, `column name ""`, false},
		{"columns", "UploadDataset with a bad column", func(ctx context.Context, c *client.Client) error {
			_, _, err := c.UploadDataset(ctx, "bad_upload", map[string]int{"ok": 0, "Not-OK": 0}, badRecords(client.Record{"ok": "x"}), client.UploadOptions{})
			return err
		}, client.ErrValidation, `column name "Not-OK"`, false},
		{"columns", "UploadDataset resuming a dataset with other columns", func(ctx context.Context, c *client.Client) error {
			_, _, err := c.UploadDataset(ctx, "target", map[string]int{"a": 0, "c": 0}, badRecords(client.Record{"a": "x"}), client.UploadOptions{BlockSize: 1, Resume: 1})
			return err
		}, client.ErrValidation, `resuming upload to dataset "target": its columns differ`, true},

		// Blocks and upload options.
		{"blocks", "block size 1001", up(badRecords(client.Record{"a": "x"}), client.UploadOptions{BlockSize: 1001}),
			client.ErrValidation, "block size 1001 is out of range 1..1000", false},
		{"blocks", "negative block size", up(badRecords(client.Record{"a": "x"}), client.UploadOptions{BlockSize: -1}),
			client.ErrValidation, "block size -1 is out of range", false},
		{"blocks", "concurrency 65", up(badRecords(client.Record{"a": "x"}), client.UploadOptions{Concurrency: 65}),
			client.ErrValidation, "concurrency 65 is out of range 1..64", false},
		{"blocks", "negative concurrency", up(badRecords(client.Record{"a": "x"}), client.UploadOptions{Concurrency: -3}),
			client.ErrValidation, "concurrency -3 is out of range", false},
		{"blocks", "negative start block", up(badRecords(client.Record{"a": "x"}), client.UploadOptions{StartBlock: -1}),
			client.ErrValidation, "start block -1 is out of range 0..2147483647", false},
		{"blocks", "start block beyond int32", up(badRecords(client.Record{"a": "x"}), client.UploadOptions{StartBlock: math.MaxInt32 + 1}),
			client.ErrValidation, "start block 2147483648 is out of range", false},
		{"blocks", "resume before the start block", up(badRecords(client.Record{"a": "x"}), client.UploadOptions{StartBlock: 5, Resume: 3}),
			client.ErrValidation, "resume block 3 is before start block 5", false},
		{"blocks", "resume past the end of the source", up(badRecords(client.Record{"a": "x"}, client.Record{"a": "y"}), client.UploadOptions{BlockSize: 10, Resume: 4}),
			client.ErrValidation, "resuming at block 4 needs 40 records to skip, but the source has only 2", false},
		{"blocks", "upload to a complete dataset", func(ctx context.Context, c *client.Client) error {
			_, err := c.Upload(ctx, "done", badRecords(client.Record{"a": "x"}), client.UploadOptions{})
			var be *client.BlockError
			if !errors.As(err, &be) || be.Block != 0 || be.Dataset != "done" {
				t.Errorf("want a *BlockError for block 0 of done, got %#v", err)
			}
			return err
		}, client.ErrValidation, `upload to dataset "done": block 0 (records 0-0): data8: Dataset_UploadBlock: 400 Bad Request`, true},
		{"blocks", "upload to a dataset that does not exist", func(ctx context.Context, c *client.Client) error {
			_, err := c.Upload(ctx, "nope", badRecords(client.Record{"a": "x"}), client.UploadOptions{})
			return err
		}, client.ErrNotFound, `upload to dataset "nope": block 0 (records 0-0): data8: Dataset_UploadBlock: 404 Not Found`, true},
		{"blocks", "upload to an invalid dataset name", func(ctx context.Context, c *client.Client) error {
			_, err := c.Upload(ctx, "Target", badRecords(client.Record{"a": "x"}), client.UploadOptions{})
			return err
		}, client.ErrValidation, `dataset name "Target"`, false},
		// The spec says recordCount >= 0: the client refuses -1 itself rather than send it.
		{"blocks", "complete with a negative record count", func(ctx context.Context, c *client.Client) error {
			_, err := c.CompleteDataset(ctx, "target", -1)
			return err
		}, client.ErrValidation, `completing dataset "target": record count -1 is negative`, false},
		{"blocks", "complete with an invalid dataset name", func(ctx context.Context, c *client.Client) error {
			_, err := c.CompleteDataset(ctx, "Target Set", 0)
			return err
		}, client.ErrValidation, `dataset name "Target Set"`, false},
		{"blocks", "complete with a count the server does not hold", func(ctx context.Context, c *client.Client) error {
			_, err := c.CompleteDataset(ctx, "target", 5)
			return err
		}, client.ErrValidation, "Dataset_UpdateByName: 400 Bad Request", true},
		{"blocks", "complete a complete dataset", func(ctx context.Context, c *client.Client) error {
			_, err := c.CompleteDataset(ctx, "done", 1)
			return err
		}, client.ErrValidation, "Dataset_UpdateByName: 400 Bad Request", true},

		// Sources and records.
		{"sources", "no source", up(nil, client.UploadOptions{}), client.ErrValidation, `upload to dataset "target": no source`, false},
		{"sources", "nested value", up(badRecords(client.Record{"a": map[string]any{"x": 1}}), client.UploadOptions{}),
			client.ErrInvalidRecord, `record 0: value of key "a" is a map[string]interface {}; values must be strings, numbers, booleans or null`, false},
		{"sources", "list value", up(badRecords(client.Record{"a": "ok"}, client.Record{"b": []any{1}}), client.UploadOptions{}),
			client.ErrInvalidRecord, `record 1: value of key "b" is a []interface {}`, false},
		{"sources", "key not a column", up(badRecords(client.Record{"a": "x", "zzz": "y"}), client.UploadOptions{Columns: ab}),
			client.ErrInvalidRecord, `record 0: key "zzz" is not a column of the dataset`, false},
		{"sources", "NaN", up(badRecords(client.Record{"a": math.NaN()}), client.UploadOptions{}),
			client.ErrInvalidRecord, `record 0: value of key "a": NaN is not a JSON number`, false},
		{"sources", "infinity", up(badRecords(client.Record{"a": math.Inf(-1)}), client.UploadOptions{}),
			client.ErrInvalidRecord, "-Inf is not a JSON number", false},
		{"sources", "invalid UTF-8 value", up(badRecords(client.Record{"a": "caf\xe9"}), client.UploadOptions{}),
			client.ErrInvalidRecord, `record 0: value of key "a": string is not valid UTF-8`, false},
		{"sources", "iterator error", up(client.Records(func(yield func(client.Record, error) bool) {
			_ = yield(client.Record{"a": "x"}, nil) && yield(nil, badErr)
		}), client.UploadOptions{}), badErr, "record 1: the input file went away", false},
		{"sources", "CSV ragged row", func(ctx context.Context, c *client.Client) error {
			_, err := c.Upload(ctx, "target", badCSV(t, "a,b\n1,2\n3\n"), client.UploadOptions{})
			return err
		}, client.ErrInvalidRecord, "CSV line 3: 1 cell, but the header has 2 columns", false},
		{"sources", "CSV invalid UTF-8", func(ctx context.Context, c *client.Client) error {
			_, err := c.Upload(ctx, "target", badCSV(t, "a,b\nok,caf\xe9\n"), client.UploadOptions{})
			return err
		}, client.ErrInvalidRecord, `CSV line 2, column "b": not valid UTF-8`, false},
		{"sources", "CSV bare quote", func(ctx context.Context, c *client.Client) error {
			_, err := c.Upload(ctx, "target", badCSV(t, "a,b\n1,x\"y\n"), client.UploadOptions{})
			return err
		}, client.ErrInvalidRecord, `CSV line 2, column 4: bare " in a cell that does not start with a quote`, false},
		{"sources", "CSV column not of the dataset", func(ctx context.Context, c *client.Client) error {
			_, err := c.Upload(ctx, "target", badCSV(t, "a,zzz\n1,2\n"), client.UploadOptions{Columns: ab})
			return err
		}, client.ErrInvalidRecord, `CSV column "zzz" is not a column of the dataset`, false},
		{"sources", "CSV header not a column name", func(context.Context, *client.Client) error {
			_, err := client.NewCSVSource(strings.NewReader("a,First Name\n1,2\n"))
			return err
		}, client.ErrInvalidRecord, `CSV header, column 2: "First Name" is not a valid column name`, false},
		{"sources", "CSV header names a column twice", func(context.Context, *client.Client) error {
			_, err := client.NewCSVSource(strings.NewReader("a,b,a\n1,2,3\n"))
			return err
		}, client.ErrInvalidRecord, `CSV header: column "a" appears twice`, false},
		{"sources", "CSV empty", func(context.Context, *client.Client) error {
			_, err := client.NewCSVSource(strings.NewReader(""))
			return err
		}, client.ErrInvalidRecord, "CSV input is empty", false},
		{"sources", "JSON Lines: not an object", up(badJSONL("{\"a\":\"1\"}\n[1,2]\n"), client.UploadOptions{}),
			client.ErrInvalidRecord, "JSON Lines line 2: not a JSON object", false},
		{"sources", "JSON Lines: nested object", up(badJSONL("{\"a\":{\"x\":1}}\n"), client.UploadOptions{}),
			client.ErrInvalidRecord, `JSON Lines line 1: value of key "a" is an object`, false},
		{"sources", "JSON Lines: invalid JSON", up(badJSONL("{\"a\":\"1\"}\n\n{\"a\":}\n"), client.UploadOptions{}),
			client.ErrInvalidRecord, "JSON Lines line 3: invalid JSON", false},
		{"sources", "JSON Lines: key not a column", up(badJSONL("{\"a\":\"1\",\"zzz\":2}\n"), client.UploadOptions{Columns: ab}),
			client.ErrInvalidRecord, `JSON Lines line 1: key "zzz" is not a column of the dataset`, false},
		{"sources", "JSON Lines: invalid UTF-8", up(badJSONL("{\"a\":\"caf\xe9\"}\n"), client.UploadOptions{}),
			client.ErrInvalidRecord, "JSON Lines line 1: not valid UTF-8", false},
		{"sources", "own Source: not an object", up(&badSource{recs: []string{`"just a string"`}}, client.UploadOptions{}),
			client.ErrInvalidRecord, "record 0: not a JSON object", false},
		{"sources", "own Source: trailing data", up(&badSource{recs: []string{`{"a":"1"}`, `{"a":"2"} x`}}, client.UploadOptions{}),
			client.ErrInvalidRecord, "record 1: invalid JSON", false},
		{"sources", "own Source: invalid UTF-8", up(&badSource{recs: []string{"{\"a\":\"\xff\"}"}}, client.UploadOptions{}),
			client.ErrInvalidRecord, "record 0: not valid UTF-8", false},
		// A Source watching a ready one (Unwrap) gets the ready one's checks: the CSV header is
		// checked once; one watching a Source of its own still has every record checked.
		{"sources", "watched CSV source: column not of the dataset", func(ctx context.Context, c *client.Client) error {
			_, err := c.Upload(ctx, "target", watchSource{badCSV(t, "a,zzz\n1,2\n")}, client.UploadOptions{Columns: ab})
			return err
		}, client.ErrInvalidRecord, `CSV column "zzz" is not a column of the dataset`, false},
		{"sources", "watched own Source: not an object", up(watchSource{&badSource{recs: []string{`"just a string"`}}}, client.UploadOptions{}),
			client.ErrInvalidRecord, "record 0: not a JSON object", false},

		// Jobs and account operations.
		{"options", "job without a workflow", func(ctx context.Context, c *client.Client) error {
			_, err := c.StartJob(ctx, client.NewJob{Name: "no workflow", InputDatasets: map[string]string{"Input": "done"}})
			return err
		}, client.ErrValidation, `job "no workflow": a workflow name is needed`, false},
		{"options", "job on an incomplete dataset", func(ctx context.Context, c *client.Client) error {
			_, err := c.StartJob(ctx, client.NewJob{Name: "incomplete input", WorkflowName: "Echo", InputDatasets: map[string]string{"Input": "target"}})
			return err
		}, client.ErrValidation, "Job_CreateJob: 400 Bad Request", true},
		{"options", "job on an unknown workflow", func(ctx context.Context, c *client.Client) error {
			_, err := c.StartJob(ctx, client.NewJob{Name: "unknown workflow", WorkflowName: "NoSuchWorkflow", InputDatasets: map[string]string{"Input": "done"}})
			return err
		}, client.ErrValidation, "Job_CreateJob: 400 Bad Request", true},
		{"options", "API key without a description", func(ctx context.Context, c *client.Client) error {
			_, err := c.CreateAPIKey(ctx, client.NewAPIKey{})
			return err
		}, client.ErrValidation, "an API key needs a description", false},
		{"options", "invalid subnet", func(ctx context.Context, c *client.Client) error {
			return c.AddAPIKeyAllowedIP(ctx, "KEY-1", netip.Prefix{})
		}, client.ErrValidation, "allowed subnet invalid Prefix is not valid", false},
		{"options", "empty allowed domain", func(ctx context.Context, c *client.Client) error {
			return c.AddAPIKeyAllowedDomain(ctx, "KEY-1", "")
		}, client.ErrValidation, "an allowed domain must not be empty", false},
		{"options", "client credential without a description", func(ctx context.Context, c *client.Client) error {
			_, err := c.CreateClientCredential(ctx, "")
			return err
		}, client.ErrValidation, "a client credential needs a description", false},

		// Environment and construction.
		{"environment", "no credentials anywhere", newClient(nil), client.ErrValidation,
			"no credentials: use WithCredentials or WithBearerToken, or set DATA8_CLIENT_ID and DATA8_CLIENT_SECRET", false},
		{"environment", "DATA8_CLIENT_SECRET missing", newClient(with("DATA8_CLIENT_SECRET", "")), client.ErrValidation, "no credentials", false},
		{"environment", "DATA8_CLIENT_ID missing", newClient(with("DATA8_CLIENT_ID", "")), client.ErrValidation, "no credentials", false},
		{"environment", "DATA8_BASE_URL not absolute", newClient(with("DATA8_BASE_URL", "api.data-8.co.uk")), client.ErrValidation,
			`base URL "api.data-8.co.uk" is not an absolute URL`, false},
		{"environment", "DATA8_TOKEN_URL with another scheme", newClient(with("DATA8_TOKEN_URL", "ftp://auth.example.com/t")), client.ErrValidation,
			`token URL "ftp://auth.example.com/t": scheme must be https`, false},
		{"environment", "DATA8_BASE_URL plain http on a remote host", newClient(with("DATA8_BASE_URL", "http://api.example.com")), client.ErrValidation,
			`base URL "http://api.example.com" uses http:// on a host that is not loopback`, false},
		{"environment", "WithCredentials with an empty secret", newClient(nil, client.WithCredentials("id", "")), client.ErrValidation, "no credentials", false},
	}
	if len(cases) < 25 {
		t.Fatalf("only %d bad inputs", len(cases))
	}

	apiRequests := func() int {
		n := 0
		for op, k := range srv.RequestCounts() {
			if op != data8test.OpToken {
				n += k
			}
		}
		return n
	}
	requestViolations := func() []data8test.Violation {
		var out []data8test.Violation
		for _, v := range srv.Violations() {
			if v.Request {
				out = append(out, v)
			}
		}
		return out
	}
	areas := map[string]int{}
	for _, tc := range cases {
		areas[tc.area]++
		t.Run(tc.area+"/"+tc.name, func(t *testing.T) {
			before, violations := apiRequests(), len(requestViolations())
			err := tc.run(ctx, c)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, tc.is) {
				t.Errorf("error %q does not match %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Errorf("error is not one line: %q", err)
			}
			sent := apiRequests() - before
			if !tc.remote && sent != 0 {
				t.Errorf("the client sent %d requests for input it could refuse itself", sent)
			}
			if tc.remote && sent == 0 {
				t.Errorf("the case did not reach the server")
			}
			if vs := requestViolations(); len(vs) > violations {
				for _, v := range vs[violations:] {
					t.Errorf("the client sent a request that breaks the spec: %v", v)
				}
			}
		})
	}

	// The server holds nothing it should not: the two datasets, unchanged; no job, key or credential.
	var names []string
	for ref, err := range c.ListDatasets(ctx, client.ListDatasetsOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, ref.Name)
	}
	if !slices.Equal(names, []string{"done", "target"}) {
		t.Errorf("the server holds datasets %q, want only done and target", names)
	}
	if recs, _ := srv.Records("target"); len(recs) != 0 {
		t.Errorf("target holds %d records", len(recs))
	}
	if d, _ := srv.DatasetInfo("target"); d.Completed || !maps.Equal(d.Columns, client.Columns{"a": 0, "b": 0}) {
		t.Errorf("target changed: %+v", d)
	}
	if raw, _ := srv.RawRecords("done"); len(raw) != 1 || !bytes.Equal(raw[0], []byte(`{"a":"1","b":"2"}`)) {
		t.Errorf("done holds %q", raw)
	}
	for _, err := range c.ListJobs(ctx, client.ListJobsOptions{}) {
		t.Errorf("a job exists (err %v)", err)
		break
	}
	if keys, err := c.ListAPIKeys(ctx); err != nil || len(keys) != 0 {
		t.Errorf("API keys: %v, %v", keys, err)
	}
	if creds, err := c.ListClientCredentials(ctx); err != nil || len(creds) != 1 {
		t.Errorf("client credentials: %d, %v; want only the server's own", len(creds), err)
	}
	t.Logf("%d bad inputs tried: %v", len(cases), areas)
}

// watchSource watches another Source, handing on its records unchanged, and says so with Unwrap.
type watchSource struct{ client.Source }

func (w watchSource) Unwrap() client.Source { return w.Source }
