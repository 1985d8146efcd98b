package data8test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"github.com/data8-toolkit/data8/internal/names"
)

// Record is one record as a workflow sees it: column name → value (string, json.Number, bool or nil,
// as encoding/json decodes into map[string]any with UseNumber: a number keeps the digits sent).
type Record = map[string]any

// Workflow is a batch process jobs can run, as Data8's production team builds one for a customer. A job
// maps each input slot to a complete dataset; the server reads the datasets' records, calls Run, and
// writes each output slot's records to a new output dataset.
type Workflow interface {
	// Name is the workflowName jobs give.
	Name() string
	// Inputs are the names of the input slots; a job must give a dataset for each.
	Inputs() []string
	// Outputs are the names of the output slots; each gets an output dataset.
	Outputs() []string
	// Run computes the outputs, by output slot, from the inputs, by input slot, and the job's parameters.
	// stats become the job's statistics. An error (or a panic) fails the job, with the message in
	// statistics["error"]. ctx ends when the server closes; Run must then return, as Close waits for it.
	Run(ctx context.Context, inputs map[string][]Record, params map[string]string) (outputs map[string][]Record, stats map[string]any, err error)
}

// runFunc is the Run method of a workflow made by NewWorkflow.
type runFunc = func(ctx context.Context, inputs map[string][]Record, params map[string]string) (map[string][]Record, map[string]any, error)

// NewWorkflow makes a Workflow from a name, its slots and a function.
func NewWorkflow(name string, inputs, outputs []string, run func(ctx context.Context, inputs map[string][]Record, params map[string]string) (map[string][]Record, map[string]any, error)) Workflow {
	return &funcWorkflow{name: name, inputs: inputs, outputs: outputs, run: run}
}

type funcWorkflow struct {
	name            string
	inputs, outputs []string
	run             runFunc
}

// Name returns the workflow's name.
func (w *funcWorkflow) Name() string { return w.name }

// Inputs returns the input slots.
func (w *funcWorkflow) Inputs() []string { return append([]string(nil), w.inputs...) }

// Outputs returns the output slots.
func (w *funcWorkflow) Outputs() []string { return append([]string(nil), w.outputs...) }

// Run calls the workflow's function.
func (w *funcWorkflow) Run(ctx context.Context, in map[string][]Record, params map[string]string) (map[string][]Record, map[string]any, error) {
	return w.run(ctx, in, params)
}

// The slot names of the built-in workflows.
const (
	slotInput  = "Input"
	slotOutput = "Output"
)

// Echo returns the built-in workflow "Echo": it copies slot Input to slot Output unchanged. Its
// statistics are {"records": n}. It takes no parameters.
func Echo() Workflow {
	return NewWorkflow("Echo", []string{slotInput}, []string{slotOutput},
		func(ctx context.Context, in map[string][]Record, _ map[string]string) (map[string][]Record, map[string]any, error) {
			recs := in[slotInput]
			out := make([]Record, len(recs))
			for i, r := range recs {
				c := make(Record, len(r))
				for k, v := range r {
					c[k] = v
				}
				out[i] = c
			}
			return map[string][]Record{slotOutput: out}, map[string]any{"records": len(recs)}, nil
		})
}

// CleanContacts returns the built-in workflow "CleanContacts", a realistic contact cleanse from slot Input
// to slot Output. For every string value it trims and collapses white space; then, by column name:
//
//   - a column whose name contains "email" is lower-cased, and a column (parameter EmailFlagColumn,
//     default "email_valid") is added to every record: true or false for a non-empty address, null for
//     an empty or missing one;
//   - a column whose name contains "postcode" is upper-cased with one space between the outward and
//     inward codes ("sw1a1aa" → "SW1A 1AA") when it is a UK postcode, and left as it is otherwise;
//   - any other column whose name contains "name" is title-cased ("mary-jane o'neill" → "Mary-Jane O'Neill").
//
// Then records that are exactly equal after cleaning are dropped, the first kept (parameter
// DropDuplicates, default "true"). Values that are not strings are kept as they are. Statistics count each
// change: records, recordsOut, whitespaceFixed, namesTitleCased, postcodesFormatted, postcodesInvalid,
// emailsLowercased, emailsInvalid, duplicatesRemoved. An unknown parameter, or a DropDuplicates that is
// not true or false, fails the job.
func CleanContacts() Workflow {
	return NewWorkflow("CleanContacts", []string{slotInput}, []string{slotOutput}, cleanContacts)
}

