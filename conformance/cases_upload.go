package conformance

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/internal/termsafe"
)

// uploadCases are the cases of block uploads and of reading records back.
func uploadCases() []Case {
	return []Case{
		{
			ID: "UPLOAD-MAX-1000", Kind: Documented, SendsInvalid: true,
			Quote:   `**At most 1,000 records per block.**`,
			Rule:    "At most 1,000 records per block (documented): a block of 1,000 is stored, a block of 1,001 is refused with a 4xx and not stored, both as the first block of a new dataset and after a full block. A refused block changes nothing: the dataset then takes a block of 1 record and its completion, and reads back its 1,001 records in order (a full page, a page of one, then []: D-10).",
			Creates: "1 complete dataset (1,001 records)",
			Cost:    Cost{Datasets: 1, Records: 1001},
			run:     caseUploadMax,
		},
		{
			ID: "UPLOAD-OVERWRITE", Kind: Documented,
			Quote:   `**re-using a block number overwrites** that block's earlier records`,
			Rule:    "Re-using a block number overwrites that block's earlier records (documented): recordCount and the records read back hold the second upload only.",
			Creates: "1 dataset (2 records)",
			Cost:    Cost{Datasets: 1, Records: 2},
			run:     caseUploadOverwrite,
		},
		{
			ID: "UPLOAD-ORDER", Kind: Documented,
			Quote:   `Records are **processed in ascending block number, then in the order given inside the block**.`,
			Rule:    "Records are processed in ascending block number, then in the order given inside the block (documented): blocks 11, 3, 40000, 4, 100, 0, 70000, 20, 2, 1, 10, 9 sent in that order read back in ascending block number (not arrival order, nor the order of their decimal text, nor of a 16-bit number); block 20's two equal records are both kept. A block number past 32,767 refused with a 4xx is observed (D-9 sets no upper bound).",
			Creates: "1 dataset (24 records)",
			Cost:    Cost{Datasets: 1, Records: 24},
			run:     caseUploadOrder,
		},
		{
			ID: "UPLOAD-COMPLETED-400", Kind: Documented,
			Quote:   `Dataset must be an **incomplete input** dataset, else **400**. [...] it cannot be changed afterwards`,
			Rule:    "Uploading to a complete dataset gets 400; a complete dataset cannot be changed (documented): it reads back its record, as before.",
			Creates: "1 complete dataset (1 record)",
			Cost:    Cost{Datasets: 1, Records: 1},
			run:     caseUploadCompleted,
		},
		{
			ID: "UPLOAD-404", Kind: Documented, Decision: "D-4",
			Quote: `Unknown name in a path: documented text ("does not exist").`,
			Rule:  `Uploading to an unknown dataset is an error ("does not exist", documented), 404 (D-4).`,
			run:   caseUpload404,
		},
		{
			ID: "UPLOAD-GAPS-EMPTY", Kind: Documented, Decision: "D-9",
			Quote:   `re-using a block number overwrites that block's earlier records`,
			Rule:    "Block numbers are integers from 0 and may have gaps; an empty records array is allowed and clears its block (D-9): a refusal differs. An empty block re-sent under a stored block number and taken (2xx) overwrites that block's earlier records like any re-sent block (documented): its records are no longer read back.",
			Creates: "1 dataset",
			Cost:    Cost{Datasets: 1, Records: 2},
			run:     caseUploadGaps,
		},
		{
			ID: "UPLOAD-BAD-BLOCKNUMBER", Kind: Decided, Decision: "D-9", SendsInvalid: true,
			Rule:    "blockNumber is an integer ≥ 0: a missing, negative, fractional or string blockNumber gets 400 naming the member (D-9). Refused, they change nothing (documented): the dataset, incomplete still, then takes a block and its completion, and reads back that one record (the page after it []: D-10).",
			Creates: "1 complete dataset (1 record)",
			Cost:    Cost{Datasets: 1, Records: 1},
			run:     caseUploadBadBlockNumber,
		},
		{
			ID: "UPLOAD-NON-OBJECT-RECORD", Kind: Documented, Decision: "D-9", SendsInvalid: true,
			Quote:   `Records are **processed in ascending block number, then in the order given inside the block**.`,
			Rule:    "A record that is not a JSON object (a number, a string, an array, null) gets 400 with errors naming it (D-9), at every place of a block: the first record of two, records[12] of 25 and the last of a full block of 1,000 (errors naming another record are observed). A record's place decides only when it is processed (documented): refused at one place and taken at another, the server breaks its own reading of D-9, and the case fails with what the taken block reads back as. Refused, they change nothing (documented): the dataset, incomplete still, then takes a block and its completion, and reads back that one record (the page after it []: D-10).",
			Creates: "1 complete dataset (1 record)",
			Cost:    Cost{Datasets: 1, Records: 1},
			run:     caseUploadNonObject,
		},
		{
			ID: "UPLOAD-UNKNOWN-COLUMN", Kind: Documented, Decision: "D-9",
			Quote:   `Records are **processed in ascending block number, then in the order given inside the block**.`,
			Rule:    "A record naming a column the dataset does not have gets 400 with errors naming the member, e.g. records[12].nosuch (D-9), at every place of a block: the first record of two, records[12] of 25 and the last of a full block of 1,000 (errors naming another record are observed). A record's place decides only when it is processed (documented): refused at one place and taken at another, the server breaks its own reading of D-9, and the case fails with what the taken block reads back as. Our client refuses it before sending. Refused, they change nothing (documented): the dataset, incomplete still, then takes a block and its completion, and reads back that one record (the page after it []: D-10).",
			Creates: "1 complete dataset (1 record)",
			Cost:    Cost{Datasets: 1, Records: 1},
			run:     caseUploadUnknownColumn,
		},
		{
			ID: "UPLOAD-BAD-VALUE", Kind: Documented, Decision: "D-11", SendsInvalid: true,
			Quote:   `Records are **processed in ascending block number, then in the order given inside the block**.`,
			Rule:    "Record values are JSON strings, numbers, booleans or null (D-11): an object or array value gets a 4xx, at every place of a block: the first record of two, records[12] of 25 and the last of a full block of 1,000 (errors naming another record are observed). A record's place decides only when it is processed (documented): refused at one place and taken at another, the server breaks its own reading of D-11, and the case fails with what the taken block reads back as. Refused, they change nothing (documented): the dataset, incomplete still, then takes a block and its completion, and reads back that one record (the page after it []: D-10).",
			Creates: "1 complete dataset (1 record)",
			Cost:    Cost{Datasets: 1, Records: 1},
			run:     caseUploadBadValue,
		},
		{
			ID: "RECORDS-SCALARS", Kind: Decided, Decision: "D-11",
			Rule:    "A record is an object of string, number, boolean or null values; a column left out is null (D-11). Observes how values read back.",
			Creates: "1 dataset (3 records)",
			Cost:    Cost{Datasets: 1, Records: 3},
			run:     caseRecordScalars,
		},
		{
			ID: "RECORDS-TEXT", Kind: Documented, Decision: "D-11",
			Quote:   `Uploads one block [...]. Records are **processed in ascending block number, then in the order given inside the block**. [...] ` + "`" + `outputDatasets` + "`" + ` maps output slot → dataset name, where the results are read from.`,
			Rule:    "The records processed are the records submitted: text values from the suite's table of hard texts (characters outside the Basic Multilingual Plane, emoji sequences, combining marks, right-to-left text, line feeds, CR LF, carriage returns, tabs, the Unicode line breaks U+2028, U+2029 and NEL, control characters XML 1.0 cannot hold (BEL, VT, ESC, DEL, ...), a leading byte order mark, leading and trailing spaces, an empty string, which is not null, backslashes, quotes, HTML and JSON specials; one sent with its characters as \\u escapes, surrogate pairs included), one a block, in blocks numbered so that their text order and arrival order differ from ascending order; numbers from the suite's table of hard numbers (2^53−1 and its negative, the largest integers a float64 holds exactly, negative numbers, decimals, exponents), kept as the same value; true, false and null, kept as sent (D-11: refused, they differ); and three records equal to each other (two in one block, one in the next), each processed; read back exactly and in ascending block order from the input and, after a job of the copying workflow, from its output (documented). A NUL, a text of 5,000 characters, integers past 2^53 and decimals of more than 15 significant digits are edges (JSON promises no more than a float64 holds): a refusal with a 4xx, or a long number read back as another value, differs from D-11; taken, the texts are kept exactly.",
			Creates: "1 complete dataset (47 records), 1 job",
			Cost:    Cost{Datasets: 1, Jobs: 1, Records: 47},
			run:     caseRecordsText,
		},
		{
			ID: "DATA-READ", Kind: Decided, Decision: "D-10",
			Rule:    "GET /Dataset/{name}/data reads records back, 1,000 per page from page 1, in processing order; a page past the end is [] (D-10, inferred: no page documents it).",
			Creates: "1 dataset (1,500 records)",
			Cost:    Cost{Datasets: 1, Records: 1500},
			run:     caseDataRead,
		},
	}
}

