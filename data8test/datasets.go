package data8test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/data8-toolkit/data8/gen"
	"github.com/data8-toolkit/data8/internal/names"
	"github.com/data8-toolkit/data8/internal/standin"
)

// dataset is one dataset of the account. Its name, columns and input flag never change; the rest is
// guarded by Server.mu.
type dataset struct {
	name      string
	columns   map[string]int32
	input     bool
	completed bool
	blocks    map[int32]*block
	count     int64
	created   time.Time
	// readAfterComplete is set when the dataset's records are read once it is complete, for the
	// standin.UploadStoredAfterComplete mutation.
	readAfterComplete atomic.Bool
	// cached is the details GET /Dataset/{name} last answered, for the
	// standin.CompleteLeavesStaleDetails mutation; inferred is the column codes the
	// standin.CompleteInfersColumnCodes mutation sets at completion.
	cached   *gen.Dataset
	inferred map[string]int32
	// unsigned: the codes read back as unsigned 32-bit integers (standin.ColumnCodeUnsigned).
	unsigned bool
	// held is set by a refused completion (standin.RefusedCompleteHoldsInput) or a refused job start
	// naming the dataset (standin.RefusedJobHoldsInput).
	held bool
}

// block is one uploaded block: its records as raw JSON objects, back to back in data, each ending at the
// matching offset of ends. A block's data is never changed once stored (an overwrite stores a new block).
type block struct {
	num  int32
	seq  int64 // when the block number was first uploaded, for the standin.IgnoreBlockOrder mutation
	data []byte
	ends []uint32
}

// len is the number of records of the block.
func (b *block) len() int { return len(b.ends) }

// record returns the i-th record's raw JSON.
func (b *block) record(i int) []byte {
	start := uint32(0)
	if i > 0 {
		start = b.ends[i-1]
	}
	return b.data[start:b.ends[i]:b.ends[i]]
}

// view is the dataset's full details. Call with s.mu held.
func (d *dataset) view() gen.Dataset {
	codes := d.columns
	if d.inferred != nil {
		codes = d.inferred
	}
	cols := make(gen.Columns, len(codes))
	for k, v := range codes {
		cols[k] = int(v)
		if d.unsigned {
			cols[k] = int(uint32(v))
		}
	}
	return gen.Dataset{Name: d.name, Columns: cols, Input: d.input, RecordCount: d.count, Completed: d.completed}
}

// shownInput is the input flag the server shows of d: with the standin.OutputInputUntilFinished
// mutation an output dataset shows as input until its job has finished. Call with s.mu held.
func (s *Server) shownInput(d *dataset) bool {
	return d.input || s.mutated(standin.OutputInputUntilFinished) && !d.completed
}

// ordered returns the dataset's blocks in processing order: ascending block number (or, with the
// standin.IgnoreBlockOrder mutation, the order block numbers first arrived in). Call with s.mu held.
func (s *Server) ordered(d *dataset) []*block {
	out := make([]*block, 0, len(d.blocks))
	for _, b := range d.blocks {
		out = append(out, b)
	}
	switch {
	case s.mutated(standin.IgnoreBlockOrder):
		slices.SortFunc(out, func(a, b *block) int { return cmp.Compare(a.seq, b.seq) })
	case s.mutated(standin.BlockNumberInt16):
		slices.SortFunc(out, func(a, b *block) int { return cmp.Compare(int16(a.num), int16(b.num)) })
	case s.mutated(standin.BlockOrderKeyInt32):
		slices.SortFunc(out, func(a, b *block) int { return cmp.Compare(a.num*1000, b.num*1000) })
	case s.mutated(standin.BlockOrderAsText):
		slices.SortFunc(out, func(a, b *block) int {
			return strings.Compare(strconv.Itoa(int(a.num)), strconv.Itoa(int(b.num)))
		})
	default:
		slices.SortFunc(out, func(a, b *block) int { return cmp.Compare(a.num, b.num) })
	}
	return out
}

