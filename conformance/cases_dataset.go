package conformance

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/data8-toolkit/data8/client"
)

// datasetCases are the cases of creating, reading and completing datasets.
func datasetCases() []Case {
	return []Case{
		{
			ID: "DATASET-CREATE", Kind: Documented, Decision: "D-7",
			Quote:   `Creates an **input** dataset (output datasets are only made by jobs). [...] The new dataset is **incomplete**. GET /Dataset/{name}: Full details: ` + "`" + `Dataset = {name, columns, input, recordCount, completed}` + "`" + `.`,
			Rule:    "POST /Dataset creates an incomplete input dataset with the given columns; GET /Dataset/{name} gives name, columns, input, recordCount, completed (documented); the answer is the Dataset (D-7).",
			Creates: "1 dataset",
			Cost:    Cost{Datasets: 1},
			run:     caseDatasetCreate,
		},
		{
			ID: "DATASET-NAME-PATTERN", Kind: Documented, Decision: "D-7", SendsInvalid: true,
			Quote:   `Name is **unique**, matches ` + "`" + `^[a-z][a-z0-9_]*$` + "`" + `.`,
			Rule:    "Dataset names match ^[a-z][a-z0-9_]*$ (documented): a bad name (upper case, a digit, underscore or other character first, a dash, a space, a control character, a trailing line feed, a letter or digit of another script, and a dash, capital or space at the 65th, 101st, 256th or 300th character of a long name) gets 400 (D-7) and no dataset; names that match (a trailing underscore, digits) are taken. No length limit is documented: a valid name of 300 characters is refused with a 4xx (observed) or kept whole (the answer, GET by the full name, the list); if it is kept, a name that differs from it only in its last character is another name (unique names, not unique first characters): taken and kept whole too, the first still found. Our client refuses bad names before sending. (One-letter names: SCALE-SHORT-NAMES.)",
			Creates: "6 datasets",
			Cost:    Cost{Datasets: 6},
			run:     caseDatasetNamePattern,
		},
		{
			ID: "DATASET-COLUMN-NAME-PATTERN", Kind: Documented, Decision: "D-7",
			Quote:   `` + "`" + `columns` + "`" + ` is required and maps column name (same naming rule) to an integer type code.`,
			Rule:    "Column names follow the dataset naming rule ^[a-z][a-z0-9_]*$ (documented): a bad column name (as for datasets: control characters, a trailing line feed or CR LF, a leading line feed, DEL, the suite's look-alikes of other scripts and of compatibility forms that NFKC maps onto a-z and 0-9, alone and after a letter, a bad character past the 64th, 100th or 255th character of a long name) gets 400 (D-7) and no dataset (GET finds none, and the list of input datasets lists none of them), and the name stays free (a correct create of the first and the last name refused succeeds); names that match (one letter among them, and words a store may keep for itself: id, key, value, order, select, null, ...) are taken and read back as sent, each with a code of its own sent out of alphabetical order and read back exactly, and a record with a value in each reads back whole; a valid column name of 300 characters is refused with a 4xx (observed: no length limit is documented) or kept whole. Our client refuses bad names before sending.",
			Creates: "4 datasets (1 record)",
			Cost:    Cost{Datasets: 4, Records: 1},
			run:     caseColumnNamePattern,
		},
		{
			ID: "DATASET-UNIQUE", Kind: Documented, Decision: "D-7",
			Quote:   `Name is **unique**`,
			Rule:    "Dataset names are unique (documented): creating a second dataset of the same name is refused, 400 or 409 (D-7, lenient); of 4 creates of one new name sent at once, exactly one succeeds; a refused create changes nothing: both datasets then take a block and its completion and read back its record; names alike only as a pattern ('_' as a SQL LIKE wildcard: x__b after x_ab) or as a slug (x__c and x_c_ after x_c) are other names, each created and read back as itself.",
			Creates: "7 datasets (2 of them completed with 1 record)",
			Cost:    Cost{Datasets: 7, Records: 2},
			run:     caseDatasetUnique,
		},
		{
			ID: "DATASET-COLUMNS-REQUIRED", Kind: Documented, Decision: "D-7", SendsInvalid: true,
			Quote:   `` + "`" + `columns` + "`" + ` is required`,
			Rule:    "`columns` is required (documented): no columns, or an empty map, gets 400 (D-7); the name stays free (a correct create of it then succeeds).",
			Creates: "1 dataset",
			Cost:    Cost{Datasets: 1},
			run:     caseColumnsRequired,
		},
		{
			ID: "DATASET-COLUMN-CODES", Kind: Documented, Decision: "D-11",
			Quote:   "`columns` is required and maps column name (same naming rule) to an integer type code. [...] Full details: `Dataset = {name, columns, ...}`",
			Rule:    "Column type codes are opaque integers; a client must not reject codes it does not know (D-11): a server may refuse a code it does not know (a difference), but the dataset it creates maps each column to the code sent, and GET /Dataset/{name} reads back every code as sent, each with its own column, the columns sent in reverse alphabetical order (0, 1, 2, 7 and 42; and, in a second dataset, 255, 256, 1,000, 70,000, 16,777,217 and 2,147,483,647, past what a byte, 16 bits or a float32 hold and the largest int32, and in a third -1 and -7; documented).",
			Creates: "3 datasets",
			Cost:    Cost{Datasets: 3},
			run:     caseColumnCodes,
		},
		{
			ID: "DATASET-MANY-COLUMNS", Kind: Documented, Decision: "D-7",
			Quote:   "`columns` is required and maps column name (same naming rule) to an integer type code. [...] Full details: `Dataset = {name, columns, ...}`",
			Rule:    "Datasets of 100 and of 300 columns (codes 0, 1, 2 and 7 in turn), sent from the last column name to the first: GET /Dataset/{name} reads back every column with its code, and a record with a value in every column reads back whole (documented). No page says how many columns a dataset may have: a refused create differs from D-7.",
			Creates: "2 datasets (1 record each)",
			Cost:    Cost{Datasets: 2, Records: 2},
			run:     caseManyColumns,
		},
		{
			ID: "DATASET-404", Kind: Documented, Decision: "D-4",
			Quote:   `Unknown name in a path: documented text ("does not exist").`,
			Rule:    `GET /Dataset/{name} of an unknown name is an error ("does not exist", documented), 404 with a problem body (D-4); so are names that differ from an existing dataset's only in case (as decided, D-4: a server comparing names ignoring case may find the dataset itself by them, on every route, answered under its own name, which is observed, and no write is sent through them; an answer under the name asked, another dataset, or a name found on one route and unknown on another fails), in a space before or after it, or in a letter in fullwidth form (NFKC folds it onto the letter), and names near it (without its last character, with a character added, with its last character changed, with a character replaced by '_' or its end by '%', LIKE patterns that match it), on every route naming a dataset: GET, GET data, an upload and a completion (with the dataset's own count, 0) of each is an error, and the dataset reads back empty and incomplete after them.`,
			Creates: "1 dataset",
			Cost:    Cost{Datasets: 1},
			run:     caseDataset404,
		},
		{
			ID: "DATASET-COMPLETE", Kind: Documented, Decision: "D-8",
			Quote:   `Marks an **incomplete input** dataset complete: body ` + "`" + `{"recordCount": N, "completed": true}` + "`" + `. [...] Answers the updated ` + "`" + `Dataset` + "`" + `.`,
			Rule:    `PUT /Dataset/{name} {"recordCount": N, "completed": true} marks an incomplete input dataset complete (documented), whatever it holds: one of 3 records (read just before: incomplete; right after: complete), and one that holds none (recordCount 0), which then refuses a block with 400; both keep the column codes given (a code 7 no record tells). The answer is the updated Dataset (documented): completed true, and name, input, recordCount and columns as the GET right after it reads them, not the dataset as it was before the update (what recordCount means before completion is decided, D-8; after it, it is what is read back). Every completion of the suite that succeeds, in every case and in the model tier, is held to the same.`,
			Creates: "2 datasets (3 records)",
			Cost:    Cost{Datasets: 2, Records: 3},
			run:     caseDatasetComplete,
		},
		{
			ID: "DATASET-COMPLETE-TWICE-400", Kind: Documented,
			Quote:   `Output dataset, or already complete: **400**. Once complete it can be used by a job.`,
			Rule:    "Completing a dataset that is already complete gets 400 (documented): a second completion after the first, and of 4 completions of one incomplete dataset sent at once exactly one succeeds and every other gets 400; the dataset is then complete with its count. A refused completion changes nothing: the first dataset reads back as it was, and the second is the input of a job of the copying workflow, whose output holds its record (documented).",
			Creates: "2 datasets (1 record each), 1 job",
			Cost:    Cost{Datasets: 2, Jobs: 1, Records: 2},
			run:     caseCompleteTwice,
		},
		{
			ID: "DATASET-COMPLETE-COUNT", Kind: Decided, Decision: "D-8",
			Rule:    "recordCount is the number of records uploaded; a server may reject a mismatch with 400 (D-8). Observes what a count of 3 for 2 records gets. Refused, it changes nothing (documented): the dataset, incomplete still, takes a block and a completion with its true count, and reads back its 3 records.",
			Creates: "1 dataset (2 records; 3 when the count is refused)",
			Cost:    Cost{Datasets: 1, Records: 3},
			run:     caseCompleteCount,
		},
	}
}