// cannotRead records that a dataset's records could not be read back: the read endpoint is
// decided (D-10), so this is a difference, not a failure; what needed the records is not checked.
func (c *check) cannotRead(dataset string, err error) {
	if st := apiStatus(err); st == 0 || st >= 500 {
		c.Errorf("reading dataset %s back: %v", dataset, err)
		return
	}
	c.Differ("D-10", "Dataset_GetData", fmt.Sprintf("records of %s cannot be read back: %v", dataset, err), c.last("Dataset_GetData").String())
}

// blockBody is a block upload body.
func blockBody(block int, recs any) map[string]any {
	return map[string]any{"blockNumber": block, "records": recs}
}

// uploadPath is the escaped path of a dataset's records.
func uploadPath(name string) string { return datasetPath(name) + "/data" }

// recordCount returns the dataset's recordCount, ending the case on failure. An incomplete input
// dataset whose recordCount is 0 while it holds records is a server that counts them at completion
// (see countsAtCompletion): the number of records read back stands for the count.
func (c *check) recordCount(name string) int64 {
	ds, err := c.dataset(name)
	if err != nil {
		c.Fatalf("GET /Dataset/%s: %v", name, err)
	}
	if ds.Input && !ds.Completed && ds.RecordCount == 0 {
		if recs, _, _, err := c.readRaw(name, 1<<20); err == nil && len(recs) > 0 && c.countsAtCompletion(name) {
			return int64(len(recs))
		}
	}
	return ds.RecordCount
}

