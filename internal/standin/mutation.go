package standin

// Mutation is a documented rule the server can be told to break (WithMutation). Each breaks exactly
// the rule it names, in one place, and nothing else; its doc comment quotes the sentence of
// docs/contract.md it breaks.
type Mutation int

// The mutations.
const (
	// Accept1001Records lifts the cap of 1,000 records per block.
	//
	// "At most 1,000 records per block."
	Accept1001Records Mutation = iota + 1
	// AppendInsteadOfOverwrite appends the records of a re-used block number to the block instead of
	// replacing them.
	//
	// "re-using a block number overwrites that block's earlier records"
	AppendInsteadOfOverwrite
	// IgnoreBlockOrder keeps records in the order their blocks first arrived instead of ascending block
	// number.
	//
	// "Records are processed in ascending block number, then in the order given inside the block."
	IgnoreBlockOrder
	// AcceptUploadToCompleted stores blocks uploaded to a completed input dataset instead of answering 400.
	//
	// "Dataset must be an incomplete input dataset, else 400."
	AcceptUploadToCompleted
	// SkipAuth serves API requests without checking the bearer token.
	//
	// "every request carries Authorization: Bearer <token>"
	SkipAuth
	// UnsortedDatasetList lists datasets in reverse alphabetical order.
	//
	// "Paged list of datasets, 100 per page, alphabetical"
	UnsortedDatasetList

	// DatasetNameTrailingNewline checks dataset names as a regular expression whose $ also matches
	// before a final line feed does (.NET's, Perl's): "abc\n" is taken as a name.
	//
	// "Name is unique, matches ^[a-z][a-z0-9_]*$."
	DatasetNameTrailingNewline
	// ColumnNameUnicodeLetters checks column names with Unicode character classes: any lower-case
	// letter or decimal digit of any script passes ("café", "x٣").
	//
	// "columns is required and maps column name (same naming rule) to an integer type code."
	ColumnNameUnicodeLetters
	// JobNameLastCharUnchecked looks for the characters a job name may not contain in all but its last
	// character: "report|" is taken.
	//
	// "Job names are unique and may not contain characters invalid in file names: / : * ? " < > |"
	JobNameLastCharUnchecked
	// JobNameTrimmed stores a job under its name with leading and trailing spaces removed.
	//
	// "(spaces are fine)"
	JobNameTrimmed
	// DatasetUniqueAmongInputs checks a new dataset's name against input datasets only: a dataset named
	// like a job's output dataset is created, and replaces it.
	//
	// "Name is unique"
	DatasetUniqueAmongInputs
	// JobUniqueAmongFinished checks a new job's name against finished jobs only: a second job named
	// like a queued or running one is started, and replaces it.
	//
	// "Job names are unique"
	JobUniqueAmongFinished
	// CreateTakesCompleted honours a completed member in the body of POST /Dataset: the dataset is
	// created complete.
	//
	// "The new dataset is incomplete."
	CreateTakesCompleted
	// OverwriteCompleted accepts, on a complete input dataset, a block whose number it already holds
	// (an overwrite), and stores it; new block numbers are still refused.
	//
	// "Dataset must be an incomplete input dataset, else 400."
	OverwriteCompleted
	// UploadToIncompleteOutput accepts blocks for an output dataset while it is incomplete (its job has
	// not finished), checking only that the dataset is not complete.
	//
	// "Dataset must be an incomplete input dataset, else 400."
	UploadToIncompleteOutput
	// JobTakesEmptyIncompleteInput starts a job on an incomplete input dataset that holds no records,
	// checking completeness only of datasets that hold some.
	//
	// "Input datasets must be complete first."
	JobTakesEmptyIncompleteInput
	// JobReopensInput marks a job's input datasets incomplete again once the job has read them.
	//
	// "Dataset must be complete before a job uses it (documented); it cannot be changed afterwards"
	JobReopensInput
	// BlockOrderAsText orders blocks by the decimal text of their numbers ("10" before "2"), which
	// agrees with ascending order up to block 9.
	//
	// "Records are processed in ascending block number, then in the order given inside the block."
	BlockOrderAsText
	// ConcurrentUploadLost stores a block as a read-modify-write of the dataset's blocks that is not
	// atomic: of two uploads to one dataset that overlap, one is lost, though both are answered 200.
	//
	// "Many uploads per dataset; each block has a unique number"
	ConcurrentUploadLost
	// OverwriteCountsOldRecords counts the records a re-used block number held against the cap of the
	// block that replaces them: re-sending a full block of 1,000 is refused.
	//
	// "re-using a block number overwrites that block's earlier records (so re-sending a block is
	// idempotent)"
	OverwriteCountsOldRecords
	// JobInputWholeThousands makes a job read its input in pages of 1,000 up to the last full page:
	// an input of more than 1,000 records loses its last partial thousand.
	//
	// "outputDatasets maps output slot → dataset name, where the results are read from."
	JobInputWholeThousands
	// IncludeOutputIgnored lists output datasets whatever includeOutput says (includeInput still works).
	//
	// "Two flags choose whether input and whether output datasets are included."
	IncludeOutputIgnored
	// JobListEndDateIgnored lists jobs submitted after endDate (startDate and workflow still work).
	//
	// "query page (first page 1), workflow, startDate, endDate"
	JobListEndDateIgnored
	// AllowedIPPrefixIgnored allows the network's /24 whatever prefix is given with it.
	//
	// "Allows a subnet: network plus prefix bits"
	AllowedIPPrefixIgnored
	// AllowedDomainReplaces makes an allowed domain replace the key's allowed domains instead of
	// joining them.
	//
	// "Allows a domain"
	AllowedDomainReplaces
	// BlockDropsEqualRecords keeps one of several equal records in one block (the block as a set).
	//
	// "Records are **processed in ascending block number, then in the order given inside the block**."
	BlockDropsEqualRecords
	// JobUniqueFirstPage checks a new job's name only against the 100 most recent jobs (the first page
	// of the job list): an older job's name is taken again.
	//
	// "Job names are **unique**"
	JobUniqueFirstPage
	// JobListFilterAfterPaging cuts the job list into pages of 100 before it applies workflow,
	// startDate and endDate: a filtered page holds fewer than 100 while more jobs match.
	//
	// "Jobs already submitted, **100 per page, most recent first**; query page (first page 1),
	// workflow, startDate, endDate"
	JobListFilterAfterPaging
	// OutputLocationWrong gives listed output datasets the URL of their records
	// (/Dataset/{name}/data) as location; input datasets keep the right one.
	//
	// "each carries a location with the URL of GET /Dataset/{name}"
	OutputLocationWrong
	// GivenAPIKeyIgnored generates a key even when the body gives one.
	//
	// "the key is generated when not given"
	GivenAPIKeyIgnored
	// DeletedKeyListed keeps a deleted key in GET /ApiKey (GET /ApiKey/{key} says 404).
	//
	// "All API keys of the account"
	DeletedKeyListed
	// JobSkipsGapBlocks makes a job read its input as blocks 0 to n-1, n the number of blocks: with a
	// gap in the block numbers, the blocks past it are not processed.
	//
	// "Records are **processed in ascending block number, then in the order given inside the block**."
	JobSkipsGapBlocks
	// BlockNumberInt16 orders blocks by their numbers cut to a signed 16-bit integer: 32,768 and above
	// wrap to negative numbers, and such a block comes before block 0.
	//
	// "Records are **processed in ascending block number, then in the order given inside the block**."
	BlockNumberInt16
	// DatasetCreateRace checks a new dataset's name, then lets go of the lock before it stores the
	// dataset, waiting (up to 300 ms) for another create of the same name: two creates of one name
	// sent at once both succeed, and the later replaces the earlier.
	//
	// "Name is **unique**"
	DatasetCreateRace
	// JobNameASCIIOnly refuses job names that hold any character beyond ASCII ("Café check").
	//
	// "Job names are unique and may not contain characters invalid in file names: / : * ? " < > |
	// (spaces are fine)"
	JobNameASCIIOnly
	// JobInputFilenameLost takes inputFilename at job start but does not keep it: the job reads it
	// back as null.
	//
	// "Full details ... inputFilename"
	JobInputFilenameLost
	// DatasetListPageSkipsOne starts every page of the dataset list after the first one item late:
	// the first dataset that belongs on page 2 is on no page.
	//
	// "Paged list of datasets, **100 per page, alphabetical**"
	DatasetListPageSkipsOne
	// ClientListSkipsOldest leaves the oldest OAuth client created through POST /ClientCredential out
	// of GET /ClientCredential (the loop over them starts one late).
	//
	// "The account's OAuth clients"
	ClientListSkipsOldest
	// JobCreateRace checks a new job's name, then lets go of the lock before it stores the job,
	// waiting (up to 300 ms) for another start of the same name: two jobs of one name started at
	// once both succeed, and the later replaces the earlier.
	//
	// "Job names are unique"
	JobCreateRace
	// APIKeyListFirst100 answers GET /ApiKey with the first 100 keys of the account (oldest first):
	// the keys made after the 100th are on no list (GET /ApiKey/{key} still finds them).
	//
	// "All API keys of the account: array of ApiKey."
	APIKeyListFirst100
	// KeyUpdateClearsAllowed rebuilds a key from the body of PUT /ApiKey/{key}: description, username,
	// expiry and daily limit are updated, and the allowed domains and IPs are emptied.
	//
	// "Updates description, username, expiry, daily limit."
	KeyUpdateClearsAllowed
	// KeyUpdateIgnoresLimit updates description, username and expiry but keeps the old daily limit
	// (maxRequestsPerIPPerDay, the name the create takes it by).
	//
	// "Updates description, username, expiry, daily limit."
	KeyUpdateIgnoresLimit
	// DomainLeaksToPreviousKey adds an allowed domain to the key named and also to the key created
	// just before it (a shared list).
	//
	// "Allows a domain; a key with at least one domain becomes a client-side key"
	DomainLeaksToPreviousKey
	// AllowedIPv6Refused refuses every IPv6 subnet with 400 (an IPv4-only parser); IPv4 subnets are
	// allowed as before.
	//
	// "Allows a subnet: network plus prefix bits; with prefix blank, network is read as CIDR"
	AllowedIPv6Refused
	// ClientDescriptionLost answers a new OAuth client with the description sent but stores none: GET
	// /ClientCredential/{id} and the list show "".
	//
	// "Creates one; clientId is generated (do not send it), secrets are not sent. Body and answer
	// {clientId, description, secrets}." / "One client credential."
	ClientDescriptionLost
	// KeyUsernameLost answers a new API key with the username sent but stores none: GET
	// /ApiKey/{key} shows the key without it.
	//
	// "Body {key?, description, username?, expiresOn?, maxRequestsPerIPPerDay?, isClientKey?} [...]
	// Answers the ApiKey." / "One key."
	KeyUsernameLost
	// KeyUpdateDescriptionNotStored answers PUT /ApiKey/{key} with the key as updated but keeps the
	// old description: GET /ApiKey/{key} reads it.
	//
	// "Updates description, username, expiry, daily limit."
	KeyUpdateDescriptionNotStored
	// CompleteRace checks that a dataset is not complete, then lets go of the lock before it marks it
	// complete, waiting (up to 300 ms) for another completion of the same dataset: two completions
	// sent at once both succeed.
	//
	// "Marks an **incomplete input** dataset complete [...] Output dataset, or already complete: **400**."
	CompleteRace
	// UploadStoredAfterComplete reads a dataset's state when a block arrives and stores the block
	// later without looking again (here: once the dataset has been completed and then read, or after
	// 200 ms): a block sent as the dataset is completed is answered 200 and changes the complete
	// dataset after its completion was answered.
	//
	// "Dataset must be an **incomplete input** dataset, else **400**. [...] it cannot be changed afterwards"
	UploadStoredAfterComplete
	// SameBlockRaceAppends appends, when two uploads of one block number are in flight at once, the
	// later one's records to the block instead of replacing it (the first waits up to 300 ms for the
	// second).
	//
	// "**re-using a block number overwrites** that block's earlier records"
	SameBlockRaceAppends
	// JobsShareOutput gives a job started within a second of the previous one that job's output
	// dataset: both name the same outputDatasets entry, which holds the records of the one that
	// finished last.
	//
	// "`outputDatasets` maps output slot → dataset name, where the results are read from."
	JobsShareOutput
	// FailedJobReservesName keeps the name of a job start refused for another reason than its name
	// (an incomplete or unknown input, an unknown workflow): a later correct start of that name is
	// refused as a duplicate, though no job of the name exists.
	//
	// "Job names are **unique**" (a free name is refused)
	FailedJobReservesName
	// FailedUploadClearsBlock empties the block of the number given before it checks the records: an
	// upload refused for a bad record (an unknown column, a record that is not an object, a value that
	// is an object or array) leaves its block number empty.
	//
	// "**re-using a block number overwrites** that block's earlier records" (a refused upload is no upload)
	FailedUploadClearsBlock
	// BlockTableCap128 keeps at most 128 block numbers per dataset: the upload of a 129th new block
	// number is answered 200 and dropped.
	//
	// "Many uploads per dataset; each block has a unique number"
	BlockTableCap128
	// FailedCreateReservesName keeps the name of a dataset create refused for its columns: a later
	// correct create of that name is refused as a duplicate, though no dataset of the name exists.
	//
	// "Name is **unique**" (a free name is refused)
	FailedCreateReservesName
	// JobBlockOrderAsText makes a job read its input's blocks in the order of the decimal text of
	// their numbers ("10" before "2"); reading the input dataset itself keeps ascending order.
	//
	// "Records are **processed in ascending block number, then in the order given inside the block**."
	JobBlockOrderAsText
	// JobPathPlusAsSpace decodes the name in GET /Job/{name} with query rules: a '+' left unescaped
	// in the path (legal there) reads as a space, so a job named "C++ check" is not found unless its
	// '+' is sent as %2B.
	//
	// "Job names contain spaces: escape them in the path." / "Monitor by polling GET /Job/{name}"
	JobPathPlusAsSpace
	// JobNameBMPOnly refuses job names that hold a character outside the Basic Multilingual Plane
	// (an emoji, 𝔘), as a 3-byte UTF-8 column would; other characters beyond ASCII are taken.
	//
	// "Job names are unique and may not contain characters invalid in file names: / : * ? " < > |
	// (spaces are fine)"
	JobNameBMPOnly
	// JobNameCheckFirst64 looks for the characters a job name may not contain in its first 64
	// characters only: a long name with a '/' past the 64th character is taken.
	//
	// "Job names are unique and may not contain characters invalid in file names: / : * ? " < > |"
	JobNameCheckFirst64
	// JobNameCut100 stores a job under the first 100 characters of its name: the job answers and
	// lists under the cut name, and GET /Job/{full name} is 404.
	//
	// "Monitor by polling GET /Job/{name}"
	JobNameCut100
	// DatasetNameOneCharRefused checks dataset names as ^[a-z][a-z0-9_]+$: a one-letter name is
	// refused.
	//
	// "Name is unique, matches ^[a-z][a-z0-9_]*$."
	DatasetNameOneCharRefused
	// RecordTextBMPOnly stores each character outside the Basic Multilingual Plane in a record's
	// string values as U+FFFD, as a 3-byte UTF-8 store would.
	//
	// "Records are processed in ascending block number, then in the order given inside the block."
	// (the records processed are not those submitted)
	RecordTextBMPOnly
	// RecordLineBreaksToSpace stores each line break (CR LF, LF, CR) in a record's string values as
	// a space, as a CSV staging step would.
	//
	// "Records are processed in ascending block number, then in the order given inside the block."
	// (the records processed are not those submitted)
	RecordLineBreaksToSpace
	// JobListNameCut64 lists each job under the first 64 characters of its name (a list view with a
	// shorter column); GET /Job/{name} still has the whole name.
	//
	// "Jobs already submitted, 100 per page, most recent first [...] JobRef = {name, ...}"
	JobListNameCut64
	// DatasetNameCheckFirst64 checks the naming rule on the first 64 characters of a dataset name only:
	// a long name with a dash past the 64th character is taken.
	//
	// "Name is unique, matches ^[a-z][a-z0-9_]*$."
	DatasetNameCheckFirst64
	// ColumnNameCheckFirst64 checks the naming rule on the first 64 characters of a column name only.
	//
	// "columns is required and maps column name (same naming rule) to an integer type code."
	ColumnNameCheckFirst64
	// DatasetNameCut100 stores a dataset under the first 100 characters of its name: it answers and
	// lists under the cut name, and GET /Dataset/{full name} is 404.
	//
	// "Name is unique, matches ^[a-z][a-z0-9_]*$." / "GET /Dataset/{name}: Full details"
	DatasetNameCut100
	// JobParametersBMPOnly keeps a job's parameter values with each character outside the Basic
	// Multilingual Plane stored as U+FFFD.
	//
	// "parameters maps names to string values" / "Full details ... parameters{}"
	JobParametersBMPOnly
	// CompleteEmptyRefused refuses with 400 the completion of an incomplete input dataset that holds
	// no record ("nothing to complete").
	//
	// "Marks an **incomplete input** dataset complete"
	CompleteEmptyRefused
	// HeadSkipsAuth serves HEAD requests without checking the bearer token (as for a preflight).
	//
	// "Auth: every request carries Authorization: Bearer <token>"
	HeadSkipsAuth
	// TokenMatchedButLast matches a bearer token on all but its last character: an issued token with
	// its last character changed, or with characters added, is accepted.
	//
	// "with the bearer token being obtained from the Data8 OAuth token server"
	TokenMatchedButLast
	// GivenAPIKeyUppercased stores a key given in the create body in upper case: it answers, lists
	// and reads back under the upper-case key.
	//
	// "Body {key?, ...}; the key is generated when not given"
	GivenAPIKeyUppercased
	// DeletedKeyReserved keeps a deleted key's value reserved: gone from GET and the list, but a new
	// key given that value is refused as a duplicate.
	//
	// "DELETE /ApiKey/{key}: Deletes the key."
	DeletedKeyReserved
	// KeyUpdateUpserts makes PUT /ApiKey/{key} of an unknown key create it from the body.
	//
	// "Unknown name in a path: 404 with a problem body" (documented text "does not exist")
	KeyUpdateUpserts
	// ConcurrentKeyCreateDup checks a given key's uniqueness, then releases the lock before storing it:
	// two creates of one given key at once both succeed, the second replacing the first.
	//
	// "Body {key?, ...}" / "GET /ApiKey: All API keys of the account"
	ConcurrentKeyCreateDup
	// ConcurrentDomainLost adds an allowed domain by reading the key's domains and writing them back
	// later with the new one: of domains added at once, some are lost.
	//
	// "PUT /ApiKey/{key}/allowedDomains/{domain}: Allows a domain"
	ConcurrentDomainLost
	// ClientCredListedAsKey lists each OAuth client the API created in GET /ApiKey as a key whose
	// value is its clientId.
	//
	// "API keys here are keys for Data8's validation web services; client credentials are the OAuth
	// clients for this API." / "GET /ApiKey: All API keys of the account"
	ClientCredListedAsKey
	// KeyExpiryOffsetDropped stores an API key's expiry sent in an update as its wall time in UTC,
	// the offset dropped: 2036-07-01T12:00:00+02:00 reads back as 12:00Z.
	//
	// "times in .NET round-trip form 2020-01-02T03:04:05.0000000Z (parse any RFC 3339)" / "Updates
	// description, username, expiry, daily limit."
	KeyExpiryOffsetDropped
	// RecordEmptyStringNull stores an empty string value in a record as null (an Oracle-style store).
	//
	// "Records are processed in ascending block number, then in the order given inside the block."
	// (the records processed are not those submitted)
	RecordEmptyStringNull
	// RecordNumbersAsFloat32 keeps the numbers of a record as 32-bit floating point (a single
	// precision column): 0.1 reads back as 0.10000000149011612, and an integer past 2^24 loses its
	// last digits.
	//
	// "Records are processed in ascending block number, then in the order given inside the block."
	// (the records processed are not those submitted)
	RecordNumbersAsFloat32
	// JobInputDistinct makes a job read its input as a set: of records equal to each other, the job
	// processes one (reading the input dataset itself gives them all).
	//
	// "Records are processed in ascending block number, then in the order given inside the block."
	JobInputDistinct
	// ColumnsCap64 keeps the first 64 columns of a dataset (by name) and drops the others silently.
	//
	// "columns is required and maps column name (same naming rule) to an integer type code." /
	// "Full details: Dataset = {name, columns, ...}"
	ColumnsCap64
	// EmptyBlockKeepsOld answers 200 to an empty re-send of a stored block number and keeps the
	// block's earlier records ("nothing to write").
	//
	// "re-using a block number overwrites that block's earlier records"
	EmptyBlockKeepsOld
	// JobListEndDateExclusive leaves out of a date-filtered job list a job submitted exactly at
	// endDate.
	//
	// "endDate: Only jobs submitted at or before this time."
	JobListEndDateExclusive
	// ColumnCodeClamped stores every column type code other than 0 as 1 (an "is numeric" flag).
	//
	// "columns is required and maps column name (same naming rule) to an integer type code."
	ColumnCodeClamped
	// DatasetListClampLastPage serves a dataset-list page past the end as the last page: the datasets
	// of the last page are listed again.
	//
	// "Paged list of datasets, 100 per page, alphabetical, page numbers start at 1"
	DatasetListClampLastPage
	// JobNameCheckToNUL looks for the characters a job name may not contain up to its first NUL
	// only (a C string): "report\x00/x" is taken.
	//
	// "Job names are unique and may not contain characters invalid in file names: / : * ? " < > |"
	JobNameCheckToNUL
	// JobNameTrailingSpacesEqual compares job names with their trailing spaces ignored (SQL's padded
	// comparison), in the uniqueness check and in GET /Job/{name}: "Check 1" is refused while
	// "Check 1 " exists, and GET /Job/{"Check 1 "} finds the older of the two.
	//
	// "Job names are unique [...] (spaces are fine)" / "Monitor by polling GET /Job/{name}"
	JobNameTrailingSpacesEqual
	// JobLookupIgnoresCase finds GET /Job/{name} by a comparison that ignores case (a case-insensitive
	// collation): of jobs "Case Check" and "case check", both started, GET of either gives the older.
	//
	// "GET /Job/{name}: Full details" / "Job names are unique"
	JobLookupIgnoresCase
	// JobUniqueIgnoresRunning checks a new job's name against queued and finished jobs, not running
	// ones: a second job named like a running job is started, and replaces it.
	//
	// "Job names are unique"
	JobUniqueIgnoresRunning
	// JobTakesIncompleteOutput checks that a job's input datasets are complete only when they are
	// input datasets: a job on the output dataset of an unfinished job (incomplete) is started.
	//
	// "Input datasets must be complete first."
	JobTakesIncompleteOutput
	// FailedJobLeavesOutput makes the output datasets of a job start before it checks the inputs: a
	// start refused for an incomplete or unknown input leaves an output dataset behind.
	//
	// "Creates an input dataset (output datasets are only made by jobs)" / "unknown or incomplete input
	// dataset [...] → 400" (a refused start is no job)
	FailedJobLeavesOutput
	// JobEmptyInputNoOutput finishes a job whose input holds no records without an output dataset:
	// outputDatasets is empty and the dataset it named is gone.
	//
	// "outputDatasets maps output slot → dataset name, where the results are read from."
	JobEmptyInputNoOutput
	// JobListPagesFromOldest cuts the job list into pages of 100 from the oldest job and lists each
	// page most recent first: page 1 holds the oldest 100 jobs.
	//
	// "Jobs already submitted, 100 per page, most recent first"
	JobListPagesFromOldest
	// JobListClampLastPage serves a job-list page past the end as the last page: the jobs of the last
	// page are listed again.
	//
	// "Jobs already submitted, 100 per page, most recent first; query page (first page 1)"
	JobListClampLastPage
	// JobListWorkflowIgnoredWithDates applies the workflow filter only when neither startDate nor
	// endDate is given.
	//
	// "query page (first page 1), workflow, startDate, endDate"
	JobListWorkflowIgnoredWithDates
	// JobListDatesIgnoredWithWorkflow applies startDate and endDate only when no workflow is given.
	//
	// "query page (first page 1), workflow, startDate, endDate"
	JobListDatesIgnoredWithWorkflow
	// JobListWorkflowPrefix keeps the jobs whose workflow name starts with the workflow filter
	// (a LIKE 'x%'): workflow=Ech lists the jobs of Echo.
	//
	// "query page (first page 1), workflow, startDate, endDate"
	JobListWorkflowPrefix
	// JobListDateOffsetDropped reads startDate and endDate as wall times in UTC, their offset dropped:
	// 12:00+02:00 is taken for 12:00Z.
	//
	// "times in .NET round-trip form [...] (parse any RFC 3339)" / "query [...] startDate, endDate"
	JobListDateOffsetDropped
	// JobListLosesConcurrent leaves out of the job list a job started while another start was being
	// served (a list index updated without a lock); GET /Job/{name} finds it.
	//
	// "Jobs already submitted, 100 per page, most recent first"
	JobListLosesConcurrent
	// JobNameTakenByDataset checks a new job's name against dataset names too (one table of names):
	// a job named like an existing dataset is refused as a duplicate.
	//
	// "Job names are unique" (among jobs; a free job name is refused)
	JobNameTakenByDataset
	// JobListWorkflowExistsOnly checks that the workflow filter names a workflow of the account and
	// then lists the jobs of every workflow: an unknown workflow lists nothing, a known one lists all.
	//
	// "query page (first page 1), workflow, startDate, endDate"
	JobListWorkflowExistsOnly
	// JobGetPrefixMatch answers GET /Job/{name} of a name no job has with the oldest job whose name
	// starts with it (a LIKE 'name%').
	//
	// "GET /Job/{name}: [...] Unknown name → 404."
	JobGetPrefixMatch
	// JobUniquePerWorkflow checks a new job's name against the jobs of its own workflow only: a job
	// named like a job of another workflow is started.
	//
	// "Job names are unique"
	JobUniquePerWorkflow
	// JobDropsNullRecords makes a job skip the input records whose values are all null (an empty
	// object included), as a CSV step skips blank lines; reading the input itself gives them all.
	//
	// "Records are processed in ascending block number, then in the order given inside the block."
	JobDropsNullRecords
	// JobStopsAtEmptyBlock makes a job read its input's blocks in ascending number up to the first
	// block that holds no record (an emptied block): the blocks after it are not processed.
	//
	// "Records are processed in ascending block number, then in the order given inside the block."
	JobStopsAtEmptyBlock
	// TrailingSlashSkipsAuth routes a path with a trailing slash (GET /ApiKey/) as the path without
	// it, and serves it without checking the bearer token (the token filter matches exact paths).
	//
	// "Auth: every request carries Authorization: Bearer <token>"
	TrailingSlashSkipsAuth
	// PathCaseSkipsAuth routes a path whose fixed segments differ in case from the API's (GET
	// /apikey) as the API's path, and serves it without checking the bearer token (a case-sensitive
	// token filter before a case-insensitive router).
	//
	// "Auth: every request carries Authorization: Bearer <token>"
	PathCaseSkipsAuth
	// QueryTokenAccepted takes a request without an Authorization header as authenticated by an
	// issued token in its query string (?access_token=...).
	//
	// "Auth: every request carries Authorization: Bearer <token>"
	QueryTokenAccepted
	// AuthSchemeIgnored takes the last word of the Authorization header as the token whatever the
	// scheme before it: "Basic <token>", "Token <token>" and the token alone are accepted.
	//
	// "Auth: every request carries Authorization: Bearer <token>"
	AuthSchemeIgnored
	// TokenCaseFolded matches a bearer token without regard to case: an issued token with its
	// letters in the other case is accepted.
	//
	// "with the bearer token being obtained from the Data8 OAuth token server"
	TokenCaseFolded
	// CIDRRouteSkipsAuth serves PUT /ApiKey/{key}/allowedIPs/{network}/ with a blank prefix (the CIDR
	// form, a route of its own) without checking the bearer token.
	//
	// "Auth: every request carries Authorization: Bearer <token>"
	CIDRRouteSkipsAuth
	// AuthAfterValidation checks a request's body and parameters before its bearer token: a request
	// without a valid token that is also invalid is answered 400 with the validation errors.
	//
	// "Auth: every request carries Authorization: Bearer <token>" / "Missing, invalid or expired
	// token: 401"
	AuthAfterValidation
	// OptionsServesGet answers OPTIONS on a route that has a GET operation as that GET, without
	// checking the bearer token (as a CORS preflight would be let through).
	//
	// "Auth: every request carries Authorization: Bearer <token>"
	OptionsServesGet
	// ClientSecretMatchedButLast matches a client secret at the token endpoint on all but its last
	// character: a secret with its last character changed, added to or dropped gives a token.
	//
	// "Grant: OAuth2 client credentials, scope BatchApi"
	ClientSecretMatchedButLast
	// BasicSecretUnchecked gives a token to a client authenticated with HTTP Basic whatever secret it
	// gives (the id alone is checked); client_secret_post still checks the secret.
	//
	// "Grant: OAuth2 client credentials, scope BatchApi" / "servers may also accept HTTP Basic"
	BasicSecretUnchecked
	// OtherScopeAccepted grants any scope asked for at the token endpoint, and the API takes a token
	// of any scope.
	//
	// "Grant: OAuth2 client credentials, scope BatchApi"
	OtherScopeAccepted
	// DeletedKeyWritable deletes a key softly: GET says 404 and the list leaves it out, but an
	// update, a delete, or an allowed domain or subnet of it is answered 200.
	//
	// "DELETE /ApiKey/{key}: Deletes the key." / "Unknown name in a path: 404"
	DeletedKeyWritable
	// RecreatedKeyKeepsOld revives a deleted key when a key of its value is created again: the new
	// key has the old one's allowed domains and IPs, username, expiry and daily limit.
	//
	// "DELETE /ApiKey/{key}: Deletes the key." / "POST /ApiKey: Body {key?, description, ...}.
	// Answers the ApiKey."
	RecreatedKeyKeepsOld
	// FailedKeyCreateOverwrites refuses the create of a key that exists, but stores the refused
	// create's description on the existing key.
	//
	// "PUT /ApiKey/{key}: Updates description, ..." (a refused create is no update)
	FailedKeyCreateOverwrites
	// DomainAddToggles removes an allowed domain the key already has when it is allowed again.
	//
	// "PUT /ApiKey/{key}/allowedDomains/{domain}: Allows a domain"
	DomainAddToggles
	// ConcurrentIPLost adds an allowed subnet by reading the key's subnets and writing them back
	// later with the new one (waiting up to 300 ms for another add to the key): of subnets added at
	// once, some are lost.
	//
	// "PUT /ApiKey/{key}/allowedIPs/{network}/{prefix}: Allows a subnet"
	ConcurrentIPLost
	// KeyListedAsClientCred lists each API key in GET /ClientCredential as an OAuth client whose
	// clientId is the key.
	//
	// "API keys here are keys for Data8's validation web services; client credentials are the OAuth
	// clients for this API." / "GET /ClientCredential: The account's OAuth clients"
	KeyListedAsClientCred
	// KeyLookupFindsClient answers GET /ApiKey/{key} of an OAuth client's clientId with that client
	// as a key (one table of both kinds).
	//
	// "API keys here are keys for Data8's validation web services; client credentials are the OAuth
	// clients for this API." / "Unknown name in a path: 404"
	KeyLookupFindsClient
	// ConcurrentGeneratedKeyDup generates a key from a sequence read before the lock is let go
	// (waiting up to 300 ms for another create): two creates without a key sent at once get the
	// same key, the second replacing the first.
	//
	// "the key is generated when not given" / "GET /ApiKey: All API keys of the account"
	ConcurrentGeneratedKeyDup
	// ConcurrentClientIDDup generates a clientId from a sequence read before the lock is let go
	// (waiting up to 300 ms for another create): two creates sent at once get the same clientId, the
	// second replacing the first.
	//
	// "clientId is generated" / "GET /ClientCredential: The account's OAuth clients"
	ConcurrentClientIDDup
	// KeyDescriptionBMPOnly stores (and answers) an API key's description with each character
	// outside the Basic Multilingual Plane as U+FFFD, as a 3-byte UTF-8 column would.
	//
	// "Body {key?, description, ...} [...] Answers the ApiKey." / "One key."
	KeyDescriptionBMPOnly
	// ClientDescriptionHTMLEscaped stores (and answers) an OAuth client's description HTML-escaped:
	// "<b> & co" reads back as "&lt;b&gt; &amp; co".
	//
	// "Body and answer {clientId, description, secrets}" / "One client credential."
	ClientDescriptionHTMLEscaped
	// CreateExpiryOffsetDropped stores an API key's expiry sent in its create as its wall time in UTC,
	// the offset dropped: 2036-07-01T12:00:00+02:00 reads back as 12:00Z.
	//
	// "times in .NET round-trip form 2020-01-02T03:04:05.0000000Z (parse any RFC 3339)" / "Body
	// {key?, description, username?, expiresOn?, ...}"
	CreateExpiryOffsetDropped
	// CIDRUnknownKeyOK answers 200 to PUT /ApiKey/{key}/allowedIPs/{network}/ (the CIDR form, prefix
	// blank) of a key that does not exist, doing nothing.
	//
	// "Unknown name in a path: 404 with a problem body" (documented text "does not exist")
	CIDRUnknownKeyOK
	// DatasetNameUnderscoreWildcard checks a new dataset's name for uniqueness as a SQL LIKE pattern,
	// '_' matching any one character: a create named "ab_c" is refused while "abxc" exists.
	//
	// "Name is **unique**" (a free name is refused)
	DatasetNameUnderscoreWildcard
	// ColumnNameCompatFolded checks column names after folding compatibility characters onto ASCII
	// (fullwidth letters and digits, superscript digits, the long s, ligatures, small roman
	// numerals), as an NFKC normalisation before the check would: "ｆｕｌｌ" is taken.
	//
	// "columns is required and maps column name (same naming rule) to an integer type code."
	ColumnNameCompatFolded
	// ColumnCodeByte keeps each column type code in one byte (a tinyint column): 256 reads back as 0,
	// 1000 as 232.
	//
	// "columns is required and maps column name (same naming rule) to an integer type code."
	ColumnCodeByte
	// RefusedCompleteStoresCount stores the recordCount of a completion it refuses because the
	// dataset is complete already or is an output dataset: GET /Dataset/{name} then shows that count.
	//
	// "Output dataset, or already complete: **400**." (a refused call changed the dataset)
	RefusedCompleteStoresCount
	// OutputInputUntilFinished shows an output dataset as an input dataset (GET /Dataset/{name}, the
	// list and its flags) until its job has finished.
	//
	// "Creates an **input** dataset (output datasets are only made by jobs)" / "Two flags choose
	// whether input and whether output datasets are included."
	OutputInputUntilFinished
	// CompletedEmptyTakesBlocks lets a dataset completed with no records take blocks (the state check
	// looks for a complete dataset that holds records).
	//
	// "Dataset must be an **incomplete input** dataset, else **400**. [...] it cannot be changed afterwards"
	CompletedEmptyTakesBlocks
	// RecordBooleansAsNumbers stores boolean record values as the numbers 1 and 0 (a tinyint column).
	//
	// "Records are processed in ascending block number, then in the order given inside the block."
	// (the records processed are not those submitted)
	RecordBooleansAsNumbers
	// RecordNullAsText stores a null record value as the text "null".
	//
	// "Records are processed in ascending block number, then in the order given inside the block."
	// (the records processed are not those submitted)
	RecordNullAsText
	// RecordNumericTextAsNumber stores a text value that reads as a decimal number as that number
	// (type inference): "007" reads back as 7, "1e3" as 1000.
	//
	// "Records are processed in ascending block number, then in the order given inside the block."
	// (the records processed are not those submitted)
	RecordNumericTextAsNumber
	// CompleteLeavesStaleDetails answers GET /Dataset/{name} from a cache that block uploads refresh
	// and a completion does not: read before its completion, a dataset still reads incomplete after it.
	//
	// "Marks an **incomplete input** dataset complete" / "Full details: Dataset = {name, columns,
	// input, recordCount, completed}"
	CompleteLeavesStaleDetails
	// ColumnIDOverwritten stores each record under an internal key named id: a column named id reads
	// back holding the record's place in its block, not the value sent.
	//
	// "columns is required and maps column name (same naming rule) to an integer type code." /
	// "Records are processed in ascending block number, then in the order given inside the block."
	ColumnIDOverwritten
	// DatasetUniqueFirstPage checks a new dataset's name only against the first 100 datasets in
	// alphabetical order (the first page of the list): a later one's name is taken again.
	//
	// "Name is **unique**"
	DatasetUniqueFirstPage
	// ListFlagsFirstPageOnly applies includeInput and includeOutput to the first page of the dataset
	// list only: later pages are cut from the unfiltered list.
	//
	// "Paged list of datasets, **100 per page, alphabetical** [...] Two flags choose whether input and
	// whether output datasets are included."
	ListFlagsFirstPageOnly
	// CompleteInfersColumnCodes sets, at completion, each column's type code from the records it
	// holds (1 for a column holding only numbers, else 0) instead of keeping the codes given.
	//
	// "columns is required and maps column name (same naming rule) to an integer type code." /
	// "Full details: Dataset = {name, columns, ...}"
	CompleteInfersColumnCodes
	// FirstBlockUncapped does not hold the first block a dataset receives (while it holds no block)
	// to the cap of 1,000 records; later blocks are held to it.
	//
	// "**At most 1,000 records per block.**"
	FirstBlockUncapped
	// UniqueCollapsesUnderscores compares a new dataset's name with the others after collapsing runs
	// of underscores and dropping trailing ones (a slug): "ab__c" and "ab_c_" are refused while "ab_c"
	// exists.
	//
	// "Name is **unique**" (a free name is refused)
	UniqueCollapsesUnderscores
	// DatasetLookupCaseInsensitive finds datasets by name whatever its case (a case-insensitive
	// collation), and answers the dataset under the name asked: GET /Dataset/{NAME} answers dataset
	// name as one named NAME. (Finding it, and answering it under its own name, is a valid reading,
	// D-4: ProfileCaseInsensitiveNames.)
	//
	// "Unknown name in a path: documented text ("does not exist")" / "Name [...] matches ^[a-z][a-z0-9_]*$"
	DatasetLookupCaseInsensitive
	// DatasetPathTrimmed finds datasets by the name in the path with leading and trailing spaces
	// removed: GET /Dataset/%20name answers the dataset name.
	//
	// "Unknown name in a path: documented text ("does not exist")"
	DatasetPathTrimmed
	// ColumnSQLKeywordRefused refuses with 400 column names that are SQL keywords (order, select,
	// from, ...), as a store that makes each column a table column unquoted would.
	//
	// "columns is required and maps column name (same naming rule) to an integer type code." (a
	// name that keeps the rule is refused)
	ColumnSQLKeywordRefused
	// CompleteFalseReopens takes PUT /Dataset/{name} with completed false on a complete input dataset
	// as a reopening: it answers 200 and the dataset is incomplete again (the "already complete" check
	// is made only when completed is true).
	//
	// "Output dataset, or already complete: **400**." / "it cannot be changed afterwards"
	CompleteFalseReopens
	// ColumnCodeUnsigned keeps column type codes as unsigned 32-bit integers: -1 reads back as
	// 4294967295.
	//
	// "columns is required and maps column name (same naming rule) to an integer type code."
	ColumnCodeUnsigned
	// UploadsShareTarget stores a block that arrives while an upload to another dataset is being
	// stored into that other dataset (a shared "current dataset" in the upload handler; the first
	// upload waits up to 20 ms for another).
	//
	// "Many uploads per dataset; each block has a unique number" / "Records are processed in
	// ascending block number, then in the order given inside the block." (a block lands in another
	// dataset)
	UploadsShareTarget
	// ColumnCodesSortedMismatch reads the column type codes in the order the columns are given in
	// the create body but pairs them with the column names sorted by name: {"zeta":5,"alpha":0} is
	// stored as alpha:5, zeta:0 (right whenever the columns are given in alphabetical order).
	//
	// "columns is required and maps column name (same naming rule) to an integer type code."
	ColumnCodesSortedMismatch
	// BlockOrderKeyInt32 orders blocks by the key blockNumber*1000 held in a 32-bit integer: from
	// block 2,147,484 on the key wraps negative, and those blocks come before block 0.
	//
	// "Records are processed in ascending block number, then in the order given inside the block."
	BlockOrderKeyInt32
	// UploadSchemaLastCreated checks an upload's record columns against the columns of the input
	// dataset created last, not of the dataset uploaded to: a record naming the target's own columns
	// is refused with 400 when the newest dataset lacks them.
	//
	// "Multiple uploads can be made to the same dataset." / "columns is required and maps column
	// name ... to an integer type code" (a valid upload is refused)
	UploadSchemaLastCreated
	// JobReads100Blocks has a job read only the first 100 blocks of its input (in block order): the
	// records of the 101st and later blocks are not processed. Reading the input itself is right.
	//
	// "Records are processed in ascending block number, then in the order given inside the block."
	// / "outputDatasets maps output slot → dataset name, where the results are read from."
	JobReads100Blocks
	// BasicClientCredentialsAccepted takes an API request with Authorization: Basic and the
	// account's client id and secret (the token endpoint's form) as authenticated, in place of a
	// bearer token.
	//
	// "Auth: every request carries Authorization: Bearer <token>."
	BasicClientCredentialsAccepted
	// DatasetLookupPrefix finds, for a dataset name in a path that names no dataset, the first
	// dataset (alphabetically) whose name begins with it (LIKE name + '%'), on every route that names
	// a dataset.
	//
	// "Unknown name in a path: documented text ("does not exist")."
	DatasetLookupPrefix
	// ClientCredentialUnknownFirst answers GET /ClientCredential/{id} of an id that names no client
	// with the account's first client (FirstOrDefault without the id test).
	//
	// "GET /ClientCredential/{id}: One client credential."
	ClientCredentialUnknownFirst
	// DomainSuffixDeduplicated takes a domain as already allowed on a key when a domain the key has
	// ends with it: after www.example.com, allowing example.com answers 200 and adds nothing.
	//
	// "PUT /ApiKey/{key}/allowedDomains/{domain}: Allows a domain"
	DomainSuffixDeduplicated
	// IPShortPrefixRefused refuses with 400 a subnet of fewer than 8 prefix bits (128.0.0.0/1).
	//
	// "PUT /ApiKey/{key}/allowedIPs/{network}/{prefix}: Allows a subnet: network plus prefix bits"
	IPShortPrefixRefused
	// KeyUpdatePartialOnRefusal writes the description of PUT /ApiKey/{key} before it checks the
	// daily limit: an update refused with 400 for a limit of -1 has already changed the description.
	//
	// Errors: "validation problem" (a refused call changes nothing) / "PUT /ApiKey/{key}: Updates
	// description, username, expiry, daily limit."
	KeyUpdatePartialOnRefusal
	// KeyLookupPrefix finds, for a key in a path that names no key, the first key whose value
	// begins with it, on every route that names a key.
	//
	// "Unknown name in a path: documented text ("does not exist")."
	KeyLookupPrefix
	// KeyLimitInt16 keeps an API key's daily limit in a signed 16-bit integer (a smallint column):
	// limits past 32,767 wrap (40,000 reads back as -25,536), in the create and the update.
	//
	// "PUT /ApiKey/{key}: Updates description, username, expiry, daily limit." (maxRequestsPerIPPerDay
	// is an int32)
	KeyLimitInt16
	// KeyExpiryUnix32 keeps an API key's expiry as signed 32-bit seconds since 1970: an expiry past
	// 2038-01-19T03:14:07Z wraps to 1901 (its fraction of a second is kept).
	//
	// "PUT /ApiKey/{key}: Updates description, username, expiry, daily limit." / Bodies: "times in
	// .NET round-trip form"
	KeyExpiryUnix32
	// KeyExpiryUKLocal stores an API key's expiry as UK wall time and reads it back taking the hour
	// the clocks repeat in October as summer time: an expiry from 01:00Z to 02:00Z on the last
	// Sunday of October reads back an hour early.
	//
	// Bodies: "times in .NET round-trip form ... (parse any RFC 3339)" / "PUT /ApiKey/{key}: Updates
	// ... expiry"
	KeyExpiryUKLocal
	// KeyUsernameLowercased stores an API key's username lower-cased (a login-name habit), in the
	// create and the update.
	//
	// "PUT /ApiKey/{key}: Updates description, username, expiry, daily limit."
	KeyUsernameLowercased
	// KeyUpdateEmptyKeepsOld takes a description or username sent as "" in PUT /ApiKey/{key} as not
	// sent: the old value is kept.
	//
	// "PUT /ApiKey/{key}: Updates description, username, expiry, daily limit."
	KeyUpdateEmptyKeepsOld
	// DomainHyphenRefused refuses with 400 an allowed domain holding a hyphen (a check written as
	// [a-z0-9.]+): my-shop.example.com and xn--bcher-kva.example are refused.
	//
	// "PUT /ApiKey/{key}/allowedDomains/{domain}: Allows a domain"
	DomainHyphenRefused
	// DomainCut100 stores an allowed domain cut to its first 100 characters (a varchar(100) column):
	// a longer domain (DNS allows 253) answers 200 and reads back cut.
	//
	// "PUT /ApiKey/{key}/allowedDomains/{domain}: Allows a domain"
	DomainCut100
	// IPHostBitsAsHost allows, for a network with host bits set under its prefix (192.0.2.77 with 24
	// bits), the single address instead of the subnet.
	//
	// "PUT /ApiKey/{key}/allowedIPs/{network}/{prefix}: Allows a subnet: network plus prefix bits"
	IPHostBitsAsHost
	// IPv6UpperHexRefused refuses with 400 an IPv6 network written with upper-case hex digits
	// (2001:DB8:C::), which are the same address (a lower-case-only pattern).
	//
	// "PUT /ApiKey/{key}/allowedIPs/{network}/{prefix}: Allows a subnet: network plus prefix bits"
	IPv6UpperHexRefused
	// RecordControlCharsStripped removes from record string values the control characters XML 1.0
	// cannot hold (U+0001 to U+0008, U+000B, U+000C, U+000E to U+001F; an XML staging step); tab,
	// line feed and carriage return are kept.
	//
	// page: "Records will be processed in ascending block number order, then the order in which
	// they were submitted within that block." (the records kept are not those submitted)
	RecordControlCharsStripped
	// RecordBOMStripped removes a byte order mark (U+FEFF) at the start of a record string value (a
	// text reader's habit).
	//
	// page: "Records will be processed in ... the order in which they were submitted" (the records
	// kept are not those submitted)
	RecordBOMStripped
	// RecordLineSeparatorsToSpace stores the Unicode line breaks U+2028, U+2029 and U+0085 (NEL)
	// inside record string values as a space (a JavaScript-style line split); CR and LF are kept.
	//
	// page: "Records will be processed in ... the order in which they were submitted" (the records
	// kept are not those submitted)
	RecordLineSeparatorsToSpace
	// KeyDescriptionCut255 stores an API key's description cut to its first 255 characters (an
	// nvarchar(255) column that truncates), in the create and the update.
	//
	// "PUT /ApiKey/{key}: Updates description, username, expiry, daily limit."
	KeyDescriptionCut255
	// ColumnCodeFloat32 keeps column type codes as 32-bit floats (a REAL column): codes past 2^24
	// lose their low bits (16,777,217 reads back as 16,777,216).
	//
	// "columns is required and maps column name (same naming rule) to an integer type code." / Records:
	// "a client must carry the code as an opaque integer"
	ColumnCodeFloat32
	// IPMappedPrefixClamped turns an IPv4-mapped IPv6 network (::ffff:192.0.2.0 with 120 bits) into
	// the IPv4 address and clamps the prefix to 32 bits instead of taking 96 off it: the subnet
	// becomes the single address.
	//
	// "PUT /ApiKey/{key}/allowedIPs/{network}/{prefix}: Allows a subnet: network plus prefix bits"
	IPMappedPrefixClamped
	// DomainUpperCaseRefused refuses with 400 an allowed domain holding an upper-case letter (a
	// check written as [a-z0-9.-]+ before the domain is lower-cased): Shop.Example.ORG is refused.
	//
	// "PUT /ApiKey/{key}/allowedDomains/{domain}: Allows a domain"
	DomainUpperCaseRefused
	// JobLookupLike finds, for a name in GET /Job/{name} that names no job, the oldest job the name
	// matches as a SQL LIKE pattern ('_' any one character, '%' any run of characters).
	//
	// "GET /Job/{name}: Unknown name → 404."
	JobLookupLike
	// KeyLookupLike finds, for a key in a path that names no key, the first key (in creation order)
	// the key matches as a SQL LIKE pattern, on every route that names a key.
	//
	// "Unknown name in a path: documented text ("does not exist")."
	KeyLookupLike
	// DataReadIgnoresCase finds the dataset GET /Dataset/{name}/data reads by its name in any case;
	// the other routes that name a dataset find it by its exact name.
	//
	// "Unknown name in a path: documented text ("does not exist")."
	DataReadIgnoresCase
	// DatasetLookupCompatFolded finds, for a name in a path that names no dataset, the dataset named
	// by its compatibility folding (NFKC: a fullwidth ｃ is c), on every route that names a dataset.
	//
	// "Unknown name in a path: documented text ("does not exist")."
	DatasetLookupCompatFolded
	// ClientLookupFindsKey answers GET /ClientCredential/{id} of an API key's value with a client
	// credential made of that key (one table of both kinds).
	//
	// "GET /ClientCredential/{id}: One client credential." / "API keys here are keys for Data8's
	// validation web services ...; client credentials are the OAuth clients for this API."
	ClientLookupFindsKey
	// JobOutputNameReused names a job's output dataset after the job's name turned into a dataset
	// name, without making it unique: a later job whose name turns into the same dataset name
	// (Report 1, report_1) is given the earlier job's output dataset, which it replaces.
	//
	// "outputDatasets maps output slot → dataset name, where the results are read from."
	JobOutputNameReused
	// JobUniqueBySlug compares job names for uniqueness with every character but a letter or digit
	// read as '_': a job named "a b" is refused while a job "a_b" or "a-b" exists.
	//
	// "Job names are unique and may not contain characters invalid in file names: / : * ? " < > |
	// (spaces are fine)."
	JobUniqueBySlug
	// JobLookupNormalized finds the job GET /Job/{name} names by the name's composed form (NFC): the
	// oldest job whose name composes to the same text, so that of jobs "Café" (é one character) and
	// "Café" (e and a combining accent) both lookups find the first.
	//
	// "GET /Job/{name}: Full details" / "Job names are unique"
	JobLookupNormalized
	// KeyLookupIgnoresCase finds the key a path names by its value in any case: the first key (in
	// creation order) equal to it ignoring case, on every route that names a key; keys that differ
	// only in case are still created as two keys.
	//
	// "GET /ApiKey/{key}: One key." / "Body {key?, ...}; the key is generated when not given"
	KeyLookupIgnoresCase
	// KeyDeleteByPrefix deletes, with the key DELETE /ApiKey/{key} names, every key whose value
	// begins with it.
	//
	// "DELETE /ApiKey/{key}: Deletes the key."
	KeyDeleteByPrefix
	// DatasetNameTakenByJob refuses with 400 a dataset named like a job (dataset and job names are
	// checked against one table of names).
	//
	// "Creates an input dataset ... Name is unique"
	DatasetNameTakenByJob
	// DatasetUniqueFirst64 compares dataset names for uniqueness by their first 64 characters (a
	// unique index on a prefix of the name): a long name is refused when another shares its first 64.
	//
	// "Name is unique, matches ^[a-z][a-z0-9_]*$."
	DatasetUniqueFirst64
	// JobListWorkflowLike reads the workflow query of GET /Job as a SQL LIKE pattern: workflow=Ech_
	// lists the jobs of Echo.
	//
	// "GET /Job: ... query page, workflow, startDate, endDate"
	JobListWorkflowLike
	// KeyUpdateByPrefix writes the description PUT /ApiKey/{key} sends to every key whose value
	// begins with the key named, not to that key alone.
	//
	// "PUT /ApiKey/{key}: Updates description, username, expiry, daily limit." (of the key named)
	KeyUpdateByPrefix
	// DatasetListCached answers GET /Dataset from a cache of each query (page and flags), emptied
	// only by POST /Dataset: the output datasets a job makes after a list was read are not listed.
	//
	// "Two flags choose whether input and whether output datasets are included."
	DatasetListCached
	// ClientListCached answers GET /ClientCredential from a cache filled at its first read and
	// never emptied: a client created after the list was read is not listed.
	//
	// "GET /ClientCredential: The account's OAuth clients"
	ClientListCached
	// DuplicateJobReplacesParameters refuses a job start under a taken name with 400, but has
	// already given the existing job the parameters and inputFilename of the refused body.
	//
	// "Job names are unique" / Errors: "validation problem" (a refused call changes nothing)
	DuplicateJobReplacesParameters
	// ConcurrentKeyUpdateLost writes an API key update as a read-modify-write of every key of the
	// account: of two updates of two different keys at once, the later write puts the other key
	// back as it was before its update.
	//
	// "PUT /ApiKey/{key}: Updates description, username, expiry, daily limit." (an update that
	// answered 200 is lost)
	ConcurrentKeyUpdateLost
	// NewKeyTakesDeletedSlot gives the next generated key (one created without a key in the body)
	// after a delete the allowed domains and subnets of the deleted key (its row reused).
	//
	// "DELETE /ApiKey/{key}: Deletes the key." / "POST /ApiKey ... Answers the ApiKey" (a new key
	// holds nothing of another)
	NewKeyTakesDeletedSlot
	// KeyListStaleAfterUpdate answers GET /ApiKey from a cache emptied only by key creates and
	// deletes: an update, a domain or a subnet is not in the list read after it.
	//
	// "GET /ApiKey: All API keys of the account: array of ApiKey." / "PUT /ApiKey/{key}: Updates
	// description, username, expiry, daily limit."
	KeyListStaleAfterUpdate
	// RefusedKeyCreateStored refuses a create whose given key exists with 400, but has already
	// stored a key with a generated value and the refused body's description.
	//
	// Errors: "validation problem" (a refused call changes nothing) / "GET /ApiKey: All API keys of
	// the account"
	RefusedKeyCreateStored
	// DomainAddDropsConcurrentIP saves a domain add as the whole key as read when the add began: a
	// subnet allowed on the key meanwhile (while the add waits up to 300 ms for another request) is
	// lost. Domains added at once are merged.
	//
	// "PUT /ApiKey/{key}/allowedIPs/{network}/{prefix}: Allows a subnet" (a subnet that answered
	// 200 is lost)
	DomainAddDropsConcurrentIP
	// UpdateDropsConcurrentDomain saves a key update as the whole key as read when the update began:
	// a domain or subnet allowed on the key meanwhile (while the update waits up to 300 ms for
	// another request) is lost.
	//
	// "PUT /ApiKey/{key}: Updates description, username, expiry, daily limit." (and nothing else: a
	// domain that answered 200 is lost)
	UpdateDropsConcurrentDomain
	// JobParametersLastStarted answers GET /Job/{name} with the parameters and inputFilename of the
	// job started last (one dictionary shared by the jobs).
	//
	// "GET /Job/{name}: Full details ... parameters{}, inputFilename"
	JobParametersLastStarted
	// RefusedJobListed lists in GET /Job a job whose start was refused with 400 for an incomplete
	// input (the row written before the inputs are checked); GET /Job/{name} does not find it.
	//
	// "GET /Job: Jobs already submitted" / Errors: "validation problem" (a refused call changes
	// nothing)
	RefusedJobListed
	// DatasetListCacheIgnoresFlags answers GET /Dataset from a cache of each page, filled by the
	// page's first read whatever the flags, and emptied by each dataset create and job start.
	//
	// "Two flags choose whether input and whether output datasets are included."
	DatasetListCacheIgnoresFlags
	// OutputNamedByInput names a job's output dataset after its input dataset and slot: a later job
	// on the same input is given the earlier job's output dataset, and writes its results over it.
	//
	// "outputDatasets maps output slot → dataset name, where the results are read from." (one job's
	// results are read from another's)
	OutputNamedByInput
	// RefusedCreateListed lists in GET /Dataset a dataset whose create was refused with 400 for a
	// bad column name (the row written before the columns are checked); GET /Dataset/{name} does
	// not find it, and its name stays free.
	//
	// "Paged list of datasets" / Errors: "validation problem" (a refused call changes nothing)
	RefusedCreateListed
	// ConcurrentDeleteLosesCreate writes a key delete as the account's key table read before it: a
	// key created at the same moment (a create takes 30 ms, the delete's write comes 150 ms after its
	// read) is lost.
	//
	// "POST /ApiKey ... Answers the ApiKey" / "GET /ApiKey: All API keys of the account" (a key
	// created with 200 is gone)
	ConcurrentDeleteLosesCreate
	// CookieTokenAccepted takes a request without an Authorization header as authenticated by an
	// issued token in a cookie (access_token), as a browser session would carry it.
	//
	// "every request carries Authorization: Bearer <token>"
	CookieTokenAccepted
	// HeaderTokenAccepted takes a request without an Authorization header as authenticated by an
	// issued token in an X-Access-Token header.
	//
	// "every request carries Authorization: Bearer <token>"
	HeaderTokenAccepted
	// QueryTokenOtherName takes a request without an Authorization header as authenticated by an
	// issued token in the query parameter token (not access_token).
	//
	// "every request carries Authorization: Bearer <token>"
	QueryTokenOtherName
	// BearerExtraWordsIgnored takes the second word of the Authorization header as the token: a
	// header "Bearer <token> x", whose token is "<token> x", is taken.
	//
	// "every request carries Authorization: Bearer <token>" (the token the token server issued)
	BearerExtraWordsIgnored
	// GrantTypeUnchecked gives a token to an authenticated client whatever grant_type it asks for
	// (password, none).
	//
	// "Grant: OAuth2 client credentials, scope BatchApi"
	GrantTypeUnchecked
	// ScopeCaseFolded compares the scope asked for at the token endpoint without regard to case: a
	// token of scope batchapi is granted, and the API takes it.
	//
	// "Grant: OAuth2 client credentials, scope BatchApi"
	ScopeCaseFolded
	// SecretMissingAccepted checks the client secret at the token endpoint only when the request
	// has one: a request with the client id and no client_secret member gets a token.
	//
	// "Grant: OAuth2 client credentials" (the grant authenticates the client)
	SecretMissingAccepted
	// ClientFoundBySecret finds the client at the token endpoint by its secret when the request
	// names no client id: a request with the secret alone gets a token.
	//
	// "Grant: OAuth2 client credentials" (the grant authenticates the client)
	ClientFoundBySecret
	// EncodedPathSkipsAuth checks the token on the raw path of the request: a path whose fixed
	// segment has a percent-escaped letter (/%41piKey) is routed as the API's path, unchecked.
	//
	// "every request carries Authorization: Bearer <token>"
	EncodedPathSkipsAuth
	// DotSegmentSkipsAuth serves a path with a dot segment or an empty segment (/./ApiKey,
	// //ApiKey) as its clean form, without checking the token.
	//
	// "every request carries Authorization: Bearer <token>"
	DotSegmentSkipsAuth
	// OtherVerbServesGet answers a method a route does not have (DELETE /Job/{name}, PUT /Dataset)
	// as the route's GET, without checking the token.
	//
	// "every request carries Authorization: Bearer <token>"
	OtherVerbServesGet
	// ProblemStatusFixed writes 400 as the status member of every problem body of the routes under
	// /ClientCredential/{id}, whatever the status of the answer (a 404's problem says 400), as one
	// handler that builds its problems by hand would.
	//
	// "Errors: RFC 9457 problem details ... type, title, status, detail, instance" (RFC 9457: the
	// status member is the answer's status code)
	ProblemStatusFixed
	// JSONCharsetRefused refuses with 415 a block upload whose Content-Type is application/json with
	// a parameter (application/json; charset=utf-8): the media type is compared as a whole string.
	//
	// "Bodies: JSON, camelCase members"
	JSONCharsetRefused
	// WriteTokenMatchedButLast matches the bearer token of a request that is no GET on all but its
	// last character (the write routes have a check of their own): an issued token with its last
	// character changed opens PUT, POST, PATCH and DELETE.
	//
	// "every request carries Authorization: Bearer <token>" (the token the token server issued)
	WriteTokenMatchedButLast
	// CachedReadSkipsAuth keeps the last 200 answer of every GET URL and serves it, before the
	// token check, to a request of the same URL without an Authorization header (a response cache
	// in front of the API that does not key on the caller).
	//
	// "every request carries Authorization: Bearer <token>"
	CachedReadSkipsAuth
	// RefusedCreateApplied checks the bearer token of POST /Dataset after the handler ran: a create
	// without a valid token is answered 401, and the dataset is created all the same.
	//
	// "every request carries Authorization: Bearer <token>" (a refused request changes nothing)
	RefusedCreateApplied
	// OriginalURLRouted routes a request by its X-Original-URL header (IIS's URL rewriting), and
	// checks the token of the path it came to: a path the API does not have, with an API route in
	// the header, is served as that route without a token.
	//
	// "every request carries Authorization: Bearer <token>"
	OriginalURLRouted
	// LaterPageSkipsAuth serves the pages after the first of GET /Dataset, GET /Job and GET
	// /Dataset/{name}/data (page 2 and on) without checking the token, as a continuation path of
	// the paging code would.
	//
	// "every request carries Authorization: Bearer <token>"
	LaterPageSkipsAuth
	// CompleteAnswersOld completes the dataset of PUT /Dataset/{name} but answers the dataset as it
	// was read before the update (completed false): the entity loaded before the change is
	// serialised.
	//
	// "Marks an incomplete input dataset complete ... Answers the updated Dataset."
	CompleteAnswersOld
	// JobPathDoubleDecode percent-decodes the name of GET /Job/{name} a second time (a proxy decodes
	// the path, the application decodes it again): a job whose name holds '%' followed by two hex
	// digits ("Rate %41") is not found, or another job is answered.
	//
	// "Job names contain spaces: escape them in the path." / "Monitor by polling GET /Job/{name}"
	JobPathDoubleDecode
	// SubnetUniqueAcrossKeys keeps the allowed subnets of the account under a unique index: allowing
	// a subnet that another key already allows answers 200 and does not add it to the key named.
	//
	// "PUT /ApiKey/{key}/allowedIPs/{network}/{prefix}: Allows a subnet: network plus prefix bits"
	SubnetUniqueAcrossKeys
	// DomainUniqueAcrossKeys keeps the allowed domains of the account under a unique index: allowing
	// a domain that another key already allows answers 200 and does not add it to the key named.
	//
	// "PUT /ApiKey/{key}/allowedDomains/{domain}: Allows a domain"
	DomainUniqueAcrossKeys
	// KeyFoundByDescription creates a key without a key in the body as find-or-create by
	// description: a create whose description a live key already has answers that key, and makes
	// none.
	//
	// "Body {key?, description, ...}; the key is generated when not given" / "GET /ApiKey: All API
	// keys of the account"
	KeyFoundByDescription
	// ClientFoundByDescription creates an OAuth client as find-or-create by description: a create
	// whose description a client already has answers that client, and makes none.
	//
	// "POST /ClientCredential: Creates one; clientId is generated"
	ClientFoundByDescription
	// ClientListFirst25 answers GET /ClientCredential with the first 25 clients of the account
	// (oldest first): one page, without paging.
	//
	// "GET /ClientCredential: The account's OAuth clients"
	ClientListFirst25
	// ThirdGeneratedKeyLowerCase generates the third key it generates (one created without a key in
	// the body) in lower case, abcd-1234-efgh-5678; every other generated key has the documented form.
	//
	// "the key is generated when not given (form `ABCD-1234-EFGH-5678`)"
	ThirdGeneratedKeyLowerCase
	// ClientReadNewestDescription answers GET /ClientCredential/{id} with the client named, but with
	// the description of the newest client of the account: the newest reads right, an older one
	// reads another's description.
	//
	// "GET /ClientCredential/{id}: One client credential."
	ClientReadNewestDescription
	// LaterPageLocationWrong gives each entry of page 2 of GET /Dataset the location of the entry at
	// its place on the first page (the locations made from the unpaged list): names are right,
	// locations address other datasets. The other pages are right.
	//
	// "each carries a `location` with the URL of `GET /Dataset/{name}`"
	LaterPageLocationWrong
	// JobListFilterSkipsAuth serves GET /Job with a workflow, startDate or endDate parameter without
	// checking the token, as a filtered path of the list that skips the check would.
	//
	// "every request carries Authorization: Bearer <token>"
	JobListFilterSkipsAuth
	// RefusedCompleteHoldsInput marks a complete input dataset as being completed when a completion
	// of it is refused (it is already complete), and never clears the mark: GET still reads it
	// complete, but a job start naming it is refused as on an incomplete input.
	//
	// "Output dataset, or already complete: **400**. Once complete it can be used by a job." (a
	// refused completion changes nothing)
	RefusedCompleteHoldsInput
	// RefusedJobHoldsInput takes hold of the incomplete input datasets a job start names before it
	// checks that they are complete, and keeps the hold when the start is refused: the dataset then
	// refuses every block with 400, as if a job used it.
	//
	// "Dataset must be an **incomplete input** dataset, else **400**." / "Input datasets **must be
	// complete** first." (a refused start is no job)
	RefusedJobHoldsInput
	// JobInputLastFullPageLost makes a job read its input in pages of 1,000, counting the pages as
	// (recordCount − 1) / 1,000 full ones and one partial: an input of exactly 1,000·n records loses
	// its last full page.
	//
	// "outputDatasets maps output slot → dataset name, where the results are read from."
	JobInputLastFullPageLost
	// DataReadLastFullPageLost counts the pages of GET /Dataset/{name}/data as (recordCount − 1) /
	// 1,000 full ones and one partial: of a dataset of exactly 1,000·n records, page n answers [].
	//
	// "outputDatasets maps output slot → dataset name, where the results are read from." / "Reads
	// records back [...] 1,000 records per page, in processing order"
	DataReadLastFullPageLost
	// CaseTwinRenamesJob compares job names without regard to case in the uniqueness check (a
	// case-insensitive collation, which the contract leaves open) and, refusing a start named like an
	// existing job but for case, has already written the refused name over the existing job's: the
	// job is then found under the refused name only.
	//
	// "Monitor by polling GET /Job/{name}" / "Job names are **unique**" (a refused start changes
	// nothing)
	CaseTwinRenamesJob
	// DeletedKeyReadable deletes a key softly and forgets the filter on one route: the list leaves it
	// out and every other operation on it answers 404, but GET /ApiKey/{key} still answers the key.
	//
	// "DELETE /ApiKey/{key}: Deletes the key." / "Unknown name in a path: 404"
	DeletedKeyReadable
	// UnknownColumnFirstRecordOnly checks the members of the first record of a block against the
	// dataset's columns and no other: a block whose first record names only columns of the dataset
	// is stored even when a later record names a column the dataset does not have.
	//
	// "a record naming a column the dataset does not have → `400` with `errors` naming the offending
	// member (e.g. `records[12].foo`)" (D-9) / "Records are **processed in ascending block number,
	// then in the order given inside the block**."
	UnknownColumnFirstRecordOnly
	// JobUnknownInputAccepted does not look an input dataset up when a job starts: a job naming a
	// dataset that does not exist is started (200), and fails when it runs.
	//
	// "Input datasets **must be complete** first."
	JobUnknownInputAccepted
	// CaseTwinTakenUnfound checks a new job's name against the existing ones ignoring case (a
	// case-insensitive unique index) while GET /Job/{name} compares names exactly: a start named
	// like an existing job but for case is refused as a duplicate, and GET of that name answers 404.
	//
	// "Names [...] are compared exactly [...] A server may also compare names ignoring case [...]:
	// then a name in other letter case finds the one object of that name on every route [...], and a
	// name differing from a taken one only in case is taken." (D-4)
	CaseTwinTakenUnfound
	// CompletedBeforeSubmitted sets a finished job's completedAt to a second before its
	// submittedAt: every job reads unfinished by the contract's rule, however long it is polled.
	//
	// "A job is finished when `completedAt` is present, not null, and not before `submittedAt`"
	// (D-14) / "Monitor by polling `GET /Job/{name}`."
	CompletedBeforeSubmitted
	// JobNameBackslashAccepted checks job names for the characters the list shows between the
	// quotes, / : * ? " < > |, and not for the backslash, which is invalid in (Windows) file names
	// too: a job named a\b is started.
	//
	// "Job names [...] may not contain characters invalid in file names: `/ : * ? " < > \|`"
	JobNameBackslashAccepted
	// EmptyGivenKeyStored takes a key given as "" in the body of POST /ApiKey as given: the key ""
	// is stored and answered, not generated.
	//
	// "the key is generated when not given (form `ABCD-1234-EFGH-5678`)"
	EmptyGivenKeyStored
	// ExpiredKeysUnlisted leaves out of GET /ApiKey the keys whose expiry has passed (GET
	// /ApiKey/{key} still finds them).
	//
	// "GET /ApiKey: All API keys of the account"
	ExpiredKeysUnlisted
	// SameNetworkSubnetReplaces keys a key's allowed subnets by their network address: allowing
	// 10.20.0.0/24 on a key that allows 10.20.0.0/16 replaces the /16.
	//
	// "Allows a subnet: `network` plus `prefix` bits"
	SameNetworkSubnetReplaces
	// GivenClientIDTaken binds a clientId sent in the body of POST /ClientCredential: the OAuth
	// client is made under the id the caller chose.
	//
	// "Creates one; `clientId` is generated (do not send it)"
	GivenClientIDTaken
	// TokenFormCharsetRefused refuses a token request whose Content-Type carries a parameter
	// (application/x-www-form-urlencoded; charset=utf-8) with invalid_request.
	//
	// "Client authentication at the token endpoint: `client_id` and `client_secret` in the form body"
	// (D-1) / "Grant: OAuth2 client credentials"
	TokenFormCharsetRefused
	// LaterListPagesNotFound answers every page of GET /Dataset and GET /Job after the first 404,
	// also when it holds entries: the lists end at page 1.
	//
	// "Paged list of datasets, **100 per page**" / "Jobs already submitted, **100 per page**"
	LaterListPagesNotFound
	// LaterDataPagesNotFound answers every page of GET /Dataset/{name}/data after the first 404,
	// also when it holds records: a reader gets the first page's records only.
	//
	// "Reads records back ... **1,000 records per page**" (D-10) / "Records are **processed in
	// ascending block number**": a job's output is read whole
	LaterDataPagesNotFound
	// TokenFormOnlyChecked issues tokens of 64 lower-case hex digits and takes any bearer token of
	// that form, issued or not: only the form is checked.
	//
	// "Auth: every request carries `Authorization: Bearer <token>`" / "Token endpoint: ..." (the
	// token the token server issued)
	TokenFormOnlyChecked
	// APIKeyDotSuffixDropped reads a key in the path of GET /ApiKey/{key} up to its first dot, as
	// a route taking a dotted suffix for a format extension does: the key ab.cd is looked up as ab.
	//
	// "GET /ApiKey/{key}: One key."
	APIKeyDotSuffixDropped
	// JobDotSuffixDropped reads a job name in the path of GET /Job/{name} up to its last dot, as a
	// route taking a dotted suffix for a format extension does: the job "report.csv" is looked up
	// as "report".
	//
	// "Job names are **unique** and may not contain characters invalid in file names" (a dot is
	// valid) / "Monitor by polling `GET /Job/{name}`"
	JobDotSuffixDropped
	// ClientWithoutDescriptionUnlisted takes POST /ClientCredential without a description (the spec
	// wants one: a difference at a decided point) and leaves such a client out of GET
	// /ClientCredential; GET /ClientCredential/{id} still finds it.
	//
	// "GET /ClientCredential: The account's OAuth clients"
	ClientWithoutDescriptionUnlisted
)

// Mutations lists every mutation, for a test that runs a suite against each.
func Mutations() []Mutation {
	out := make([]Mutation, 0, ClientWithoutDescriptionUnlisted)
	for m := Accept1001Records; m <= ClientWithoutDescriptionUnlisted; m++ {
		out = append(out, m)
	}
	return out
}