func caseDatasetCreate(c *check) {
	name := c.datasetName("create")
	cols := map[string]int{"firstname": 0, "lastname": 0, "priority": 1}
	ds, err := c.client.CreateDataset(c.ctx, name, cols)
	if err != nil {
		c.Fatalf("creating %s: %v", name, err)
	}
	c.Observe("%s", c.last("Dataset_Create"))
	// The answer is decided (D-7); what GET gives is documented.
	answer := c.last("Dataset_Create").String()
	c.checkNewDataset("the answer to POST /Dataset", ds, name, cols, func(format string, args ...any) {
		c.Differ("D-7", "Dataset_Create", fmt.Sprintf(format, args...), answer)
	})
	got, err := c.client.GetDataset(c.ctx, name)
	if err != nil {
		c.Fatalf("GET /Dataset/%s: %v", name, err)
	}
	c.checkNewDataset("GET /Dataset/{name}", got, name, cols, c.Errorf)
}

// checkNewDataset checks that ds is a new, empty, incomplete input dataset, reporting each
// difference with report.
func (c *check) checkNewDataset(what string, ds *client.Dataset, name string, cols map[string]int, report func(string, ...any)) {
	if ds.Name != name {
		report("%s: name %q, want %q", what, ds.Name, name)
	}
	if !ds.Input {
		report("%s: input is false; POST /Dataset creates an input dataset", what)
	}
	if ds.Completed {
		report("%s: completed is true; a new dataset is incomplete", what)
	}
	if ds.RecordCount != 0 {
		report("%s: recordCount %d, want 0", what, ds.RecordCount)
	}
	if !maps.Equal(ds.Columns, cols) {
		report("%s: columns %v, want %v", what, ds.Columns, cols)
	}
}

