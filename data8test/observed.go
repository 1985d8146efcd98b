package data8test

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/data8-toolkit/data8/conformance"
	"github.com/data8-toolkit/data8/internal/opid"
	"github.com/data8-toolkit/data8/internal/standin"
)

// This file makes the stand-in answer as a server a conformance run observed did. It imports package
// conformance, whose report it reads; conformance imports this package in its tests only, never in
// its code, so the suite stays free of the stand-in it is run against.

// Reproduction is what the stand-in switches on to answer, at each decided point, as the server of
// a conformance report did: the profiles and the page size of records that match what the run
// observed there, and the observations no setting reproduces.
type Reproduction struct {
	// Profiles are the profiles that match the report's differences from the decided points.
	Profiles []Profile
	// RecordPageSize is the number of records a page of Dataset_GetData held, when the report saw
	// pages of another size than 1,000; 0 otherwise.
	RecordPageSize int
	// Unreproduced lists the differences the stand-in cannot reproduce, one a line: "D-4
	// Job_CreateJob: success answers other than 200: Job_CreateJob 207×5".
	Unreproduced []string
}

// Reproduce reads what rep's server did at each decided point and returns the settings that make
// the stand-in do the same. A profile is all or nothing: where the server did at one operation what
// a profile does at several (201 to one create, say), the stand-in does it at all of them.
func Reproduce(rep *conformance.Report) Reproduction {
	var r Reproduction
	on := func(p Profile) {
		if !slices.Contains(r.Profiles, p) {
			r.Profiles = append(r.Profiles, p)
		}
	}
	for _, c := range rep.Cases {
		for _, d := range c.Deviations {
			if !reproduce(d, on, &r) {
				line := d.Point
				if d.Op != "" {
					line += " " + d.Op
				}
				line += ": " + d.Observed
				if !slices.Contains(r.Unreproduced, line) {
					r.Unreproduced = append(r.Unreproduced, line)
				}
			}
		}
	}
	slices.SortFunc(r.Profiles, func(a, b Profile) int {
		return slices.Index(Profiles(), a) - slices.Index(Profiles(), b)
	})
	return r
}

// Option returns the option that switches the reproduction's settings on.
func (r Reproduction) Option() Option {
	profiles, size := slices.Clone(r.Profiles), r.RecordPageSize
	return func(t standin.Target) {
		WithProfile(profiles...)(t)
		if size > 0 {
			WithRecordPageSize(size)(t)
		}
	}
}

// WithObserved makes the server answer, at each decided point, as the server of a conformance report
// did (Reproduce says how, and what it cannot reproduce). rep is usually read from a run's
// conformance.json with conformance.ReadReportFile.
func WithObserved(rep *conformance.Report) Option { return Reproduce(rep).Option() }

var (
	// "success answers other than 200: Dataset_Create 201×124" (SUCCESS-STATUS).
	successRE = regexp.MustCompile(`^success answers other than 200: (\S+) (.+)$`)
	codeRE    = regexp.MustCompile(`(\d{3})×\d+`)
	// "pages of records hold 500 records, not 1,000 (…)" (DATA-READ).
	pageRE = regexp.MustCompile(`pages of records hold (\d+) records, not 1,000`)
)

// reproduce switches on (through on, or r's page size) what reproduces d, and reports whether
// something does.
func reproduce(d conformance.Deviation, on func(Profile), r *Reproduction) bool {
	o := d.Observed
	switch {
	case d.Point == "D-4" && successRE.MatchString(o):
		m := successRE.FindStringSubmatch(o)
		op := m[1]
		all := true
		for _, c := range codeRE.FindAllStringSubmatch(m[2], -1) {
			code, _ := strconv.Atoi(c[1])
			switch {
			case code == 200:
			case code == 201 && createOps[op]:
				on(ProfileCreated201)
			case code == 202 && op == opid.JobCreateJob:
				on(ProfileAccepted202)
			case code == 204 && bodylessOps[op]:
				on(ProfileNoContent204)
			default:
				all = false
			}
		}
		return all
	case d.Point == "D-10" && pageRE.MatchString(o):
		n, err := strconv.Atoi(pageRE.FindStringSubmatch(o)[1])
		if err != nil || n <= 0 {
			return false
		}
		r.RecordPageSize = n
		return true
	case (d.Point == "D-7" || d.Point == "D-13") && strings.Contains(o, "refused with 409, not 400"):
		on(ProfileConflict409)
		return true
	case strings.Contains(o, "times carry no zone"):
		on(ProfileDotNetTimes)
		return true
	case d.Point == "D-4" && strings.HasPrefix(o, "a dataset name in other letter case finds the dataset, answered under its own name"),
		d.Point == "D-13" && strings.HasPrefix(o, "a job name differing from a taken one only in case is refused as taken"):
		on(ProfileCaseInsensitiveNames)
		return true
	case d.Point == "D-6" && strings.HasPrefix(o, "the dataset list is alphabetical by a culture collation, case ignored"):
		on(ProfileCollationSort)
		return true
	case d.Point == "D-12" && strings.HasPrefix(o, "job list entries leave out submittedAt or workflowName"):
		on(ProfileNameOnlyRefs)
		return true
	case d.Point == "D-6" && o == "a listed dataset carries no location":
		on(ProfileOmitOptional)
		return true
	case d.Point == "D-3" && strings.Contains(o, `media type "application/json", not application/problem+json`):
		on(ProfilePlainJSONProblems)
		return true
	case d.Point == "D-3" && (strings.Contains(o, `media type "", not application/problem+json`) || strings.Contains(o, "the body is not a problem details object")),
		d.Point == "D-9" && strings.Contains(o, "(members [])"):
		on(ProfileEmptyErrorBodies)
		return true
	}
	return false
}

// String lists the reproduction's settings: "profiles created-201, page-500; 500 records a page".
func (r Reproduction) String() string {
	var parts []string
	if len(r.Profiles) > 0 {
		names := make([]string, len(r.Profiles))
		for i, p := range r.Profiles {
			names[i] = string(p)
		}
		parts = append(parts, "profiles "+strings.Join(names, ", "))
	}
	if r.RecordPageSize > 0 {
		parts = append(parts, fmt.Sprintf("%d records a page", r.RecordPageSize))
	}
	if len(parts) == 0 {
		return "the defaults (the server did as decided wherever the run looked)"
	}
	return strings.Join(parts, "; ")
}
