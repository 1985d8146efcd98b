package conformance

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/data8-toolkit/data8/client"
)

// Config says which server the suite checks and how.
type Config struct {
	// BaseURL is the API's base URL, for example https://api.data-8.co.uk. Required.
	BaseURL string
	// TokenURL is the OAuth2 token endpoint. Required.
	TokenURL string
	// ClientID and ClientSecret are OAuth2 client credentials of the account (scope BatchApi). Required.
	ClientID, ClientSecret string

	// Workflow is a workflow of the account that copies its input dataset to its output dataset
	// unchanged; WorkflowInput and WorkflowOutput are its slots. Defaults: Echo, Input, Output.
	Workflow, WorkflowInput, WorkflowOutput string

	// OtherWorkflow is optional: a second workflow of the account (any, not necessarily a copying
	// one), and OtherWorkflowInput its input slot (default WorkflowInput). When set, JOB-LIST-FILTERS
	// starts one job of it on the suite's input and checks that a workflow filter keeps only the
	// jobs of the workflow it names when the account has jobs of two; when not set, that check is
	// skipped and the case says so.
	OtherWorkflow, OtherWorkflowInput string

	// Prefix starts the name of every dataset and job the suite creates; a random run id follows, so
	// the suite can run again and again against one account. It must match ^[a-z][a-z0-9_]*$.
	// Default "conf_".
	Prefix string

	// BehindValidatingProxy says requests reach the server through a proxy that rejects requests
	// breaking the spec (Prism with --errors): cases that send such requests on purpose are then
	// skipped, since only the proxy would answer them.
	BehindValidatingProxy bool

	// ManyJobs lets JOB-LIST-PAGE-100 start 101 jobs to fill a page of the job list. Off, the case
	// checks the page size only when the account already has more than 100 jobs.
	ManyJobs bool

	// Skip lists case ids not to run.
	Skip []string

	// Scale runs the scale tier (the SCALE-* cases): 9,623 records in 2 datasets, uploaded 8 blocks
	// at once, a job, and 3 empty datasets and a job of the shortest names the account does not hold
	// (a, a_, a0, + ..., without Prefix); it also sets ManyJobs. Off, those cases are skipped.
	Scale bool

	// ModelSequences is how many random operation sequences MODEL-SEQUENCES runs; default 5.
	// ModelSteps is the most operations of one sequence; default 12. ModelShrinkRuns bounds how
	// many times a failing sequence is run again while it is shrunk; default 150.
	ModelSequences, ModelSteps, ModelShrinkRuns int

	// JobPollInterval is the first delay between polls of a job; default 1s.
	JobPollInterval time.Duration
	// JobTimeout bounds the wait for one job; default 10 minutes.
	JobTimeout time.Duration
	// CaseTimeout bounds one case, its job waits included; default 15 minutes.
	CaseTimeout time.Duration
	// RunTimeout bounds the whole run; default 2 hours. When it is reached, the case running is
	// stopped and the cases not yet run are reported as not run.
	RunTimeout time.Duration
	// RequestTimeout bounds one request, its answer's body included; default 1 minute. A server
	// that answers nothing for several requests in a row ends the run (the cases left are reported
	// as not run) rather than stalling it.
	RequestTimeout time.Duration

	// Cases, when set, runs only the cases it selects: comma-separated patterns matched against the
	// case ids as path.Match does, ignoring case ("UPLOAD-*,AUTH-NO-TOKEN-401"). The others are
	// reported as skipped. Select lists what it selects.
	Cases string

	// Progress, when set, is called as each case ends, with its result (secrets redacted).
	Progress func(Progress)

	// InsecureHTTP allows http:// URLs on hosts other than loopback.
	InsecureHTTP bool

	// Transport sends the requests; nil means a clone of http.DefaultTransport. The suite wraps it
	// with its checks.
	Transport http.RoundTripper

	// Logf, when set, receives a line as each case ends (secrets and tokens redacted).
	Logf func(format string, args ...any)

	// Spec, when set, is the OpenAPI document (YAML or JSON) answers are checked against instead of
	// the one embedded in package gen: api/openapi.yaml with an observed overlay applied, say.
	Spec []byte
}

// Environment variables read by ConfigFromEnv.
const (
	EnvBaseURL      = "DATA8_BASE_URL"
	EnvTokenURL     = "DATA8_TOKEN_URL"
	EnvClientID     = "DATA8_CLIENT_ID"
	EnvClientSecret = "DATA8_CLIENT_SECRET"
	EnvWorkflow     = "DATA8_WORKFLOW"
	EnvWorkflowIn   = "DATA8_WORKFLOW_INPUT"
	EnvWorkflowOut  = "DATA8_WORKFLOW_OUTPUT"
	EnvOtherWF      = "DATA8_OTHER_WORKFLOW"
	EnvOtherWFIn    = "DATA8_OTHER_WORKFLOW_INPUT"
	EnvPrefix       = "DATA8_CONFORMANCE_PREFIX"
	EnvProxy        = "DATA8_CONFORMANCE_PROXY"
	EnvManyJobs     = "DATA8_CONFORMANCE_MANY_JOBS"
	EnvSkip         = "DATA8_CONFORMANCE_SKIP"
	EnvJobTimeout   = "DATA8_CONFORMANCE_JOB_TIMEOUT"
	EnvInsecure     = "DATA8_CONFORMANCE_INSECURE_HTTP"
	EnvReport       = "DATA8_CONFORMANCE_REPORT"
	EnvScale        = "DATA8_CONFORMANCE_SCALE"
)