// lookAlikes are characters that look like, fold onto or normalise to the letters, digits and
// underscore of ^[a-z][a-z0-9_]*$ without being them: letters and digits of other scripts, the
// characters case-insensitive matching folds onto a-z (the Kelvin sign onto k, the long s onto s, the
// dotless i), and those an NFKC normalisation maps onto ASCII (fullwidth forms, superscript digits,
// ligatures, small roman numerals). Every naming rule (dataset and column names) is tried with each.
var lookAlikes = []string{
	"\u0430",                   // Cyrillic a
	"\u212a",                   // Kelvin sign
	"\u017f",                   // long s
	"\u0131",                   // dotless i
	"\uff41",                   // fullwidth a
	"\uff46\uff55\uff4c\uff4c", // fullwidth "full"
	"\uff10",                   // fullwidth digit zero
	"\uff3f",                   // fullwidth low line
	"\u0663",                   // Arabic-Indic digit three
	"\u00b2",                   // superscript two
	"\u2170",                   // small roman numeral one
	"\ufb01",                   // the ligature fi
}

// storeWords are valid column names that a store may use for names of its own (a document key, SQL
// words, literals): a column of each name must hold the values sent like any other.
var storeWords = []string{"id", "key", "value", "name", "order", "select", "from", "null", "true", "index", "rowid", "type", "count"}

// badDatasetNames are names that break ^[a-z][a-z0-9_]*$, unique to the run.
func (c *check) badDatasetNames() []string {
	base := c.cfg.Prefix + c.runID
	out := []string{
		strings.ToUpper(base[:1]) + base[1:] + "_upper",
		"9" + base + "_digit_first",
		"_" + base + "_underscore_first",
		base + "-dash",
		base + " space",
		base + "_dot.x",
		base + "_é",
		"",
		// A regular expression whose $ matches before a final line feed lets these through.
		base + "\n",
		base + "\r\n",
		"\n" + base,
		// Control characters.
		base + "\t",
		base + "_\x00",
		base + "_\x7f",
		base + "_\x01x",
		base + " ",
		"\u0430" + base[1:], // starting with a Cyrillic a
	}
	for _, x := range lookAlikes {
		out = append(out, base+"_"+x)
	}
	// Long names with a bad character far in: past the 64th, 100th and 255th character, where a
	// check of the first characters, or a cut, would stop.
	for _, pos := range forbiddenPositions {
		for _, ch := range []rune{'-', 'A', ' '} {
			out = append(out, withCharAt(base+"_long_", pos, pos, ch, 'x'), withCharAt(base+"_long_", pos, pos+3, ch, 'y'))
		}
	}
	return out
}

func caseDatasetNamePattern(c *check) {
	for _, name := range c.badDatasetNames() {
		before := len(c.exchangesOf(c.res.ID))
		_, err := c.client.CreateDataset(c.ctx, name, map[string]int{"a": 0})
		if !errors.Is(err, client.ErrValidation) || len(c.exchangesOf(c.res.ID)) != before {
			c.Errorf("client: CreateDataset(%s) = %v and sent %d requests; want ErrValidation without sending", describeLen(name), err, len(c.exchangesOf(c.res.ID))-before)
		}
		r := c.raw(http.MethodPost, "/Dataset", nil, map[string]any{"name": name, "columns": map[string]int{"a": 0}}, withToken)
		if c.wantRefused400(fmt.Sprintf("POST /Dataset name %s", describeLen(name)), "D-7", "Dataset_Create", http.MethodPost, "/Dataset", r) && name != "" {
			if g := c.raw(http.MethodGet, datasetPath(name), nil, nil, withToken); g.is2xx() {
				c.Errorf("dataset %s exists after its creation was refused", describeLen(name))
			}
		}
	}
	// A long name, and one that differs from it only in its last character: two names (names are
	// unique, not their first characters), each taken if the first was.
	long := padTo(c.datasetName("long")+"_", 300, 'x')
	if c.longNameKept(long, "") {
		c.longNameKept(long[:len(long)-1]+"y", long)
	}
	// And names that keep the rule are taken, each exactly as sent.
	base := c.cfg.Prefix + c.runID
	for _, name := range []string{base + "_", base + "__9", base + "_z9_x", base + "0"} {
		ds, err := c.client.CreateDataset(c.ctx, name, map[string]int{"a": 0})
		if err != nil {
			c.Errorf("creating dataset %q, a name that matches the rule: %v", name, err)
			continue
		}
		if got, err := c.dataset(name); err != nil || got.Name != name {
			c.Errorf("GET /Dataset/{name} of new dataset %q: %v (answered name %q, created %q)", name, err, nameOf(got), ds.Name)
		}
	}
}