// rawRecords returns records [from, from+n) of d in processing order (n < 0 for all). Call with s.mu held.
func (s *Server) rawRecords(d *dataset, from, n int) []json.RawMessage {
	out := []json.RawMessage{}
	skip := from
	for _, b := range s.ordered(d) {
		if skip >= b.len() {
			skip -= b.len()
			continue
		}
		for i := skip; i < b.len(); i++ {
			if n >= 0 && len(out) == n {
				return out
			}
			out = append(out, b.record(i))
		}
		skip = 0
	}
	return out
}

const namePatternMsg = "must match ^[a-z][a-z0-9_]*$"

// datasetLocation is the URL of a dataset's full details.
func datasetLocation(ctx context.Context, name string) string {
	return baseURL(ctx) + "/Dataset/" + url.PathEscape(name)
}

// pageOf reads a 1-based page parameter; ok is false for a page below 1.
func pageOf(p *int32) (int, bool) {
	if p == nil {
		return 1, true
	}
	return int(*p), *p >= 1
}

// pageBounds gives the slice bounds of a page of size per over n items.
func pageBounds(page, per, n int) (int, int) {
	from := min((page-1)*per, n)
	return from, min(from+per, n)
}

// DatasetGetList lists datasets, 100 per page in alphabetical order.
func (a *strictAPI) DatasetGetList(ctx context.Context, req gen.DatasetGetListRequestObject) (res gen.DatasetGetListResponseObject, err error) {
	s := a.s
	page, ok := pageOf(req.Params.Page)
	if !ok {
		return gen.DatasetGetList400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: fieldError("page", "The page must be 1 or more.")}, nil
	}
	if s.mutated(standin.DatasetListCached) || s.mutated(standin.DatasetListCacheIgnoresFlags) {
		key := fmt.Sprintf("datasets %d", page)
		if req.Params.IncludeInput != nil && s.mutated(standin.DatasetListCached) {
			key += fmt.Sprint(" in ", *req.Params.IncludeInput)
		}
		if req.Params.IncludeOutput != nil && s.mutated(standin.DatasetListCached) {
			key += fmt.Sprint(" out ", *req.Params.IncludeOutput)
		}
		if kept, ok := s.cachedList(key).(gen.DatasetGetList200JSONResponse); ok {
			return kept, nil
		}
		defer func() {
			if out, ok := res.(gen.DatasetGetList200JSONResponse); ok {
				s.keepList(key, out)
			}
		}()
	}
	incIn := req.Params.IncludeInput == nil || *req.Params.IncludeInput
	incOut := req.Params.IncludeOutput == nil || *req.Params.IncludeOutput || s.mutated(standin.IncludeOutputIgnored)
	type row struct {
		name             string
		input, completed bool
	}
	s.mu.RLock()
	rows := make([]row, 0, len(s.datasets))
	// With standin.ListFlagsFirstPageOnly the flags choose the datasets of the first page only.
	filter := page == 1 || !s.mutated(standin.ListFlagsFirstPageOnly)
	for _, d := range s.datasets {
		input := s.shownInput(d)
		if !filter || input && incIn || !input && incOut {
			rows = append(rows, row{d.name, input, d.completed})
		}
	}
	for _, name := range s.ghostDatasets {
		if _, made := s.datasets[name]; !made && incIn {
			rows = append(rows, row{name, true, false})
		}
	}
	s.mu.RUnlock()
	order := s.datasetOrder()
	slices.SortFunc(rows, func(x, y row) int { return order(x.name, y.name) })
	if s.mutated(standin.UnsortedDatasetList) {
		slices.Reverse(rows)
	}
	from, to := pageBounds(page, datasetsPerPage, len(rows))
	if from == to && from > 0 && s.mutated(standin.DatasetListClampLastPage) {
		from, to = pageBounds((len(rows)-1)/datasetsPerPage+1, datasetsPerPage, len(rows)) // the last page again
	}
	if page > 1 && s.mutated(standin.DatasetListPageSkipsOne) {
		from, to = min(from+1, len(rows)), min(to+1, len(rows))
	}
	if p := s.pageNotFound(page, to-from, standin.LaterListPagesNotFound); p != nil {
		return gen.DatasetGetListdefaultApplicationProblemPlusJSONResponse{Body: *p, StatusCode: http.StatusNotFound}, nil
	}
	out := make(gen.DatasetGetList200JSONResponse, 0, to-from)
	for i, r := range rows[from:to] {
		loc := datasetLocation(ctx, r.name)
		if page == 2 && s.mutated(standin.LaterPageLocationWrong) {
			loc = datasetLocation(ctx, rows[i].name) // the entry at this place on the first page
		}
		if !r.input && s.mutated(standin.OutputLocationWrong) {
			loc += "/data"
		}
		out = append(out, gen.DatasetRef{Name: r.name, Input: r.input, Completed: r.completed, Location: loc})
	}
	return out, nil
}

