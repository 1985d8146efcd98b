package data8test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/data8-toolkit/data8/internal/opid"
	"github.com/data8-toolkit/data8/internal/standin"
)

// The block upload is the one operation whose speed matters (a benchmark checks the server is not the
// bottleneck of an upload), so it is served by a hand-written scanner (blockscan.go) instead of decoding
// each block into []map[string]any through the strict handler, and each record is kept as the raw JSON
// object it was sent as. This file holds the handler and the rules of storing a block.

// maxUploadBody caps the size of one block upload.
const maxUploadBody = 64 << 20

// serveUploadBlock serves PATCH /Dataset/{name}/data.
func (s *Server) serveUploadBlock(w http.ResponseWriter, r *http.Request) {
	body, release, err := s.readBody(r)
	if err != nil {
		writeProblem(w, badRequest(map[string][]string{"$": {err.Error()}}, "The request body could not be read."))
		return
	}
	p := s.ingest(r.PathValue("name"), r.Header.Get("Content-Type"), body)
	release()
	if p.Status == http.StatusOK {
		w.WriteHeader(http.StatusOK)
		return
	}
	writeProblem(w, p)
}

// readBody reads a request body into a pooled buffer; release gives the buffer back.
func (s *Server) readBody(r *http.Request) ([]byte, func(), error) {
	if r.ContentLength > maxUploadBody {
		return nil, func() {}, fmt.Errorf("the body is larger than %d bytes", maxUploadBody)
	}
	if r.ContentLength < 0 {
		b, err := io.ReadAll(io.LimitReader(r.Body, maxUploadBody+1))
		if err == nil && len(b) > maxUploadBody {
			err = fmt.Errorf("the body is larger than %d bytes", maxUploadBody)
		}
		return b, func() {}, err
	}
	n := int(r.ContentLength)
	bp, _ := s.bufPool.Get().(*[]byte)
	if bp == nil || cap(*bp) < n {
		b := make([]byte, n)
		bp = &b
	}
	buf := (*bp)[:n]
	if _, err := io.ReadFull(r.Body, buf); err != nil {
		s.bufPool.Put(bp)
		return nil, func() {}, fmt.Errorf("reading the body: %v", err)
	}
	return buf, func() { s.bufPool.Put(bp) }, nil
}