// longNameKept creates a dataset of a long valid name: no length limit is documented, so a
// refusal with a 4xx is observed, unless twin, a dataset of the same length already taken, names
// the dataset whose name differs from this one only in its last character (this name is free,
// and a name of its length was taken: a refusal fails). A dataset created must be kept under the
// whole name (the answer, GET /Dataset/{name} of the full name, the list). It reports whether the
// name was taken.
func (c *check) longNameKept(name, twin string) bool {
	n := len(name)
	r := c.raw(http.MethodPost, "/Dataset", nil, map[string]any{"name": name, "columns": map[string]int{"a": 0}}, withToken)
	switch {
	case r.is4xx() && twin != "":
		c.Errorf("POST /Dataset named %s, which differs from dataset %s only in its last character: answered %s; want 2xx (names are unique, and a name of this length was taken)", describeLen(name), describeLen(twin), r)
		return false
	case r.is4xx():
		c.Observe("a dataset name of %d characters is refused: %s", n, r)
		return false
	case !r.is2xx():
		c.Errorf("POST /Dataset named %s: answered %s", describeLen(name), r)
		return false
	}
	defer func() {
		if twin != "" {
			if got, err := c.dataset(twin); err != nil || got.Name != twin {
				c.Errorf("GET /Dataset/{name} of dataset %s after the create of %s, which differs from it only in its last character: %v (named %s)", describeLen(twin), describeLen(name), err, describeLen(nameOf(got)))
			}
		}
	}()
	var ans client.Dataset
	if r.decode(&ans) == nil && ans.Name != "" && ans.Name != name {
		c.Errorf("the answer to POST /Dataset names the dataset %s; sent %s", describeLen(ans.Name), describeLen(name))
	}
	if got, err := c.dataset(name); err != nil || got.Name != name {
		c.Errorf("GET /Dataset/{name} of new dataset %s: %v (named %s)", describeLen(name), err, describeLen(nameOf(got)))
	}
	found := 0
	for ref, err := range c.client.ListDatasets(c.ctx, client.ListDatasetsOptions{}) {
		if err != nil {
			c.Errorf("listing datasets: %v", err)
			return true
		}
		if ref.Name == name {
			found++
		}
	}
	if found != 1 {
		c.Errorf("the dataset list holds dataset %s %d times; want once, named as sent", describeLen(name), found)
	}
	return true
}

// nameOf is a dataset's name, or "" for none.
func nameOf(ds *client.Dataset) string {
	if ds == nil {
		return ""
	}
	return ds.Name
}

func caseColumnNamePattern(c *check) {
	var refused []struct{ name, col string }
	bad := []string{"Upper", "1digit", "_under", "has-dash", "has space", "", "nl\n", "cr_lf\r\n", "\nlead", "tab\t", "del\x7f", "caf\u00e9", "nul\x00"}
	for _, x := range lookAlikes {
		bad = append(bad, "k"+x, x)
	}
	for _, pos := range forbiddenPositions {
		bad = append(bad, withCharAt("long_", pos, pos, '-', 'x'), withCharAt("long_", pos, pos+3, 'A', 'y'))
	}
	for _, col := range bad {
		name := c.datasetName("badcol")
		before := len(c.exchangesOf(c.res.ID))
		_, err := c.client.CreateDataset(c.ctx, name, map[string]int{"ok": 0, col: 0})
		if !errors.Is(err, client.ErrValidation) || len(c.exchangesOf(c.res.ID)) != before {
			c.Errorf("client: CreateDataset with column %s = %v and sent %d requests; want ErrValidation without sending", describeLen(col), err, len(c.exchangesOf(c.res.ID))-before)
		}
		r := c.raw(http.MethodPost, "/Dataset", nil, map[string]any{"name": name, "columns": map[string]int{"ok": 0, col: 0}}, withToken)
		c.wantRefused400(fmt.Sprintf("POST /Dataset column %s", describeLen(col)), "D-7", "Dataset_Create", http.MethodPost, "/Dataset", r)
		if g := c.raw(http.MethodGet, datasetPath(name), nil, nil, withToken); g.is2xx() {
			c.Errorf("dataset %s exists after its creation was refused (%s)", name, r)
		} else if r.is4xx() {
			refused = append(refused, struct{ name, col string }{name, col})
		}
	}
	// A refused create makes no dataset: the list holds none of them either.
	var names []string
	for _, x := range refused {
		names = append(names, x.name)
	}
	c.datasetsNotListed(names, "their creates were refused for a column name")
	// A refused create leaves its name free: the first and the last name refused for a column.
	if n := len(refused); n > 0 {
		for _, x := range []struct{ name, col string }{refused[0], refused[n-1]}[:min(n, 2)] {
			c.datasetNameFree(x.name, "column "+describeLen(x.col))
		}
	}
	// Names that match the rule, words a store may keep for itself among them; a record with a value
	// in each reads back whole.
	// Each column a code of its own, sent out of alphabetical order and read back exactly; odd codes
	// hold numbers.
	cols := map[string]int{"a": 0, "a_": 1, "z9": 2, "q_1_": 3, "b__c": 4}
	for i, w := range storeWords {
		cols[w] = 5 + i
	}
	name := c.datasetName("goodcols")
	r, body := c.createDataset(name, cols)
	if !r.is2xx() {
		c.Errorf("creating %s with columns that match the rule (%s): answered %s; want 2xx", name, body, r)
		return
	}
	c.checkColumnsKept(name, body, cols)
	rec := client.Record{}
	for col, code := range cols {
		if code%2 == 1 {
			rec[col] = len(rec) + 100
		} else {
			rec[col] = "value of " + col
		}
	}
	if r := c.raw(http.MethodPatch, uploadPath(name), nil, blockBody(0, []client.Record{rec}), withToken); !r.is2xx() {
		c.Errorf("a record with a value in each column of %s (%s): answered %s; want 2xx", name, jsonText(rec), r)
	} else if back, err := c.readAll(name); err != nil {
		c.cannotRead(name, err)
	} else {
		c.compareRecords(fmt.Sprintf("a record with a value in each of columns %v", slices.Sorted(maps.Keys(cols))), back, []client.Record{rec})
	}
	// A long column name: no length limit is documented; refused (observed) or kept whole.
	long := padTo("long_", 300, 'x')
	longName := c.datasetName("longcol")
	r = c.raw(http.MethodPost, "/Dataset", nil, map[string]any{"name": longName, "columns": map[string]int{"a": 0, long: 0}}, withToken)
	switch {
	case r.is4xx():
		c.Observe("a column name of 300 characters is refused: %s", r)
	case !r.is2xx():
		c.Errorf("POST /Dataset with a column name of 300 characters: answered %s", r)
	default:
		if got, err := c.dataset(longName); err != nil {
			c.Errorf("GET /Dataset/%s: %v", longName, err)
		} else if _, ok := got.Columns[long]; !ok || len(got.Columns) != 2 {
			var names []string
			for k := range got.Columns {
				names = append(names, describeLen(k))
			}
			c.Errorf("dataset %s was created with columns a and %s; GET gives %v", longName, describeLen(long), names)
		}
	}
	if got, err := c.dataset(name); err != nil {
		c.Errorf("GET /Dataset/%s: %v", name, err)
	} else if !maps.Equal(got.Columns, cols) {
		c.Errorf("dataset %s was created with columns %v; GET gives %v", name, cols, got.Columns)
	}
}