func caseUploadMax(c *check) {
	name := c.newDataset("max", seqColumns())
	over := func(from int) []map[string]any {
		recs := make([]map[string]any, 1001)
		for i := range recs {
			recs[i] = map[string]any{"seq": from + i, "tag": "over"}
		}
		return recs
	}
	// 1,001 records as the first block the dataset receives, then a full block, then 1,001 again.
	if r := c.raw(http.MethodPatch, uploadPath(name), nil, blockBody(0, over(5000)), withToken); !c.want4xx("a block of 1,001 records, the first block of a new dataset", r) {
		return
	}
	if n := c.recordCount(name); n != 0 {
		c.Errorf("after a refused first block of 1,001 records: recordCount %d, want 0 (the block must not be stored)", n)
	}
	c.upload(name, seqRecords(0, 1000, "m"), 0, 1000)
	if n := c.recordCount(name); n != 1000 {
		c.Errorf("after a block of 1,000 records: recordCount %d, want 1000", n)
	}
	r := c.raw(http.MethodPatch, uploadPath(name), nil, blockBody(1, over(1000)), withToken)
	if !c.want4xx("a block of 1,001 records", r) {
		return
	}
	c.Observe("1,001 records: %s", r)
	if n := c.recordCount(name); n != 1000 {
		c.Errorf("after the refused block of 1,001: recordCount %d, want 1000 (the block must not be stored)", n)
	}
	// Refused blocks change nothing: the dataset takes block 1 and its completion, and reads back
	// 1,001 records (a full page, then a page of one).
	c.stillOpen(name, seqRecords(0, 1000, "m"), 1, "two blocks of 1,001 records were refused")
}

func caseUploadOverwrite(c *check) {
	name := c.newDataset("overwrite", seqColumns())
	c.upload(name, seqRecords(0, 3, "first"), 0, 1000)
	second := seqRecords(100, 2, "second")
	c.upload(name, second, 0, 1000)
	if n := c.recordCount(name); n != 2 {
		c.Errorf("block 0 uploaded with 3 records, then again with 2: recordCount %d, want 2", n)
	}
	got, err := c.readAll(name)
	if err != nil {
		c.cannotRead(name, err)
		return
	}
	c.compareRecords("block 0 uploaded with 3 records, then again with 2 (the second upload only is wanted)", got, second)
}

// orderBlocks are the block numbers UPLOAD-ORDER sends, in the order it sends them: ascending
// order differs from arrival order, from the order of their decimal text (10 before 2) and from
// first-digit order, and there are gaps. 40000 and 70000 lie past what a 16-bit number holds (they
// come before block 0, or among the small numbers, if the server stores the number in 16 bits).
var orderBlocks = []int{11, 3, 40000, 4, 100, 0, 70000, 20, 2, 1, 10, 9}

// largeBlock reports whether a block number lies past 32,767 (D-9 sets no upper bound: a server
// refusing it differs from D-9, and its other blocks are still checked).
func largeBlock(b int) bool { return b > 32767 }

func caseUploadOrder(c *check) {
	name := c.newDataset("order", seqColumns())
	// Two records a block, block b holding seq 2b and 2b+1, one block at a time in a scrambled order.
	// Block 20 holds two equal records: a block keeps every record given, in order, equal or not.
	blockRecords := func(b int) []client.Record {
		if b == 20 {
			r := seqRecords(2*b, 1, "order twice")
			return append(r, seqRecords(2*b, 1, "order twice")...)
		}
		return seqRecords(2*b, 2, "order")
	}
	var sent []int
	for _, b := range orderBlocks {
		if largeBlock(b) {
			_, err := c.client.Upload(c.ctx, name, recordSource(blockRecords(b)), client.UploadOptions{StartBlock: b, BlockSize: 2, Concurrency: 1})
			if st := apiStatus(err); st >= 400 && st < 500 {
				c.Differ("D-9", "Dataset_UploadBlock", fmt.Sprintf("block number %d refused: %s", b, outcome(err)), c.last("Dataset_UploadBlock").String())
				continue
			} else if err != nil {
				c.Fatalf("uploading block %d to %s: %v", b, name, err)
			}
		} else {
			c.upload(name, blockRecords(b), b, 2)
		}
		sent = append(sent, b)
	}
	if n := c.recordCount(name); n != int64(2*len(sent)) {
		c.Errorf("recordCount %d, want %d", n, 2*len(sent))
	}
	got, err := c.readAll(name)
	if err != nil {
		c.cannotRead(name, err)
		return
	}
	var want []client.Record
	for _, b := range slices.Sorted(slices.Values(sent)) {
		want = append(want, blockRecords(b)...)
	}
	if ok, why, _ := sameRecords(got, want); !ok {
		seqs := make([]string, len(got))
		for i, r := range got {
			seqs[i] = jsonText(r["seq"])
		}
		c.Errorf("blocks sent in the order %v: %s; read back seq %s, want blocks in ascending number", sent, why, strings.Join(seqs, ","))
		return
	}
	c.compareRecords("blocks in ascending number", got, want)
}