// DatasetCreate creates an incomplete input dataset.
func (a *strictAPI) DatasetCreate(ctx context.Context, req gen.DatasetCreateRequestObject) (gen.DatasetCreateResponseObject, error) {
	s := a.s
	bad := func(errs map[string][]string) (gen.DatasetCreateResponseObject, error) {
		return gen.DatasetCreate400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: validation(errs, "")}, nil
	}
	if req.Body == nil {
		return bad(map[string][]string{"$": {"A request body is required."}})
	}
	errs := map[string][]string{}
	name := req.Body.Name
	if r := []rune(name); len(r) > 100 && s.mutated(standin.DatasetNameCut100) {
		name = string(r[:100])
	}
	checked := name
	if r := []rune(checked); len(r) > 64 && s.mutated(standin.DatasetNameCheckFirst64) {
		checked = string(r[:64])
	}
	if !names.Valid(checked) && !(s.mutated(standin.DatasetNameTrailingNewline) && names.Valid(strings.TrimSuffix(checked, "\n"))) ||
		s.mutated(standin.DatasetNameOneCharRefused) && len(name) < 2 {
		errs["name"] = append(errs["name"], fmt.Sprintf("The name %q %s.", name, namePatternMsg))
	}
	if len(req.Body.Columns) == 0 {
		errs["columns"] = append(errs["columns"], "A dataset needs at least one column.")
	}
	for c, code := range req.Body.Columns {
		if code != 0 && code != 1 && s.has(ProfileKnownCodes) {
			errs["columns."+c] = append(errs["columns."+c], fmt.Sprintf("The column type %d is not known.", code))
		}
	}
	for _, c := range slices.Sorted(maps.Keys(req.Body.Columns)) {
		checked := c
		if r := []rune(checked); len(r) > 64 && s.mutated(standin.ColumnNameCheckFirst64) {
			checked = string(r[:64])
		}
		if !names.Valid(checked) && !(s.mutated(standin.ColumnNameUnicodeLetters) && unicodeName(checked)) &&
			!(s.mutated(standin.ColumnNameCompatFolded) && names.Valid(compatFold(checked))) ||
			s.mutated(standin.ColumnSQLKeywordRefused) && slices.Contains(sqlKeywords, c) {
			errs["columns."+c] = append(errs["columns."+c], fmt.Sprintf("The column name %q %s.", c, namePatternMsg))
		}
	}
	if len(errs) > 0 {
		if s.mutated(standin.FailedCreateReservesName) && errs["name"] == nil {
			s.mu.Lock()
			s.reserved["dataset "+name] = true
			s.mu.Unlock()
		}
		if s.mutated(standin.RefusedCreateListed) && errs["name"] == nil {
			s.mu.Lock()
			s.ghostDatasets = append(s.ghostDatasets, name) // the row written before the columns were checked
			s.mu.Unlock()
		}
		return bad(errs)
	}
	cols := make(map[string]int32, len(req.Body.Columns))
	for k, v := range req.Body.Columns {
		cols[k] = int32(v)
		if v != 0 && s.mutated(standin.ColumnCodeClamped) {
			cols[k] = 1
		}
		if s.mutated(standin.ColumnCodeByte) {
			cols[k] = int32(uint8(v))
		}
		if s.mutated(standin.ColumnCodeFloat32) {
			// Kept as a float32, read back into 32 bits: 16,777,217 reads back as 16,777,216.
			cols[k] = int32(max(min(float64(float32(v)), 1<<31-1), -1<<31))
		}
	}
	if s.mutated(standin.ColumnCodesSortedMismatch) {
		if raw, ok := ctx.Value(ctxRawBody).([]byte); ok {
			if codes := columnCodesAsGiven(raw); len(codes) == len(cols) {
				for i, k := range slices.Sorted(maps.Keys(cols)) {
					cols[k] = codes[i]
				}
			}
		}
	}
	if s.mutated(standin.ColumnsCap64) && len(cols) > 64 {
		for _, k := range slices.Sorted(maps.Keys(cols))[64:] {
			delete(cols, k)
		}
	}
	d := &dataset{name: name, columns: cols, input: true, blocks: map[int32]*block{}, created: now(), unsigned: s.mutated(standin.ColumnCodeUnsigned)}
	if s.mutated(standin.CreateTakesCompleted) {
		var asked struct {
			Completed bool `json:"completed"`
		}
		if raw, ok := ctx.Value(ctxRawBody).([]byte); ok && json.Unmarshal(raw, &asked) == nil {
			d.completed = asked.Completed
		}
	}
	s.mu.Lock()
	if s.mutated(standin.DatasetCreateRace) {
		if _, dup := s.datasets[name]; !dup {
			// The name is free: let go of the lock, and store the dataset only once another
			// create of the name has come (or 300 ms have passed).
			s.mu.Unlock()
			s.racing2(name)
			s.mu.Lock()
			s.datasets[name] = d
			view := d.view()
			s.mu.Unlock()
			return gen.DatasetCreate200JSONResponse{DatasetOKJSONResponse: gen.DatasetOKJSONResponse(view)}, nil
		}
	}
	_, dup := s.datasetNamed(name)
	dup = dup || s.mutated(standin.FailedCreateReservesName) && s.reserved["dataset "+name]
	for other := range s.datasets {
		dup = dup || s.mutated(standin.DatasetNameUnderscoreWildcard) && likeMatch(name, other) ||
			s.mutated(standin.UniqueCollapsesUnderscores) && slug(name) == slug(other) ||
			s.mutated(standin.DatasetUniqueFirst64) && len(name) > 64 && len(other) > 64 && name[:64] == other[:64]
	}
	if _, job := s.jobs[name]; job && s.mutated(standin.DatasetNameTakenByJob) {
		dup = true
	}
	if dup && s.mutated(standin.DatasetUniqueFirstPage) {
		all := slices.Sorted(maps.Keys(s.datasets))
		dup = slices.Contains(all[:min(len(all), datasetsPerPage)], name)
	}
	if old := s.datasets[name]; dup && !(s.mutated(standin.DatasetUniqueAmongInputs) && old != nil && !old.input) {
		s.mu.Unlock()
		if s.has(ProfileConflict409) {
			return conflictAnswer{fmt.Sprintf("A dataset named %s already exists.", name)}, nil
		}
		return bad(map[string][]string{"name": {fmt.Sprintf("A dataset named %s already exists.", name)}})
	}
	s.datasets[name] = d
	view := d.view()
	s.mu.Unlock()
	s.forgetDatasetLists() // a create refreshes the cached lists
	return gen.DatasetCreate200JSONResponse{DatasetOKJSONResponse: gen.DatasetOKJSONResponse(view)}, nil
}