func caseDatasetUnique(c *check) {
	name := c.newDataset("unique", map[string]int{"a": 0})
	_, err := c.client.CreateDataset(c.ctx, name, map[string]int{"a": 0})
	if err == nil {
		c.Errorf("a second POST /Dataset named %s succeeded; names are unique", name)
		return
	}
	c.wantRefusedErr("a second POST /Dataset named "+name, "D-7", "Dataset_Create", err)
	at := c.datasetName("unique_at_once")
	c.onlyOneCreated("POST /Dataset named "+at, c.sendAtOnce(http.MethodPost, "/Dataset", []byte(jsonText(map[string]any{"name": at, "columns": map[string]int{"a": 0}})), 4))
	// A refused create changes nothing: each dataset is an incomplete input dataset still.
	c.stillOpenWith(name, nil, 0, []client.Record{{"a": "after"}}, "a second create of its name was refused")
	if ds, err := c.dataset(at); err == nil && ds.Input && !ds.Completed {
		c.stillOpenWith(at, nil, 0, []client.Record{{"a": "after"}}, "3 creates of its name, sent at once with the one that made it, were refused")
	}
	// Names equal to another only as a pattern ('_' as a SQL LIKE wildcard) or as a slug (runs of
	// underscores collapsed, trailing ones dropped) are other names: each is created, and each
	// reads back as itself.
	base := c.datasetName("distinct")
	for _, n := range []string{base + "_ab", base + "_c", base + "__b", base + "__c", base + "_c_"} {
		if _, err := c.client.CreateDataset(c.ctx, n, map[string]int{"a": 0}); err != nil {
			c.Errorf("creating dataset %s, a free name (the others of %s_ab, _c, __b, __c, _c_ created before it differ from it in a character or in their underscores): %s; names are unique, not alike", n, base, outcome(err))
			continue
		}
		if got, err := c.dataset(n); err != nil || got.Name != n {
			c.Errorf("GET /Dataset/{name} of new dataset %s: %v (named %q)", n, err, nameOf(got))
		}
	}
}

func caseColumnsRequired(c *check) {
	name := c.datasetName("nocols")
	if _, err := c.client.CreateDataset(c.ctx, name, map[string]int{}); !errors.Is(err, client.ErrValidation) {
		c.Errorf("client: CreateDataset with no columns = %s; want ErrValidation", outcome(err))
	}
	accepted := false
	for _, body := range []map[string]any{{"name": name}, {"name": name, "columns": nil}, {"name": name, "columns": map[string]int{}}} {
		r := c.raw(http.MethodPost, "/Dataset", nil, body, withToken)
		what := fmt.Sprintf("POST /Dataset %s", jsonText(body))
		if _, empty := body["columns"].(map[string]int); empty {
			// "columns is required" is documented; that an empty map counts as none is decided.
			c.decidedRefusalRaw(what, "D-7", "Dataset_Create", http.MethodPost, "/Dataset", r)
			accepted = accepted || r.is2xx()
			continue
		}
		c.wantRefused400(what, "D-7", "Dataset_Create", http.MethodPost, "/Dataset", r)
	}
	if g := c.raw(http.MethodGet, datasetPath(name), nil, nil, withToken); g.is2xx() && !accepted {
		c.Errorf("dataset %s exists after its creation without columns was refused", name)
	} else if !accepted {
		c.datasetNameFree(name, "no columns")
	}
}