func caseUploadCompleted(c *check) {
	name := c.completeInput("completed", seqColumns(), seqRecords(0, 1, "c"))
	_, err := c.client.Upload(c.ctx, name, recordSource(seqRecords(1, 1, "after")), client.UploadOptions{StartBlock: 1, Concurrency: 1})
	if st := apiStatus(err); st != http.StatusBadRequest {
		c.Errorf("uploading a block to complete dataset %s: %s; want 400", name, outcome(err))
	} else {
		c.Observe("upload to a complete dataset: %s", c.last("Dataset_UploadBlock"))
	}
	if n := c.recordCount(name); n != 1 {
		c.Errorf("complete dataset %s: recordCount %d after a refused upload, want 1", name, n)
	}
	c.readsExactly(name, seqRecords(0, 1, "c"), fmt.Sprintf("complete dataset %s after a refused upload", name))
}

func caseUpload404(c *check) {
	name := c.datasetName("nosuch")
	_, err := c.client.Upload(c.ctx, name, recordSource(seqRecords(0, 1, "x")), client.UploadOptions{Concurrency: 1})
	c.want404(fmt.Sprintf("uploading to unknown dataset %s", name), err, "Dataset_UploadBlock", true)
}

// caseUploadGaps sends raw blocks: the client never sends an empty block.
func caseUploadGaps(c *check) {
	name := c.newDataset("gaps", seqColumns())
	try := func(what string, block int, recs []map[string]any) bool {
		r := c.raw(http.MethodPatch, uploadPath(name), nil, blockBody(block, recs), withToken)
		switch {
		case r.is2xx():
			c.Observe("%s: %s", what, r)
			return true
		case r.is4xx():
			c.Differ("D-9", "Dataset_UploadBlock", what+" is refused", evidence(http.MethodPatch, uploadPath(name), r))
		default:
			c.Errorf("%s: answered %s; want 2xx (or a 4xx)", what, r)
		}
		return false
	}
	rec := func(seq int) map[string]any { return map[string]any{"seq": seq, "tag": "gap"} }
	var want []client.Record
	if try("block 0", 0, []map[string]any{rec(0)}) {
		want = append(want, rec(0))
	}
	if try("block 5 after block 0 (a gap)", 5, []map[string]any{rec(5)}) {
		want = append(want, rec(5))
	}
	try("empty block 7", 7, []map[string]any{})
	if try("block 2", 2, []map[string]any{rec(2), rec(3)}) && try("block 2 again, empty", 2, []map[string]any{}) {
		got, err := c.readAll(name)
		if err != nil {
			c.cannotRead(name, err)
			return
		}
		c.compareRecords("blocks 0 (1 record), 5 (1), 7 (empty), 2 (2 records), then block 2 re-sent empty and taken, which overwrites its earlier records", got, want)
	}
}

func caseUploadBadBlockNumber(c *check) {
	name := c.newDataset("badblock", seqColumns())
	accepted := false
	recs := []map[string]any{{"seq": 1, "tag": "x"}}
	for _, b := range []struct {
		what string
		body map[string]any
	}{
		{"missing blockNumber", map[string]any{"records": recs}},
		{"blockNumber -1", blockBody(-1, recs)},
		{"blockNumber 1.5", map[string]any{"blockNumber": 1.5, "records": recs}},
		{`blockNumber "0"`, map[string]any{"blockNumber": "0", "records": recs}},
		{"blockNumber null", map[string]any{"blockNumber": nil, "records": recs}},
	} {
		r := c.raw(http.MethodPatch, uploadPath(name), nil, b.body, withToken)
		c.decidedRefusalRaw(b.what, "D-9", "Dataset_UploadBlock", http.MethodPatch, uploadPath(name), r)
		accepted = accepted || r.is2xx()
	}
	if n := c.recordCount(name); n != 0 && !accepted {
		c.Errorf("after refused blocks: recordCount %d, want 0", n)
	}
	if !accepted {
		c.stillOpen(name, nil, 0, "blocks of bad block numbers were refused")
	}
}