// ConfigFromEnv reads a Config from the environment. ok is false when DATA8_BASE_URL is not set
// (the caller then runs the suite against an in-process server). DATA8_TOKEN_URL,
// DATA8_CLIENT_ID and DATA8_CLIENT_SECRET are required with it; DATA8_WORKFLOW,
// DATA8_WORKFLOW_INPUT and DATA8_WORKFLOW_OUTPUT name a workflow that copies its input (default
// Echo, Input, Output); DATA8_CONFORMANCE_PREFIX, DATA8_CONFORMANCE_PROXY=1,
// DATA8_CONFORMANCE_MANY_JOBS=1, DATA8_CONFORMANCE_SCALE=1, DATA8_CONFORMANCE_SKIP (comma-separated case ids),
// DATA8_CONFORMANCE_JOB_TIMEOUT (a Go duration) and DATA8_CONFORMANCE_INSECURE_HTTP=1 set the
// other fields.
func ConfigFromEnv() (cfg Config, ok bool, err error) {
	cfg.BaseURL = os.Getenv(EnvBaseURL)
	if cfg.BaseURL == "" {
		return Config{}, false, nil
	}
	cfg.TokenURL = os.Getenv(EnvTokenURL)
	cfg.ClientID = os.Getenv(EnvClientID)
	cfg.ClientSecret = os.Getenv(EnvClientSecret)
	var missing []string
	for _, kv := range [][2]string{{EnvTokenURL, cfg.TokenURL}, {EnvClientID, cfg.ClientID}, {EnvClientSecret, cfg.ClientSecret}} {
		if kv[1] == "" {
			missing = append(missing, kv[0])
		}
	}
	if len(missing) > 0 {
		return Config{}, true, fmt.Errorf("conformance: %s is set, so %s must be set too", EnvBaseURL, strings.Join(missing, ", "))
	}
	cfg.Workflow = os.Getenv(EnvWorkflow)
	cfg.WorkflowInput = os.Getenv(EnvWorkflowIn)
	cfg.WorkflowOutput = os.Getenv(EnvWorkflowOut)
	cfg.OtherWorkflow = os.Getenv(EnvOtherWF)
	cfg.OtherWorkflowInput = os.Getenv(EnvOtherWFIn)
	cfg.Prefix = os.Getenv(EnvPrefix)
	cfg.BehindValidatingProxy = envBool(EnvProxy)
	cfg.ManyJobs = envBool(EnvManyJobs)
	cfg.Scale = envBool(EnvScale)
	cfg.InsecureHTTP = envBool(EnvInsecure)
	for _, id := range strings.Split(os.Getenv(EnvSkip), ",") {
		if id = strings.TrimSpace(id); id != "" {
			cfg.Skip = append(cfg.Skip, id)
		}
	}
	if s := os.Getenv(EnvJobTimeout); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			return Config{}, true, fmt.Errorf("conformance: %s: %w", EnvJobTimeout, err)
		}
		cfg.JobTimeout = d
	}
	return cfg, true, nil
}

// envBool reads a boolean environment variable; unset or unreadable is false.
func envBool(name string) bool {
	b, _ := strconv.ParseBool(os.Getenv(name))
	return b
}

// withDefaults fills the defaults in and checks the required fields.
func (c Config) withDefaults() (Config, error) {
	var errs []error
	if c.BaseURL == "" {
		errs = append(errs, errors.New("BaseURL is required"))
	}
	if c.TokenURL == "" {
		errs = append(errs, errors.New("TokenURL is required"))
	}
	if c.ClientID == "" || c.ClientSecret == "" {
		errs = append(errs, errors.New("ClientID and ClientSecret are required"))
	}
	c.BaseURL = strings.TrimSuffix(c.BaseURL, "/")
	c.Workflow = cmp.Or(c.Workflow, "Echo")
	c.WorkflowInput = cmp.Or(c.WorkflowInput, "Input")
	c.WorkflowOutput = cmp.Or(c.WorkflowOutput, "Output")
	c.OtherWorkflowInput = cmp.Or(c.OtherWorkflowInput, c.WorkflowInput)
	c.Prefix = cmp.Or(c.Prefix, "conf_")
	if client.ValidateDatasetName(c.Prefix) != nil {
		errs = append(errs, fmt.Errorf("Prefix %q must match ^[a-z][a-z0-9_]*$", c.Prefix))
	}
	if c.Scale {
		c.ManyJobs = true
	}
	if c.ModelSequences <= 0 {
		c.ModelSequences = 5
	}
	if c.ModelSteps <= 0 {
		c.ModelSteps = 12
	}
	if c.ModelShrinkRuns <= 0 {
		c.ModelShrinkRuns = 150
	}
	if c.JobPollInterval <= 0 {
		c.JobPollInterval = time.Second
	}
	if c.JobTimeout <= 0 {
		c.JobTimeout = 10 * time.Minute
	}
	if c.CaseTimeout <= 0 {
		c.CaseTimeout = 15 * time.Minute
	}
	if c.RunTimeout <= 0 {
		c.RunTimeout = 2 * time.Hour
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = time.Minute
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("conformance: %w", errors.Join(errs...))
	}
	return c, nil
}