func caseColumnCodes(c *check) {
	cols := map[string]int{"text": 0, "number": 1, "two": 2, "seven": 7, "unusual": 42}
	if !c.codesKept("codes", cols) {
		return
	}
	c.Observe("codes %v accepted and kept as sent", cols)
	// Codes past what one byte or 16 bits hold, past what a float32 holds exactly (2^24+1) and the
	// largest int32: a server may refuse them (D-11), but codes taken are kept as sent.
	c.codesKept("codes_large", map[string]int{"c255": 255, "c256": 256, "c1000": 1000, "c70000": 70000, "c2pow24plus1": 1<<24 + 1, "cmaxint32": 1<<31 - 1})
	c.codesKept("codes_negative", map[string]int{"minus1": -1, "minus7": -7})
}

// codesKept creates a dataset labelled label with columns cols, sent out of alphabetical order
// (createWithColumns): a refusal differs from D-11 (a server may refuse codes it does not know), but
// codes taken read back as sent, each with its own column (documented). It reports whether the
// dataset was created and read back with the codes sent.
func (c *check) codesKept(label string, cols map[string]int) bool {
	name := c.datasetName(label)
	r, body := c.createWithColumns(name, cols)
	switch {
	case r.is4xx():
		c.Differ("D-11", "Dataset_Create", fmt.Sprintf("column codes %v are refused", cols), evidence(http.MethodPost, "/Dataset", r))
		return false
	case !r.is2xx():
		c.Errorf("creating a dataset with column codes (%s): answered %s; want 2xx", body, r)
		return false
	}
	got, err := c.dataset(name)
	if err != nil {
		c.Errorf("GET /Dataset/%s: %v", name, err)
		return false
	}
	if !maps.Equal(got.Columns, cols) {
		c.Errorf("dataset %s created with %s (members not in alphabetical order) reads back with columns %s: the codes taken are not the codes kept, each with its column", name, body, jsonText(got.Columns))
		return false
	}
	return true
}

// caseManyColumns creates datasets of 100 and 300 columns and reads every column and a value in
// each back.
func caseManyColumns(c *check) {
	codes := []int{0, 1, 2, 7}
	for _, n := range []int{100, 300} {
		name := c.datasetName(fmt.Sprintf("cols%d", n))
		cols := make(map[string]int, n)
		rec := client.Record{}
		for i := range n {
			col := fmt.Sprintf("c%03d", i)
			cols[col] = codes[i%len(codes)]
			if cols[col] == 1 {
				rec[col] = i
			} else {
				rec[col] = fmt.Sprintf("v%03d", i)
			}
		}
		// Sent from c%03d down to c000 (createWithColumns): each code must stay with its column.
		if r, _ := c.createDataset(name, cols); r.is4xx() {
			c.Differ("D-7", "Dataset_Create", fmt.Sprintf("a dataset of %d columns is refused", n), evidence(http.MethodPost, "/Dataset", r))
			continue
		} else if !r.is2xx() {
			c.Errorf("creating a dataset of %d columns (c000..c%03d, sent in reverse order): answered %s; want 2xx", n, n-1, r)
			continue
		}
		got, err := c.dataset(name)
		if err != nil {
			c.Fatalf("GET /Dataset/%s: %v", name, err)
		}
		if !maps.Equal(got.Columns, cols) {
			var missing, changed []string
			for _, k := range slices.Sorted(maps.Keys(cols)) {
				if v, ok := got.Columns[k]; !ok {
					missing = append(missing, k)
				} else if v != cols[k] {
					changed = append(changed, fmt.Sprintf("%s:%d (sent %d)", k, v, cols[k]))
				}
			}
			c.Errorf("dataset %s created with %d columns (c000..c%03d) reads back with %d columns; missing %v; codes changed %v", name, n, n-1, len(got.Columns), missing, changed)
			continue
		}
		r := c.raw(http.MethodPatch, uploadPath(name), nil, blockBody(0, []client.Record{rec}), withToken)
		if !r.is2xx() {
			c.Errorf("a record with a value in each of the %d columns of %s: answered %s; want 2xx", n, name, r)
			continue
		}
		back, err := c.readAll(name)
		if err != nil {
			c.cannotRead(name, err)
			continue
		}
		c.compareRecords(fmt.Sprintf("a record with a value in each of %d columns", n), back, []client.Record{rec})
	}
}