// DatasetGetByName returns a dataset's full details.
func (a *strictAPI) DatasetGetByName(ctx context.Context, req gen.DatasetGetByNameRequestObject) (gen.DatasetGetByNameResponseObject, error) {
	s := a.s
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.lookup(req.Name)
	if !ok {
		return gen.DatasetGetByName404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: notFound(datasetMissing(req.Name))}, nil
	}
	view := d.view()
	view.Input = s.shownInput(d)
	if s.mutated(standin.DatasetLookupCaseInsensitive) {
		view.Name = req.Name // found in any case, answered under the name asked
	}
	if s.mutated(standin.CompleteLeavesStaleDetails) {
		if d.cached == nil {
			d.cached = &view
		}
		view = *d.cached
	}
	return gen.DatasetGetByName200JSONResponse{DatasetOKJSONResponse: gen.DatasetOKJSONResponse(view)}, nil
}

// datasetMissing is the detail of a 404 for a dataset.
func datasetMissing(name string) string {
	return fmt.Sprintf("The requested dataset %s does not exist.", name)
}

// DatasetUpdateByName marks an incomplete input dataset complete; recordCount must be the number of
// records it holds.
func (a *strictAPI) DatasetUpdateByName(ctx context.Context, req gen.DatasetUpdateByNameRequestObject) (gen.DatasetUpdateByNameResponseObject, error) {
	s := a.s
	bad := func(member, msg string) (gen.DatasetUpdateByNameResponseObject, error) {
		return gen.DatasetUpdateByName400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: fieldError(member, msg)}, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.lookup(req.Name)
	if !ok {
		return gen.DatasetUpdateByName404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: notFound(datasetMissing(req.Name))}, nil
	}
	if req.Body != nil && (!d.input || d.completed) && s.mutated(standin.RefusedCompleteStoresCount) {
		d.count = req.Body.RecordCount
	}
	if d.input && d.completed && s.mutated(standin.RefusedCompleteHoldsInput) {
		d.held = true // marked as being completed before the state is checked, and never cleared
	}
	if req.Body != nil && d.input && d.completed && !req.Body.Completed && s.mutated(standin.CompleteFalseReopens) {
		d.completed = false
		return gen.DatasetUpdateByName200JSONResponse{DatasetOKJSONResponse: gen.DatasetOKJSONResponse(d.view())}, nil
	}
	switch {
	case req.Body == nil:
		return bad("$", "A request body is required.")
	case !d.input:
		return bad("name", fmt.Sprintf("The dataset %s is an output dataset; only input datasets are completed by their owner.", d.name))
	case d.completed:
		return bad("name", fmt.Sprintf("The dataset %s is already complete.", d.name))
	case !req.Body.Completed:
		return bad("completed", "completed must be true: a dataset can only be marked complete.")
	case req.Body.RecordCount != d.count:
		return bad("recordCount", fmt.Sprintf("The dataset holds %d records, not %d.", d.count, req.Body.RecordCount))
	case d.count == 0 && s.mutated(standin.CompleteEmptyRefused):
		return bad("recordCount", fmt.Sprintf("The dataset %s holds no records: there is nothing to complete.", d.name))
	}
	if s.mutated(standin.CompleteRace) {
		// Not complete: let go of the lock until another completion of the dataset has come.
		s.mu.Unlock()
		s.racing2("complete " + d.name)
		s.mu.Lock()
	}
	before := d.view()
	d.completed = true
	if s.mutated(standin.CompleteInfersColumnCodes) {
		d.inferred = s.inferCodes(d)
	}
	if s.mutated(standin.CompleteAnswersOld) {
		return gen.DatasetUpdateByName200JSONResponse{DatasetOKJSONResponse: gen.DatasetOKJSONResponse(before)}, nil
	}
	return gen.DatasetUpdateByName200JSONResponse{DatasetOKJSONResponse: gen.DatasetOKJSONResponse(d.view())}, nil
}