func caseUploadNonObject(c *check) {
	name := c.newDataset("nonobject", seqColumns())
	accepted := false
	for _, b := range []struct {
		what string
		rec  any
	}{
		{"a number record", 1},
		{"a string record", "seq"},
		{"an array record", []any{1, "x"}},
		{"a null record", nil},
	} {
		accepted = c.faultAtEveryPlace(name, b.what, "D-9", d9RecordRule, "", func(int) any { return b.rec }) || accepted
	}
	if n := c.recordCount(name); n != 0 && !accepted {
		c.Errorf("after refused blocks: recordCount %d, want 0", n)
	}
	if !accepted {
		c.stillOpen(name, nil, 0, "blocks of records that are not objects were refused")
	}
}

func caseUploadUnknownColumn(c *check) {
	name := c.newDataset("unknowncol", seqColumns())
	recs := []client.Record{{"seq": 0, "tag": "ok"}, {"seq": 1, "nosuch": "x"}}
	before := len(c.exchangesOf(c.res.ID))
	_, err := c.client.Upload(c.ctx, name, recordSource(recs), client.UploadOptions{Columns: []string{"seq", "tag"}, Concurrency: 1})
	if !errors.Is(err, client.ErrInvalidRecord) || len(c.exchangesOf(c.res.ID)) != before {
		c.Errorf("client: Upload of a record with an unknown column (columns known) = %s; want ErrInvalidRecord without sending", outcome(err))
	}
	accepted := c.faultAtEveryPlace(name, "a record with unknown column nosuch", "D-9", d9RecordRule, "nosuch", func(seq int) any {
		return map[string]any{"seq": seq, "nosuch": "x"}
	})
	if accepted {
		return
	}
	if n := c.recordCount(name); n != 0 {
		c.Errorf("after the refused blocks: recordCount %d, want 0", n)
	}
	c.stillOpen(name, nil, 0, "blocks naming an unknown column were refused")
}

func caseUploadBadValue(c *check) {
	name := c.newDataset("badvalue", seqColumns())
	accepted := false
	for _, b := range []struct {
		what  string
		value any
	}{
		{"a record with an object value", map[string]any{"x": 1}},
		{"a record with an array value", []any{1, 2}},
	} {
		accepted = c.faultAtEveryPlace(name, b.what, "D-11", d11ValueRule, "tag", func(seq int) any {
			return map[string]any{"seq": seq, "tag": b.value}
		}) || accepted
	}
	if !accepted {
		c.stillOpen(name, nil, 0, "blocks of object and array values were refused")
	}
}

// The decided sentences of the per-record rules of a block, as docs/contract.md words them.
const (
	d9RecordRule = "D-9 (\"a record that is not an object, or a record naming a column the dataset does not have → `400` with `errors` naming the offending member\")"
	d11ValueRule = "D-11 (\"values are JSON strings, numbers, booleans or null\")"
	placeQuote   = "\"Records are **processed in ascending block number, then in the order given inside the block**\""
)

// recordPlaces are the places in a block where a per-record rule of an upload (D-9, D-11) is
// checked: the first record (of two), one in the middle (records[12] of 25, the contract's
// example) and the last of a full block of 1,000. A server that checks some records of a block and
// not others (the first alone, the first few) refuses the fault at one place and takes it at another.
var recordPlaces = []struct{ pos, size int }{{0, 2}, {12, 25}, {999, 1000}}

// recordIndex finds the record indexes an errors member names (records[12].foo, Records[12].Foo).
var recordIndex = regexp.MustCompile(`(?i)records\[([0-9]+)\]`)

// faultAtEveryPlace sends, as block 0 of incomplete input dataset name (of seqColumns), a block at
// each of recordPlaces whose one record at that place, bad(seq), breaks a per-record rule (point,
// worded by rule; what describes the record, member the member the errors should name, "" for the
// record itself); the other records are good. Each refusal or acceptance is judged as the decided
// point's (decidedRefusalRaw); a refusal whose errors name another record is observed, and one that
// names no record differs from D-9. Refused at one place and taken at another, the server breaks its
// own reading of the rule: a record's place in its block decides only when it is processed, so that
// fails, with what the taken block reads back as. It reports whether any block was taken.
func (c *check) faultAtEveryPlace(name, what, point, rule, member string, bad func(seq int) any) bool {
	var refused, taken []string
	var readBack string
	for _, pl := range recordPlaces {
		recs := make([]any, pl.size)
		for i := range recs {
			recs[i] = map[string]any{"seq": i, "tag": "place"}
		}
		recs[pl.pos] = bad(pl.pos)
		at := fmt.Sprintf("%s at records[%d] of a block of %d", what, pl.pos, pl.size)
		r := c.raw(http.MethodPatch, uploadPath(name), nil, blockBody(0, recs), withToken)
		c.decidedRefusalRaw(at, point, "Dataset_UploadBlock", http.MethodPatch, uploadPath(name), r)
		switch {
		case r.is4xx():
			refused = append(refused, fmt.Sprintf("records[%d] of %d (%d)", pl.pos, pl.size, r.Status))
			c.namesRecord(at, point, r, pl.pos, member, name)
		case r.is2xx():
			taken = append(taken, fmt.Sprintf("records[%d] of %d (%d)", pl.pos, pl.size, r.Status))
			if readBack == "" {
				readBack = c.storedAt(name, pl.pos)
			}
		}
	}
	if len(refused) > 0 && len(taken) > 0 {
		c.Errorf("%s: refused at %s, taken at %s (block 0 then reads back %s); refusing it at one place and storing it at another breaks the server's own reading of %s, and a record's place decides only when it is processed (%s)",
			what, strings.Join(refused, ", "), strings.Join(taken, ", "), readBack, rule, placeQuote)
	}
	return len(taken) > 0
}