func caseDataset404(c *check) {
	name := c.datasetName("nosuch")
	_, err := c.client.GetDataset(c.ctx, name)
	c.want404("GET /Dataset/{name} of an unknown name", err, "Dataset_GetByName", true)
	// Names that differ from a dataset's only in spaces around it or in a compatibility form of a
	// letter (fullwidth, which NFKC folds onto ASCII) are unknown names (no dataset can be named so),
	// and so are names near it (a prefix of it, one longer, its last character changed, LIKE patterns
	// that match it): on every route that names a dataset, GET, GET data, an upload and a completion
	// of each is an error ("does not exist", documented), answered with no dataset, and the dataset
	// itself stays as it was: empty and incomplete. A lookup that trims the path or normalises it
	// must not find the dataset on any of them. A name that differs only in letter case is unknown
	// too, as decided (D-4), unless the server compares names ignoring case (a case-insensitive
	// collation, SQL Server's default): then it is the dataset's own name on every route
	// (sameInOtherCase), and no write is sent through it, as it would reach the dataset itself.
	known := c.newDataset("known", map[string]int{"a": 0})
	cased := []nearMiss{{strings.ToUpper(known), "it in upper case"}, {strings.ToUpper(known[:1]) + known[1:], "it with its first letter in upper case"}}
	others := []nearMiss{
		{" " + known, "it after a space"}, {known + " ", "it before a space"},
		{string(rune(0xFF41+rune(known[0]-'a'))) + known[1:], "it with its first letter in fullwidth form (NFKC folds it onto the letter)"},
	}
	for _, m := range slices.Concat(cased, others, nearMisses(known)) {
		if slices.Contains(cased, m) && c.sameInOtherCase(known, m) {
			continue
		}
		what := fmt.Sprintf("%q (dataset %s %s, which names no dataset)", m.name, known, m.what)
		for _, q := range []struct {
			method, path string
			body         any
		}{
			{http.MethodGet, datasetPath(m.name), nil},
			{http.MethodGet, uploadPath(m.name), nil},
			{http.MethodPatch, uploadPath(m.name), blockBody(0, []client.Record{{"a": "near"}})},
			// recordCount 0, the dataset's own: a lookup that finds the dataset completes it.
			{http.MethodPut, datasetPath(m.name), map[string]any{"recordCount": 0, "completed": true}},
		} {
			if q.method != http.MethodGet && c.cfg.BehindValidatingProxy && client.ValidateDatasetName(m.name) != nil {
				// The upload and the completion name an input dataset by the documented name rule
				// (the spec's DatasetName): a validating proxy refuses other names itself.
				continue
			}
			r := c.raw(q.method, q.path, nil, q.body, withToken)
			if !r.is4xx() {
				c.Errorf("%s %s, %s: answered %s; want \"does not exist\" (404, D-4)", q.method, q.path, what, r)
			}
		}
	}
	if d, err := c.client.GetDataset(c.ctx, known); err != nil {
		c.Errorf("GET /Dataset/%s after the calls on names near it: %v", known, err)
	} else if d.Completed || d.RecordCount != 0 {
		c.Errorf("GET /Dataset/%s after uploads to and completions of names near it (each refused or not): completed %v, recordCount %d; want it incomplete and empty, as made", known, d.Completed, d.RecordCount)
	}
	if recs, err := c.readAll(known); err == nil && len(recs) > 0 {
		c.Errorf("dataset %s reads back %d records after uploads to names near it; want none (nothing was uploaded to it): %v", known, len(recs), recs)
	}
}

// sameInOtherCase reads GET /Dataset/{name} of m, a name that differs from dataset known's only in
// letter case, and reports whether the server found known itself by it. That is observed (D-4: a
// server comparing names ignoring case, as a case-insensitive collation does) when the answer is
// dataset known under its own stored name, and GET of its records by m finds it too: a name is the
// dataset's on every route, or unknown on every route. An answer under the name asked, or naming
// another dataset, fails: a lookup finds the one dataset of that name and answers it as it is.
func (c *check) sameInOtherCase(known string, m nearMiss) bool {
	r := c.raw(http.MethodGet, datasetPath(m.name), nil, nil, withToken)
	if !r.is2xx() {
		return false // unknown, as decided: the caller checks it is unknown on every route
	}
	var got client.Dataset
	switch err := r.decode(&got); {
	case err != nil || got.Name == "":
		c.Errorf("GET %s, %q (dataset %s %s): answered %s, which names no dataset; want \"does not exist\" (404, D-4), or dataset %s as it is (a server comparing names ignoring case)", datasetPath(m.name), m.name, known, m.what, r, known)
	case got.Name == m.name:
		c.Errorf("GET %s, %q (dataset %s %s): answered a dataset under the name asked, %q; want \"does not exist\" (404, D-4), or dataset %s under its own name (a server comparing names ignoring case finds the dataset, which keeps its name)", datasetPath(m.name), m.name, known, m.what, got.Name, known)
	case got.Name != known:
		c.Errorf("GET %s, %q (dataset %s %s): answered dataset %q, another dataset; want \"does not exist\" (404, D-4), or dataset %s itself", datasetPath(m.name), m.name, known, m.what, got.Name, known)
	default:
		c.Differ("D-4", "Dataset_GetByName", "a dataset name in other letter case finds the dataset, answered under its own name (names compared ignoring case)", evidence(http.MethodGet, datasetPath(m.name), r))
	}
	if d := c.raw(http.MethodGet, uploadPath(m.name), nil, nil, withToken); !d.is2xx() {
		c.Errorf("GET %s: answered %s, though GET %s found dataset %s: a name is the dataset's on every route or unknown on every route (\"does not exist\", documented)", uploadPath(m.name), d, datasetPath(m.name), known)
	}
	return true
}