// DatasetGetData reads a page of a dataset's records, 1,000 per page, in processing order.
func (a *strictAPI) DatasetGetData(ctx context.Context, req gen.DatasetGetDataRequestObject) (gen.DatasetGetDataResponseObject, error) {
	s := a.s
	page, ok := pageOf(req.Params.Page)
	if !ok {
		return gen.DatasetGetData400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: fieldError("page", "The page must be 1 or more.")}, nil
	}
	s.mu.RLock()
	d, found := s.dataLookup(req.Name)
	var raw []json.RawMessage
	if found {
		if d.completed {
			d.readAfterComplete.Store(true)
		}
		per := s.recordsPerPage()
		raw = s.rawRecords(d, (page-1)*per, per)
		if n := int(d.count); s.mutated(standin.DataReadLastFullPageLost) && n > 0 && n%per == 0 && page == n/per {
			raw = nil // (count-1)/per full pages and one partial, which is empty
		}
	}
	s.mu.RUnlock()
	if !found {
		return gen.DatasetGetData404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: notFound(datasetMissing(req.Name))}, nil
	}
	if p := s.pageNotFound(page, len(raw), standin.LaterDataPagesNotFound); p != nil {
		return gen.DatasetGetData404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: gen.NotFoundApplicationProblemPlusJSONResponse(*p)}, nil
	}
	out := make(gen.DatasetGetData200JSONResponse, 0, len(raw))
	for _, r := range raw {
		// Numbers are kept as their literal (json.Number), so they read back exactly as uploaded.
		dec := json.NewDecoder(bytes.NewReader(r))
		dec.UseNumber()
		var rec gen.Record
		if err := dec.Decode(&rec); err != nil {
			return nil, fmt.Errorf("stored record of %s does not decode: %w", d.name, err)
		}
		out = append(out, rec)
	}
	return out, nil
}