// namesRecord judges the errors of the 4xx r to a block (what) whose fault is its record pos
// (member, when not "", the member of it at fault): errors naming another record are observed, and
// errors naming no record (nor the member) differ from D-9, which decides that they name it.
func (c *check) namesRecord(what, point string, r *response, pos int, member, name string) {
	members := r.errorMembers()
	named := false
	var others []string
	for _, m := range members {
		idx := recordIndex.FindAllStringSubmatch(m, -1)
		if len(idx) == 0 {
			named = named || member != "" && strings.Contains(strings.ToLower(m), member)
			continue
		}
		for _, x := range idx {
			if x[1] == fmt.Sprint(pos) {
				named = true
			} else {
				others = append(others, m)
			}
		}
	}
	switch {
	case named:
	case len(others) > 0:
		c.Observe("%s: the 4xx's errors name %q, not records[%d]", what, others, pos)
	case point == "D-9":
		want := fmt.Sprintf("records[%d]", pos)
		if member != "" {
			want += "." + member
		}
		c.Differ("D-9", "Dataset_UploadBlock", fmt.Sprintf("%s: the 4xx's errors do not name %s (members %q)", what, want, members), evidence(http.MethodPatch, uploadPath(name), r))
	}
}

// storedAt describes what dataset name's records read back as at index pos (raw, every value as
// sent back, records that are not objects too), for a failure's evidence.
func (c *check) storedAt(name string, pos int) string {
	var all []json.RawMessage
	for page := 1; page <= 4; page++ {
		r := c.raw(http.MethodGet, uploadPath(name), url.Values{"page": {fmt.Sprint(page)}}, nil, withToken)
		var recs []json.RawMessage
		if !r.is2xx() || r.decodeExact(&recs) != nil {
			return fmt.Sprintf("(page %d of its records answered %s)", page, r)
		}
		if len(recs) == 0 {
			break
		}
		all = append(all, recs...)
		if len(all) > pos {
			return fmt.Sprintf("records[%d] = %s, page %d", pos, termsafe.Trim(string(recs[pos-(len(all)-len(recs))]), 120), page)
		}
	}
	return fmt.Sprintf("%d records, none at records[%d]", len(all), pos)
}

func caseRecordScalars(c *check) {
	cols := map[string]int{"s": 0, "i": 1, "f": 1, "b": 0, "z": 0}
	name := c.newDataset("scalars", cols)
	sent := []client.Record{
		{"s": "Ünïcödé text", "i": 42, "f": 2.5, "b": true, "z": nil},
		{"s": "", "i": -7, "f": 1e-3, "b": false},
		{"s": "only a string"},
	}
	c.upload(name, sent, 0, 1000)
	got, err := c.readAll(name)
	if err != nil {
		c.cannotRead(name, err)
		return
	}
	if len(got) != len(sent) {
		c.Differ("D-11", "Dataset_GetData", fmt.Sprintf("read back %d records of %d", len(got), len(sent)), c.last("Dataset_GetData").String())
		return
	}
	for i := range sent {
		if same, exact := sameRecord(got[i], sent[i]); !same || !exact {
			c.Differ("D-11", "Dataset_GetData", fmt.Sprintf("record %d reads back as %s; sent %s", i, jsonText(got[i]), jsonText(sent[i])), c.last("Dataset_GetData").String())
		}
	}
	_, present := got[2]["i"]
	if present {
		c.Observe("a column left out reads back as %s", jsonText(got[2]["i"]))
	} else {
		c.Observe("a column left out reads back absent (the contract reads it as null)")
	}
	c.Observe("values read back: %s", jsonText(got[0]))
}