func caseDatasetComplete(c *check) {
	// A column of a code no record tells (7) and details read just before the completion: the
	// completion keeps the codes given, and a read right after it sees it.
	cols := map[string]int{"seq": 1, "tag": 0, "note": 7}
	name := c.newDataset("complete", cols)
	c.upload(name, seqRecords(0, 3, "c"), 0, 1000)
	if st := c.state(name); st.completed {
		c.Errorf("dataset %s reads complete before its completion", name)
	}
	ds, err := c.completeDataset(name, 3)
	if err != nil {
		c.Fatalf("completing %s with 3 records: %v", name, err)
	}
	c.Observe("%s: completed %v, recordCount %d", c.last("Dataset_UpdateByName"), ds.Completed, ds.RecordCount)
	got, err := c.client.GetDataset(c.ctx, name)
	if err != nil {
		c.Fatalf("GET /Dataset/%s: %v", name, err)
	}
	if !got.Completed || got.RecordCount != 3 || !got.Input {
		c.Errorf("after completing (GET just before it said incomplete): completed %v, recordCount %d, input %v; want true, 3, true", got.Completed, got.RecordCount, got.Input)
	}
	if !maps.Equal(got.Columns, cols) {
		c.Errorf("dataset %s created with columns %v reads back with columns %v after its completion", name, cols, got.Columns)
	}
	// An incomplete input dataset that holds no record is one too; once complete it takes no block.
	empty := c.newDataset("complete_empty", cols)
	if _, err := c.completeDataset(empty, 0); err != nil {
		c.Errorf("completing %s, an incomplete input dataset holding no record, with recordCount 0: %v; want it complete", empty, err)
		return
	}
	if got, err := c.client.GetDataset(c.ctx, empty); err != nil {
		c.Errorf("GET /Dataset/%s: %v", empty, err)
	} else if !got.Completed || got.RecordCount != 0 || !got.Input || !maps.Equal(got.Columns, cols) {
		c.Errorf("after completing %s with no record: completed %v, recordCount %d, input %v, columns %v; want true, 0, true, %v", empty, got.Completed, got.RecordCount, got.Input, got.Columns, cols)
	}
	if r := c.raw(http.MethodPatch, uploadPath(empty), nil, blockBody(0, seqRecords(0, 1, "late")), withToken); r.Status != http.StatusBadRequest {
		c.Errorf("a block for %s, complete with no record: answered %s; want 400 (a complete dataset cannot be changed)", empty, r)
	}
	if n := c.recordCount(empty); n != 0 {
		c.Errorf("complete dataset %s, completed with no record: recordCount %d after a block sent to it; want 0", empty, n)
	}
	c.readsExactly(empty, nil, fmt.Sprintf("complete dataset %s, completed with no record, after a refused block", empty))
}

func caseCompleteTwice(c *check) {
	name := c.newDataset("twice", seqColumns())
	c.upload(name, seqRecords(0, 1, "t"), 0, 1000)
	if _, err := c.completeDataset(name, 1); err != nil {
		c.Fatalf("completing %s: %v", name, err)
	}
	_, err := c.client.CompleteDataset(c.ctx, name, 1)
	if st := apiStatus(err); st != http.StatusBadRequest {
		c.Errorf("completing %s a second time: %s; want 400", name, outcome(err))
		return
	}
	c.Observe("second completion: %s", c.last("Dataset_UpdateByName"))
	c.readsExactly(name, seqRecords(0, 1, "t"), fmt.Sprintf("complete dataset %s after a second completion was refused", name))
	if other := c.completeAtOnce(4); other != "" {
		c.stillJobInput("twice", other, seqRecords(0, 1, "t"), "3 completions refused, sent at once with the one that completed it")
	}
}

// completeAtOnce sends n completions of a new incomplete input dataset of 1 record at once:
// exactly one succeeds, every other gets 400 (already complete), and the dataset is then complete
// with its count. It returns the dataset's name when it is complete.
func (c *check) completeAtOnce(n int) string {
	name := c.newDataset("twice_at_once", seqColumns())
	c.upload(name, seqRecords(0, 1, "t"), 0, 1000)
	statuses := c.sendAtOnce(http.MethodPut, datasetPath(name), []byte(jsonText(map[string]any{"recordCount": 1, "completed": true})), n)
	ok, refused := tally(statuses, is400)
	if ok != 1 || refused != n-1 {
		c.Errorf("%d completions of incomplete dataset %s (1 record) sent at once: answered %v; want exactly one 2xx and 400 for every other (already complete)", n, name, statuses)
	}
	if st := c.state(name); !st.completed || st.count != 1 {
		c.Errorf("after %d completions of %s sent at once: completed %v, recordCount %d; want true, 1", n, name, st.completed, st.count)
		return ""
	}
	return name
}

func caseCompleteCount(c *check) {
	name := c.newDataset("count", seqColumns())
	c.upload(name, seqRecords(0, 2, "n"), 0, 1000)
	ds, err := c.client.CompleteDataset(c.ctx, name, 3)
	switch st := apiStatus(err); {
	case err == nil:
		c.checkCompletionAnswer(fmt.Sprintf(`PUT /Dataset/%s {"recordCount":3,"completed":true} (2 records uploaded)`, name), ds)
		got, gerr := c.client.GetDataset(c.ctx, name)
		if gerr != nil {
			c.Fatalf("GET /Dataset/%s: %v", name, gerr)
		}
		c.Observe("recordCount 3 for 2 records accepted: %s; the dataset then reports recordCount %d", c.last("Dataset_UpdateByName"), got.RecordCount)
	case st >= 400 && st < 500:
		c.Observe("recordCount 3 for 2 records refused: %s", c.last("Dataset_UpdateByName"))
		c.stillOpen(name, seqRecords(0, 2, "n"), 1, "a completion with recordCount 3 for its 2 records was refused")
	default:
		c.Errorf("completing 2 records with recordCount 3: %s; want 2xx or 400", outcome(err))
	}
}