// DatasetUploadBlock stores one block of records. The server normally serves this operation on a faster
// path (serveUploadBlock); this method is what the strict handler calls when that path is off, and it
// applies the same rules to the raw body.
func (a *strictAPI) DatasetUploadBlock(ctx context.Context, req gen.DatasetUploadBlockRequestObject) (gen.DatasetUploadBlockResponseObject, error) {
	// The body as sent, when the middleware kept it; the decoded body loses what the rules look at (a
	// missing blockNumber reads as 0, trailing data is ignored).
	body, _ := ctx.Value(ctxRawBody).([]byte)
	if body == nil && req.Body != nil {
		var err error
		if body, err = json.Marshal(req.Body); err != nil {
			return nil, err
		}
	}
	p := a.s.ingest(req.Name, "application/json", body)
	switch p.Status {
	case http.StatusOK:
		return gen.DatasetUploadBlock200Response{}, nil
	case http.StatusNotFound:
		return gen.DatasetUploadBlock404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: notFound(p.Detail)}, nil
	}
	return gen.DatasetUploadBlock400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: validation(p.Errors, p.Detail)}, nil
}

// Records returns the records of the named dataset in processing order, decoded as encoding/json decodes
// into map[string]any (numbers are float64). ok is false when there is no such dataset.
func (s *Server) Records(name string) (records []map[string]any, ok bool) {
	raw, ok := s.RawRecords(name)
	if !ok {
		return nil, false
	}
	out := make([]map[string]any, len(raw))
	for i, r := range raw {
		if err := json.Unmarshal(r, &out[i]); err != nil {
			panic("data8test: stored record does not decode: " + err.Error())
		}
	}
	return out, true
}

// RawRecords returns the records of the named dataset in processing order, each exactly as uploaded.
// ok is false when there is no such dataset.
func (s *Server) RawRecords(name string) (records []json.RawMessage, ok bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d, ok := s.datasets[name]
	if !ok {
		return nil, false
	}
	return s.rawRecords(d, 0, -1), true
}

// BlockNumbers returns the block numbers of the named dataset in processing order. ok is false when
// there is no such dataset.
func (s *Server) BlockNumbers(name string) (nums []int32, ok bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d, ok := s.datasets[name]
	if !ok {
		return nil, false
	}
	for _, b := range s.ordered(d) {
		nums = append(nums, b.num)
	}
	return nums, true
}

// DatasetInfo returns the full details of the named dataset, as Dataset_GetByName would. ok is false when
// there is no such dataset.
func (s *Server) DatasetInfo(name string) (d gen.Dataset, ok bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ds, ok := s.datasets[name]
	if !ok {
		return gen.Dataset{}, false
	}
	return ds.view(), true
}

