package batch

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Step is a step of a whole job. A State's Step is the next one to do: where Resume begins.
type Step string

// The steps of a whole job, in order.
const (
	// StepPlan checks the whole input file and maps its headers to column names. Nothing exists
	// on the server yet.
	StepPlan Step = "plan"
	// StepCreate creates the input dataset.
	StepCreate Step = "create"
	// StepUpload uploads the records, from State.Checkpoint on.
	StepUpload Step = "upload"
	// StepComplete marks the input dataset complete with the file's record count.
	StepComplete Step = "complete"
	// StepStart starts the job.
	StepStart Step = "start"
	// StepWait waits for the job to finish and judges it.
	StepWait Step = "wait"
	// StepDownload writes the output dataset's records to the result file.
	StepDownload Step = "download"
	// StepDone: the result file is complete.
	StepDone Step = "done"
	// StepFailed: the job failed; there is nothing to resume.
	StepFailed Step = "failed"
)

// StateVersion is the version of State's JSON form that this package writes and reads.
const StateVersion = 1

// State is a whole job's checkpoint: one small value, which Resume continues from. It holds the
// Spec, what the plan found, the names of what exists on the server and the upload's checkpoint;
// never a credential or a token. Marshal it with encoding/json (or SaveState) to keep it.
type State struct {
	// Version is StateVersion.
	Version int `json:"version"`
	// Spec is the run's settings, with defaults filled in and the name chosen.
	Spec Spec `json:"spec"`
	// Step is the next step to do.
	Step Step `json:"step"`
	// Input is what the plan found in Spec.Input; nil before it ran.
	Input *InputSummary `json:"input,omitempty"`
	// Dataset is the input dataset (Spec.Name) once its creation was asked for.
	Dataset string `json:"dataset,omitempty"`
	// Checkpoint is the upload's checkpoint: every block before it is stored.
	Checkpoint int `json:"checkpoint,omitempty"`
	// Job is the job (Spec.Name) once its start was asked for.
	Job string `json:"job,omitempty"`
	// JobStatus is the job's status code when it was last read, once it finished.
	JobStatus *int `json:"jobStatus,omitempty"`
	// OutputDataset is the job's output dataset in Spec.OutputSlot, once the job finished.
	OutputDataset string `json:"outputDataset,omitempty"`
	// Caller holds settings of the caller's own, kept with the state so that a resume uses them
	// again: the data8 command keeps its base URL, token URL and client id here. Never a secret.
	Caller map[string]string `json:"caller,omitempty"`
}

// InputSummary is what the plan found in the input file: enough to tell, on Resume, that the file
// is the one the run began with, and to name the result's columns.
type InputSummary struct {
	Records int64    `json:"records"`
	Headers []string `json:"headers"`
	Columns []string `json:"columns"`
	Size    int64    `json:"size"`
	CRC32C  uint32   `json:"crc32c"`
}

// Resumable reports whether Resume can carry on from s: the job has not finished, well or badly.
func (s *State) Resumable() bool { return s.Step != StepDone && s.Step != StepFailed }

// OnServer reports whether anything of the run may exist on the server.
func (s *State) OnServer() bool { return s.Dataset != "" }

// SaveState writes s to path as indented JSON, under a temporary name in the same directory that is
// renamed into place, so that path always holds a whole state. A new file is created 0600.
func SaveState(path string, s *State) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("saving the run's state: %v", unwrapPathError(err))
	}
	_, werr := tmp.Write(append(b, '\n'))
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("saving the run's state: %v", unwrapPathError(werr))
	}
	return nil
}

// LoadState reads a State that SaveState wrote.
func LoadState(path string) (*State, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the run's state: %v", unwrapPathError(err))
	}
	return ParseState(b)
}

// ParseState decodes a State from its JSON form, refusing members it does not know and another
// version.
func ParseState(b []byte) (*State, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var s State
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("not a state of data8's batch run: %v", err)
	}
	if s.Version != StateVersion {
		return nil, fmt.Errorf("a state of version %d; this program reads version %d", s.Version, StateVersion)
	}
	return &s, nil
}