func caseDataRead(c *check) {
	name := c.newDataset("read", seqColumns())
	sent := seqRecords(0, 1500, "r")
	c.upload(name, sent, 0, 1000)
	// Raw pages until an empty one (or more pages than 1,500 records can fill, one a page).
	var pages []int
	var got []client.Record
	var first *response
	for page := 1; page <= len(sent)+1; page++ {
		path := uploadPath(name) + "?page=" + fmt.Sprint(page)
		r := c.raw(http.MethodGet, uploadPath(name), url.Values{"page": {fmt.Sprint(page)}}, nil, withToken)
		if page > 1 && r.Status == http.StatusNotFound {
			// "No such page": the end, said otherwise than D-10 decides; what was read is judged.
			c.Differ("D-10", "Dataset_GetData", fmt.Sprintf("page %d, after %d records, is answered 404, not []", page, len(got)), evidence(http.MethodGet, path, r))
			break
		}
		if !r.is2xx() {
			if r.Status >= 500 {
				c.Errorf("GET data page %d: answered %s", page, r)
			} else {
				c.Differ("D-10", "Dataset_GetData", fmt.Sprintf("page %d of the records is refused (no read endpoint?)", page), evidence(http.MethodGet, path, r))
			}
			return
		}
		var recs []client.Record
		if err := r.decodeExact(&recs); err != nil {
			c.Differ("D-10", "Dataset_GetData", "a page of records is not a bare JSON array of records", evidence(http.MethodGet, path, r))
			return
		}
		if page == 1 {
			first = r
		}
		pages = append(pages, len(recs))
		got = append(got, recs...)
		if len(recs) == 0 || len(got) > len(sent) {
			break
		}
	}
	c.Observe("pages of 1,500 records hold %v records", pages)
	if per := pages[0]; per != 1000 && per < len(sent) {
		ptr := "#/paths/" + strings.ReplaceAll(c.spec.Operation("Dataset_GetData").Path, "/", "~1") + "/get/responses/200"
		text := fmt.Sprintf("pages of records hold %d records, not 1,000", per)
		c.Differ("D-10", "Dataset_GetData", fmt.Sprintf("%s (pages %v for 1,500 records)", text, pages), evidence(http.MethodGet, uploadPath(name)+"?page=1", first),
			note(ptr, text),
			action{target: jsonPath(ptr + "/content/application~1json/schema"), description: text, update: map[string]any{"maxItems": per}})
	}
	if ok, why, _ := sameRecords(got, sent); !ok {
		c.Differ("D-10", "Dataset_GetData", "1,500 records in blocks 0 and 1 read back page by page: "+why, evidence(http.MethodGet, uploadPath(name)+"?page=1", first))
		return
	}
	// The project's client reads the same records (a mismatch is the client's fault, not the
	// server's: it is observed here and belongs to the client's tests).
	viaClient, err := c.readAll(name)
	if err != nil {
		c.Observe("the project's client could not read the records back: %v", err)
	} else if ok, why, _ := sameRecords(viaClient, sent); !ok {
		c.Observe("the project's client read the records back wrong: %s", why)
	}
}

// textBlocks are block numbers whose ascending order differs from their text order ("10" before
// "2") and from the order they are sent in (the order of this list); one for each hard text and
// one for the text sent as \u escapes, so that no two share a block.
var textBlocks = []int{100, 2, 10, 9, 0, 11, 20, 1, 3, 12, 101, 19, 4, 200, 5, 1000, 21, 6, 30, 40, 16, 300, 17, 18, 2000, 31, 22, 1001}