// unicodeName is the naming rule of the standin.ColumnNameUnicodeLetters mutation: a lower-case letter
// of any script, then lower-case letters, decimal digits of any script and underscores.
func unicodeName(s string) bool {
	for i, r := range s {
		switch {
		case unicode.IsLower(r):
		case i > 0 && (unicode.IsDigit(r) || r == '_'):
		default:
			return false
		}
	}
	return s != ""
}

// racing2 waits until a second request of key has come while the first waits, or raceWait has
// passed, and reports whether two met: the second request goes on at once, and releases the first.
// It makes the race of a mutation (two requests handled as one, an update lost) happen whenever two
// requests are sent at once, however loaded the machine.
func (s *Server) racing2(key string) bool {
	s.raceMu.Lock()
	if s.racing == nil {
		s.racing = map[string]chan struct{}{}
	}
	ch, waiting := s.racing[key]
	if waiting {
		// The second request: release the first, and go on at once.
		delete(s.racing, key)
		close(ch)
		s.raceMu.Unlock()
		return true
	}
	ch = make(chan struct{})
	s.racing[key] = ch
	s.raceMu.Unlock()
	select {
	case <-ch:
		return true
	case <-time.After(raceWait):
		s.raceMu.Lock()
		defer s.raceMu.Unlock()
		if s.racing[key] == ch {
			delete(s.racing, key)
			return false
		}
		return true // released as the wait ended
	}
}

// likeMatch reports whether name, read as a SQL LIKE pattern whose '_' matches any one character,
// matches other (the standin.DatasetNameUnderscoreWildcard mutation).
func likeMatch(pattern, other string) bool {
	if len(pattern) != len(other) {
		return false
	}
	for i := range len(pattern) {
		if pattern[i] != '_' && pattern[i] != other[i] {
			return false
		}
	}
	return true
}