var (
	ukPostcode = regexp.MustCompile(`^(GIR0AA|[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2})$`)
	emailRE    = regexp.MustCompile(`^[a-z0-9.!#$%&'*+/=?^_{|}~-]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,}$`)
)

// columnKind says how CleanContacts treats a column.
func columnKind(col string) string {
	c := strings.ToLower(col)
	switch {
	case strings.Contains(c, "email"):
		return "email"
	case strings.Contains(c, "postcode"):
		return "postcode"
	case strings.Contains(c, "name"):
		return "name"
	}
	return ""
}

func cleanContacts(ctx context.Context, in map[string][]Record, params map[string]string) (map[string][]Record, map[string]any, error) {
	flagCol, dropDups := "email_valid", true
	for k, v := range params {
		switch k {
		case "EmailFlagColumn":
			if !names.Valid(v) {
				return nil, nil, fmt.Errorf("parameter EmailFlagColumn %q %s", v, namePatternMsg)
			}
			flagCol = v
		case "DropDuplicates":
			switch v {
			case "true":
				dropDups = true
			case "false":
				dropDups = false
			default:
				return nil, nil, fmt.Errorf("parameter DropDuplicates must be true or false, not %q", v)
			}
		default:
			return nil, nil, fmt.Errorf("CleanContacts has no parameter %q", k)
		}
	}
	recs := in[slotInput]
	var emailCols []string
	seenCol := map[string]bool{}
	for _, r := range recs {
		for k := range r {
			if !seenCol[k] {
				seenCol[k] = true
				if columnKind(k) == "email" && k != flagCol {
					emailCols = append(emailCols, k)
				}
			}
		}
	}
	st := map[string]int{}
	out := make([]Record, 0, len(recs))
	seen := map[string]bool{}
	for i, r := range recs {
		if i%1000 == 0 && ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		c := make(Record, len(r)+1)
		for k, v := range r {
			s, ok := v.(string)
			if !ok {
				c[k] = v
				continue
			}
			t := strings.Join(strings.Fields(s), " ")
			if t != s {
				st["whitespaceFixed"]++
			}
			switch columnKind(k) {
			case "email":
				if l := strings.ToLower(t); l != t {
					st["emailsLowercased"]++
					t = l
				}
			case "postcode":
				if p, ok := formatPostcode(t); ok {
					if p != t {
						st["postcodesFormatted"]++
						t = p
					}
				} else if t != "" {
					st["postcodesInvalid"]++
				}
			case "name":
				if tc := titleCase(t); tc != t {
					st["namesTitleCased"]++
					t = tc
				}
			}
			c[k] = t
		}
		if len(emailCols) > 0 {
			var flag any
			if e, _ := c[emailCols[0]].(string); e != "" {
				valid := emailRE.MatchString(e)
				flag = valid
				if !valid {
					st["emailsInvalid"]++
				}
			}
			c[flagCol] = flag
		}
		if dropDups {
			key, err := json.Marshal(c)
			if err != nil {
				return nil, nil, err
			}
			if seen[string(key)] {
				st["duplicatesRemoved"]++
				continue
			}
			seen[string(key)] = true
		}
		out = append(out, c)
	}
	stats := map[string]any{"records": len(recs), "recordsOut": len(out)}
	for _, k := range []string{"whitespaceFixed", "namesTitleCased", "postcodesFormatted", "postcodesInvalid", "emailsLowercased", "emailsInvalid", "duplicatesRemoved"} {
		stats[k] = st[k]
	}
	return map[string][]Record{slotOutput: out}, stats, nil
}

// formatPostcode writes a UK postcode in upper case with one space before the inward code; ok is false
// when s is not a UK postcode.
func formatPostcode(s string) (string, bool) {
	p := strings.ToUpper(strings.ReplaceAll(s, " ", ""))
	if !ukPostcode.MatchString(p) {
		return s, false
	}
	return p[:len(p)-3] + " " + p[len(p)-3:], true
}

// titleCase upper-cases the first letter of each word (after a space, hyphen or apostrophe) and
// lower-cases the rest.
func titleCase(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	start := true
	for _, r := range s {
		if start {
			b.WriteRune(unicode.ToUpper(r))
		} else {
			b.WriteRune(unicode.ToLower(r))
		}
		start = r == ' ' || r == '-' || r == '\''
	}
	return b.String()
}