// ingest applies one block upload to the named dataset and returns the answer: status 200, or a problem.
func (s *Server) ingest(name, contentType string, body []byte) problemBody {
	s.mu.RLock()
	d, ok := s.lookup(name)
	var input, completed, empty, held bool
	if ok {
		empty = len(d.blocks) == 0
		held = d.held && s.mutated(standin.RefusedJobHoldsInput)
		// standin.CompletedEmptyTakesBlocks: a complete dataset that holds no records counts as open.
		input, completed = d.input, d.completed && !(s.mutated(standin.CompletedEmptyTakesBlocks) && d.count == 0)
	}
	s.mu.RUnlock()
	switch {
	case !ok:
		return problem(http.StatusNotFound, "Not Found", datasetMissing(name))
	case !input && !(s.mutated(standin.UploadToIncompleteOutput) && !completed):
		return stateProblem(fmt.Sprintf("The dataset %s is an output dataset; only input datasets take uploads.", name))
	case completed && !s.mutated(standin.AcceptUploadToCompleted) && !s.mutated(standin.OverwriteCompleted):
		return stateProblem(fmt.Sprintf("The dataset %s is complete; a complete dataset cannot be changed.", name))
	case held:
		return stateProblem(fmt.Sprintf("The dataset %s is in use by a job.", name))
	}
	if mt, _, err := mime.ParseMediaType(contentType); err != nil || mt != "application/json" {
		return badRequest(map[string][]string{"$": {"The body must be JSON, with Content-Type application/json."}}, "")
	}

	limit := maxBlockRecords
	if s.mutated(standin.Accept1001Records) || s.mutated(standin.FirstBlockUncapped) && empty {
		limit = -1
	}
	cols := d.columns
	if s.mutated(standin.UploadSchemaLastCreated) {
		s.mu.RLock()
		var last *dataset
		for _, o := range s.datasets {
			if o.input && (last == nil || o.created.After(last.created) || o.created.Equal(last.created) && o.name > last.name) {
				last = o
			}
		}
		if last != nil {
			cols = last.columns
		}
		s.mu.RUnlock()
	}
	sc := blockScan{b: body, cols: cols, firstOnly: s.mutated(standin.UnknownColumnFirstRecordOnly)}
	if err := sc.parse(); err != nil {
		// Malformed JSON: the member errors found before it say little.
		sc.errs = map[string][]string{"$": {err.Error()}}
	} else {
		if !sc.hasBlock {
			sc.addErr("blockNumber", "The blockNumber field is required.")
		}
		if !sc.hasRecords {
			sc.addErr("records", "The records field is required.")
		} else if len(sc.recs) == 0 && s.has(ProfileEmptyBlock400) {
			sc.addErr("records", "The field records must be a string or array type with a minimum length of '1'.")
		}
		if limit >= 0 && len(sc.recs) > limit {
			sc.addErr("records", fmt.Sprintf("A block holds at most %d records; this one has %d.", maxBlockRecords, len(sc.recs)))
		}
	}
	if len(sc.errs) > 0 {
		if s.mutated(standin.FailedUploadClearsBlock) && sc.hasBlock && badRecord(sc.errs) {
			s.clearBlock(d, int32(sc.blockNumber))
		}
		return badRequest(sc.errs, "The block was not stored.")
	}

	// Copy the records out of the body (which goes back to the pool) into one exact allocation.
	total := 0
	for _, sp := range sc.recs {
		total += sp.end - sp.start
	}
	nb := &block{num: int32(sc.blockNumber), data: make([]byte, 0, total), ends: make([]uint32, 0, len(sc.recs))}
	var seen map[string]bool // the records of the block so far, for standin.BlockDropsEqualRecords
	if s.mutated(standin.BlockDropsEqualRecords) {
		seen = map[string]bool{}
	}
	for i, sp := range sc.recs {
		if seen != nil {
			if seen[string(body[sp.start:sp.end])] {
				continue
			}
			seen[string(body[sp.start:sp.end])] = true
		}
		rec := body[sp.start:sp.end]
		if s.mangles() {
			rec = s.mangleTexts(rec)
		}
		if s.mutated(standin.ColumnIDOverwritten) {
			rec = withID(rec, i)
		}
		nb.data = append(nb.data, rec...)
		nb.ends = append(nb.ends, uint32(len(nb.data)))
	}

	if s.mutated(standin.ConcurrentUploadLost) {
		return s.storeRacily(d, nb)
	}
	// late: the state read on arrival is trusted at the store (standin.UploadStoredAfterComplete).
	late := s.mutated(standin.UploadStoredAfterComplete) && s.storeLate(d)
	raced := s.mutated(standin.SameBlockRaceAppends) && s.racing2(fmt.Sprintf("block %s %d", name, nb.num))
	if s.mutated(standin.UploadsShareTarget) {
		d = s.sharedTarget(d)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := d.blocks[nb.num]
	switch {
	case s.datasets[d.name] != d:
		return problem(http.StatusNotFound, "Not Found", datasetMissing(name))
	case d.completed && !late && !s.mutated(standin.AcceptUploadToCompleted) && !(s.mutated(standin.OverwriteCompleted) && old != nil) &&
		!(s.mutated(standin.CompletedEmptyTakesBlocks) && d.count == 0):
		return stateProblem(fmt.Sprintf("The dataset %s is complete; a complete dataset cannot be changed.", name))
	case old != nil && s.mutated(standin.OverwriteCountsOldRecords) && old.len()+nb.len() > maxBlockRecords:
		return badRequest(map[string][]string{"records": {fmt.Sprintf("A block holds at most %d records; this one would have %d.", maxBlockRecords, old.len()+nb.len())}}, "The block was not stored.")
	case old == nil && s.mutated(standin.BlockTableCap128) && len(d.blocks) >= 128:
		return problemBody{Status: http.StatusOK} // the block table is full: dropped
	case old != nil && nb.len() == 0 && s.mutated(standin.EmptyBlockKeepsOld):
		return problemBody{Status: http.StatusOK} // nothing to write
	}
	switch {
	case old == nil:
		s.blockSeq++
		nb.seq = s.blockSeq
	case s.mutated(standin.AppendInsteadOfOverwrite) || raced:
		merged := &block{num: old.num, seq: old.seq, data: append(old.data[:len(old.data):len(old.data)], nb.data...), ends: append([]uint32(nil), old.ends...)}
		base := uint32(len(old.data))
		for _, e := range nb.ends {
			merged.ends = append(merged.ends, base+e)
		}
		nb = merged
	default:
		nb.seq = old.seq
	}
	if old != nil {
		d.count -= int64(old.len())
	}
	d.count += int64(nb.len())
	d.blocks[nb.num] = nb
	d.cached = nil // a block refreshes the details standin.CompleteLeavesStaleDetails keeps
	return problemBody{Status: http.StatusOK}
}

// badRecord reports whether a refused block's errors name a record (records[i] or records[i].column).
func badRecord(errs map[string][]string) bool {
	for k := range errs {
		if strings.HasPrefix(k, "records[") {
			return true
		}
	}
	return false
}

// clearBlock empties block num of an incomplete input dataset, as the standin.FailedUploadClearsBlock
// mutation does before it checks the records.
func (s *Server) clearBlock(d *dataset, num int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := d.blocks[num]; old != nil && d.input && !d.completed {
		d.count -= int64(old.len())
		d.blocks[num] = &block{num: num, seq: old.seq}
	}
}

// storeLate holds an upload, for the standin.UploadStoredAfterComplete mutation, that arrived while its
// dataset was incomplete: when the dataset is completed within 50 ms, the upload waits until its
// records have been read since (at most 200 ms more), and reports true: the block is then stored
// without a second look at the state.
func (s *Server) storeLate(d *dataset) bool {
	s.mu.RLock()
	completed := d.completed
	s.mu.RUnlock()
	if completed {
		return false
	}
	for start := time.Now(); time.Since(start) < 50*time.Millisecond; {
		if !sleep(s.ctx, time.Millisecond) {
			return false
		}
		s.mu.RLock()
		completed = d.completed
		s.mu.RUnlock()
		if completed {
			break
		}
	}
	if !completed {
		return false
	}
	for start := time.Now(); time.Since(start) < 200*time.Millisecond && !d.readAfterComplete.Load(); {
		if !sleep(s.ctx, time.Millisecond) {
			break
		}
	}
	return true
}

// stateProblem is the 400 for an upload to a dataset that takes none.
func stateProblem(msg string) problemBody {
	return badRequest(map[string][]string{"name": {msg}}, msg)
}

// storeRacily stores a block as the standin.ConcurrentUploadLost mutation does: it copies the dataset's
// blocks, waits a little (as a server writing to a database would), and puts the copy back with the
// block in it, so that an upload stored meanwhile is lost.
func (s *Server) storeRacily(d *dataset, nb *block) problemBody {
	s.mu.RLock()
	blocks := maps.Clone(d.blocks)
	s.mu.RUnlock()
	sleep(s.ctx, 2*time.Millisecond)
	if old := blocks[nb.num]; old != nil {
		nb.seq = old.seq
	} else {
		s.mu.Lock()
		s.blockSeq++
		nb.seq = s.blockSeq
		s.mu.Unlock()
	}
	blocks[nb.num] = nb
	var count int64
	for _, b := range blocks {
		count += int64(b.len())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if d.completed && !s.mutated(standin.AcceptUploadToCompleted) {
		return stateProblem(fmt.Sprintf("The dataset %s is complete; a complete dataset cannot be changed.", d.name))
	}
	d.blocks, d.count = blocks, count
	return problemBody{Status: http.StatusOK}
}

// mutationTakes reports whether a mutation makes op's handler take requests that break the spec's
// rule for them (a name pattern), so that they reach the handler instead of being refused before it.
func (s *Server) mutationTakes(op string) bool {
	switch op {
	case opid.DatasetCreate:
		return s.mutated(standin.DatasetNameTrailingNewline) || s.mutated(standin.ColumnNameUnicodeLetters) || s.mutated(standin.DatasetNameCheckFirst64) ||
			s.mutated(standin.ColumnNameCompatFolded)
	case opid.JobCreateJob:
		return s.mutated(standin.JobNameLastCharUnchecked) || s.mutated(standin.JobNameCheckFirst64) || s.mutated(standin.JobNameCheckToNUL) ||
			s.mutated(standin.JobNameBackslashAccepted)
	case opid.ClientCredentialCreate:
		return s.mutated(standin.ClientWithoutDescriptionUnlisted)
	case opid.ApiKeyUpdateByKey:
		return s.mutated(standin.KeyUpdatePartialOnRefusal) // the handler checks the limit itself, after the description is written
	}
	return false
}

// mangleTexts rewrites the values of one raw record as the mutations standin.RecordTextBMPOnly
// (a character outside the Basic Multilingual Plane becomes U+FFFD), standin.RecordLineBreaksToSpace
// (CR LF, LF and CR become a space), standin.RecordEmptyStringNull (an empty string becomes null)
// and standin.RecordNumbersAsFloat32 (a number becomes the nearest 32-bit float) store them, as do
// standin.RecordLineSeparatorsToSpace (U+2028, U+2029 and NEL become a space),
// standin.RecordControlCharsStripped (control characters XML 1.0 cannot hold are removed) and
// standin.RecordBOMStripped (a leading U+FEFF is removed). A record
// that is not an object is kept as sent.
func (s *Server) mangleTexts(raw []byte) []byte {
	// The mutations standin.RecordBooleansAsNumbers (true and false become 1 and 0),
	// standin.RecordNullAsText (null becomes "null") and standin.RecordNumericTextAsNumber (a
	// text that reads as a decimal number becomes that number) too.
	var rec map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&rec) != nil {
		return raw
	}
	for k, v := range rec {
		if b, ok := v.(bool); ok && s.mutated(standin.RecordBooleansAsNumbers) {
			rec[k] = map[bool]int{false: 0, true: 1}[b]
			continue
		}
		if v == nil && s.mutated(standin.RecordNullAsText) {
			rec[k] = "null"
			continue
		}
		if n, ok := v.(json.Number); ok && s.mutated(standin.RecordNumbersAsFloat32) {
			if f, err := n.Float64(); err == nil {
				rec[k] = float64(float32(f))
			}
			continue
		}
		t, ok := v.(string)
		if !ok {
			continue
		}
		if s.mutated(standin.RecordTextBMPOnly) {
			t = bmpOnly(t)
		}
		if s.mutated(standin.RecordLineBreaksToSpace) {
			t = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(t)
		}
		if s.mutated(standin.RecordLineSeparatorsToSpace) {
			t = strings.NewReplacer("\u2028", " ", "\u2029", " ", "\u0085", " ").Replace(t)
		}
		if s.mutated(standin.RecordControlCharsStripped) {
			t = strings.Map(func(r rune) rune {
				if r < 0x20 && r != '\t' && r != '\n' && r != '\r' && r != 0 {
					return -1
				}
				return r
			}, t)
		}
		if s.mutated(standin.RecordBOMStripped) {
			t = strings.TrimPrefix(t, "\ufeff")
		}
		if f, err := strconv.ParseFloat(t, 64); err == nil && numericText(t) && s.mutated(standin.RecordNumericTextAsNumber) {
			rec[k] = f
			continue
		}
		if t == "" && s.mutated(standin.RecordEmptyStringNull) {
			rec[k] = nil
			continue
		}
		rec[k] = t
	}
	out, err := json.Marshal(rec)
	if err != nil {
		return raw
	}
	return out
}

// bmpOnly replaces each character of t outside the Basic Multilingual Plane with U+FFFD, as a 3-byte
// UTF-8 store does (the mutations standin.RecordTextBMPOnly and standin.JobParametersBMPOnly).
func bmpOnly(t string) string {
	return strings.Map(func(r rune) rune {
		if r > 0xFFFF {
			return utf8.RuneError
		}
		return r
	}, t)
}

// mangles reports whether a mutation rewrites the values of stored records (see mangleTexts).
func (s *Server) mangles() bool {
	for _, m := range []standin.Mutation{standin.RecordTextBMPOnly, standin.RecordLineBreaksToSpace, standin.RecordEmptyStringNull,
		standin.RecordNumbersAsFloat32, standin.RecordBooleansAsNumbers, standin.RecordNullAsText, standin.RecordNumericTextAsNumber,
		standin.RecordControlCharsStripped, standin.RecordBOMStripped, standin.RecordLineSeparatorsToSpace} {
		if s.mutated(m) {
			return true
		}
	}
	return false
}

// numericText reports whether t is written as a decimal number: digits with an optional sign, point
// and exponent, as a type-inferring store reads it (standin.RecordNumericTextAsNumber).
func numericText(t string) bool {
	digits := false
	for _, r := range t {
		switch {
		case r >= '0' && r <= '9':
			digits = true
		case strings.ContainsRune("+-.eE", r):
		default:
			return false
		}
	}
	return digits
}

// withID returns raw, a record, with its member id set to i, its place in the block, as the
// standin.ColumnIDOverwritten mutation stores it. A record that is not an object, or has no id, is
// kept as sent.
func withID(raw []byte, i int) []byte {
	var rec map[string]json.RawMessage
	if json.Unmarshal(raw, &rec) != nil {
		return raw
	}
	if _, ok := rec["id"]; !ok {
		return raw
	}
	rec["id"] = json.RawMessage(strconv.Itoa(i))
	out, err := json.Marshal(rec)
	if err != nil {
		return raw
	}
	return out
}

// sharedTarget returns the dataset an upload to d is stored into under the standin.UploadsShareTarget
// mutation: the dataset of another upload being stored at the same moment, if any (the first of two
// waits up to 20 ms for a second), else d.
func (s *Server) sharedTarget(d *dataset) *dataset {
	s.raceMu.Lock()
	if other := s.uploading; other != nil && other != d {
		s.raceMu.Unlock()
		return other
	}
	s.uploading = d
	s.raceMu.Unlock()
	sleep(s.ctx, 20*time.Millisecond)
	s.raceMu.Lock()
	if s.uploading == d {
		s.uploading = nil
	}
	s.raceMu.Unlock()
	return d
}