// compatFold folds the compatibility characters an NFKC normalisation maps onto ASCII letters and
// digits (fullwidth forms, superscript digits, the long s, the fi ligature, small roman numerals),
// for the standin.ColumnNameCompatFolded mutation.
func compatFold(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 0xFF41 && r <= 0xFF5A:
			b.WriteRune('a' + r - 0xFF41)
		case r >= 0xFF10 && r <= 0xFF19:
			b.WriteRune('0' + r - 0xFF10)
		case r == 0xFF3F:
			b.WriteByte('_')
		case r == 0x00B9:
			b.WriteByte('1')
		case r == 0x00B2 || r == 0x00B3:
			b.WriteRune('2' + r - 0x00B2)
		case r == 0x2070:
			b.WriteByte('0')
		case r == 0x017F:
			b.WriteByte('s')
		case r == 0xFB01:
			b.WriteString("fi")
		case r == 0x2170:
			b.WriteByte('i')
		case r == 0x2174:
			b.WriteByte('v')
		case r == 0x2179:
			b.WriteByte('x')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// inferCodes returns the column codes the standin.CompleteInfersColumnCodes mutation sets at
// completion: 1 for a column whose values in d's records are all numbers (and at least one), else 0.
// Call with s.mu held.
func (s *Server) inferCodes(d *dataset) map[string]int32 {
	numbers := map[string]int{}
	others := map[string]bool{}
	for _, raw := range s.rawRecords(d, 0, -1) {
		var rec map[string]any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if dec.Decode(&rec) != nil {
			continue
		}
		for k, v := range rec {
			if _, ok := v.(json.Number); ok {
				numbers[k]++
			} else {
				others[k] = true
			}
		}
	}
	out := make(map[string]int32, len(d.columns))
	for k := range d.columns {
		if numbers[k] > 0 && !others[k] {
			out[k] = 1
		} else {
			out[k] = 0
		}
	}
	return out
}

// slug is a name with its runs of underscores collapsed and trailing ones dropped, as the
// standin.UniqueCollapsesUnderscores mutation compares names.
func slug(name string) string {
	for strings.Contains(name, "__") {
		name = strings.ReplaceAll(name, "__", "_")
	}
	return strings.TrimRight(name, "_")
}

// lookup finds the dataset a path names: by its exact name, or, with the mutations
// standin.DatasetLookupCaseInsensitive, standin.DatasetPathTrimmed and standin.DatasetLookupPrefix,
// by the name in any case, without leading and trailing spaces, or as the beginning of a name. Call
// with s.mu held.
func (s *Server) lookup(name string) (*dataset, bool) {
	if d, ok := s.datasetNamed(name); ok {
		return d, true
	}
	if s.mutated(standin.DatasetPathTrimmed) {
		d, ok := s.datasets[strings.TrimSpace(name)]
		return d, ok
	}
	if s.mutated(standin.DatasetLookupPrefix) {
		first := ""
		for n := range s.datasets {
			if strings.HasPrefix(n, name) && (first == "" || n < first) {
				first = n
			}
		}
		if first != "" {
			return s.datasets[first], true
		}
	}
	if s.mutated(standin.DatasetLookupCaseInsensitive) {
		for n, d := range s.datasets {
			if strings.EqualFold(n, name) {
				return d, true
			}
		}
	}
	if s.mutated(standin.DatasetLookupCompatFolded) {
		d, ok := s.datasets[compatFold(name)]
		return d, ok
	}
	return nil, false
}

// dataLookup finds the dataset GET /Dataset/{name}/data reads: as lookup does, or under the
// standin.DataReadIgnoresCase mutation the dataset whose name equals name ignoring case. Call with
// s.mu held.
func (s *Server) dataLookup(name string) (*dataset, bool) {
	if d, ok := s.lookup(name); ok || !s.mutated(standin.DataReadIgnoresCase) {
		return d, ok
	}
	for n, d := range s.datasets {
		if strings.EqualFold(n, name) {
			return d, true
		}
	}
	return nil, false
}

// sqlLike reports whether s matches pattern read as a SQL LIKE pattern: '_' matches any one
// character, '%' any run of characters (for the standin.JobLookupLike, standin.KeyLookupLike and
// standin.JobListWorkflowLike mutations).
func sqlLike(pattern, s string) bool {
	p, r := []rune(pattern), []rune(s)
	var match func(i, j int) bool
	match = func(i, j int) bool {
		for ; i < len(p); i++ {
			switch p[i] {
			case '%':
				for k := j; k <= len(r); k++ {
					if match(i+1, k) {
						return true
					}
				}
				return false
			case '_':
				if j >= len(r) {
					return false
				}
			default:
				if j >= len(r) || r[j] != p[i] {
					return false
				}
			}
			j++
		}
		return j == len(r)
	}
	return match(0, 0)
}

// sqlKeywords are the column names the standin.ColumnSQLKeywordRefused mutation refuses.
var sqlKeywords = []string{"order", "select", "from", "where", "group", "table", "index", "null", "true", "key"}

// columnCodesAsGiven returns the codes of the create body's columns member in the order the body
// gives them, for the standin.ColumnCodesSortedMismatch mutation; nil if the body cannot be read so.
func columnCodesAsGiven(raw []byte) []int32 {
	var body struct {
		Columns json.RawMessage `json:"columns"`
	}
	if json.Unmarshal(raw, &body) != nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body.Columns))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	var codes []int32
	for dec.More() {
		if _, err := dec.Token(); err != nil {
			return nil
		}
		var v int32
		if dec.Decode(&v) != nil {
			return nil
		}
		codes = append(codes, v)
	}
	return codes
}

// forgetDatasetLists empties the cached answers of GET /Dataset (the standin.DatasetListCached and
// standin.DatasetListCacheIgnoresFlags mutations).
func (s *Server) forgetDatasetLists() { s.forgetLists("datasets ") }

// forgetLists empties the cached list answers whose key begins with prefix.
func (s *Server) forgetLists(prefix string) {
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	for k := range s.lists {
		if strings.HasPrefix(k, prefix) {
			delete(s.lists, k)
		}
	}
}