func caseRecordsText(c *check) {
	cols := map[string]int{"seq": 1, "text": 0, "num": 1, "flag": 0}
	name := c.newDataset("text", cols)
	type sent struct {
		block int
		rec   client.Record
	}
	var kept []sent
	// One hard text a block, so that a text a server refuses leaves the others.
	for i, h := range hardTexts() {
		b := textBlocks[i%len(textBlocks)]
		rec := client.Record{"seq": i, "text": h.text}
		r := c.raw(http.MethodPatch, uploadPath(name), nil, blockBody(b, []client.Record{rec}), withToken)
		switch {
		case r.is2xx():
			kept = append(kept, sent{b, rec})
		case r.is4xx() && h.edge:
			c.Differ("D-11", "Dataset_UploadBlock", fmt.Sprintf("a text value holding %s is refused", h.label), evidence(http.MethodPatch, uploadPath(name), r))
		default:
			c.Errorf("block %d, a record whose text holds %s (%s): answered %s; want 2xx", b, h.label, describeLen(h.text), r)
		}
	}
	// Hard numbers, in a column of code 1, one block of those a server must take (block 7) and
	// one of the edges (block 8); then three records equal to each other, two in block 13 and one
	// in block 14: a job processes each of them (records are not a set).
	var plain, edges []client.Record
	for k, n := range hardNumbers() {
		rec := client.Record{"seq": 100 + k, "num": json.Number(n.text)}
		if n.edge {
			edges = append(edges, rec)
		} else {
			plain = append(plain, rec)
		}
	}
	if r := c.raw(http.MethodPatch, uploadPath(name), nil, blockBody(7, plain), withToken); r.is2xx() {
		for _, rec := range plain {
			kept = append(kept, sent{7, rec})
		}
	} else {
		c.Errorf("block 7, records of hard numbers %s: answered %s; want 2xx", jsonText(plain), r)
	}
	if r := c.raw(http.MethodPatch, uploadPath(name), nil, blockBody(8, edges), withToken); r.is2xx() {
		for _, rec := range edges {
			kept = append(kept, sent{8, rec})
		}
	} else if r.is4xx() {
		c.Differ("D-11", "Dataset_UploadBlock", "records of integers past 2^53 or decimals past 15 significant digits are refused", evidence(http.MethodPatch, uploadPath(name), r))
	} else {
		c.Errorf("block 8, records of long numbers %s: answered %s; want 2xx (or a 4xx)", jsonText(edges), r)
	}
	// Booleans and null (D-11: a server may refuse them, a difference), in block 15: taken, they
	// are kept as sent (not 1 and 0, not the text "null").
	scalars := []client.Record{{"seq": 300, "flag": true}, {"seq": 301, "flag": false}, {"seq": 302, "flag": nil, "text": nil}}
	if r := c.raw(http.MethodPatch, uploadPath(name), nil, blockBody(15, scalars), withToken); r.is2xx() {
		for _, rec := range scalars {
			kept = append(kept, sent{15, rec})
		}
	} else if r.is4xx() {
		c.Differ("D-11", "Dataset_UploadBlock", "records of boolean and null values are refused", evidence(http.MethodPatch, uploadPath(name), r))
	} else {
		c.Errorf("block 15, records of boolean and null values %s: answered %s; want 2xx (or a 4xx)", jsonText(scalars), r)
	}
	twin := client.Record{"seq": 200, "text": "a record sent three times", "num": 3}
	for _, b := range []struct {
		block int
		recs  []client.Record
	}{{13, []client.Record{twin, twin}}, {14, []client.Record{twin}}} {
		if r := c.raw(http.MethodPatch, uploadPath(name), nil, blockBody(b.block, b.recs), withToken); r.is2xx() {
			for _, rec := range b.recs {
				kept = append(kept, sent{b.block, rec})
			}
		} else {
			c.Errorf("block %d, %d records equal to each other %s: answered %s; want 2xx", b.block, len(b.recs), jsonText(b.recs), r)
		}
	}
	// The same kind of text with its characters sent as JSON \u escapes: an emoji as a surrogate
	// pair, a line feed, a NUL-free control (tab), a quote and a backslash.
	i := len(hardTexts())
	b := textBlocks[i%len(textBlocks)]
	escaped := fmt.Sprintf(`{"blockNumber":%d,"records":[{"seq":%d,"text":"\ud83d\ude00 \ud835\udd18 \u00e9\u0301 \n\r\n\t \" \\ \u05e9"}]}`, b, i)
	want := "😀 𝔘 \u00e9\u0301 \n\r\n\t \" \\ ש"
	if r := c.raw(http.MethodPatch, uploadPath(name), nil, escaped, withToken); r.is2xx() {
		kept = append(kept, sent{b, client.Record{"seq": i, "text": want}})
	} else {
		c.Errorf("block %d %s (text as \\u escapes): answered %s; want 2xx", b, escaped, r)
	}
	slices.SortStableFunc(kept, func(x, y sent) int { return x.block - y.block })
	var wantRecs []client.Record
	for _, k := range kept {
		wantRecs = append(wantRecs, k.rec)
	}
	// edgeValues lets the edge numbers (block 8) read back as another value: a difference from
	// D-11, not a broken rule; every other value is compared exactly.
	edgeValues := func(where string, got []client.Record) []client.Record {
		want := slices.Clone(wantRecs)
		if len(got) != len(want) {
			return want
		}
		for i, k := range kept {
			if k.block != 8 {
				continue
			}
			if same, _ := sameRecord(got[i], want[i]); !same && jsonText(got[i]["seq"]) == jsonText(want[i]["seq"]) {
				c.Differ("D-11", "Dataset_GetData", fmt.Sprintf("%s: a long number reads back as %s; sent %s", where, jsonText(got[i]), jsonText(want[i])), c.last("Dataset_GetData").String())
				want[i] = got[i]
			}
		}
		return want
	}
	got, err := c.readAll(name)
	if err != nil {
		c.cannotRead(name, err)
		return
	}
	if !c.compareRecords("hard text and number values and equal records, read back in ascending block number", got, edgeValues("the input", got)) {
		return
	}
	if _, err := c.completeDataset(name, int64(len(wantRecs))); err != nil {
		c.Fatalf("completing %s with its %d records: %v", name, len(wantRecs), err)
	}
	_, out := c.runEchoJob("hard texts", name)
	if got, err = c.readAll(out); err != nil {
		c.cannotRead(out, err)
		return
	}
	c.compareRecords(fmt.Sprintf("the output of %s over hard text and number values and three equal records in blocks %v", c.cfg.Workflow, blockList(kept, func(k sent) int { return k.block })), got, edgeValues("the output", got))
}

// blockList maps xs to block numbers, for messages.
func blockList[T any](xs []T, f func(T) int) []int {
	out := make([]int, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}
